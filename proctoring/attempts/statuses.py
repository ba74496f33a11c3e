"""The attempt lifecycle's single source: the statuses, their properties, the legality rule,
the time-out rule, and which learner and staff action is allowed from which status.

Every other module asks these tables; docs/attempt-lifecycle.md is generated from them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class AttemptStatus(StrEnum):
    CREATED = "created"  # the attempt exists; the learner has not begun
    DOWNLOAD_SOFTWARE_CLICKED = "download_software_clicked"  # fetching the provider's software
    READY_TO_START = "ready_to_start"  # the provider reports the learner can begin
    STARTED = "started"  # the clock runs
    READY_TO_SUBMIT = "ready_to_submit"  # time is up or the learner stopped; about to submit
    DECLINED = "declined"  # the learner chose not to take the exam proctored
    TIMED_OUT = "timed_out"  # time ran out
    SUBMITTED = "submitted"  # the learner handed the exam in; a review may follow
    SECOND_REVIEW_REQUIRED = "second_review_required"  # the provider asks for a human review
    VERIFIED = "verified"  # the review passed
    REJECTED = "rejected"  # the review failed
    ERROR = "error"  # the provider or the software failed
    EXPIRED = "expired"  # the exam's due date passed before the learner finished
    ONBOARDING_MISSING = "onboarding_missing"  # no onboarding exam taken
    ONBOARDING_PENDING = "onboarding_pending"  # onboarding exam awaiting review
    ONBOARDING_FAILED = "onboarding_failed"  # onboarding exam failed
    ONBOARDING_EXPIRED = "onboarding_expired"  # onboarding verification too old
    ONBOARDING_RESET = "onboarding_reset"  # staff reset the learner's onboarding; take it again


@dataclass(frozen=True)
class StatusInfo:
    completed: bool = False
    incomplete: bool = False
    # The credit requirement status this status reports, or None for no credit update.
    credit_status: str | None = None
    email: bool = False
    cascades: bool = False


S = AttemptStatus
_INCOMPLETE = StatusInfo(incomplete=True)
_COMPLETED = StatusInfo(completed=True)

STATUS_TABLE: dict[AttemptStatus, StatusInfo] = {
    S.CREATED: _INCOMPLETE,
    S.DOWNLOAD_SOFTWARE_CLICKED: _INCOMPLETE,
    S.READY_TO_START: _INCOMPLETE,
    S.STARTED: _INCOMPLETE,
    S.READY_TO_SUBMIT: _INCOMPLETE,
    S.DECLINED: StatusInfo(completed=True, credit_status="failed", cascades=True),
    S.TIMED_OUT: _COMPLETED,
    S.SUBMITTED: StatusInfo(completed=True, credit_status="submitted", email=True),
    S.SECOND_REVIEW_REQUIRED: _COMPLETED,
    S.VERIFIED: StatusInfo(completed=True, credit_status="satisfied", email=True),
    S.REJECTED: StatusInfo(completed=True, credit_status="failed", email=True),
    S.ERROR: StatusInfo(completed=True, credit_status="failed"),
    S.EXPIRED: StatusInfo(),
    S.ONBOARDING_MISSING: _COMPLETED,
    S.ONBOARDING_PENDING: _COMPLETED,
    S.ONBOARDING_FAILED: _COMPLETED,
    S.ONBOARDING_EXPIRED: _COMPLETED,
    # Neither completed nor incomplete (as in the reference): an onboarding attempt whose
    # verification staff withdrew; it may go anywhere, and nothing is told of it.
    S.ONBOARDING_RESET: StatusInfo(),
}

CHOICES = [(status.value, status.value.replace("_", " ").capitalize()) for status in AttemptStatus]
COMPLETED_STATUSES = frozenset(s for s, info in STATUS_TABLE.items() if info.completed)
INCOMPLETE_STATUSES = frozenset(s for s, info in STATUS_TABLE.items() if info.incomplete)
# The statuses in which an attempt's clock runs.
RUNNING_STATUSES = frozenset({AttemptStatus.STARTED, AttemptStatus.READY_TO_SUBMIT})


def parse_status(value: str) -> AttemptStatus | None:
    """The status named by ``value``, or None when no status has that name."""
    try:
        return AttemptStatus(value)
    except ValueError:
        return None


def is_completed_status(status: str) -> bool:
    return status in COMPLETED_STATUSES


def is_incomplete_status(status: str) -> bool:
    return status in INCOMPLETE_STATUSES


def needs_credit_status_update(status: str) -> bool:
    return credit_requirement_status(status) is not None


def credit_requirement_status(status: str) -> str | None:
    """verified -> satisfied, submitted -> submitted, the other credit statuses -> failed."""
    parsed = parse_status(status)
    return STATUS_TABLE[parsed].credit_status if parsed else None


def needs_status_change_email(status: str) -> bool:
    parsed = parse_status(status)
    return bool(parsed and STATUS_TABLE[parsed].email)


def is_a_cascadable_failure(status: str) -> bool:
    parsed = parse_status(status)
    return bool(parsed and STATUS_TABLE[parsed].cascades)


def is_transition_legal(from_status: str, to_status: str) -> bool:
    """No way back from a completed status to an incomplete one, nor to ``error``."""
    if is_completed_status(from_status):
        return not (is_incomplete_status(to_status) or to_status == AttemptStatus.ERROR)
    return True


def timeout_status(*, from_status: str, provider_settings: Mapping[str, Any]) -> AttemptStatus:
    """The status a time-out gives: ``timed_out`` when the provider's settings allow it (by
    default only while the attempt is still ``created``), else ``submitted``."""
    allowed = provider_settings.get("ALLOW_TIMED_OUT_STATE", from_status == AttemptStatus.CREATED)
    return AttemptStatus.TIMED_OUT if allowed else AttemptStatus.SUBMITTED


@dataclass(frozen=True)
class Action:
    """An action on an attempt: the status it leads to, and the statuses it may start from.

    Asking again for the status the attempt already has is harmless (rule 4 of the transition).
    """

    to_status: AttemptStatus
    sources: frozenset[AttemptStatus]

    def allows(self, status: str) -> bool:
        return status == self.to_status or status in self.sources


NOT_STARTED = frozenset({S.CREATED, S.DOWNLOAD_SOFTWARE_CLICKED, S.READY_TO_START})

# What a learner may do to its own attempt.
LEARNER_ACTIONS: dict[str, Action] = {
    "start": Action(S.STARTED, NOT_STARTED),
    "stop": Action(S.READY_TO_SUBMIT, frozenset({S.STARTED})),
    "submit": Action(S.SUBMITTED, RUNNING_STATUSES),
    "decline": Action(S.DECLINED, NOT_STARTED),
    "error": Action(S.ERROR, NOT_STARTED | RUNNING_STATUSES),
}

# The verdicts course staff give a completed attempt, and the statuses they can be given to.
REVIEWABLE_STATUSES = frozenset({S.SUBMITTED, S.SECOND_REVIEW_REQUIRED, S.VERIFIED, S.REJECTED})
STAFF_ACTIONS: dict[str, Action] = {
    "verify": Action(S.VERIFIED, REVIEWABLE_STATUSES),
    "reject": Action(S.REJECTED, REVIEWABLE_STATUSES),
    "second_review": Action(S.SECOND_REVIEW_REQUIRED, REVIEWABLE_STATUSES),
}
REVIEW_STATUSES = frozenset(action.to_status for action in STAFF_ACTIONS.values())

# Course staff end a running attempt now: it is submitted (with their reason, in its history).
STAFF_CONTROL: dict[str, Action] = {
    "end": Action(S.SUBMITTED, RUNNING_STATUSES),
}
