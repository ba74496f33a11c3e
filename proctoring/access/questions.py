"""The questions a course platform asks (issue 15, item 3), answered in few statements:

- may this learner see the exam's content now (``content_access``);
- where does the learner stand on every exam of a course (``course_summary``: two
  statements whatever the number of exams);
- the learner-facing settings of an exam (``learner_settings``);
- a learner's accommodations in a course, in one place, for staff (``learner_accommodations``).

Times are datetimes in UTC; the interfaces write them in ISO 8601.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import OuterRef

from proctoring.access.models import ContentAfterSubmission, ExamRules, GateLog, RetakePolicy
from proctoring.access.rules import exam_rules_of
from proctoring.access.windows import OPENS_AT, Window, learner_window
from proctoring.allowances.models import Allowance, CourseAllowance, GroupAllowance, GroupMember
from proctoring.allowances.selectors import allowance_value_expression, allowance_values
from proctoring.attempts import time_math
from proctoring.attempts.models import Attempt
from proctoring.attempts.statuses import (
    NOT_STARTED,
    RUNNING_STATUSES,
    AttemptStatus,
    is_completed_status,
)
from proctoring.core.clock import now
from proctoring.exams.models import Exam

S = AttemptStatus
DUE = Allowance.Key.DUE_DATE_EXTENSION

# The order of outcomes for the "highest" retake policy, the best last.
_RANK = [
    S.ERROR,
    S.DECLINED,
    S.REJECTED,
    S.TIMED_OUT,
    S.SUBMITTED,
    S.SECOND_REVIEW_REQUIRED,
    S.VERIFIED,
]


@dataclass(frozen=True)
class ContentAccess:
    """Whether the learner may see the exam's content now, why, and a message for it."""

    visible: bool
    reason: str
    message: str


def content_access(*, exam: Exam, user_id: int, moment: datetime | None = None) -> ContentAccess:
    """During a running attempt: yes. After the (learner's) due date of an exam that hides its
    content after it: no. After submission: as the exam's rules say. Else: no, the attempt
    has not started."""
    moment = moment or now()
    attempt = (
        Attempt.objects.filter(exam=exam, user_id=user_id, archived_at__isnull=True)
        .values("status")
        .first()
    )
    status = attempt["status"] if attempt else None
    if status in RUNNING_STATUSES:
        return ContentAccess(True, "running", "Your attempt is running.")
    due = time_math.effective_due_date(
        exam_due_date=exam.due_date,
        allowances=time_math.Allowances.from_values(
            allowance_values(exam_id=exam.pk, user_id=user_id)
        ),
    )
    if exam.hide_after_due and due is not None and moment >= due:
        return ContentAccess(False, "past_due", "The due date has passed: the exam is hidden.")
    if status is not None and is_completed_status(status):
        hidden = exam_rules_of(exam).content_after_submission == ContentAfterSubmission.HIDDEN
        if hidden:
            return ContentAccess(False, "submitted_hidden", "The exam is hidden once submitted.")
        return ContentAccess(True, "submitted", "You have completed this exam.")
    return ContentAccess(False, "not_started", "Start the exam to see its content.")


@dataclass(frozen=True)
class ExamSummary:
    """One exam of a course as a learner's outline or progress page shows it."""

    exam_id: int
    content_id: str
    exam_name: str
    is_proctored: bool
    is_practice_exam: bool
    status: str  # the attempt's status that counts, or "not_started"
    attempt_id: int | None
    attempts_used: int
    attempts_allowed: int | None
    opens_at: datetime | None
    due_date: datetime | None
    time_remaining_seconds: int | None
    next_step: str
    message: str


def _counting(attempts: list[dict[str, Any]], policy: str) -> dict[str, Any] | None:
    """The attempt whose status counts under the retake policy."""
    if not attempts:
        return None
    current = [a for a in attempts if a["archived_at"] is None]
    if policy == RetakePolicy.HIGHEST:
        completed = [a for a in attempts if a["status"] in _RANK]
        if completed and not (current and current[0]["status"] in RUNNING_STATUSES):
            return max(completed, key=lambda a: (_RANK.index(a["status"]), a["attempt_number"]))
    return current[0] if current else max(attempts, key=lambda a: a["attempt_number"])


def _next_step(
    *,
    current: dict[str, Any] | None,
    window: Window,
    moment: datetime,
    used: int,
    allowed: int | None,
) -> tuple[str, str]:
    """What the learner does next on the exam (from its current attempt), and a short
    message saying so."""
    status = current["status"] if current else None
    if status in RUNNING_STATUSES:
        return "continue", "Your attempt is running: continue it."
    if status is not None and is_completed_status(status):
        return "none", "You have completed this exam."
    if status is not None and status not in NOT_STARTED:
        return "none", "There is nothing to do on this exam now."
    if window.closed(moment):
        return "closed", "The due date has passed."
    if current is None and allowed is not None and used >= allowed:
        return "none", "You have used every attempt this exam allows."
    if window.not_yet(moment) and window.opens_at is not None:
        return "wait", f"The exam opens at {window.opens_at.isoformat()} (UTC)."
    return "start", "You may start the exam."


def course_summary(
    *, course_id: str, user_id: int, moment: datetime | None = None
) -> list[ExamSummary]:
    """Every active exam of the course for one learner, in two statements: the exams with
    their rules and the learner's window values, then the learner's attempts."""
    moment = moment or now()
    exams = list(
        Exam.objects.filter(course_id=course_id, is_active=True)
        .select_related("access_rules")
        .annotate(
            **{
                f"learner_{key}": allowance_value_expression(
                    key, exam=OuterRef("pk"), user=user_id, course=OuterRef("course_id")
                )
                for key in (OPENS_AT, DUE)
            }
        )
        .order_by("id")
    )
    by_exam: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in (
        Attempt.objects.filter(user_id=user_id, exam__course_id=course_id, exam__is_active=True)
        .order_by("exam_id", "-attempt_number")
        .values(
            "id", "exam_id", "status", "attempt_number", "archived_at", "deadline_at", "paused_at"
        )
    ):
        by_exam[row["exam_id"]].append(dict(row))
    return [_summary(exam, by_exam[exam.pk], moment) for exam in exams]


def _rules(exam: Exam) -> ExamRules | None:
    try:
        return exam.access_rules
    except ExamRules.DoesNotExist:
        return None


def _summary(exam: Exam, attempts: list[dict[str, Any]], moment: datetime) -> ExamSummary:
    rules = _rules(exam)
    values: dict[str, str] = {
        str(key): value
        for key in (OPENS_AT, DUE)
        if (value := getattr(exam, f"learner_{key}")) is not None
    }
    window = learner_window(
        exam=exam, exam_opens_at=rules.opens_at if rules else None, values=values
    )
    policy = rules.retake_policy if rules else RetakePolicy.LATEST
    allowed = 1 if policy == RetakePolicy.NONE else (rules.max_attempts if rules else None)
    counting = _counting(attempts, policy)
    current = next((a for a in attempts if a["archived_at"] is None), None)
    remaining = None
    if current is not None and current["status"] in RUNNING_STATUSES:
        remaining = time_math.remaining_seconds(
            deadline_at=current["deadline_at"], now=moment, paused_at=current["paused_at"]
        )
    step, message = _next_step(
        current=current, window=window, moment=moment, used=len(attempts), allowed=allowed
    )
    return ExamSummary(
        exam_id=exam.pk,
        content_id=exam.content_id,
        exam_name=exam.exam_name,
        is_proctored=exam.is_proctored,
        is_practice_exam=exam.is_practice_exam,
        status=counting["status"] if counting else "not_started",
        attempt_id=counting["id"] if counting else None,
        attempts_used=len(attempts),
        attempts_allowed=allowed,
        opens_at=window.opens_at,
        due_date=window.due_at,
        time_remaining_seconds=remaining,
        next_step=step,
        message=message,
    )


def learner_settings(*, exam: Exam, user_id: int | None = None) -> dict[str, Any]:
    """What a learner is told of the exam before starting: its rules, whom to contact, the
    proctoring escalation email, support links, which gates it has, and the learner's own
    window when a learner is named."""
    rules = exam_rules_of(exam)
    window = Window(opens_at=rules.opens_at, due_at=exam.due_date)
    if user_id is not None:
        values = allowance_values(exam_id=exam.pk, user_id=user_id)
        window = learner_window(exam=exam, exam_opens_at=rules.opens_at, values=values)
    return {
        "exam_id": exam.pk,
        "exam_name": exam.exam_name,
        "time_limit_mins": exam.time_limit_mins,
        "is_proctored": exam.is_proctored,
        "opens_at": window.opens_at,
        "due_date": window.due_at,
        "rules_text": rules.rules_text,
        "contacts": rules.contacts,
        "escalation_email": rules.escalation_email,
        "support_links": rules.support_links,
        "requires_access_code": bool(rules.access_code_hash),
        "requires_release": rules.requires_release,
        "requires_safe_exam_browser": bool(rules.seb_config_key or rules.seb_browser_exam_keys),
        "has_seb_config_file": bool(rules.seb_config_file),
        "ip_restricted": bool(rules.allowed_ip_ranges),
        "max_attempts": 1 if rules.retake_policy == RetakePolicy.NONE else rules.max_attempts,
        "retake_policy": rules.retake_policy,
        "one_session": rules.one_session,
    }


def learner_accommodations(*, course_id: str, user_id: int) -> dict[str, Any]:
    """A learner's accommodations in a course, for staff: its course profile, its groups, and
    for each exam its own allowances, its group's window, the window that applies and its
    last pass at the gates."""
    profile = dict(
        CourseAllowance.objects.filter(course_id=course_id, user_id=user_id).values_list(
            "key", "value"
        )
    )
    groups = sorted(
        GroupMember.objects.filter(course_id=course_id, user_id=user_id).values_list(
            "group", flat=True
        )
    )
    own: dict[int, dict[str, str]] = defaultdict(dict)
    for exam_id, key, value in Allowance.objects.filter(
        exam__course_id=course_id, user_id=user_id
    ).values_list("exam_id", "key", "value"):
        own[exam_id][key] = value
    of_groups: dict[int, dict[str, str]] = defaultdict(dict)
    for exam_id, group, key, value in GroupAllowance.objects.filter(
        exam__course_id=course_id, group__in=groups
    ).values_list("exam_id", "group", "key", "value"):
        of_groups[exam_id][key] = f"{value} ({group})"
    last_pass: dict[int, dict[str, Any]] = {}
    for entry in GateLog.objects.filter(exam__course_id=course_id, user_id=user_id).order_by("id"):
        last_pass[entry.exam_id] = {"outcome": entry.outcome, "gates": entry.gates, "at": entry.at}
    exams = []
    for summary in course_summary(course_id=course_id, user_id=user_id):
        exams.append(
            {
                "exam_id": summary.exam_id,
                "exam_name": summary.exam_name,
                "allowances": own.get(summary.exam_id, {}),
                "group_window": of_groups.get(summary.exam_id, {}),
                "opens_at": summary.opens_at,
                "due_date": summary.due_date,
                "last_gate_pass": last_pass.get(summary.exam_id),
            }
        )
    return {"course_profile": profile, "groups": groups, "exams": exams}
