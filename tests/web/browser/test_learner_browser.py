"""The learner in Chromium: launch, start, the timer, the end, the result."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from proctoring.attempts import actions, time_changes
from proctoring.attempts.models import Attempt
from proctoring.core.clock import now
from tests.web.browser.conftest import remaining_seconds, sign_in
from tests.web.conftest import COURSE_ID, launch_token

# The browser's clock, off by this many milliseconds (an init script replaces Date).
SKEWED_DATE = """(() => {
  const offset = %d, Real = Date;
  class Skewed extends Real {
    constructor(...args) {
      if (args.length) { super(...args); } else { super(Real.now() + offset); }
    }
    static now() { return Real.now() + offset; }
  }
  window.Date = Skewed;
})();"""


def _launch(page, live_server, token):
    """POST the token to /launch from another page, as a platform's form does."""
    page.set_content(
        f'<form method="post" action="{live_server.url}/launch">'
        f'<input name="token" value="{token}"><button>Go</button></form>'
    )
    page.click("button")
    page.wait_for_load_state()


def _running(world) -> Attempt:
    return Attempt.objects.get(exam=world.exam, user=world.learner)


def test_launch_start_count_down_end_and_see_the_result(page, live_server, world):
    token = launch_token(
        "platform-zoe", preferred_username="zoe", exam_id=world.exam.pk,
        course_roles={COURSE_ID: "learner"},
    )  # fmt: skip
    _launch(page, live_server, token)
    expect(page).to_have_url(re.compile(rf"/exams/{world.exam.pk}$"))
    expect(page.get_by_role("heading", name="A proctored exam")).to_be_visible()
    expect(page.get_by_text("Time allowed: 60 minutes")).to_be_visible()
    page.get_by_role("button", name="Start my exam").click()
    timer = page.get_by_role("timer")
    expect(timer).to_have_text(re.compile(r"^00:59:5\d$"))
    first = remaining_seconds(page)
    page.wait_for_timeout(2200)
    assert first - 3 <= remaining_seconds(page) <= first - 2
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="End my exam").click()
    expect(page.get_by_role("heading", name="Your exam was submitted")).to_be_visible()
    assert Attempt.objects.get(exam=world.exam).status == "submitted"


@pytest.mark.parametrize("offset_minutes", [-10, 10])
def test_the_timer_is_right_when_the_browser_clock_is_wrong(
    browser, live_server, world, offset_minutes
):
    context = browser.new_context()
    context.add_init_script(SKEWED_DATE % (offset_minutes * 60_000))
    sign_in(context, live_server, world.learner)
    page = context.new_page()
    page.goto(f"{live_server.url}/exams/{world.exam.pk}")
    assert abs(page.evaluate("Date.now()") - now().timestamp() * 1000) > 9 * 60_000
    page.get_by_role("button", name="Start my exam").click()
    expect(page.get_by_role("timer")).to_have_text(re.compile(r"^00:5\d:\d\d$"))
    page.wait_for_timeout(1500)  # a poll, at least
    server = (_running(world).deadline_at - now()).total_seconds()
    assert abs(remaining_seconds(page) - server) <= 2
    context.close()


def test_the_deadline_passing_while_open_shows_the_result(browser, live_server, world):
    context = browser.new_context()
    sign_in(context, live_server, world.learner)
    page = context.new_page()
    page.goto(f"{live_server.url}/exams/{world.exam.pk}")
    page.get_by_role("button", name="Start my exam").click()
    expect(page.get_by_role("timer")).to_be_visible()
    # The clock of the test: the deadline three seconds from now (staff could have cut it).
    Attempt.objects.filter(pk=_running(world).pk).update(deadline_at=now() + timedelta(seconds=3))
    expect(page.get_by_role("heading", name="Your exam was submitted")).to_be_visible(
        timeout=10_000
    )
    assert _running(world).status == "submitted"
    context.close()


def test_staff_time_and_pause_reach_the_open_page_within_a_poll(browser, live_server, world):
    context = browser.new_context()
    sign_in(context, live_server, world.learner)
    page = context.new_page()
    page.goto(f"{live_server.url}/exams/{world.exam.pk}")
    page.get_by_role("button", name="Start my exam").click()
    expect(page.get_by_role("timer")).to_have_text(re.compile(r"^00:5\d:\d\d$"))
    attempt = _running(world)
    time_changes.attempt_add_time(attempt_id=attempt.pk, minutes=30, actor_id=world.staff.pk)
    expect(page.get_by_role("timer")).to_have_text(re.compile(r"^01:2\d:\d\d$"), timeout=3000)
    time_changes.attempt_pause(attempt_id=attempt.pk, actor_id=world.staff.pk)
    expect(page.get_by_text("Paused by your course team")).to_be_visible(timeout=3000)
    frozen = remaining_seconds(page)
    page.wait_for_timeout(1500)
    assert remaining_seconds(page) == frozen
    context.close()


def test_an_attempt_ended_elsewhere_shows_its_result_within_a_poll(browser, live_server, world):
    context = browser.new_context()
    sign_in(context, live_server, world.learner)
    page = context.new_page()
    page.goto(f"{live_server.url}/exams/{world.exam.pk}")
    page.get_by_role("button", name="Start my exam").click()
    expect(page.get_by_role("timer")).to_be_visible()
    actions.attempt_act(attempt_id=_running(world).pk, action="error", actor_id=world.learner.pk)
    expect(page.get_by_role("heading", name="Your proctoring session had an error")).to_be_visible(
        timeout=3000
    )
    context.close()


def test_a_threshold_is_announced_once_in_a_polite_live_region(browser, live_server, world):
    context = browser.new_context()
    sign_in(context, live_server, world.learner)
    page = context.new_page()
    page.goto(f"{live_server.url}/exams/{world.exam.pk}")
    page.get_by_role("button", name="Start my exam").click()
    expect(page.get_by_role("timer")).to_be_visible()
    # 60 minutes allowed: 20% is 12 minutes. Bring the deadline to 11 minutes from now.
    Attempt.objects.filter(pk=_running(world).pk).update(deadline_at=now() + timedelta(minutes=11))
    live = page.locator("[data-timer-announce]")
    expect(live).to_have_text("Less than 20% of your time is left.", timeout=3000)
    assert live.get_attribute("aria-live") == "polite"
    changes = page.evaluate(
        """() => new Promise(done => {
          let count = 0;
          const live = document.querySelector('[data-timer-announce]');
          const what = {childList: true, characterData: true, subtree: true};
          new MutationObserver(() => count++).observe(live, what);
          setTimeout(() => done(count), 2500);
        })"""
    )
    assert changes == 0  # said once, not every second
    context.close()
