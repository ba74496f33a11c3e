"""The learner's exam page: one state per attempt status, its actions and its clock."""

from __future__ import annotations

from typing import Any, cast

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET, require_POST

from proctoring.attempts import actions, retakes
from proctoring.attempts.models import Attempt
from proctoring.attempts.selectors import attempt_get_by_id
from proctoring.attempts.statuses import (
    NOT_STARTED,
    RUNNING_STATUSES,
    AttemptStatus,
    is_completed_status,
)
from proctoring.attempts.timer import attempt_clock
from proctoring.browser.selectors import browser_observer_for
from proctoring.core.clock import now
from proctoring.courses.provider_settings import course_provider_settings
from proctoring.exceptions import AttemptActionNotAllowed, AttemptDeadlinePassed, ProctoringError
from proctoring.providers import services as provider_services
from proctoring.providers.services import (
    attempt_needs_registration,
    exam_proctored_by_provider,
    exam_provider_worker,
)
from proctoring.rest.v1.access import gate_action, gate_create, gate_created
from proctoring.web import csp
from proctoring.web.access import is_course_staff, is_htmx, user_id_of
from proctoring.web.errors import web_errors
from proctoring.web.selectors import LearnerExam, learner_exam_get
from proctoring.web.views import lti
from proctoring.web.views.public import SESSION_RETURN_URL

S = AttemptStatus
# The page's state by the attempt's status (no attempt, or one not begun: the entrance).
STATES = {
    **{status: "entrance" for status in NOT_STARTED},
    **{status: "running" for status in RUNNING_STATUSES},
    S.SUBMITTED: "submitted",
    S.SECOND_REVIEW_REQUIRED: "submitted",
    S.VERIFIED: "verified",
    S.REJECTED: "rejected",
    S.ERROR: "error",
    S.TIMED_OUT: "timed_out",
    S.EXPIRED: "expired",
    S.DECLINED: "declined",
    S.ONBOARDING_MISSING: "onboarding",
    S.ONBOARDING_PENDING: "onboarding",
    S.ONBOARDING_FAILED: "onboarding",
    S.ONBOARDING_EXPIRED: "onboarding",
    S.ONBOARDING_RESET: "onboarding",
}
# What the learner does about each onboarding status (the reference's interstitials).
ONBOARDING_NEXT = {
    S.ONBOARDING_MISSING: _lazy(
        "You have not done the course's onboarding exam: take it, then come back here."
    ),
    S.ONBOARDING_PENDING: _lazy(
        "Your onboarding exam is being reviewed: come back once it is verified (you get an email)."
    ),
    S.ONBOARDING_FAILED: _lazy(
        "Your onboarding exam was not accepted: contact the course team, then take it again."
    ),
    S.ONBOARDING_EXPIRED: _lazy("Your onboarding has expired: take the onboarding exam again."),
    S.ONBOARDING_RESET: _lazy(
        "Course staff reset your onboarding: take the onboarding exam again."
    ),
}
ACTIONS = frozenset({"start", "submit", "decline", "continue", "retake"})
ACCESS_CODE_MAX_LENGTH = 128


def _page(request: HttpRequest, exam_id: int) -> LearnerExam:
    page = learner_exam_get(exam_id=exam_id, user_id=user_id_of(request))
    if page is None:
        raise Http404(f"There is no exam with id {exam_id}.")
    return page


def _state(page: LearnerExam) -> str:
    if not page.enrolled:
        return "not_enrolled"
    if page.attempt is None:
        return "entrance" if page.exam.is_active else "inactive"
    return STATES.get(AttemptStatus(page.attempt.status), "entrance")


def _context(
    request: HttpRequest, page: LearnerExam, notice: str = "", error: str = ""
) -> dict[str, Any]:
    exam, attempt = page.exam, page.attempt
    provider_settings = course_provider_settings(exam.course)
    links = provider_settings.get("LINK_URLS")
    clock = attempt_clock(attempt=attempt, now=now()) if attempt and attempt.started_at else None
    due = page.due_date
    return {
        "exam": exam,
        "course": exam.course,
        "attempt": attempt,
        "state": _state(page),
        "clock": clock,
        "allowed_minutes": None if page.allowed_seconds is None else page.allowed_seconds / 60,
        "allowances": page.allowances,
        "due_date": due,
        "past_due": due is not None and due <= now(),
        "can_decline": exam.is_proctored and not exam.is_practice_exam,
        "escalation_email": provider_settings.get("escalation_email", ""),
        "links": links if isinstance(links, dict) else {},
        "return_url": request.session.get(SESSION_RETURN_URL, ""),
        "poll_seconds": settings.PROCTORING_WEB_POLL_SECONDS,
        "notice": notice,
        "error": error,
        "needs_access_code": page.needs_access_code,
        "access_code_max_length": ACCESS_CODE_MAX_LENGTH,
        "onboarding_next": ONBOARDING_NEXT.get(AttemptStatus(attempt.status), "")
        if attempt
        else "",
        "can_retake": exam.is_practice_exam
        and attempt is not None
        and is_completed_status(attempt.status),
        "worker": exam_provider_worker(exam)
        if attempt is not None and attempt.taking_as_proctored and _state(page) == "running"
        else None,
        "browser_observer": browser_observer_for(attempt)
        if attempt is not None and _state(page) == "running"
        else None,
        "registration_failed": attempt is not None and attempt_needs_registration(attempt),
        "waiting_for_provider": attempt is not None
        and attempt.taking_as_proctored
        and bool(attempt.external_id)
        and attempt.status in (S.CREATED, S.DOWNLOAD_SOFTWARE_CLICKED)
        and exam_proctored_by_provider(exam),
    }


def _with_worker_policy(
    request: HttpRequest, response: HttpResponse, context: dict[str, Any]
) -> HttpResponse:
    """The running page of an exam whose provider has a JavaScript worker may load it: its
    origin joins the scripts' sources, for this page only."""
    worker = context.get("worker")
    if worker is not None:
        response[csp.HEADER] = csp.policy(worker_url=worker.url)
        if is_htmx(request):
            # A panel swapped into a page loaded under the strict policy could not run the
            # worker (a document keeps the policy it was loaded with): reload the page.
            response["HX-Refresh"] = "true"
    return response


def _render(
    request: HttpRequest, page: LearnerExam, notice: str = "", error: str = "", status: int = 200
) -> HttpResponse:
    template = "web/learner/panel.html" if is_htmx(request) else "web/learner/exam.html"
    context = _context(request, page, notice, error)
    return _with_worker_policy(request, render(request, template, context, status=status), context)


@require_GET
@login_required
@web_errors
def exam_page(request: HttpRequest, exam_id: int) -> HttpResponse:
    """The learner's page of one exam: three statements (session, user, the page's row)."""
    return _render(request, _page(request, exam_id))


def _access_code(request: HttpRequest) -> str | None:
    code = request.POST.get("access_code", "").strip()[:ACCESS_CODE_MAX_LENGTH]
    return code or None


def _act(request: HttpRequest, page: LearnerExam, action: str) -> str:
    """Do the learner's action through the services the REST API calls, behind the same gates
    (proctoring.rest.v1.access: the exam's access rules); a notice to show, if any."""
    user_id, exam = user_id_of(request), page.exam
    attempt = page.attempt
    api_request = cast(Any, request)  # the gates read what Django's request has too
    code = _access_code(request) if action == "start" else None
    if attempt is None and action in ("submit", "continue", "retake"):
        raise AttemptActionNotAllowed("You have not started this exam: there is nothing to do.")
    if attempt is None:
        # A proctored exam is taken proctored, unless the learner declines (its own action);
        # with a provider, its steps come first: the start waits for its ``ready``.
        start = action == "start" and not (exam.is_proctored and exam_proctored_by_provider(exam))
        rules = gate_create(api_request, exam_id=exam.pk, start=start, access_code=code)
        attempt = provider_services.attempt_create_for_learner(
            exam_id=exam.pk, user_id=user_id, taking_as_proctored=action == "start", start=start
        )
        gate_created(api_request, rules=rules, attempt=attempt)
        if action == "start":
            return ""
    if action == "start" and attempt_needs_registration(attempt):
        # The provider failed to register it: ask it again (the same service as the API's).
        provider_services.attempt_create_for_learner(
            exam_id=exam.pk, user_id=user_id, taking_as_proctored=True
        )
        return ""
    if action == "continue":
        retakes.attempt_resume(attempt_id=attempt.pk, actor_id=user_id)
        return ""
    if action == "retake":
        retakes.attempt_retake_practice(attempt_id=attempt.pk, actor_id=user_id)
        return ""
    guard = gate_action(api_request, attempt_id=attempt.pk, action=action, access_code=code)
    try:
        actions.attempt_act(attempt_id=attempt.pk, action=action, actor_id=user_id, guard=guard)
    except AttemptDeadlinePassed as late:
        return late.message  # the attempt was timed out: the page shows its result
    return ""


@require_POST
@login_required
@web_errors
def exam_act(request: HttpRequest, exam_id: int) -> HttpResponse:
    """Start, end (submit) or decline the exam; the page (or its panel, for htmx) again."""
    action = request.POST.get("action", "")
    if action not in ACTIONS:
        raise ProctoringError(f"{action!r} is not an action on an exam.")
    page = _page(request, exam_id)
    try:
        notice = _act(request, page, action)
    except ProctoringError as refusal:
        if is_htmx(request):
            raise  # htmx shows the error page's fragment in the page's alert region
        # A refused action (a gate, an illegal move): the exam page again, with the message.
        page = _page(request, exam_id)
        return _render(request, page, error=refusal.message, status=refusal.http_status)
    # An LTI tool that asked for the end of the assessment gets it on the submission.
    end_url = lti.end_assessment_url(page.exam, page.attempt) if action == "submit" else None
    if end_url:
        return _to(request, end_url)
    if is_htmx(request):
        return _render(request, _page(request, exam_id), notice)
    return redirect("web:exam", exam_id=exam_id)


def _to(request: HttpRequest, url: str) -> HttpResponse:
    """Send the browser to ``url`` (htmx follows ``HX-Redirect``)."""
    if is_htmx(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def _attempt_readable(request: HttpRequest, attempt_id: int) -> Attempt:
    attempt = attempt_get_by_id(attempt_id=attempt_id)
    if attempt is None:
        raise Http404(f"There is no attempt with id {attempt_id}.")
    user = request.user
    if attempt.user_id != user.pk and not is_course_staff(user, attempt.exam.course_id):
        raise Http404(f"There is no attempt with id {attempt_id}.")
    return attempt


@require_GET
@login_required
@web_errors
def attempt_clock_json(request: HttpRequest, attempt_id: int) -> JsonResponse:
    """The clock the page's timer follows: seconds left (not a time of day, so the browser's
    clock does not matter), paused or not, and whether the attempt has ended."""
    attempt = _attempt_readable(request, attempt_id)
    clock = attempt_clock(attempt=attempt, now=now())
    return JsonResponse(
        {
            "status": attempt.status,
            "completed": is_completed_status(attempt.status) or attempt.archived_at is not None,
            "server_time": clock.now.isoformat(),
            "deadline_at": clock.deadline_at.isoformat() if clock.deadline_at else None,
            "remaining_seconds": clock.remaining_seconds,
            "paused": clock.paused,
            "low_threshold_seconds": clock.low_threshold_seconds,
            "critical_threshold_seconds": clock.critical_threshold_seconds,
        }
    )


def _own_attempt(request: HttpRequest, attempt_id: int) -> Attempt:
    attempt = attempt_get_by_id(attempt_id=attempt_id)
    if attempt is None or attempt.user_id != user_id_of(request):
        raise Http404(f"There is no attempt with id {attempt_id}.")
    return attempt


@require_GET
@login_required
@web_errors
def attempt_provider_steps(request: HttpRequest, attempt_id: int) -> HttpResponse:
    """The provider's steps for the learner's proctored attempt (its instructions and the
    software's download link): a part of the exam page, loaded after it, as it asks the
    provider (an outage is a 503 message in the page, the page itself unharmed)."""
    info = provider_services.attempt_provider_info(attempt=_own_attempt(request, attempt_id))
    return render(request, "web/learner/_provider_steps.html", {"info": info})


@require_GET
@login_required
@web_errors
def attempt_ready_poll(request: HttpRequest, attempt_id: int) -> HttpResponse:
    """What the waiting page polls: nothing (204) while the provider has not reported the
    learner ready; then htmx reloads the page, which offers the start."""
    attempt = _own_attempt(request, attempt_id)
    if attempt.status in (S.CREATED, S.DOWNLOAD_SOFTWARE_CLICKED) and attempt.archived_at is None:
        return HttpResponse(status=204)
    response = HttpResponse(status=200)
    response["HX-Refresh"] = "true"
    return response
