"""The embeddable timer in Chromium: the host page hears time-low and time-up."""

from __future__ import annotations

from datetime import timedelta

from proctoring.attempts import actions
from proctoring.attempts.models import Attempt
from proctoring.core.clock import now
from tests.web.browser.conftest import sign_in

HOST_PAGE = """<!doctype html><html lang="en"><head><title>Host</title></head><body>
<iframe title="Exam timer" src="/embed/timer" width="300" height="160"></iframe>
<script>
  window.heard = [];
  window.addEventListener("message", (event) => window.heard.push(event.data.type));
</script></body></html>"""


def test_the_host_page_hears_time_low_then_time_up(browser, live_server, world, settings):
    settings.PROCTORING_EMBED_ORIGINS = [live_server.url]
    attempt = actions.attempt_create_for_learner(
        exam_id=world.exam.pk, user_id=world.learner.pk, start=True
    )
    context = browser.new_context()
    sign_in(context, live_server, world.learner)
    page = context.new_page()
    # The platform's page, served here on the service's origin (the same site, as a real
    # platform on a sibling host would be, so the frame has the learner's session).
    page.route(
        f"{live_server.url}/host-page",
        lambda route: route.fulfill(status=200, content_type="text/html", body=HOST_PAGE),
    )
    # 60 minutes allowed: below 20% (12 minutes) from the page's load, and up a few seconds
    # later (set once signed in, with room for a slow page load on a loaded machine).
    Attempt.objects.filter(pk=attempt.pk).update(deadline_at=now() + timedelta(seconds=5))
    page.goto(f"{live_server.url}/host-page")
    page.wait_for_function("window.heard.includes('proctoring:time-up')", timeout=20000)
    heard = page.evaluate("window.heard")
    assert heard[0] == "proctoring:time-low"
    assert heard.count("proctoring:time-up") == 1
    context.close()
