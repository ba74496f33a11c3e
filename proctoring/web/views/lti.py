"""The learner's side of LTI Proctoring Services (docs/lti.md): the launch to the tool, the
platform's OIDC authorization endpoint (an auto-posting form with the id_token), the start of
the assessment the tool posts back, the learner's landing in the exam, and the end of the
assessment. The work is in proctoring.lti; these views check the learner and render."""

from __future__ import annotations

from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from proctoring.attempts.models import Attempt
from proctoring.attempts.statuses import is_completed_status
from proctoring.exams.models import Exam
from proctoring.exams.selectors import exam_provider_name
from proctoring.exceptions import AccessCodeRequired
from proctoring.lti.endpoints import platform_urls
from proctoring.lti.errors import LtiError
from proctoring.lti.launches import (
    assessment_start_land,
    assessment_start_verify,
    launch_authorize,
    launch_begin,
    launch_for_end,
)
from proctoring.lti.models import LtiLaunch, LtiTool
from proctoring.lti.provider import LtiProvider
from proctoring.lti.tools import tool_for_provider
from proctoring.providers.registry import provider_get, provider_option
from proctoring.rest.v1.access import gate_action
from proctoring.web.access import user_id_of
from proctoring.web.csp import HEADER, policy, url_origin
from proctoring.web.errors import web_errors


def _base(request: HttpRequest) -> str:
    return str(settings.PROCTORING_PUBLIC_URL or request.build_absolute_uri("/"))


def _tool_of(attempt: Attempt) -> LtiTool:
    alias = exam_provider_name(attempt.exam)
    tool = tool_for_provider(provider_option(alias, "TOOL"))
    if tool is None:
        raise LtiError(f"The provider {alias!r} names no registered LTI tool.")
    return tool


def _own_attempt(request: HttpRequest, external_id: str) -> Attempt:
    attempt = (
        Attempt.objects.select_related("exam__course")
        .filter(external_id=external_id, user_id=user_id_of(request), archived_at__isnull=True)
        .first()
    )
    if attempt is None:
        raise LtiError("You have no current attempt with this proctoring session.")
    return attempt


@require_GET
@login_required
@web_errors
def launch(request: HttpRequest, external_id: str) -> HttpResponse:
    """The learner continues to the proctoring setup: to the tool's OIDC login initiation."""
    attempt = _own_attempt(request, external_id)
    issuer = platform_urls(_base(request)).issuer
    url = launch_begin(
        attempt=attempt, tool=_tool_of(attempt), issuer=issuer, kind=LtiLaunch.Kind.START
    )
    return HttpResponseRedirect(url)


@csrf_exempt
@require_http_methods(["GET", "POST"])
@login_required
@web_errors
def authorize(request: HttpRequest) -> HttpResponse:
    """The OIDC authorization endpoint: the id_token, posted to the tool by the browser."""
    params = request.GET if request.method == "GET" else request.POST
    answer = launch_authorize(
        params=params, user_id=user_id_of(request), urls=platform_urls(_base(request))
    )
    response = render(request, "web/lti/autopost.html", {"answer": answer})
    response[HEADER] = policy().replace(
        "form-action 'self'", f"form-action 'self' {url_origin(answer.redirect_uri)}"
    )
    response["Cache-Control"] = "no-store"
    return response


@csrf_exempt
@require_POST
@web_errors
def start_assessment(request: HttpRequest) -> HttpResponse:
    """The tool posts ``LtiStartAssessment`` (form field ``JWT``); the browser lands next."""
    token = request.POST.get("JWT") or request.POST.get("id_token") or ""
    user_id = user_id_of(request) if request.user.is_authenticated else None
    landing = assessment_start_verify(
        token=token, issuer=platform_urls(_base(request)).issuer, user_id=user_id
    )
    return redirect("web:lti-landing", token=landing, permanent=False)


@require_GET
@login_required
@web_errors
def landing(request: HttpRequest, token: str) -> HttpResponse:
    """The learner, signed in, lands: the attempt starts behind the exam's gates (those of the
    exam page's start: proctoring.rest.v1.access) and the exam page opens. An exam with an
    access code asks it there: the attempt waits, ready, for the learner's start."""
    guard = gate_action(cast(Any, request), attempt_id=0, action="start", access_code=None)
    try:
        attempt = assessment_start_land(
            landing_token=token, user_id=user_id_of(request), guard=guard
        )
    except AccessCodeRequired as refusal:
        messages.info(request, refusal.message)
        launch = LtiLaunch.objects.select_related("attempt").get(landing_token=token)
        return redirect("web:exam", exam_id=launch.attempt.exam_id)
    return redirect("web:exam", exam_id=attempt.exam_id)


def end_assessment_url(exam: Exam, attempt: Attempt | None) -> str | None:
    """Where a submitted attempt's learner goes when its tool asked for ``LtiEndAssessment``
    (no statement unless the exam's provider is an LTI one: the exam comes with its course)."""
    if attempt is None or not attempt.taking_as_proctored:
        return None
    if not isinstance(provider_get(exam_provider_name(exam)), LtiProvider):
        return None
    if launch_for_end(attempt=attempt) is None:
        return None
    return reverse("web:lti-end", kwargs={"attempt_id": attempt.pk})


@require_GET
@login_required
@web_errors
def end_assessment(request: HttpRequest, attempt_id: int) -> HttpResponse:
    """The end of the assessment: a new launch (``LtiEndAssessment``) at the tool."""
    attempt = (
        Attempt.objects.select_related("exam__course")
        .filter(pk=attempt_id, user_id=user_id_of(request))
        .first()
    )
    if attempt is None:
        raise LtiError("You have no such attempt.")
    start = launch_for_end(attempt=attempt)
    if start is None or not is_completed_status(attempt.status):
        raise LtiError("This attempt has no end of assessment to send.")
    issuer = platform_urls(_base(request)).issuer
    url = launch_begin(attempt=attempt, tool=start.tool, issuer=issuer, kind=LtiLaunch.Kind.END)
    return HttpResponseRedirect(url)
