"""The expiry lag: an overdue attempt is timed out within seconds of its deadline plus grace,
by the in-process runner (which plans for the next deadline and is told of new ones) and by
Celery beat (every PROCTORING_EXPIRY_INTERVAL_SECONDS, 5 by default)."""

from __future__ import annotations

import time
from datetime import timedelta
from unittest import mock

import pytest
from django.db import transaction
from django.utils import timezone

from proctoring.attempts.deadline_wakeup import deadlines_listen, deadlines_unlisten
from proctoring.attempts.expiry import attempts_next_time_out
from proctoring.attempts.models import Attempt, AttemptHistory
from proctoring.attempts.services import attempt_create, attempt_update_status
from proctoring.attempts.time_changes import attempt_pause, attempt_resume
from proctoring.jobs import JobRunner, job_named
from tests.factories import ExamFactory, UserFactory


def start(exam, user, *, ago: float = 0) -> Attempt:
    """Start the user's attempt ``ago`` seconds in the past."""
    started_at = timezone.now() - timedelta(seconds=ago)
    with mock.patch("django.utils.timezone.now", return_value=started_at):
        attempt_create(exam_id=exam.pk, user_id=user.pk)
        attempt_update_status(exam_id=exam.pk, user_id=user.pk, to_status="started")
    return Attempt.objects.get(exam=exam, user=user, archived_at__isnull=True)


def wait_for_time_out(attempt: Attempt, runner: JobRunner, seconds: float) -> AttemptHistory:
    """Wait, the runner started, until the attempt is timed out (or ``seconds`` pass), then
    stop the runner; the attempt's time-out row."""
    try:
        limit = time.monotonic() + seconds
        while time.monotonic() < limit:
            row = AttemptHistory.objects.filter(attempt=attempt, cause="deadline").first()
            if row is not None:
                return row
            time.sleep(0.05)
    finally:
        runner.stop(timeout=10)
    raise AssertionError(f"attempt {attempt.pk} was not timed out within {seconds} s")


@pytest.mark.django_db(transaction=True)
def test_with_the_default_settings_a_runner_times_out_within_5_s_of_deadline_and_grace(
    course, settings
):
    """A one-minute exam started 58 s ago, the default interval (5 s) and grace (5 s), the
    real clock: the runner times the attempt out after its deadline plus grace and less than
    5 s later (in fact at once: it sleeps until that moment)."""
    assert settings.PROCTORING_EXPIRY_INTERVAL_SECONDS == 5
    assert settings.PROCTORING_SUBMIT_GRACE_SECONDS == 5
    attempt = start(ExamFactory(course=course, time_limit_mins=1), UserFactory(), ago=58)
    overdue_at = attempt.deadline_at + timedelta(seconds=5)

    runner = JobRunner()
    runner.start()
    row = wait_for_time_out(attempt, runner, seconds=20)

    lag = (row.changed_at - overdue_at).total_seconds()
    assert 0 <= lag < 5
    assert Attempt.objects.get(pk=attempt.pk).completed_at == attempt.deadline_at


@pytest.mark.django_db(transaction=True)
def test_a_start_wakes_the_runner_to_time_the_attempt_out_at_its_deadline(course, settings):
    """The runner's interval is a minute and nothing runs when it starts; an attempt then
    starts with its deadline a second away: the runner, told of it, times it out within a
    second or two of its deadline instead of a minute later."""
    settings.PROCTORING_SUBMIT_GRACE_SECONDS = 0
    settings.PROCTORING_EXPIRY_INTERVAL_SECONDS = 60
    runner = JobRunner(jobs=(job_named("expiry"),))
    runner.start()
    time.sleep(0.3)  # the runner has planned: nothing runs, next run in a minute
    attempt = start(ExamFactory(course=course, time_limit_mins=1), UserFactory(), ago=59)

    row = wait_for_time_out(attempt, runner, seconds=10)

    assert 0 <= (row.changed_at - attempt.deadline_at).total_seconds() < 2


@pytest.mark.django_db(transaction=True)
def test_a_resume_wakes_the_runner_to_time_the_attempt_out_at_its_new_deadline(course, settings):
    """A paused attempt is not timed out, so the runner plans a minute ahead; once resumed,
    with a second or two left, the runner, told of it, times it out at its new deadline."""
    settings.PROCTORING_SUBMIT_GRACE_SECONDS = 0
    settings.PROCTORING_EXPIRY_INTERVAL_SECONDS = 60
    attempt = start(ExamFactory(course=course, time_limit_mins=1), UserFactory(), ago=59)
    attempt_pause(attempt_id=attempt.pk, actor_id=None)
    runner = JobRunner(jobs=(job_named("expiry"),))
    runner.start()
    time.sleep(0.3)  # the runner has planned: no unpaused attempt, next run in a minute
    resumed = attempt_resume(attempt_id=attempt.pk, actor_id=None)

    row = wait_for_time_out(attempt, runner, seconds=10)

    assert resumed.deadline_at > attempt.deadline_at
    assert 0 <= (row.changed_at - resumed.deadline_at).total_seconds() < 2


@pytest.mark.django_db(transaction=True)
def test_listeners_hear_of_a_start_after_its_commit_and_not_of_a_rolled_back_one(course):
    """A start tells the listeners once it commits; a start rolled back tells nobody; a start
    with no deadline (an untimed exam) tells nobody either."""
    heard: list[str] = []

    def listener() -> None:
        heard.append("told")

    deadlines_listen(listener)
    try:
        exam = ExamFactory(course=course, time_limit_mins=30)
        with transaction.atomic():
            start(exam, UserFactory(username="committed"))
            assert heard == []
        assert heard == ["told"]
        with pytest.raises(RuntimeError), transaction.atomic():
            start(exam, UserFactory(username="rolled-back"))
            raise RuntimeError("rolled back")
        start(ExamFactory(course=course, time_limit_mins=None), UserFactory(username="untimed"))
    finally:
        deadlines_unlisten(listener)
    assert heard == ["told"]


@pytest.mark.django_db
def test_the_next_time_out_is_the_earliest_running_unpaused_deadline_plus_grace(course, settings):
    """Paused, archived and untimed attempts do not count; with none left, None."""
    settings.PROCTORING_SUBMIT_GRACE_SECONDS = 7
    assert attempts_next_time_out() is None
    exam = ExamFactory(course=course, time_limit_mins=30)
    paused = start(exam, UserFactory(username="paused"), ago=120)
    attempt_pause(attempt_id=paused.pk, actor_id=None)
    archived = start(exam, UserFactory(username="archived"), ago=90)
    Attempt.objects.filter(pk=archived.pk).update(archived_at=timezone.now())
    start(ExamFactory(course=course, time_limit_mins=None), UserFactory(username="untimed"))
    assert attempts_next_time_out() is None
    later = start(exam, UserFactory(username="later"), ago=10)
    earlier = start(exam, UserFactory(username="earlier"), ago=60)
    assert attempts_next_time_out() == earlier.deadline_at + timedelta(seconds=7)
    assert later.deadline_at > earlier.deadline_at


def test_celery_beat_runs_the_expiry_job_every_5_seconds_by_default(settings):
    """The default interval is 5 s, and beat's entry for the expiry task uses it."""
    from proctoring.celery import app

    assert settings.PROCTORING_EXPIRY_INTERVAL_SECONDS == 5
    app.finalize()
    [entry] = [
        entry
        for entry in app.conf.beat_schedule.values()
        if entry["task"] == "proctoring.attempts.tasks.expire_attempts"
    ]
    assert float(entry["schedule"]) == 5.0
