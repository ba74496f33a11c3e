"""The provider's side of the learner's page in Chromium: waiting for the provider's ready,
and the vendor's JavaScript worker (start, ping every ping_interval, missed pings reported)."""

from __future__ import annotations

import re
import time

from playwright.sync_api import expect

from proctoring.attempts import actions
from proctoring.attempts.models import Attempt
from proctoring.providers.callbacks import callback_ready
from proctoring.providers.models import ProviderEvent
from tests.web.browser.conftest import sign_in
from tests.web.fakes import ALIAS, vendor_entry


def _proctored_by(settings, world, worker_url: str = "") -> None:
    settings.PROCTORING_BACKENDS = {
        "DEFAULT": "null",
        "null": {},
        ALIAS: vendor_entry(worker_url=worker_url, ping=1),
    }
    world.course.provider = ALIAS
    world.course.save()


def _running_proctored(world) -> Attempt:
    attempt = actions.attempt_create_for_learner(
        exam_id=world.exam.pk, user_id=world.learner.pk, taking_as_proctored=True
    )
    callback_ready(alias=ALIAS, attempt=attempt)
    return actions.attempt_act(attempt_id=attempt.pk, action="start", actor_id=world.learner.pk)


def _open(browser, live_server, world):
    context = browser.new_context()
    sign_in(context, live_server, world.learner)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{live_server.url}/exams/{world.exam.pk}")
    return context, page, errors


def _missed(attempt) -> int:
    return ProviderEvent.objects.filter(attempt_id=attempt.pk, operation="ping_missed").count()


def _vendor_url(live_server, name: str) -> str:
    """The fake worker on another origin than the page's (localhost, not 127.0.0.1)."""
    return live_server.url.replace("127.0.0.1", "localhost") + f"/vendor/{name}"


def test_the_page_waits_for_the_providers_ready_then_offers_the_start(
    browser, live_server, world, settings
):
    _proctored_by(settings, world)
    context, page, _ = _open(browser, live_server, world)
    page.get_by_role("button", name="Start my exam").click()
    expect(page.get_by_text("Run the Acme proctoring app.")).to_be_visible()
    expect(page.get_by_role("link", name="Download the proctoring software")).to_be_visible()
    expect(page.get_by_text("Waiting for your proctoring provider")).to_be_visible()
    attempt = Attempt.objects.get(exam=world.exam, user=world.learner)
    callback_ready(alias=ALIAS, attempt=attempt)
    # The page polls and moves on by itself.
    expect(page.get_by_text("The provider reports you are ready.")).to_be_visible(timeout=5000)
    page.get_by_role("button", name="Start my exam").click()
    expect(page.get_by_role("timer")).to_be_visible()
    context.close()


def test_the_vendors_worker_starts_and_answers_every_ping(browser, live_server, world, settings):
    settings.ROOT_URLCONF = "tests.web.browser.worker_urls"
    _proctored_by(settings, world, _vendor_url(live_server, "echo-worker.js"))
    attempt = _running_proctored(world)
    context, page, errors = _open(browser, live_server, world)
    host = page.locator("#provider-worker")
    expect(host).to_have_attribute("data-worker-state", "started")
    # Three echoes: pinged every second, answered each time.
    three = re.compile(r"^([3-9]|\d\d+)$")
    expect(host).to_have_attribute("data-pings-answered", three, timeout=6000)
    assert _missed(attempt) == 0
    assert not [e for e in errors if "Content Security Policy" in e]
    context.close()


def test_a_worker_that_misses_its_pings_is_reported(browser, live_server, world, settings):
    settings.ROOT_URLCONF = "tests.web.browser.worker_urls"
    _proctored_by(settings, world, _vendor_url(live_server, "silent-worker.js"))
    attempt = _running_proctored(world)
    context, page, _ = _open(browser, live_server, world)
    expect(page.locator("#provider-worker")).to_have_attribute("data-worker-state", "started")
    deadline = time.monotonic() + 8
    while _missed(attempt) == 0 and time.monotonic() < deadline:
        page.wait_for_timeout(250)
    event = ProviderEvent.objects.filter(attempt_id=attempt.pk, operation="ping_missed").first()
    assert event is not None
    assert "did not answer a ping within 1 seconds" in event.message
    context.close()


def test_a_worker_that_does_not_load_is_reported(browser, live_server, world, settings):
    settings.ROOT_URLCONF = "tests.web.browser.worker_urls"
    _proctored_by(settings, world, _vendor_url(live_server, "missing-worker.js"))
    attempt = _running_proctored(world)
    context, page, _ = _open(browser, live_server, world)
    deadline = time.monotonic() + 8
    while _missed(attempt) == 0 and time.monotonic() < deadline:
        page.wait_for_timeout(250)
    assert _missed(attempt) >= 1
    context.close()


def test_starting_in_the_page_reloads_it_to_run_the_worker(browser, live_server, world, settings):
    """The start is an htmx swap; the page then reloads, so that the worker's origin is in the
    policy of the document that runs it."""
    settings.ROOT_URLCONF = "tests.web.browser.worker_urls"
    _proctored_by(settings, world, _vendor_url(live_server, "echo-worker.js"))
    attempt = actions.attempt_create_for_learner(
        exam_id=world.exam.pk, user_id=world.learner.pk, taking_as_proctored=True
    )
    callback_ready(alias=ALIAS, attempt=attempt)
    context, page, errors = _open(browser, live_server, world)
    page.get_by_role("button", name="Start my exam").click()
    expect(page.locator("#provider-worker")).to_have_attribute("data-worker-state", "started")
    expect(page.locator("#provider-worker")).to_have_attribute(
        "data-pings-answered", re.compile(r"^[2-9]$|^\d\d+$"), timeout=5000
    )
    assert _missed(attempt) == 0
    assert not [e for e in errors if "Content Security Policy" in e]
    context.close()
