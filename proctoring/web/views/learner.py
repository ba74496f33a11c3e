"""The learner's exam page: one state per attempt status, its actions and its clock."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from proctoring.attempts import actions
from proctoring.attempts.models import Attempt
from proctoring.attempts.selectors import attempt_get_by_id
from proctoring.attempts.statuses import (
    NOT_STARTED,
    RUNNING_STATUSES,
    AttemptStatus,
    is_completed_status,
)
from proctoring.attempts.timer import attempt_clock
from proctoring.core.clock import now
from proctoring.courses.provider_settings import course_provider_settings
from proctoring.exceptions import AttemptActionNotAllowed, AttemptDeadlinePassed, ProctoringError
from proctoring.web.access import is_course_staff, is_htmx, user_id_of
from proctoring.web.errors import web_errors
from proctoring.web.selectors import LearnerExam, learner_exam_get
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
}
ACTIONS = frozenset({"start", "submit", "decline"})


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


def _context(request: HttpRequest, page: LearnerExam, notice: str = "") -> dict[str, Any]:
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
    }


def _render(request: HttpRequest, page: LearnerExam, notice: str = "") -> HttpResponse:
    template = "web/learner/panel.html" if is_htmx(request) else "web/learner/exam.html"
    return render(request, template, _context(request, page, notice))


@require_GET
@login_required
@web_errors
def exam_page(request: HttpRequest, exam_id: int) -> HttpResponse:
    """The learner's page of one exam: three statements (session, user, the page's row)."""
    return _render(request, _page(request, exam_id))


def _act(request: HttpRequest, page: LearnerExam, action: str) -> str:
    """Do the learner's action through the attempts' services; a notice to show, if any."""
    user_id, exam = user_id_of(request), page.exam
    attempt = page.attempt
    if attempt is None and action == "submit":
        raise AttemptActionNotAllowed("You have not started this exam: there is nothing to end.")
    if attempt is None:
        # A proctored exam is taken proctored, unless the learner declines (its own action).
        attempt = actions.attempt_create_for_learner(
            exam_id=exam.pk,
            user_id=user_id,
            taking_as_proctored=action == "start",
            start=action == "start",
        )
        if action == "start":
            return ""
    try:
        actions.attempt_act(attempt_id=attempt.pk, action=action, actor_id=user_id)
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
    notice = _act(request, _page(request, exam_id), action)
    if is_htmx(request):
        return _render(request, _page(request, exam_id), notice)
    return redirect("web:exam", exam_id=exam_id)


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
