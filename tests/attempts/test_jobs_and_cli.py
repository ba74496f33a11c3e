"""The interfaces of the attempt clock: the management commands and the in-process job runner
of the one-machine mode."""

from __future__ import annotations

import time
from datetime import timedelta
from io import StringIO
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils import timezone

from proctoring import jobs
from proctoring.attempts.models import Attempt, AttemptHistory, AttemptTimeChange
from proctoring.attempts.services import attempt_create, attempt_update_status
from proctoring.attempts.time_changes import attempt_pause
from proctoring.courses.models import Course
from proctoring.jobs import InProcessJobsMiddleware, JobRunner, job_named, jobs_start_in_process
from tests.attempts.conftest import GRACE, T0
from tests.factories import CourseFactory, ExamFactory, UserFactory


@pytest.fixture(autouse=True)
def _grace(grace):
    """Every test here runs with the grace period pinned to GRACE."""


@pytest.fixture
def no_runner(monkeypatch):
    """The process's runner starts unset and is stopped and unset again afterwards."""
    monkeypatch.setattr(jobs, "_runner", None)
    yield
    if jobs._runner is not None:
        jobs._runner.stop()
    jobs._runner = None


def start(exam, user) -> Attempt:
    attempt_create(exam_id=exam.pk, user_id=user.pk)
    attempt_update_status(exam_id=exam.pk, user_id=user.pk, to_status="started")
    return Attempt.objects.get(exam=exam, user=user, archived_at__isnull=True)


def run(command: str, *args: str) -> str:
    out = StringIO()
    call_command(command, *args, stdout=out)
    return out.getvalue()


# ---------------------------------------------------------------------------------------------
# expire_attempts
# ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_expire_attempts_expires_the_overdue_attempts_and_prints_how_many(exam, clock):
    """Two attempts past deadline and grace, one still in time: two expire, at their
    deadlines, and the command says so."""
    early = [start(exam, UserFactory(username=f"early{n}")) for n in range(2)]
    clock.advance(minutes=30)
    later = start(exam, UserFactory(username="later"))
    clock.set(early[0].deadline_at + timedelta(seconds=GRACE + 1))
    assert run("expire_attempts").strip() == "Expired 2 attempt(s)."
    for attempt in early:
        stored = Attempt.objects.get(pk=attempt.pk)
        assert stored.status == "submitted"
        assert stored.completed_at == attempt.deadline_at
    assert Attempt.objects.get(pk=later.pk).status == "started"


@pytest.mark.django_db
def test_expire_attempts_with_nothing_overdue_prints_zero(exam, learner, clock):
    """Nothing to do: it says 0 and changes nothing."""
    attempt = start(exam, learner)
    assert run("expire_attempts").strip() == "Expired 0 attempt(s)."
    assert Attempt.objects.get(pk=attempt.pk).status == "started"


# ---------------------------------------------------------------------------------------------
# attempts_running
# ---------------------------------------------------------------------------------------------


def rows_of(output: str) -> list[list[str]]:
    lines = output.rstrip("\n").split("\n")
    assert lines[0].split("\t") == [
        "id",
        "user",
        "course",
        "exam",
        "status",
        "deadline (UTC)",
        "remaining",
        "paused",
    ]
    return [line.split("\t") for line in lines[1:]]


@pytest.mark.django_db
def test_attempts_running_lists_running_attempts_with_deadline_and_time_left(exam, clock):
    """Started, ready to submit, paused and untimed attempts are listed by deadline with their
    time left; not-started, completed and archived ones are not."""
    started = start(exam, UserFactory(username="started"))
    clock.advance(minutes=2)
    ready = start(exam, UserFactory(username="ready"))
    attempt_update_status(exam_id=exam.pk, user_id=ready.user_id, to_status="ready_to_submit")
    clock.advance(minutes=2)
    paused = start(exam, UserFactory(username="paused"))
    untimed_exam = ExamFactory(course=exam.course, time_limit_mins=None, exam_name="Untimed")
    untimed = start(untimed_exam, UserFactory(username="untimed"))
    attempt_create(exam_id=exam.pk, user_id=UserFactory(username="notyet").pk)
    done = start(exam, UserFactory(username="done"))
    attempt_update_status(exam_id=exam.pk, user_id=done.user_id, to_status="submitted")
    gone = start(exam, UserFactory(username="gone"))
    Attempt.objects.filter(pk=gone.pk).update(archived_at=clock.moment)

    clock.set(T0 + timedelta(minutes=10))
    attempt_pause(attempt_id=paused.pk, actor_id=None)
    clock.set(T0 + timedelta(minutes=30, seconds=5.5))

    rows = rows_of(run("attempts_running"))
    by_user = {row[1]: row for row in rows}
    assert set(by_user) == {"started", "ready", "paused", "untimed"}
    course_id = exam.course_id
    assert by_user["started"] == [
        str(started.pk),
        "started",
        course_id,
        "Midterm",
        "started",
        "2026-05-04 10:45:27",
        "59m54s",  # 90 min - 30 min 5.5 s, rounded down
        "",
    ]
    assert by_user["ready"][4:] == ["ready_to_submit", "2026-05-04 10:47:27", "61m54s", ""]
    # Paused 6 minutes after its start (at 09:25:27), with 84 minutes left: frozen there.
    assert by_user["paused"][4:] == ["started", "2026-05-04 10:49:27", "84m00s", "yes"]
    assert by_user["untimed"][3:] == ["Untimed", "started", "-", "-", ""]
    # Ordered by deadline (the untimed attempt, without one, at either end).
    timed = [row[1] for row in rows if row[1] != "untimed"]
    assert timed == ["started", "ready", "paused"]
    assert str(untimed.pk) in {row[0] for row in rows}


@pytest.mark.django_db
def test_attempts_running_shows_zero_left_past_the_deadline(exam, learner, clock):
    """An overdue attempt the job has not yet reached shows 0m00s."""
    attempt = start(exam, learner)
    clock.set(attempt.deadline_at + timedelta(seconds=3))
    [row] = rows_of(run("attempts_running"))
    assert row[6] == "0m00s"


@pytest.mark.django_db
def test_attempts_running_filters_by_course(exam, learner, clock):
    """--course lists that course's attempts only."""
    start(exam, learner)
    other_course = CourseFactory(course_id="course-v1:Other+X+1")
    start(ExamFactory(course=other_course), UserFactory(username="elsewhere"))
    assert {row[1] for row in rows_of(run("attempts_running"))} == {"alice", "elsewhere"}
    only = rows_of(run("attempts_running", "--course", exam.course_id))
    assert [row[1] for row in only] == ["alice"]
    assert rows_of(run("attempts_running", "--course", "course-v1:None+X+1")) == []
    assert Course.objects.count() == 2


# ---------------------------------------------------------------------------------------------
# attempt_add_time
# ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_attempt_add_time_moves_the_deadline_and_prints_it(exam, learner, clock):
    """10 minutes with a reason: the deadline moves, the command prints it, and the time
    change keeps the reason (no actor: an operator)."""
    attempt = start(exam, learner)
    output = run("attempt_add_time", str(attempt.pk), "10", "--reason", "power cut")
    assert output.strip() == f"Attempt {attempt.pk}: new deadline 2026-05-04 10:55:27 UTC."
    assert Attempt.objects.get(pk=attempt.pk).deadline_at == T0 + timedelta(minutes=100)
    [change] = AttemptTimeChange.objects.filter(attempt=attempt)
    assert (change.kind, change.seconds, change.actor_id, change.reason) == (
        "add_time",
        600,
        None,
        "power cut",
    )


@pytest.mark.django_db
def test_attempt_add_time_without_a_reason_records_an_operator(exam, learner, clock):
    """No --reason: the history says an operator added the time."""
    attempt = start(exam, learner)
    run("attempt_add_time", str(attempt.pk), "5")
    assert AttemptTimeChange.objects.get(attempt=attempt).reason == "added by an operator"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("minutes", "message"),
    [("0", "minutes must be a whole number from 1 to 1440"), ("-5", "minutes must be")],
)
def test_attempt_add_time_with_bad_minutes_fails_with_a_message(
    exam, learner, clock, minutes, message
):
    """Zero or negative minutes: CommandError with the reason, nothing changes."""
    attempt = start(exam, learner)
    with pytest.raises(CommandError, match=message):
        run("attempt_add_time", str(attempt.pk), minutes)
    assert Attempt.objects.get(pk=attempt.pk).deadline_at == attempt.deadline_at
    assert not AttemptTimeChange.objects.exists()


@pytest.mark.django_db
def test_attempt_add_time_to_an_attempt_that_is_not_running_fails_with_a_message(
    exam, learner, clock
):
    """A submitted attempt: CommandError saying its clock is not running."""
    attempt = start(exam, learner)
    attempt_update_status(exam_id=exam.pk, user_id=learner.pk, to_status="submitted")
    with pytest.raises(CommandError, match="is submitted; its clock is not running"):
        run("attempt_add_time", str(attempt.pk), "5")


@pytest.mark.django_db
def test_attempt_add_time_to_an_unknown_attempt_fails_with_a_message(clock):
    """An id that names no attempt: CommandError naming it."""
    with pytest.raises(CommandError, match="There is no attempt with id 987654"):
        run("attempt_add_time", "987654", "5")


@pytest.mark.django_db
def test_attempt_add_time_with_minutes_that_are_not_a_number_fails(exam, learner, clock):
    """ "ten" is not a number of minutes: the argument parser refuses it."""
    attempt = start(exam, learner)
    with pytest.raises(CommandError, match="invalid int value"):
        run("attempt_add_time", str(attempt.pk), "ten")


# ---------------------------------------------------------------------------------------------
# The in-process job runner
# ---------------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_run_once_expires_the_overdue_attempts(course, clock):
    """One run of the runner expires what is overdue and returns how many."""
    exam = ExamFactory(course=course)
    attempt = start(exam, UserFactory(username="runner"))
    runner = JobRunner(interval=3600, jobs=(job_named("expiry"),))
    assert runner.run_once() == 0
    clock.set(attempt.deadline_at + timedelta(seconds=GRACE + 1))
    assert runner.run_once() == 1
    stored = Attempt.objects.get(pk=attempt.pk)
    assert stored.status == "submitted"
    assert stored.completed_at == attempt.deadline_at


@pytest.mark.django_db(transaction=True)
def test_run_once_survives_a_failing_job(monkeypatch, caplog):
    """A failed run is logged and counts 0; the loop goes on to the next run."""

    def broken() -> int:
        raise RuntimeError("database went away")

    monkeypatch.setattr("proctoring.attempts.expiry.attempts_expire_overdue", broken)
    assert JobRunner(interval=3600).run_once() == 0
    assert "The expiry job failed" in caplog.text


def test_jobs_do_not_start_in_process_when_they_are_off(settings, no_runner):
    """PROCTORING_JOBS=off (the tests' setting), or celery: no runner."""
    for mode in ("off", "celery"):
        settings.PROCTORING_JOBS = mode
        assert jobs_start_in_process() is None
        assert jobs._runner is None


def test_jobs_start_once_in_process_when_asked(settings, no_runner):
    """PROCTORING_JOBS=inprocess: one runner thread with the configured interval, the same one
    on every later call."""
    settings.PROCTORING_JOBS = "inprocess"
    settings.PROCTORING_EXPIRY_INTERVAL_SECONDS = 3600
    settings.PROCTORING_OUTBOX_INTERVAL_SECONDS = 3600
    runner = jobs_start_in_process()
    assert isinstance(runner, JobRunner)
    assert runner.interval == 3600
    assert runner._thread.is_alive()
    assert runner._thread.daemon
    assert jobs_start_in_process() is runner
    runner.stop(timeout=5)
    assert not runner._thread.is_alive()


def test_the_middleware_starts_the_jobs_with_the_first_request_only(monkeypatch):
    """The first request starts the runner; later requests do not try again."""
    calls = []
    monkeypatch.setattr(jobs, "jobs_start_in_process", lambda: calls.append(1))
    middleware = InProcessJobsMiddleware(lambda request: HttpResponse("ok"))
    request = RequestFactory().get("/")
    for _ in range(3):
        assert middleware(request).content == b"ok"
    assert calls == [1]


@pytest.mark.django_db(transaction=True)
def test_a_running_job_runner_expires_an_attempt_when_its_deadline_passes(course, settings):
    """End to end, on the real clock: a runner every 0.2 s, an attempt whose one-minute
    deadline is a second away; within a few seconds it is expired, completed at its deadline,
    and not before that deadline."""
    settings.PROCTORING_SUBMIT_GRACE_SECONDS = 0
    exam = ExamFactory(course=course, time_limit_mins=1)
    user = UserFactory(username="e2e")
    started_at = timezone.now() - timedelta(seconds=59)
    with mock.patch("django.utils.timezone.now", return_value=started_at):
        attempt = start(exam, user)
    assert attempt.deadline_at == started_at + timedelta(minutes=1)

    runner = JobRunner(interval=0.2)
    runner.start()
    try:
        limit = time.monotonic() + 15
        stored = Attempt.objects.get(pk=attempt.pk)
        while stored.status == "started" and time.monotonic() < limit:
            time.sleep(0.1)
            stored = Attempt.objects.get(pk=attempt.pk)
    finally:
        runner.stop(timeout=10)
    assert not runner._thread.is_alive()
    assert stored.status == "submitted"
    assert stored.completed_at == attempt.deadline_at
    expiry = AttemptHistory.objects.get(attempt=attempt, to_status="submitted")
    assert expiry.cause == "deadline"
    assert expiry.changed_at > attempt.deadline_at
