"""Every page of the web UI in Chromium: no serious or critical accessibility violation
(axe), no Content-Security-Policy violation, under 100 KB of HTML and scripts, and usable at a
phone's width. ``make screenshots`` keeps the screenshots in docs/screenshots/."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth.hashers import make_password
from playwright.sync_api import expect

from proctoring.access.models import ExamRules
from proctoring.attempts import actions, retakes, time_changes
from proctoring.attempts.services import attempt_create
from proctoring.attempts.statuses import AttemptStatus
from proctoring.attempts.transition import Move, attempts_transition
from proctoring.core.clock import now
from proctoring.providers import services as provider_services
from proctoring.providers.callbacks import callback_ready
from tests.factories import ExamFactory
from tests.web.browser.conftest import sign_in
from tests.web.conftest import COURSE_ID, launch_token
from tests.web.fakes import ALIAS, vendor_entry

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


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_provider_gate_and_resume_pages(
    browser, live_server, world, axe, shots, viewport, tmp_path, settings
):
    """The learner's pages of a provider's steps and worker, an access code and its refusal,
    a resumable error, an onboarding status, a practice retake."""
    suffix = "" if viewport is DESKTOP else "-phone"
    shots = shots if viewport is DESKTOP else tmp_path
    settings.ROOT_URLCONF = "tests.web.browser.worker_urls"
    worker = live_server.url.replace("127.0.0.1", "localhost") + "/vendor/echo-worker.js"
    settings.PROCTORING_BACKENDS = {
        "DEFAULT": "null",
        "null": {},
        ALIAS: vendor_entry(worker_url=worker, ping=1),
    }
    world.course.provider = ALIAS
    world.course.save()
    exam = f"/exams/{world.exam.pk}"
    visit = Visit(browser, live_server, world.learner, axe, shots, viewport)
    attempt = provider_services.attempt_create_for_learner(
        exam_id=world.exam.pk, user_id=world.learner.pk, taking_as_proctored=True
    )
    visit.check(f"learner-provider-steps{suffix}", exam)
    callback_ready(alias=ALIAS, attempt=attempt)
    visit.check(f"learner-ready{suffix}", exam)
    actions.attempt_act(attempt_id=attempt.pk, action="start", actor_id=world.learner.pk)
    visit.check(f"learner-running-worker{suffix}", exam)
    attempts_transition(attempts=[attempt], move=Move(AttemptStatus.ERROR, actor_id=None))
    retakes.attempt_mark_resumable(attempt_id=attempt.pk, actor_id=world.staff.pk)
    visit.check(f"learner-error-continue{suffix}", exam)
    # An access code, and the page that refuses a wrong one.
    coded = ExamFactory(course=world.course, content_id="coded", is_proctored=False)
    ExamRules.objects.create(exam=coded, access_code_hash=make_password("blue-falcon"))
    visit.check(f"learner-access-code{suffix}", f"/exams/{coded.pk}")
    visit.page.get_by_label("Access code").fill("red-sparrow")
    visit.bytes = 0
    visit.page.get_by_role("button", name="Start my exam").click()
    # htmx puts the refusal in the page's alert region; the entrance stays.
    expect(visit.page.locator("#errors .error")).to_contain_text("access code")
    visit.check(f"learner-access-refused{suffix}")
    # A practice exam done: retake it.
    practice = ExamFactory(course=world.course, content_id="practice", is_practice_exam=True)
    done = actions.attempt_create_for_learner(
        exam_id=practice.pk, user_id=world.learner.pk, start=True
    )
    actions.attempt_act(attempt_id=done.pk, action="submit", actor_id=world.learner.pk)
    visit.check(f"learner-practice-retake{suffix}", f"/exams/{practice.pk}")
    # An onboarding status.
    onboarding = ExamFactory(course=world.course, content_id="onb", is_proctored=False)
    blocked = attempt_create(exam_id=onboarding.pk, user_id=world.learner.pk)
    attempts_transition(
        attempts=[blocked], move=Move(AttemptStatus.ONBOARDING_PENDING, actor_id=None)
    )
    visit.check(f"learner-onboarding{suffix}", f"/exams/{onboarding.pk}")
    visit.close()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_staff_review_and_onboarding_pages(
    browser, live_server, world, axe, shots, viewport, tmp_path
):
    suffix = "" if viewport is DESKTOP else "-phone"
    shots = shots if viewport is DESKTOP else tmp_path
    attempt = actions.attempt_create_for_learner(
        exam_id=world.exam.pk, user_id=world.learner.pk, taking_as_proctored=True, start=True
    )
    actions.attempt_act(attempt_id=attempt.pk, action="submit", actor_id=world.learner.pk)
    course = f"/staff/courses/{COURSE_ID}"
    visit = Visit(browser, live_server, world.staff, axe, shots, viewport)
    visit.check(f"staff-reviews{suffix}", f"{course}/reviews")
    visit.check(f"staff-onboarding{suffix}", f"{course}/onboarding")
    visit.close()
