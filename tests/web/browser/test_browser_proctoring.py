"""Browser proctoring in Chromium with a fake camera: the learner consents (the checks find
the camera), takes the exam, switches away, leaves full screen and pastes; the events,
snapshots and flags are recorded; a reviewer sees them beside the snapshots and rejects; a
clean attempt is verified automatically."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from proctoring.attempts.models import Attempt
from proctoring.attempts.statuses import AttemptStatus
from proctoring.browser.models import (
    BrowserDataView,
    BrowserEvent,
    BrowserExamSettings,
    BrowserSnapshot,
    Irregularity,
)
from proctoring.outbox.delivery import outbox_deliver
from proctoring.reviews.models import Review
from tests.web.browser.conftest import sign_in


def _browser_proctored(world, **values):
    world.course.provider = "browser"
    world.course.save()
    settings = {
        "snapshot_interval_seconds": 1,
        "heartbeat_gap_seconds": 8,  # the page reports every 2 s
        "away_seconds_limit": 1,
        **values,
    }
    BrowserExamSettings.objects.create(exam=world.exam, **settings)


def _consent_and_start(browser, live_server, world):
    context = browser.new_context()
    sign_in(context, live_server, world.learner)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(f"{live_server.url}/exams/{world.exam.pk}")
    page.get_by_role("button", name="Start my exam").click()
    page.get_by_role("link", name="Continue to the proctoring setup").click()
    expect(
        page.get_by_role("heading", name=re.compile("proctoring in your browser"))
    ).to_be_visible()
    expect(page.locator("[data-consent-text]")).to_contain_text(
        re.compile(r"a webcam picture every \d+ seconds")
    )
    page.get_by_role("button", name="Run the checks").click()
    expect(page.locator('[data-check="camera"] [data-check-result]')).to_have_text("ok")
    expect(page.locator('[data-check="fullscreen"] [data-check-result]')).to_have_text("ok")
    page.get_by_label("I have read what is observed and kept, and I agree.").check()
    page.get_by_role("button", name="Agree and continue").click()
    expect(page.get_by_text("The provider reports you are ready.")).to_be_visible()
    page.get_by_role("button", name="Start my exam").click()
    expect(page.get_by_role("timer")).to_be_visible()
    observer = page.locator("#browser-observer")
    expect(observer).to_have_attribute("data-observer-state", "running")
    return context, page, observer, errors


def _all_sent(page, observer, snapshots: int = 1, timeout: int = 10000) -> None:
    """Wait until the page has sent what it recorded (and at least ``snapshots`` pictures)."""
    expect(observer).to_have_attribute("data-snapshots-sent", re.compile(r"^\d+$"), timeout=8000)
    page.wait_for_function(
        """([host, shots]) => Number(host.dataset.snapshotsSent || 0) >= shots
             && Number(host.dataset.eventsSent || 0) >= Number(host.dataset.eventsRecorded || 0)""",
        arg=[observer.element_handle(), snapshots],
        timeout=timeout,
    )


def _end(page):
    page.get_by_role("button", name="End my exam").click()
    expect(page.get_by_role("heading", name="Your exam was submitted")).to_be_visible()
    outbox_deliver()  # the provider hears of the submission (the jobs are off in tests)


def test_a_learner_is_observed_and_a_reviewer_rejects(browser, live_server, world):
    _browser_proctored(world)
    context, page, observer, errors = _consent_and_start(browser, live_server, world)
    attempt = Attempt.objects.get(exam=world.exam, user=world.learner)

    # Full screen, then leave it.
    page.get_by_role("button", name="Go (back) to full screen").click()
    page.wait_for_function("() => !!document.fullscreenElement")
    page.evaluate("() => document.exitFullscreen()")
    expect(page.get_by_role("button", name="Go (back) to full screen")).to_be_visible()
    # Switch away for a while, then back. Headless Chromium keeps every tab visible and
    # focused, so the test fires what a real switch fires: the window's blur, then its focus.
    page.evaluate("() => window.dispatchEvent(new Event('blur'))")
    page.wait_for_timeout(1500)
    page.evaluate("() => window.dispatchEvent(new Event('focus'))")
    # Paste (the page has no field: the document receives it).
    page.locator("h1").click()
    page.keyboard.press("Control+V")
    _all_sent(page, observer, snapshots=2)
    _end(page)

    kinds = set(BrowserEvent.objects.filter(attempt=attempt).values_list("kind", flat=True))
    assert {"started", "fullscreen_enter", "fullscreen_exit", "paste"} <= kinds
    assert kinds & {"page_hidden", "window_blur"}
    shots = list(BrowserSnapshot.objects.filter(attempt=attempt))
    assert len(shots) >= 2
    assert all(s.content_type == "image/jpeg" and 1000 < s.size < 100_000 for s in shots)
    rules = set(Irregularity.objects.filter(attempt=attempt).values_list("rule", flat=True))
    assert {"fullscreen_left", "clipboard", "away"} <= rules
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.SUBMITTED
    assert [e for e in errors if "browser-events" in e] == []
    context.close()

    # The reviewer: the timeline and flags beside the snapshots, then a rejection.
    staff_context = browser.new_context()
    sign_in(staff_context, live_server, world.staff)
    staff = staff_context.new_page()
    staff.goto(f"{live_server.url}/staff/courses/{world.course.course_id}/reviews")
    expect(staff.locator(f'[data-queue-attempt="{attempt.pk}"]')).to_contain_text("browser flags")
    staff.get_by_role("link", name="learner").click()
    review = staff.locator("#browser-review")
    expect(review).to_contain_text("fullscreen_left")
    expect(review.locator('[data-flag="clipboard"]')).to_have_count(1)
    first_image = review.locator(".browser-snapshots img").first
    expect(first_image).to_be_visible()
    staff.wait_for_function(
        "(img) => img.complete && img.naturalWidth === 320", arg=first_image.element_handle()
    )
    # Jump from the paste's flag to its row in the timeline.
    review.locator('[data-flag="clipboard"] a').click()
    expect(staff).to_have_url(re.compile(r"#ev-\d+$"))
    staff.get_by_label("Verdict").select_option("rejected")
    staff.locator("#review-h ~ form").get_by_label("Reason").fill("pasted and left full screen")
    staff.get_by_role("button", name="Give the verdict").click()
    expect(staff.locator("[data-attempt-status]")).to_have_text("rejected")
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.REJECTED
    assert Review.objects.get(attempt=attempt).reason == "pasted and left full screen"
    views = set(BrowserDataView.objects.filter(attempt=attempt).values_list("what", flat=True))
    assert views == {"timeline", "snapshot"}
    staff_context.close()


def test_a_clean_attempt_is_verified_automatically(browser, live_server, world):
    _browser_proctored(
        world, snapshot_interval_seconds=30, away_seconds_limit=30, auto_review_when_clean=True
    )
    context, page, observer, _ = _consent_and_start(browser, live_server, world)
    attempt = Attempt.objects.get(exam=world.exam, user=world.learner)
    _all_sent(page, observer, snapshots=1)
    _end(page)
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.VERIFIED
    assert not Irregularity.objects.filter(attempt=attempt).exists()
    review = Review.objects.get(attempt=attempt)
    assert review.raw["automatic"] is True
    page.reload()
    expect(page.get_by_role("heading", name="Your proctoring session was verified")).to_be_visible()
    context.close()


def test_what_the_page_saw_last_is_sent_before_the_exam_ends(browser, live_server, world):
    # A report every 15 s: the paste just before the end is still queued when the learner ends.
    _browser_proctored(world, heartbeat_gap_seconds=60, snapshot_interval_seconds=30)
    context, page, observer, errors = _consent_and_start(browser, live_server, world)
    attempt = Attempt.objects.get(exam=world.exam, user=world.learner)
    _all_sent(page, observer, snapshots=0, timeout=20000)
    page.locator("h1").click()
    page.keyboard.press("Control+V")
    _end(page)
    assert BrowserEvent.objects.filter(attempt=attempt, kind="paste").count() == 1
    assert [e for e in errors if "browser-events" in e] == []
    context.close()
