"""The embeddable timer: a small page a platform frames beside the exam content it shows
itself. It follows the learner's running attempt like the exam page does, and tells the host
page ``time-low`` and ``time-up`` by ``postMessage`` (docs/web.md)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_GET

from proctoring.attempts.selectors import attempt_get_active_for_user
from proctoring.attempts.timer import attempt_clock
from proctoring.core.clock import now
from proctoring.web.access import user_id_of
from proctoring.web.csp import HEADER, embed_frame_ancestors, policy


@xframe_options_exempt  # framed by the origins of PROCTORING_EMBED_ORIGINS only (its CSP)
@require_GET
@login_required
def embed_timer(request: HttpRequest) -> HttpResponse:
    attempt = attempt_get_active_for_user(user_id=user_id_of(request))
    context = {
        "attempt": attempt,
        "clock": attempt_clock(attempt=attempt, now=now()) if attempt else None,
        "poll_seconds": settings.PROCTORING_WEB_POLL_SECONDS,
        "origins": " ".join(settings.PROCTORING_EMBED_ORIGINS),
    }
    response = render(request, "web/embed_timer.html", context)
    response[HEADER] = policy(frame_ancestors=embed_frame_ancestors())
    return response
