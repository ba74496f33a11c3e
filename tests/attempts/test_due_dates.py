"""Late submissions in either order (issue 8, item 5) and past-due exams (item 13): the
learner's start of a past-due exam is refused, and the expiry job gives ``expired`` to the
attempts that were never started once the due date (or the learner's extension) has passed."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from proctoring.allowances.models import Allowance
from proctoring.attempts.actions import attempt_act, attempt_create_for_learner
from proctoring.attempts.expiry import CAUSE_DUE_DATE, attempts_expire
from proctoring.attempts.models import Attempt, AttemptHistory
from proctoring.attempts.services import attempt_create, attempt_update_status
from proctoring.courses.services import course_role_grant
from proctoring.credit.models import CreditRequirementStatus
from proctoring.exceptions import AttemptDeadlinePassed, ProctoringError
from proctoring.jobs import JOBS
from tests.attempts.conftest import GRACE, T0
from tests.attempts.threads import run_together
from tests.conftest import on_postgresql
from tests.factories import ExamFactory, UserFactory

pytestmark = pytest.mark.django_db

DUE = "due_date_extension"


@pytest.fixture(autouse=True)
def _grace(grace):
    """Every test here runs with the grace period pinned to GRACE."""


def fresh(attempt: Attempt) -> Attempt:
    return Attempt.objects.get(pk=attempt.pk)


def started(exam, user) -> Attempt:
    attempt = attempt_create(exam_id=exam.pk, user_id=user.pk)
    attempt_act(attempt_id=attempt.pk, action="start", actor_id=user.pk)
    return fresh(attempt)


def extend(exam, user, moment) -> None:
    Allowance.objects.create(exam=exam, user=user, key=DUE, value=moment.isoformat())


def enroll(exam, learner):
    """The learner's enrollment in the exam's course (a learner creates attempts only there)."""
    course_role_grant(course_id=exam.course_id, user_id=learner.pk, role="learner")


# ---------------------------------------------------------------------------------------------
# Item 5: one answer to a submission after the grace period, whoever came first
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("allow_timed_out", [False, True])
@pytest.mark.parametrize("first", ["the expiry job", "the submission"])
def test_a_submission_after_the_grace_period_is_refused_whoever_came_first(
    exam, learner, clock, settings, first, allow_timed_out
):
    """The job timed the attempt out before the learner's late submission arrived, or the late
    submission timed it out itself: either way AttemptDeadlinePassed (409 deadline_passed),
    the attempt completed at its deadline, and one time-out in its history. Asking again gives
    the same answer."""
    settings.PROCTORING_SETTINGS = {"ALLOW_TIMED_OUT_STATE": allow_timed_out}
    attempt = started(exam, learner)
    clock.set(attempt.deadline_at + timedelta(seconds=GRACE + 1))
    if first == "the expiry job":
        assert attempts_expire() == 1
    for _ in range(2):
        with pytest.raises(AttemptDeadlinePassed) as refused:
            attempt_act(attempt_id=attempt.pk, action="submit", actor_id=learner.pk)
        assert (refused.value.code, refused.value.http_status) == ("deadline_passed", 409)
    stored = fresh(attempt)
    assert stored.status == ("timed_out" if allow_timed_out else "submitted")
    assert stored.completed_at == attempt.deadline_at
    moves = AttemptHistory.objects.filter(attempt=attempt).exclude(to_status__in=["created"])
    assert [row.to_status for row in moves] == ["started", stored.status]


def test_a_second_submission_of_an_attempt_submitted_in_time_is_harmless(exam, learner, clock):
    """Submitted in time, then submitted again long after the deadline: the attempt is
    returned unchanged (rule 4), no error."""
    attempt = started(exam, learner)
    clock.set(attempt.deadline_at - timedelta(minutes=1))
    attempt_act(attempt_id=attempt.pk, action="submit", actor_id=learner.pk)
    clock.set(attempt.deadline_at + timedelta(hours=1))
    again = attempt_act(attempt_id=attempt.pk, action="submit", actor_id=learner.pk)
    assert again.status == "submitted"
    assert again.completed_at == attempt.deadline_at - timedelta(minutes=1)


def test_a_submission_exactly_at_the_deadline_then_again_is_harmless(exam, learner, clock):
    """Completed exactly at its deadline by the learner itself (not a time-out): a second
    submission is the harmless repeat."""
    attempt = started(exam, learner)
    clock.set(attempt.deadline_at)
    attempt_act(attempt_id=attempt.pk, action="submit", actor_id=learner.pk)
    clock.advance(hours=1)
    assert attempt_act(attempt_id=attempt.pk, action="submit", actor_id=learner.pk).status == (
        "submitted"
    )


# ---------------------------------------------------------------------------------------------
# Item 13: a learner cannot start a past-due exam
# ---------------------------------------------------------------------------------------------


def assert_past_due(error: pytest.ExceptionInfo[ProctoringError]) -> None:
    assert (error.value.code, error.value.http_status) == ("exam_past_due", 409)


@pytest.mark.parametrize("late", [timedelta(0), timedelta(microseconds=1), timedelta(days=400)])
def test_a_learner_cannot_start_an_exam_at_or_after_its_due_date(exam, learner, clock, late):
    exam.due_date = T0 - late
    exam.save()
    attempt = attempt_create(exam_id=exam.pk, user_id=learner.pk)
    with pytest.raises(ProctoringError) as refused:
        attempt_act(attempt_id=attempt.pk, action="start", actor_id=learner.pk)
    assert_past_due(refused)
    assert "due" in refused.value.message
    stored = fresh(attempt)
    assert (stored.status, stored.started_at, stored.deadline_at) == ("created", None, None)


def test_a_learner_starts_an_exam_a_microsecond_before_its_due_date(exam, learner, clock):
    exam.due_date = T0 + timedelta(microseconds=1)
    exam.save()
    attempt = started(exam, learner)
    assert attempt.status == "started"
    assert attempt.deadline_at == exam.due_date


def test_creating_and_starting_a_past_due_exam_at_once_is_refused_and_creates_nothing(
    exam, learner, clock
):
    enroll(exam, learner)
    exam.due_date = T0 - timedelta(hours=1)
    exam.save()
    with pytest.raises(ProctoringError) as refused:
        attempt_create_for_learner(exam_id=exam.pk, user_id=learner.pk, start=True)
    assert_past_due(refused)
    assert not Attempt.objects.exists()
    assert not AttemptHistory.objects.exists()


def test_the_learners_extension_lets_it_start_after_the_exams_due_date(exam, learner, clock):
    enroll(exam, learner)
    exam.due_date = T0 - timedelta(hours=1)
    exam.save()
    extend(exam, learner, T0 + timedelta(hours=2))
    attempt = attempt_create_for_learner(exam_id=exam.pk, user_id=learner.pk, start=True)
    assert attempt.status == "started"
    assert attempt.deadline_at == T0 + timedelta(minutes=exam.time_limit_mins)


def test_an_extension_already_past_refuses_the_start_before_the_exams_due_date(
    exam, learner, clock
):
    """The learner's own due date replaces the exam's, earlier or later."""
    exam.due_date = T0 + timedelta(days=1)
    exam.save()
    extend(exam, learner, T0 - timedelta(minutes=1))
    attempt = attempt_create(exam_id=exam.pk, user_id=learner.pk)
    with pytest.raises(ProctoringError) as refused:
        attempt_act(attempt_id=attempt.pk, action="start", actor_id=learner.pk)
    assert_past_due(refused)


def test_a_repeated_start_of_a_started_attempt_after_the_due_date_is_harmless(exam, learner, clock):
    """Rule 4: asking for the status the attempt has changes nothing, even past due."""
    exam.due_date = T0 + timedelta(minutes=30)
    exam.save()
    attempt = started(exam, learner)
    clock.advance(hours=1)
    again = attempt_act(attempt_id=attempt.pk, action="start", actor_id=learner.pk)
    assert (again.status, again.started_at) == ("started", T0)


def test_the_python_api_still_starts_a_past_due_attempt(exam, learner, clock):
    """update_attempt_status keeps the reference's semantics: it does not refuse starts."""
    exam.due_date = T0 - timedelta(hours=1)
    exam.save()
    attempt_create(exam_id=exam.pk, user_id=learner.pk)
    attempt_update_status(exam_id=exam.pk, user_id=learner.pk, to_status="started")
    assert Attempt.objects.get().status == "started"


# ---------------------------------------------------------------------------------------------
# Item 13: attempts never started expire once the due date has passed
# ---------------------------------------------------------------------------------------------


def never_started(exam, user, status: str = "created") -> Attempt:
    attempt = attempt_create(exam_id=exam.pk, user_id=user.pk)
    if status != "created":
        attempt_update_status(exam_id=exam.pk, user_id=user.pk, to_status=status)
    return fresh(attempt)


@pytest.mark.parametrize("status", ["created", "download_software_clicked", "ready_to_start"])
def test_an_attempt_never_started_expires_when_the_due_date_passes(exam, clock, status):
    """Expired by the job, with the due date as cause, no actor, no credit update; not
    completed, never started."""
    exam.due_date = T0 + timedelta(hours=1)
    exam.save()
    attempt = never_started(exam, UserFactory(username="late"), status)
    clock.set(exam.due_date - timedelta(microseconds=1))
    assert attempts_expire() == 0
    assert fresh(attempt).status == status
    job_time = clock.set(exam.due_date)
    assert attempts_expire() == 1
    stored = fresh(attempt)
    assert (stored.status, stored.started_at, stored.completed_at) == ("expired", None, None)
    last = AttemptHistory.objects.filter(attempt=attempt).latest("id")
    assert (last.from_status, last.to_status, last.cause, last.actor_id) == (
        status,
        "expired",
        CAUSE_DUE_DATE,
        None,
    )
    assert last.changed_at == job_time
    assert not CreditRequirementStatus.objects.exists()
    assert attempts_expire() == 0


def test_the_due_date_expiry_follows_each_learners_extension(course, clock):
    """The exam is past due; one learner's extension is still ahead (left alone), another's
    has passed too (expired). An exam due later with a passed extension: expired."""
    past_due = ExamFactory(course=course, due_date=T0 - timedelta(days=1))
    due_later = ExamFactory(course=course, due_date=T0 + timedelta(days=1))
    ahead, behind, plain, early = (UserFactory(username=n) for n in ("ah", "be", "pl", "ea"))
    extend(past_due, ahead, T0 + timedelta(hours=1))
    extend(past_due, behind, T0 - timedelta(hours=1))
    extend(due_later, early, T0 - timedelta(seconds=1))
    attempts = {
        "ahead": never_started(past_due, ahead),
        "behind": never_started(past_due, behind),
        "plain": never_started(past_due, plain),
        "early": never_started(due_later, early),
        "on time": never_started(due_later, plain),
    }
    assert attempts_expire() == 3
    statuses = {name: fresh(attempt).status for name, attempt in attempts.items()}
    assert statuses == {
        "ahead": "created",
        "behind": "expired",
        "plain": "expired",
        "early": "expired",
        "on time": "created",
    }


def test_the_due_date_expiry_leaves_started_completed_archived_and_undated_attempts_alone(
    course, clock
):
    """Only attempts that never started, current, of an exam with a due date that passed."""
    exam = ExamFactory(course=course, due_date=T0 + timedelta(minutes=30))
    undated = ExamFactory(course=course, due_date=None)
    running = started(exam, UserFactory(username="runner"))
    done = started(exam, UserFactory(username="done"))
    attempt_act(attempt_id=done.pk, action="submit", actor_id=done.user_id)
    declined = never_started(exam, UserFactory(username="decliner"))
    attempt_update_status(exam_id=exam.pk, user_id=declined.user_id, to_status="declined")
    archived = never_started(exam, UserFactory(username="archived"))
    Attempt.objects.filter(pk=archived.pk).update(archived_at=T0)
    no_due_date = never_started(undated, UserFactory(username="undated"))
    clock.advance(days=10)
    before = {row.pk: row.status for row in Attempt.objects.all()}
    assert attempts_expire() == 1  # the running attempt, timed out at its deadline
    after = {row.pk: row.status for row in Attempt.objects.all()}
    assert after[running.pk] == "submitted"
    for left_alone in (done, declined, archived, no_due_date):
        assert after[left_alone.pk] == before[left_alone.pk] != "expired"


def test_the_due_date_expiry_works_in_batches_in_a_fixed_number_of_selections(course, clock):
    """Five never-started attempts in batches of two: all expire, in three selections."""
    exam = ExamFactory(course=course, due_date=T0 - timedelta(days=1))
    for n in range(5):
        never_started(exam, UserFactory(username=f"batch{n}"))
    with CaptureQueriesContext(connection) as queries:
        assert attempts_expire(batch_size=2) == 5
    selections = [q for q in queries.captured_queries if '"due_date" <=' in q["sql"]]
    assert len(selections) == 3, selections
    assert set(Attempt.objects.values_list("status", flat=True)) == {"expired"}


def test_an_expired_attempt_cannot_be_started(exam, learner, clock):
    exam.due_date = T0 - timedelta(days=1)
    exam.save()
    attempt = never_started(exam, learner)
    attempts_expire()
    with pytest.raises(ProctoringError) as refused:
        attempt_act(attempt_id=attempt.pk, action="start", actor_id=learner.pk)
    assert refused.value.code in {"exam_past_due", "action_not_allowed"}
    assert fresh(attempt).status == "expired"


def test_the_registered_job_and_the_command_expire_attempts_past_their_due_date(course, clock):
    """The registry's expiry job (in-process runner, Celery beat) and ``proctoring
    expire_attempts`` (cron) both run the due-date expiry."""
    exam = ExamFactory(course=course, due_date=T0 - timedelta(days=1))
    first, second = (never_started(exam, UserFactory(username=n)) for n in ("one", "two"))
    (job,) = [job for job in JOBS if job.label == "expiry"]
    assert job.run() == 2
    attempt_update_status(exam_id=exam.pk, user_id=first.user_id, to_status="created")
    out = StringIO()
    call_command("expire_attempts", stdout=out)
    assert out.getvalue().strip() == "Expired 1 attempt(s)."
    assert {fresh(first).status, fresh(second).status} == {"expired"}


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not on_postgresql(), reason="concurrent jobs need SKIP LOCKED (PostgreSQL)")
def test_two_expiry_jobs_at_once_expire_each_past_due_attempt_exactly_once(course, clock):
    """PostgreSQL, SKIP LOCKED: two copies of the job racing over 20 never-started attempts of
    a past-due exam expire each exactly once between them."""
    exam = ExamFactory(course=course, due_date=T0 - timedelta(days=1))
    attempts = [never_started(exam, UserFactory(username=f"race{n}")) for n in range(20)]
    results = run_together(lambda: attempts_expire(batch_size=2))
    assert sum(results) == 20
    ids = {attempt.pk for attempt in attempts}
    expirations = Counter(
        AttemptHistory.objects.filter(attempt_id__in=ids, to_status="expired").values_list(
            "attempt_id", flat=True
        )
    )
    assert expirations == Counter(dict.fromkeys(ids, 1))
