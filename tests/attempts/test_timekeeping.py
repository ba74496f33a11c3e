"""The clock of a running attempt (proctoring/attempts/time_changes.py and expiry.py): start,
added time, pauses, allowances changed while it runs, submissions at the deadline,
and the expiry job.

The time comes from a fake clock that replaces ``django.utils.timezone.now`` (which
``proctoring.core.clock.now`` reads), so every boundary is exact to the microsecond.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from proctoring.allowances.models import Allowance
from proctoring.attempts import time_math as budget
from proctoring.attempts.expiry import (
    CAUSE_DEADLINE,
    attempt_submit_in_time,
    attempts_expire_overdue,
)
from proctoring.attempts.models import Attempt, AttemptHistory, AttemptTimeChange
from proctoring.attempts.services import attempt_create, attempt_update_status
from proctoring.attempts.time_changes import (
    MAX_ADDED_MINUTES,
    attempt_add_time,
    attempt_apply_allowances,
    attempt_pause,
    attempt_resume,
)
from proctoring.attempts.timer import (
    attempt_allowances,
    attempt_deadline,
    attempt_status_at_deadline,
)
from proctoring.credit.models import CreditRequirementStatus
from proctoring.exceptions import AttemptClockError, AttemptDeadlinePassed
from tests.attempts.conftest import GRACE, T0
from tests.attempts.threads import run_together
from tests.conftest import committed, on_postgresql
from tests.factories import ExamFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _grace(grace):
    """Every test here runs with the grace period pinned to GRACE."""


@pytest.fixture
def staff(db):
    return UserFactory(username="staffer", is_staff=True)


def start(exam, user) -> Attempt:
    """Create the learner's attempt and start it at the clock's time."""
    attempt_create(exam_id=exam.pk, user_id=user.pk)
    attempt_update_status(
        exam_id=exam.pk, user_id=user.pk, to_status="started", cause="learner:start"
    )
    return fresh(exam=exam, user=user)


def fresh(attempt: Attempt | None = None, *, exam=None, user=None) -> Attempt:
    if attempt is not None:
        return Attempt.objects.get(pk=attempt.pk)
    return Attempt.objects.get(exam=exam, user=user, archived_at__isnull=True)


def grant(exam, user, key: str, value: str) -> None:
    Allowance.objects.update_or_create(exam=exam, user=user, key=key, defaults={"value": value})


def time_changes(attempt: Attempt) -> list[AttemptTimeChange]:
    return list(AttemptTimeChange.objects.filter(attempt=attempt).order_by("id"))


def start_many(exam, count: int, prefix: str) -> list[Attempt]:
    return [start(exam, UserFactory(username=f"{prefix}{n}")) for n in range(count)]


# ---------------------------------------------------------------------------------------------
# The start fixes the clock
# ---------------------------------------------------------------------------------------------


def test_the_start_fixes_the_deadline_to_the_microsecond(exam, learner, clock):
    """Started at 09:15:27.345678 on a 90-minute exam: the deadline is 10:45:27.345678, with
    the time limit and the allowed time kept on the attempt."""
    exam.time_limit_mins = 90
    exam.save()
    attempt = start(exam, learner)
    assert attempt.started_at == T0
    assert attempt.deadline_at == T0 + timedelta(minutes=90)
    assert (attempt.deadline_at.second, attempt.deadline_at.microsecond) == (27, 345678)
    assert attempt.time_limit_mins == 90
    assert attempt.allowed_time_seconds == 5400
    assert attempt.added_seconds == 0
    assert attempt.paused_seconds == 0
    assert attempt.paused_at is None


def test_a_second_start_does_not_restart_the_clock(exam, learner, clock):
    """Back to started from ready_to_submit: the first start's deadline stays."""
    attempt = start(exam, learner)
    clock.advance(minutes=10)
    attempt_update_status(exam_id=exam.pk, user_id=learner.pk, to_status="ready_to_submit")
    clock.advance(minutes=10)
    attempt_update_status(exam_id=exam.pk, user_id=learner.pk, to_status="started")
    again = fresh(attempt)
    assert again.status == "started"
    assert again.started_at == T0
    assert again.deadline_at == attempt.deadline_at


def test_allowances_granted_before_the_start_set_the_allowed_time(exam, learner, clock):
    """1.5 x 45 min + 10 min = 4650 s, fixed at the start."""
    exam.time_limit_mins = 45
    exam.save()
    grant(exam, learner, "time_multiplier", "1.5")
    grant(exam, learner, "additional_time_granted", "10")
    attempt = start(exam, learner)
    assert attempt.allowed_time_seconds == 4650
    assert attempt.deadline_at == T0 + timedelta(seconds=4650)


def test_allowances_of_other_learners_and_exams_do_not_count(exam, learner, other_learner, clock):
    """Only the learner's own allowances on this exam set its time."""
    other_exam = ExamFactory(course=exam.course)
    grant(exam, other_learner, "additional_time_granted", "30")
    grant(other_exam, learner, "additional_time_granted", "30")
    attempt = start(exam, learner)
    assert attempt.deadline_at == T0 + timedelta(minutes=exam.time_limit_mins)


def test_the_exam_due_date_cuts_the_deadline_at_the_start(exam, learner, clock):
    """Started 20 minutes before the due date: the deadline is the due date."""
    exam.due_date = T0 + timedelta(minutes=20)
    exam.save()
    attempt = start(exam, learner)
    assert attempt.deadline_at == T0 + timedelta(minutes=20)
    assert attempt.allowed_time_seconds == exam.time_limit_mins * 60


def test_the_learners_due_date_extension_lifts_the_exam_due_date(exam, learner, clock):
    """With an extension 60 minutes after the start, a 90-minute exam due in 20 minutes ends
    at the extension."""
    exam.due_date = T0 + timedelta(minutes=20)
    exam.save()
    grant(exam, learner, "due_date_extension", (T0 + timedelta(minutes=60)).isoformat())
    attempt = start(exam, learner)
    assert attempt.deadline_at == T0 + timedelta(minutes=60)


def test_an_exam_without_time_limit_or_due_date_has_no_deadline(exam, learner, clock):
    """An untimed exam: no allowed time and no deadline."""
    exam.time_limit_mins = None
    exam.save()
    attempt = start(exam, learner)
    assert attempt.time_limit_mins is None
    assert attempt.allowed_time_seconds is None
    assert attempt.deadline_at is None


def test_changing_the_exam_time_limit_after_the_start_does_not_change_the_deadline(
    exam, learner, clock
):
    """The time limit is kept on the attempt at the start: a later edit of the exam does not
    touch a running attempt's deadline, nor what it would be recomputed to."""
    attempt = start(exam, learner)
    clock.advance(minutes=5)
    exam.time_limit_mins = 30
    exam.save()
    again = fresh(attempt)
    assert again.deadline_at == T0 + timedelta(minutes=90)
    assert again.time_limit_mins == 90
    recomputed = attempt_deadline(
        attempt=again, allowances=attempt_allowances(exam_id=exam.pk, user_id=learner.pk)
    )
    assert recomputed == T0 + timedelta(minutes=90)


def test_a_start_across_the_fall_back_in_new_york_lasts_3600_seconds(
    exam, learner, clock, settings
):
    """The server in New York, a 60-minute exam started at 01:30 EDT on the night clocks go
    back: the deadline is 3600 s later (01:30 EST), not two hours."""
    settings.TIME_ZONE = "America/New_York"
    exam.time_limit_mins = 60
    exam.save()
    clock.set(datetime(2026, 11, 1, 5, 30, 12, 5, tzinfo=UTC))
    attempt = start(exam, learner)
    assert (attempt.deadline_at - attempt.started_at).total_seconds() == 3600


# ---------------------------------------------------------------------------------------------
# Adding time
# ---------------------------------------------------------------------------------------------


def test_adding_time_moves_the_deadline_and_records_who_and_why(exam, learner, staff, clock):
    """10 minutes added 30 minutes in: the deadline moves by 600 s, and a time change row
    keeps the actor, the reason, the seconds and both deadlines."""
    attempt = start(exam, learner)
    clock.advance(minutes=30)
    changed = attempt_add_time(
        attempt_id=attempt.pk, minutes=10, actor_id=staff.pk, reason="fire alarm"
    )
    assert changed.deadline_at == T0 + timedelta(minutes=100)
    stored = fresh(attempt)
    assert stored.deadline_at == T0 + timedelta(minutes=100)
    assert stored.added_seconds == 600
    assert stored.modified == clock.moment
    [row] = time_changes(attempt)
    assert row.kind == AttemptTimeChange.Kind.ADD_TIME
    assert row.seconds == 600
    assert row.deadline_before == T0 + timedelta(minutes=90)
    assert row.deadline_after == T0 + timedelta(minutes=100)
    assert row.actor_id == staff.pk
    assert row.reason == "fire alarm"
    assert row.changed_at == clock.moment


def test_added_time_adds_up(exam, learner, staff, clock):
    """5 then 7 minutes: the deadline moves by 12 minutes and two rows are kept."""
    attempt = start(exam, learner)
    attempt_add_time(attempt_id=attempt.pk, minutes=5, actor_id=staff.pk, reason="a")
    attempt_add_time(attempt_id=attempt.pk, minutes=7, actor_id=staff.pk, reason="b")
    stored = fresh(attempt)
    assert stored.deadline_at == T0 + timedelta(minutes=102)
    assert stored.added_seconds == 12 * 60
    assert [(r.seconds, r.reason) for r in time_changes(attempt)] == [(300, "a"), (420, "b")]


def test_added_time_goes_beyond_the_due_date(exam, learner, staff, clock):
    """An attempt cut at the due date still gets the time staff add."""
    exam.due_date = T0 + timedelta(minutes=20)
    exam.save()
    attempt = start(exam, learner)
    attempt_add_time(attempt_id=attempt.pk, minutes=15, actor_id=staff.pk, reason="late start")
    assert fresh(attempt).deadline_at == T0 + timedelta(minutes=35)


def test_adding_the_most_minutes_allowed_is_accepted(exam, learner, staff, clock):
    """The upper bound itself (a day) is accepted."""
    attempt = start(exam, learner)
    attempt_add_time(attempt_id=attempt.pk, minutes=MAX_ADDED_MINUTES, actor_id=staff.pk)
    assert fresh(attempt).deadline_at == T0 + timedelta(minutes=90 + MAX_ADDED_MINUTES)


@pytest.mark.parametrize(
    "minutes", [0, -5, MAX_ADDED_MINUTES + 1, 10**9, True, False, 1.5, 10.0, "10", None]
)
def test_adding_a_bad_number_of_minutes_is_refused(exam, learner, staff, clock, minutes):
    """Zero, negative, more than a day, booleans, fractions, text: refused, nothing changes."""
    attempt = start(exam, learner)
    with pytest.raises(AttemptClockError):
        attempt_add_time(attempt_id=attempt.pk, minutes=minutes, actor_id=staff.pk)
    assert fresh(attempt).deadline_at == attempt.deadline_at
    assert time_changes(attempt) == []


@pytest.mark.parametrize("status", ["created", "ready_to_start", "submitted", "error"])
def test_adding_time_to_an_attempt_whose_clock_is_not_running_is_refused(
    exam, learner, staff, clock, status
):
    """Not started, or already completed: the clock is not running."""
    attempt_create(exam_id=exam.pk, user_id=learner.pk)
    if status == "submitted":
        attempt_update_status(exam_id=exam.pk, user_id=learner.pk, to_status="started")
    attempt_update_status(exam_id=exam.pk, user_id=learner.pk, to_status=status)
    attempt = fresh(exam=exam, user=learner)
    with pytest.raises(AttemptClockError):
        attempt_add_time(attempt_id=attempt.pk, minutes=5, actor_id=staff.pk)
    assert fresh(attempt).deadline_at == attempt.deadline_at
    assert time_changes(attempt) == []


def test_adding_time_to_an_archived_attempt_is_refused(exam, learner, staff, clock):
    """A running attempt that was reset (archived) cannot get more time."""
    attempt = start(exam, learner)
    Attempt.objects.filter(pk=attempt.pk).update(archived_at=clock.moment)
    with pytest.raises(AttemptClockError):
        attempt_add_time(attempt_id=attempt.pk, minutes=5, actor_id=staff.pk)
    assert fresh(attempt).deadline_at == attempt.deadline_at
    assert time_changes(attempt) == []


def test_adding_time_to_an_attempt_without_time_limit_is_refused(exam, learner, staff, clock):
    """An untimed attempt has no deadline to move."""
    exam.time_limit_mins = None
    exam.save()
    attempt = start(exam, learner)
    with pytest.raises(AttemptClockError):
        attempt_add_time(attempt_id=attempt.pk, minutes=5, actor_id=staff.pk)
    stored = fresh(attempt)
    assert stored.deadline_at is None
    assert stored.added_seconds == 0
    assert time_changes(attempt) == []


# ---------------------------------------------------------------------------------------------
# Pause and resume
# ---------------------------------------------------------------------------------------------


def test_pause_then_resume_moves_the_deadline_by_exactly_the_paused_seconds(
    exam, learner, staff, clock
):
    """Paused at 10 minutes for 125 s: the deadline moves by 125 s, and the time left is the
    same when the clock starts again as when it stopped."""
    attempt = start(exam, learner)
    pause_at = clock.advance(minutes=10)
    attempt_pause(attempt_id=attempt.pk, actor_id=staff.pk, reason="network down")
    paused = fresh(attempt)
    assert paused.paused_at == pause_at
    assert paused.deadline_at == T0 + timedelta(minutes=90)
    left_at_pause = budget.remaining_seconds(
        deadline_at=paused.deadline_at, now=clock.moment, paused_at=paused.paused_at
    )
    assert left_at_pause == 80 * 60

    clock.advance(seconds=125)
    assert (
        budget.remaining_seconds(
            deadline_at=paused.deadline_at, now=clock.moment, paused_at=paused.paused_at
        )
        == left_at_pause
    )
    attempt_resume(attempt_id=attempt.pk, actor_id=staff.pk, reason="network back")
    resumed = fresh(attempt)
    assert resumed.paused_at is None
    assert resumed.paused_seconds == 125
    assert resumed.deadline_at == T0 + timedelta(minutes=90, seconds=125)
    assert budget.remaining_seconds(deadline_at=resumed.deadline_at, now=clock.moment) == (
        left_at_pause
    )

    pause_row, resume_row = time_changes(attempt)
    assert (pause_row.kind, pause_row.seconds, pause_row.reason) == ("pause", 0, "network down")
    assert pause_row.deadline_before == pause_row.deadline_after == T0 + timedelta(minutes=90)
    assert pause_row.changed_at == pause_at
    assert (resume_row.kind, resume_row.seconds, resume_row.reason) == (
        "resume",
        125,
        "network back",
    )
    assert resume_row.deadline_before == T0 + timedelta(minutes=90)
    assert resume_row.deadline_after == T0 + timedelta(minutes=90, seconds=125)
    assert resume_row.actor_id == staff.pk


def test_a_pause_of_a_fraction_of_a_second_counts_as_a_whole_second(exam, learner, clock):
    """2.4 s paused gives back 3 s: the learner never loses time to rounding."""
    attempt = start(exam, learner)
    clock.advance(minutes=1)
    attempt_pause(attempt_id=attempt.pk, actor_id=None)
    clock.advance(seconds=2.4)
    attempt_resume(attempt_id=attempt.pk, actor_id=None)
    stored = fresh(attempt)
    assert stored.paused_seconds == 3
    assert stored.deadline_at == T0 + timedelta(minutes=90, seconds=3)


def test_pauses_add_up(exam, learner, clock):
    """Two pauses of 30 s and 90 s move the deadline by 120 s."""
    attempt = start(exam, learner)
    for paused in (30, 90):
        clock.advance(minutes=5)
        attempt_pause(attempt_id=attempt.pk, actor_id=None)
        clock.advance(seconds=paused)
        attempt_resume(attempt_id=attempt.pk, actor_id=None)
    stored = fresh(attempt)
    assert stored.paused_seconds == 120
    assert stored.deadline_at == T0 + timedelta(minutes=90, seconds=120)


def test_pausing_a_paused_attempt_is_refused(exam, learner, clock):
    """A second pause would lose the first pause's start: refused, nothing recorded."""
    attempt = start(exam, learner)
    first = clock.advance(minutes=1)
    attempt_pause(attempt_id=attempt.pk, actor_id=None)
    clock.advance(minutes=1)
    with pytest.raises(AttemptClockError):
        attempt_pause(attempt_id=attempt.pk, actor_id=None)
    assert fresh(attempt).paused_at == first
    assert [row.kind for row in time_changes(attempt)] == ["pause"]


def test_resuming_an_attempt_that_is_not_paused_is_refused(exam, learner, clock):
    """Nothing to resume: refused, the deadline stays."""
    attempt = start(exam, learner)
    clock.advance(minutes=1)
    with pytest.raises(AttemptClockError):
        attempt_resume(attempt_id=attempt.pk, actor_id=None)
    assert fresh(attempt).deadline_at == attempt.deadline_at
    assert time_changes(attempt) == []


def test_pausing_after_the_deadline_is_refused(exam, learner, clock):
    """A pause cannot bring back time that has already run out."""
    attempt = start(exam, learner)
    clock.set(attempt.deadline_at + timedelta(seconds=1))
    with pytest.raises(AttemptClockError):
        attempt_pause(attempt_id=attempt.pk, actor_id=None)
    assert fresh(attempt).paused_at is None


def test_pausing_an_attempt_that_is_not_started_is_refused(exam, learner, clock):
    """A created attempt has no clock to stop."""
    attempt = attempt_create(exam_id=exam.pk, user_id=learner.pk)
    with pytest.raises(AttemptClockError):
        attempt_pause(attempt_id=attempt.pk, actor_id=None)


# ---------------------------------------------------------------------------------------------
# Allowances changed while the attempt runs
# ---------------------------------------------------------------------------------------------


def test_an_allowance_granted_during_the_attempt_moves_its_deadline(exam, learner, staff, clock):
    """15 additional minutes granted 20 minutes in: the deadline moves from 90 to 105 minutes
    after the start, recorded with actor and reason."""
    attempt = start(exam, learner)
    clock.advance(minutes=20)
    grant(exam, learner, "additional_time_granted", "15")
    changed = attempt_apply_allowances(
        exam_id=exam.pk, user_id=learner.pk, actor_id=staff.pk, reason="accommodation"
    )
    assert changed is not None
    assert changed.pk == attempt.pk
    stored = fresh(attempt)
    assert stored.deadline_at == T0 + timedelta(minutes=105)
    assert stored.allowed_time_seconds == 105 * 60
    [row] = time_changes(attempt)
    assert row.kind == AttemptTimeChange.Kind.ALLOWANCE
    assert row.deadline_before == T0 + timedelta(minutes=90)
    assert row.deadline_after == T0 + timedelta(minutes=105)
    assert (row.actor_id, row.reason, row.changed_at) == (staff.pk, "accommodation", clock.moment)


def test_an_allowance_during_the_attempt_uses_the_time_limit_of_its_start(exam, learner, clock):
    """The exam's time limit cut from 90 to 30 minutes meanwhile does not shorten the attempt:
    1.5 x 90 min applies, not 1.5 x 30 min."""
    attempt = start(exam, learner)
    clock.advance(minutes=20)
    exam.time_limit_mins = 30
    exam.save()
    grant(exam, learner, "time_multiplier", "1.5")
    attempt_apply_allowances(exam_id=exam.pk, user_id=learner.pk, actor_id=None)
    stored = fresh(attempt)
    assert stored.deadline_at == T0 + timedelta(minutes=135)
    assert stored.time_limit_mins == 90


def test_an_allowance_during_the_attempt_keeps_added_and_paused_time(exam, learner, clock):
    """Added minutes and paused seconds stay on top of the new allowed time."""
    attempt = start(exam, learner)
    clock.advance(minutes=5)
    attempt_add_time(attempt_id=attempt.pk, minutes=10, actor_id=None)
    attempt_pause(attempt_id=attempt.pk, actor_id=None)
    clock.advance(seconds=40)
    attempt_resume(attempt_id=attempt.pk, actor_id=None)
    grant(exam, learner, "additional_time_granted", "20")
    attempt_apply_allowances(exam_id=exam.pk, user_id=learner.pk, actor_id=None)
    assert fresh(attempt).deadline_at == T0 + timedelta(minutes=90 + 10 + 20, seconds=40)


def test_a_revoked_allowance_during_the_attempt_gives_back_the_base_time(exam, learner, clock):
    """Granted before the start, revoked during the attempt: back to the time limit."""
    grant(exam, learner, "additional_time_granted", "30")
    attempt = start(exam, learner)
    assert attempt.deadline_at == T0 + timedelta(minutes=120)
    Allowance.objects.filter(exam=exam, user=learner).delete()
    attempt_apply_allowances(exam_id=exam.pk, user_id=learner.pk, actor_id=None)
    assert fresh(attempt).deadline_at == T0 + timedelta(minutes=90)


def test_an_allowance_for_a_learner_with_no_running_attempt_changes_nothing(exam, learner, clock):
    """Not started yet: nothing to move (the allowance applies at the start)."""
    attempt = attempt_create(exam_id=exam.pk, user_id=learner.pk)
    grant(exam, learner, "additional_time_granted", "15")
    assert attempt_apply_allowances(exam_id=exam.pk, user_id=learner.pk, actor_id=None) is None
    assert AttemptTimeChange.objects.count() == 0
    assert fresh(attempt).deadline_at is None
    started = start_existing(exam, learner)
    assert started.deadline_at == T0 + timedelta(minutes=105)


def start_existing(exam, user) -> Attempt:
    attempt_update_status(exam_id=exam.pk, user_id=user.pk, to_status="started")
    return fresh(exam=exam, user=user)


# ---------------------------------------------------------------------------------------------
# Submissions at the deadline
# ---------------------------------------------------------------------------------------------


def test_a_submission_before_the_deadline_is_accepted(exam, learner, clock):
    """Submitted a minute early: submitted, completed at the submission time."""
    attempt = start(exam, learner)
    moment = clock.set(attempt.deadline_at - timedelta(minutes=1))
    attempt_submit_in_time(attempt_id=attempt.pk, actor_id=learner.pk)
    stored = fresh(attempt)
    assert stored.status == "submitted"
    assert stored.completed_at == moment


@pytest.mark.parametrize("late", [timedelta(seconds=1), timedelta(seconds=GRACE)])
def test_a_submission_within_the_grace_period_is_accepted(exam, learner, clock, late):
    """1 s, and exactly the grace, after the deadline: still accepted, completed at the
    submission time."""
    attempt = start(exam, learner)
    clock.set(attempt.deadline_at + late)
    attempt_submit_in_time(attempt_id=attempt.pk, actor_id=learner.pk)
    stored = fresh(attempt)
    assert stored.status == "submitted"
    assert stored.completed_at == attempt.deadline_at + late
    last = AttemptHistory.objects.filter(attempt=attempt).latest("id")
    assert (last.to_status, last.cause, last.actor_id) == (
        "submitted",
        "learner:submit",
        learner.pk,
    )


def test_a_submission_after_the_grace_period_is_refused_and_times_the_attempt_out(
    exam, learner, clock
):
    """One second beyond the grace: AttemptDeadlinePassed, and the attempt is timed out (a
    submission, by the reference's rule for started attempts) completed at its deadline."""
    attempt = start(exam, learner)
    clock.set(attempt.deadline_at + timedelta(seconds=GRACE + 1))
    with pytest.raises(AttemptDeadlinePassed):
        attempt_submit_in_time(attempt_id=attempt.pk, actor_id=learner.pk)
    stored = fresh(attempt)
    assert stored.status == "submitted"
    assert stored.completed_at == attempt.deadline_at
    last = AttemptHistory.objects.filter(attempt=attempt).latest("id")
    assert (last.from_status, last.to_status) == ("started", "submitted")
    assert last.cause == "late submission"


def test_a_late_submission_is_timed_out_when_the_provider_allows_the_status(
    exam, learner, clock, settings
):
    """With ALLOW_TIMED_OUT_STATE, the late attempt ends timed_out, completed at its
    deadline."""
    settings.PROCTORING_SETTINGS = {"ALLOW_TIMED_OUT_STATE": True}
    attempt = start(exam, learner)
    clock.set(attempt.deadline_at + timedelta(minutes=3))
    with pytest.raises(AttemptDeadlinePassed):
        attempt_submit_in_time(attempt_id=attempt.pk, actor_id=learner.pk)
    stored = fresh(attempt)
    assert stored.status == "timed_out"
    assert stored.completed_at == attempt.deadline_at


def test_a_submission_of_an_untimed_attempt_is_always_accepted(exam, learner, clock):
    """No deadline, never late."""
    exam.time_limit_mins = None
    exam.save()
    attempt = start(exam, learner)
    clock.advance(days=30)
    attempt_submit_in_time(attempt_id=attempt.pk, actor_id=learner.pk)
    assert fresh(attempt).status == "submitted"


# ---------------------------------------------------------------------------------------------
# The expiry job
# ---------------------------------------------------------------------------------------------


def test_an_attempt_one_second_before_its_deadline_and_grace_is_not_expired(exam, learner, clock):
    """At deadline + grace - 1 s, and at deadline + grace itself, the attempt runs on."""
    attempt = start(exam, learner)
    for moment in (
        attempt.deadline_at + timedelta(seconds=GRACE - 1),
        attempt.deadline_at + timedelta(seconds=GRACE),
    ):
        clock.set(moment)
        assert attempts_expire_overdue() == 0
        assert fresh(attempt).status == "started"


def test_an_attempt_one_second_after_its_deadline_and_grace_is_expired_at_its_deadline(
    exam, learner, clock
):
    """At deadline + grace + 1 s the job ends the attempt; it is completed at its deadline,
    not at the job's time, and the history says the deadline did it."""
    attempt = start(exam, learner)
    job_time = clock.set(attempt.deadline_at + timedelta(seconds=GRACE + 1))
    assert attempts_expire_overdue() == 1
    stored = fresh(attempt)
    assert stored.status == "submitted"
    assert stored.completed_at == attempt.deadline_at
    assert stored.completed_at != job_time
    last = AttemptHistory.objects.filter(attempt=attempt).latest("id")
    assert (last.from_status, last.to_status, last.cause) == ("started", "submitted", "deadline")
    assert last.cause == CAUSE_DEADLINE
    assert last.actor_id is None
    assert last.changed_at == job_time
    assert attempts_expire_overdue() == 0


def test_the_expiry_job_uses_the_moment_it_is_given(exam, learner, clock):
    """An explicit moment replaces the clock."""
    attempt = start(exam, learner)
    late = attempt.deadline_at + timedelta(seconds=GRACE + 1)
    assert attempts_expire_overdue(moment=late - timedelta(seconds=2)) == 0
    assert attempts_expire_overdue(moment=late) == 1
    assert fresh(attempt).completed_at == attempt.deadline_at


def test_an_expired_attempt_is_timed_out_when_the_provider_allows_the_status(
    exam, learner, clock, settings
):
    """With ALLOW_TIMED_OUT_STATE the status is timed_out, completed at the deadline."""
    settings.PROCTORING_SETTINGS = {"ALLOW_TIMED_OUT_STATE": True}
    attempt = start(exam, learner)
    assert attempt_status_at_deadline(attempt=attempt) == "timed_out"
    clock.set(attempt.deadline_at + timedelta(hours=1))
    assert attempts_expire_overdue() == 1
    stored = fresh(attempt)
    assert stored.status == "timed_out"
    assert stored.completed_at == attempt.deadline_at


def test_by_default_a_started_attempt_ends_submitted_at_its_deadline(exam, learner, clock):
    """The reference's rule: timed_out becomes submitted from started."""
    attempt = start(exam, learner)
    assert attempt_status_at_deadline(attempt=attempt) == "submitted"


def test_a_ready_to_submit_attempt_past_its_deadline_is_expired(exam, learner, clock):
    """ready_to_submit is a running status too."""
    attempt = start(exam, learner)
    attempt_update_status(exam_id=exam.pk, user_id=learner.pk, to_status="ready_to_submit")
    clock.set(attempt.deadline_at + timedelta(seconds=GRACE + 1))
    assert attempts_expire_overdue() == 1
    stored = fresh(attempt)
    assert stored.status == "submitted"
    assert stored.completed_at == attempt.deadline_at


def test_an_attempt_cut_at_the_due_date_expires_at_the_due_date(exam, learner, clock):
    """The deadline the job records is the due date when it cut the time."""
    exam.due_date = T0 + timedelta(minutes=20)
    exam.save()
    attempt = start(exam, learner)
    clock.set(exam.due_date + timedelta(seconds=GRACE + 1))
    assert attempts_expire_overdue() == 1
    assert fresh(attempt).completed_at == exam.due_date


def test_added_time_and_pauses_keep_an_attempt_from_expiring(exam, learner, clock):
    """After 10 added minutes and a 60 s pause, the old deadline no longer expires it."""
    attempt = start(exam, learner)
    clock.advance(minutes=1)
    attempt_add_time(attempt_id=attempt.pk, minutes=10, actor_id=None)
    attempt_pause(attempt_id=attempt.pk, actor_id=None)
    clock.advance(seconds=60)
    attempt_resume(attempt_id=attempt.pk, actor_id=None)
    new_deadline = attempt.deadline_at + timedelta(minutes=10, seconds=60)
    clock.set(attempt.deadline_at + timedelta(minutes=5))
    assert attempts_expire_overdue() == 0
    clock.set(new_deadline + timedelta(seconds=GRACE + 1))
    assert attempts_expire_overdue() == 1
    assert fresh(attempt).completed_at == new_deadline


def test_the_expiry_job_leaves_paused_archived_unstarted_and_completed_attempts_alone(exam, clock):
    """Only running, unpaused, current attempts expire, even when others carry a past
    deadline."""
    overdue = start(exam, UserFactory(username="overdue"))
    paused = start(exam, UserFactory(username="paused"))
    archived = start(exam, UserFactory(username="archived"))
    completed = start(exam, UserFactory(username="completed"))
    not_started = attempt_create(exam_id=exam.pk, user_id=UserFactory(username="later").pk)
    untimed_exam = ExamFactory(course=exam.course, time_limit_mins=None)
    untimed = start(untimed_exam, UserFactory(username="untimed"))

    clock.advance(minutes=10)
    attempt_pause(attempt_id=paused.pk, actor_id=None)
    Attempt.objects.filter(pk=archived.pk).update(archived_at=clock.moment)
    attempt_update_status(exam_id=exam.pk, user_id=completed.user_id, to_status="submitted")
    completed_at = clock.moment
    # A deadline on an attempt that never started (not what the service writes, but the job
    # must look at the status, not only at the deadline).
    Attempt.objects.filter(pk=not_started.pk).update(deadline_at=overdue.deadline_at)
    before = {row.pk: row for row in Attempt.objects.all()}
    history_before = AttemptHistory.objects.count()

    clock.set(overdue.deadline_at + timedelta(days=2))
    assert attempts_expire_overdue() == 1

    after = {row.pk: row for row in Attempt.objects.all()}
    assert after[overdue.pk].status == "submitted"
    for left_alone in (paused, archived, completed, not_started, untimed):
        row, old = after[left_alone.pk], before[left_alone.pk]
        assert (row.status, row.completed_at, row.modified) == (
            old.status,
            old.completed_at,
            old.modified,
        )
    assert after[completed.pk].completed_at == completed_at
    assert AttemptHistory.objects.count() == history_before + 1


def test_the_expiry_job_works_in_batches_until_none_is_left(exam, clock):
    """Five overdue attempts, batches of two: all five expire, in three selections."""
    attempts = start_many(exam, 5, "batch")
    clock.advance(days=1)
    with CaptureQueriesContext(connection) as queries:
        assert attempts_expire_overdue(batch_size=2) == 5
    assert len(selections(queries)) == 3
    for attempt in attempts:
        stored = fresh(attempt)
        assert stored.status == "submitted"
        assert stored.completed_at == attempt.deadline_at


def test_the_expiry_job_stops_after_max_batches(exam, clock):
    """max_batches=1 with batches of two: two of five expire now, the rest on the next run,
    earliest deadlines first."""
    attempts = []
    for n in range(5):
        attempts.append(start(exam, UserFactory(username=f"order{n}")))
        clock.advance(seconds=1)
    clock.advance(days=1)
    assert attempts_expire_overdue(batch_size=2, max_batches=1) == 2
    assert [fresh(a).status for a in attempts] == ["submitted"] * 2 + ["started"] * 3
    assert attempts_expire_overdue(batch_size=2) == 3


def selections(queries: CaptureQueriesContext) -> list[str]:
    """The expiry job's selection queries: the only ones that filter on the deadline."""
    return [q["sql"] for q in queries.captured_queries if '"deadline_at" <' in q["sql"]]


def test_the_expiry_job_takes_as_many_queries_for_six_attempts_as_for_two(course, clock):
    """2, 4 and 6 overdue attempts in one batch: the same statements (the selection, one
    UPDATE, the history and credit INSERTs), however many attempts the batch holds."""
    counts = {}
    for size in (2, 4, 6):
        exam = ExamFactory(course=course)
        start_many(exam, size, f"q{size}-")
        clock.advance(days=1)
        with CaptureQueriesContext(connection) as queries:
            assert attempts_expire_overdue() == size
        counts[size] = len(queries.captured_queries)
        assert len(selections(queries)) == 1, selections(queries)
    assert counts[2] == counts[4] == counts[6], counts
    assert counts[2] <= 8, counts  # with the test's savepoints and SQLite's BEGIN


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not on_postgresql(), reason="concurrent jobs need SKIP LOCKED (PostgreSQL)")
def test_two_expiry_jobs_at_once_expire_each_attempt_exactly_once(course, clock):
    """PostgreSQL, SKIP LOCKED: two copies of the job racing over 20 overdue attempts expire
    each exactly once between them."""
    exam = ExamFactory(course=course)
    attempts = start_many(exam, 20, "race")
    clock.advance(days=1)
    results = run_together(lambda: attempts_expire_overdue(batch_size=2))
    assert sum(results) == 20
    ids = {attempt.pk for attempt in attempts}
    completions = Counter(
        AttemptHistory.objects.filter(attempt_id__in=ids, to_status="submitted").values_list(
            "attempt_id", flat=True
        )
    )
    assert completions == Counter(dict.fromkeys(ids, 1))
    for attempt in attempts:
        stored = fresh(attempt)
        assert stored.status == "submitted"
        assert stored.completed_at == attempt.deadline_at


def test_the_expiry_job_reports_credit_and_emails_proctored_learners_after_commit(
    course, clock, django_capture_on_commit_callbacks
):
    """A timed-out attempt counts as submitted: its credit requirement is reported, and a
    learner who took it proctored (not a practice exam) gets the status email once the job's
    transaction commits; practice and unproctored attempts get none."""
    proctored, practice = (
        ExamFactory(course=course),
        ExamFactory(course=course, is_practice_exam=True),
    )
    alice, bob, carol = (UserFactory(username=name) for name in ("alice", "bob", "carol"))
    for exam, user, as_proctored in (
        (proctored, alice, True),
        (practice, bob, True),
        (proctored, carol, False),
    ):
        attempt_create(exam_id=exam.pk, user_id=user.pk, taking_as_proctored=as_proctored)
        attempt_update_status(exam_id=exam.pk, user_id=user.pk, to_status="started")
    clock.advance(days=1)
    with committed() as callbacks:
        assert attempts_expire_overdue() == 3
    assert len(callbacks) == 1
    assert [message.to for message in mail.outbox] == [["alice@example.org"]]
    credit = CreditRequirementStatus.objects.filter(req_name=proctored.content_id)
    assert sorted(credit.values_list("user__username", "status")) == [
        ("alice", "submitted"),
        ("carol", "submitted"),
    ]
