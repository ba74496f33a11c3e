"""Every page of the web UI in Chromium: no serious or critical accessibility violation
(axe), no Content-Security-Policy violation, under 100 KB of HTML and scripts, and usable at a
phone's width. ``make screenshots`` keeps the screenshots in docs/screenshots/."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe

from proctoring.attempts import actions, time_changes
from proctoring.core.clock import now
from tests.web.browser.conftest import sign_in
from tests.web.conftest import COURSE_ID, launch_token

MAX_PAGE_BYTES = 100_000
BLOCKING_IMPACTS = {"serious", "critical"}
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1100, "height": 760}


@pytest.fixture(scope="module")
def axe() -> Axe:
    return Axe()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    """Where the screenshots go: docs/screenshots with ``make screenshots``, else a tmp dir."""
    folder = os.environ.get("PROCTORING_SCREENSHOTS_DIR")
    path = Path(folder) if folder else tmp_path
    path.mkdir(parents=True, exist_ok=True)
    return path


class Visit:
    """One browser context of one user, that checks each page it opens."""

    def __init__(self, browser, live_server, user, axe, shots, viewport=DESKTOP):
        self.context = browser.new_context(viewport=viewport)
        if user is not None:
            sign_in(self.context, live_server, user)
        self.page = self.context.new_page()
        self.url, self.axe, self.shots = live_server.url, axe, shots
        self.csp_errors: list[str] = []
        self.bytes = 0
        self.page.on("console", self._console)
        self.page.on("response", self._response)

    def _console(self, message) -> None:
        if "Content Security Policy" in message.text:
            self.csp_errors.append(message.text)

    def _response(self, response) -> None:
        if response.request.resource_type in ("document", "script", "fetch", "xhr"):
            self.bytes += len(response.body())

    def check(self, name: str, path: str | None = None) -> None:
        if path is not None:
            self.bytes = 0
            self.page.goto(self.url + path)
        self.page.wait_for_load_state("networkidle")
        self.page.wait_for_timeout(300)  # let htmx and the timer settle
        violations = [
            (v["id"], v["impact"], [node["target"] for node in v["nodes"]][:3])
            for v in self.axe.run(self.page).response["violations"]
            if v["impact"] in BLOCKING_IMPACTS
        ]
        assert violations == [], f"{name}: {violations}"
        assert self.csp_errors == [], f"{name}: {self.csp_errors}"
        assert 0 < self.bytes < MAX_PAGE_BYTES, f"{name}: {self.bytes} bytes"
        width = self.page.evaluate("document.documentElement.scrollWidth")
        assert width <= self.page.viewport_size["width"] + 1, f"{name} scrolls sideways"
        self.page.screenshot(path=str(self.shots / f"{name}.png"))

    def close(self) -> None:
        self.context.close()


def test_public_pages(browser, live_server, world, axe, shots):
    visit = Visit(browser, live_server, None, axe, shots)
    visit.check("front", "/")
    visit.check("signin", "/signin")
    visit.page.set_content(
        f'<form method="post" action="{live_server.url}/launch"><input name="token" '
        f'value="{launch_token("x", exam_id=999999)}"><button>Go</button></form>'
    )
    visit.bytes = 0
    visit.page.click("button")
    visit.check("launch-refused")
    visit.close()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_learner_pages(browser, live_server, world, axe, shots, viewport, tmp_path):
    suffix = "" if viewport is DESKTOP else "-phone"
    shots = shots if viewport is DESKTOP else tmp_path  # the docs keep the desktop's
    visit = Visit(browser, live_server, world.learner, axe, shots, viewport)
    visit.check(f"learner-home{suffix}", "/")
    visit.check(f"learner-entrance{suffix}", f"/exams/{world.exam.pk}")
    attempt = actions.attempt_create_for_learner(
        exam_id=world.exam.pk, user_id=world.learner.pk, taking_as_proctored=True, start=True
    )
    visit.check(f"learner-running{suffix}", f"/exams/{world.exam.pk}")
    visit.check(f"embed-timer{suffix}", "/embed/timer")
    time_changes.attempt_pause(attempt_id=attempt.pk, actor_id=world.staff.pk)
    visit.check(f"learner-paused{suffix}", f"/exams/{world.exam.pk}")
    time_changes.attempt_resume(attempt_id=attempt.pk, actor_id=world.staff.pk)
    actions.attempt_act(attempt_id=attempt.pk, action="submit", actor_id=world.learner.pk)
    visit.check(f"learner-submitted{suffix}", f"/exams/{world.exam.pk}")
    visit.close()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_staff_pages(browser, live_server, world, axe, shots, viewport, tmp_path):
    suffix = "" if viewport is DESKTOP else "-phone"
    attempt = actions.attempt_create_for_learner(
        exam_id=world.exam.pk, user_id=world.learner.pk, taking_as_proctored=True, start=True
    )
    time_changes.attempt_add_time(
        attempt_id=attempt.pk, minutes=10, actor_id=world.staff.pk, reason="late start"
    )
    assert attempt.started_at is not None and attempt.started_at <= now()
    course = f"/staff/courses/{COURSE_ID}"
    shots = shots if viewport is DESKTOP else tmp_path
    visit = Visit(browser, live_server, world.staff, axe, shots, viewport)
    visit.check(f"staff-dashboard{suffix}", "/staff/")
    visit.check(f"staff-attempts{suffix}", f"{course}/attempts")
    visit.check(f"staff-attempt{suffix}", f"/staff/attempts/{attempt.pk}")
    visit.check(f"staff-exams{suffix}", f"{course}/exams")
    visit.check(f"staff-exam-new{suffix}", f"{course}/exams/new")
    visit.check(f"staff-exam-edit{suffix}", f"/staff/exams/{world.exam.pk}/edit")
    visit.check(f"staff-allowances{suffix}", f"{course}/allowances")
    csv_file = tmp_path / "a.csv"
    csv_file.write_text("learner,midterm,additional_time_granted,15\nghost,midterm,x,1\n")
    visit.page.locator("input[type=file]").set_input_files(str(csv_file))
    visit.bytes = 0
    visit.page.get_by_role("button", name="Check the file").click()
    visit.check(f"staff-allowances-preview{suffix}")
    visit.close()
