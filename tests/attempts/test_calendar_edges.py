"""Dates at the ends of the calendar and deadlines before starts (issue 8, items 1 and 2):
every date computation is bounded, what cannot be represented is refused with a 400, an
attempt can always be resumed and expired, and no attempt is ever completed before it
started. Late submissions and past-due exams are in test_due_dates.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from proctoring.allowances.models import Allowance
from proctoring.allowances.services import (
    allowance_grant,
    allowance_grant_bulk,
    allowance_revoke,
    allowance_value_clean,
)
from proctoring.attempts import time_math
from proctoring.attempts.actions import attempt_act
from proctoring.attempts.expiry import attempts_expire
from proctoring.attempts.models import Attempt, AttemptTimeChange
from proctoring.attempts.services import attempt_create, attempt_update_status
from proctoring.attempts.time_changes import attempt_add_time, attempt_pause, attempt_resume
from proctoring.attempts.timer import attempt_clock
from proctoring.exams.services import exam_create, exam_update
from proctoring.exceptions import AttemptDeadlinePassed, InvalidAllowance, InvalidExamData
from tests.attempts.conftest import GRACE, T0
from tests.factories import ExamFactory

pytestmark = pytest.mark.django_db

DUE = "due_date_extension"
END = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
# Valid ISO 8601 dates that have no UTC equivalent in Python's calendar (years 1 to 9999).
UNREPRESENTABLE = ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00"]


@pytest.fixture(autouse=True)
def _grace(grace):
    """Every test here runs with the grace period pinned to GRACE."""


def start(exam, user) -> Attempt:
    attempt_create(exam_id=exam.pk, user_id=user.pk)
    attempt_update_status(exam_id=exam.pk, user_id=user.pk, to_status="started")
    return Attempt.objects.get(exam=exam, user=user, archived_at__isnull=True)


def fresh(attempt: Attempt) -> Attempt:
    return Attempt.objects.select_related("exam__course").get(pk=attempt.pk)


def untimed_due_at_the_end_of_the_calendar(exam):
    exam.time_limit_mins = None
    exam.due_date = END
    exam.save()
    return exam


# ---------------------------------------------------------------------------------------------
# Item 1: what cannot be represented is refused
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", UNREPRESENTABLE)
def test_a_due_date_extension_with_no_utc_equivalent_is_refused_single_and_bulk(
    exam, learner, value
):
    """Single grant and bulk grant alike: InvalidAllowance (400), nothing stored."""
    with pytest.raises(InvalidAllowance, match="due_date_extension"):
        allowance_value_clean(key=DUE, value=value)
    with pytest.raises(InvalidAllowance):
        allowance_grant(exam=exam, user_id=learner.pk, key=DUE, value=value)
    with pytest.raises(InvalidAllowance):
        allowance_grant_bulk(
            course_id=exam.course_id,
            exam_ids=[exam.pk],
            usernames=[learner.username],
            key=DUE,
            value=value,
        )
    assert not Allowance.objects.exists()


def test_an_exam_due_date_with_no_utc_equivalent_is_refused(course):
    """A due date of 9999-12-31 23:59:59 at UTC-14 would be in the year 10000 in UTC."""
    far = datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone(timedelta(hours=-14)))
    with pytest.raises(InvalidExamData, match="due_date"):
        exam_create(
            course_id=course.course_id,
            content_id="far",
            exam_name="Far",
            time_limit_mins=None,
            due_date=far,
        )
    exam = ExamFactory(course=course, content_id="near")
    with pytest.raises(InvalidExamData, match="due_date"):
        exam_update(exam_id=exam.pk, due_date=far)


def test_an_exam_due_at_the_end_of_the_calendar_in_utc_is_accepted(course):
    """The last second of the calendar has a UTC equivalent: it is a valid due date."""
    exam = exam_create(
        course_id=course.course_id,
        content_id="last",
        exam_name="Last",
        time_limit_mins=None,
        due_date=END,
    )
    assert exam.due_date == END


# ---------------------------------------------------------------------------------------------
# Item 1: every computed deadline is bounded, and the attempt can always move on
# ---------------------------------------------------------------------------------------------


def test_no_deadline_is_later_than_the_latest_deadline():
    """A huge allowed time, added time or pause never goes beyond LATEST_DEADLINE."""
    latest = time_math.LATEST_DEADLINE
    assert latest.tzinfo is UTC
    assert latest + timedelta(days=1) < datetime.max.replace(tzinfo=UTC)
    assert time_math.deadline(started_at=T0, allowed=10**15, due_date=None) == latest
    assert time_math.deadline(started_at=T0, allowed=None, due_date=END) == latest
    assert time_math.deadline(started_at=T0, allowed=60, due_date=None, added_seconds=10**15) == (
        latest
    )
    assert time_math.later(latest, 10**12) == latest
    assert time_math.later(END, 60) == END  # a stored deadline beyond the bound does not move
    assert time_math.later(T0, 60) == T0 + timedelta(seconds=60)


def test_the_deadline_checks_never_overflow_at_the_ends_of_the_calendar():
    """Comparisons subtract rather than add, so the ends of the calendar are safe."""
    assert not time_math.is_past_deadline(deadline_at=END, now=T0, grace_seconds=10**9)
    assert time_math.is_past_deadline(
        deadline_at=datetime.min.replace(tzinfo=UTC), now=T0, grace_seconds=10**9
    )
    assert time_math.remaining_seconds(deadline_at=END, now=T0) > 0


def test_an_untimed_exam_due_at_the_end_of_the_calendar_starts_with_the_latest_deadline(
    exam, learner, clock
):
    attempt = start(untimed_due_at_the_end_of_the_calendar(exam), learner)
    assert attempt.deadline_at == time_math.LATEST_DEADLINE


def test_adding_time_to_an_attempt_due_at_the_end_of_the_calendar_keeps_the_latest_deadline(
    exam, learner, clock
):
    """Today an OverflowError (a 500); now the deadline stays at the bound, and the change is
    recorded."""
    attempt = start(untimed_due_at_the_end_of_the_calendar(exam), learner)
    Attempt.objects.filter(pk=attempt.pk).update(deadline_at=END)  # stored before the bound
    attempt_add_time(attempt_id=attempt.pk, minutes=10, actor_id=None, reason="late bus")
    assert fresh(attempt).deadline_at == END
    change = AttemptTimeChange.objects.get(attempt=attempt)
    assert (change.kind, change.seconds) == ("add_time", 600)


def test_an_attempt_due_at_the_end_of_the_calendar_can_be_paused_resumed_and_submitted(
    exam, learner, clock
):
    attempt = start(untimed_due_at_the_end_of_the_calendar(exam), learner)
    Attempt.objects.filter(pk=attempt.pk).update(deadline_at=END)  # stored before the bound
    attempt_pause(attempt_id=attempt.pk, actor_id=None)
    clock.advance(seconds=90)
    attempt_resume(attempt_id=attempt.pk, actor_id=None)
    resumed = fresh(attempt)
    assert (resumed.paused_at, resumed.paused_seconds, resumed.deadline_at) == (None, 90, END)
    assert attempt_clock(attempt=resumed, now=clock.moment).remaining_seconds > 0
    attempt_act(attempt_id=attempt.pk, action="submit", actor_id=learner.pk)
    assert fresh(attempt).status == "submitted"


def test_an_extension_to_the_end_of_the_calendar_during_a_pause_lets_the_attempt_resume_and_expire(
    exam, learner, clock
):
    """The attempt that stayed paused forever: untimed, no due date, paused, then granted an
    extension to the last second of the calendar. It resumes, and it expires once its (bounded)
    deadline has passed."""
    exam.time_limit_mins = None
    exam.save()
    attempt = start(exam, learner)
    attempt_pause(attempt_id=attempt.pk, actor_id=None)
    allowance_grant(exam=exam, user_id=learner.pk, key=DUE, value="9999-12-31T23:59:59Z")
    clock.advance(minutes=5)
    attempt_resume(attempt_id=attempt.pk, actor_id=None)
    resumed = fresh(attempt)
    assert resumed.paused_at is None
    assert resumed.deadline_at == time_math.LATEST_DEADLINE
    clock.set(time_math.LATEST_DEADLINE + timedelta(seconds=GRACE + 1))
    assert attempts_expire() == 1
    expired = fresh(attempt)
    assert expired.status == "submitted"
    assert expired.completed_at == time_math.LATEST_DEADLINE


# ---------------------------------------------------------------------------------------------
# Item 2: no attempt ends before it started
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["0001-01-01T00:00:00+00:00", "2026-05-04T09:15:26+00:00"])
def test_an_extension_ending_before_a_running_attempt_started_is_refused(
    exam, learner, clock, value
):
    """Year 1, or one second before the start: InvalidAllowance (400); the allowance is not
    stored and the deadline does not move."""
    attempt = start(exam, learner)
    with pytest.raises(InvalidAllowance, match="before"):
        allowance_grant(exam=exam, user_id=learner.pk, key=DUE, value=value)
    with pytest.raises(InvalidAllowance, match="before"):
        allowance_grant_bulk(
            course_id=exam.course_id,
            exam_ids=[exam.pk],
            usernames=[learner.username],
            key=DUE,
            value=value,
        )
    assert not Allowance.objects.exists()
    assert fresh(attempt).deadline_at == attempt.deadline_at
    assert not AttemptTimeChange.objects.exists()


def test_revoking_an_extension_that_would_end_a_running_attempt_before_its_start_is_refused(
    exam, learner, clock
):
    """Started after the exam's due date thanks to an extension: taking the extension away
    would put the deadline before the start, so the revocation is refused."""
    exam.due_date = T0 - timedelta(days=1)
    exam.save()
    allowance_grant(exam=exam, user_id=learner.pk, key=DUE, value="2026-06-01T00:00:00Z")
    attempt = start(exam, learner)
    with pytest.raises(InvalidAllowance, match="before"):
        allowance_revoke(exam=exam, user_id=learner.pk, key=DUE)
    assert Allowance.objects.filter(key=DUE).exists()
    assert fresh(attempt).deadline_at == attempt.deadline_at


def test_an_extension_ending_after_the_start_but_before_now_cuts_the_attempt_short(
    exam, learner, clock
):
    """A due date between the start and now is accepted: the attempt expires, completed at
    that due date, which is after its start."""
    attempt = start(exam, learner)
    clock.advance(minutes=10)
    cut = T0 + timedelta(minutes=5)
    allowance_grant(exam=exam, user_id=learner.pk, key=DUE, value=cut.isoformat())
    assert fresh(attempt).deadline_at == cut
    assert attempts_expire() == 1
    assert fresh(attempt).completed_at == cut


@pytest.mark.parametrize("allow_timed_out", [False, True])
def test_the_expiry_job_never_completes_an_attempt_before_its_start(
    exam, learner, clock, settings, allow_timed_out
):
    """A deadline stored before the start (not what the service writes any more): the attempt
    is completed at its start, never before, as submitted or timed out."""
    settings.PROCTORING_SETTINGS = {"ALLOW_TIMED_OUT_STATE": allow_timed_out}
    attempt = start(exam, learner)
    Attempt.objects.filter(pk=attempt.pk).update(deadline_at=datetime(1, 1, 1, tzinfo=UTC))
    clock.advance(minutes=1)
    assert attempts_expire() == 1
    stored = fresh(attempt)
    assert stored.status == ("timed_out" if allow_timed_out else "submitted")
    assert stored.completed_at == stored.started_at == T0


def test_a_late_submission_never_completes_an_attempt_before_its_start(exam, learner, clock):
    attempt = start(exam, learner)
    Attempt.objects.filter(pk=attempt.pk).update(deadline_at=T0 - timedelta(hours=1))
    clock.advance(minutes=1)
    with pytest.raises(AttemptDeadlinePassed):
        attempt_act(attempt_id=attempt.pk, action="submit", actor_id=learner.pk)
    assert fresh(attempt).completed_at == T0


def test_a_start_after_the_due_date_through_the_python_api_gets_its_start_as_deadline(
    exam, learner, clock
):
    """update_attempt_status keeps the reference's semantics and starts a past-due attempt;
    its deadline is its start (not the due date before it), and the job completes it there."""
    exam.due_date = T0 - timedelta(days=1)
    exam.save()
    attempt = start(exam, learner)
    assert attempt.status == "started"
    assert attempt.deadline_at == attempt.started_at == T0
    clock.advance(seconds=GRACE + 1)
    assert attempts_expire() == 1
    assert fresh(attempt).completed_at == T0
