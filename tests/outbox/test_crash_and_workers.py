"""The outbox across processes and threads: a process killed right after its commit loses no
event, and workers delivering at once never send an event twice."""

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.db import close_old_connections

from proctoring import api
from proctoring.attempts.models import Attempt
from proctoring.credit.models import CreditRequirementStatus
from proctoring.outbox.delivery import outbox_deliver
from proctoring.outbox.services import subscription_create
from tests.attempts.test_celery_worker import worker_database_url
from tests.conftest import on_postgresql
from tests.factories import CourseFactory, ExamFactory, UserFactory
from tests.outbox.subscriber import Subscriber

ROOT = Path(__file__).resolve().parents[2]

# Submits an attempt and dies the moment the transaction has committed: before any delivery.
CRASHING_SUBMIT = """
import os, django
django.setup()
from proctoring import api
api.update_attempt_status({exam}, {user}, "submitted")
os._exit(0)
"""


@pytest.mark.django_db(transaction=True)
def test_a_process_killed_after_its_commit_loses_no_credit_update(settings):
    exam = ExamFactory(course=CourseFactory(course_id="course-v1:Org+Crash+Run"))
    learner = UserFactory(username="crash")
    api.create_exam_attempt(exam.pk, learner.pk)
    api.update_attempt_status(exam.pk, learner.pk, "started")
    outbox_deliver()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": worker_database_url(),
        "PROCTORING_JOBS": "off",
    }
    code = CRASHING_SUBMIT.format(exam=exam.pk, user=learner.pk)
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, timeout=60, capture_output=True
    )
    assert done.returncode == 0, done.stderr.decode()
    assert Attempt.objects.get(exam=exam, user=learner).status == "submitted"
    assert CreditRequirementStatus.objects.filter(user=learner).first() is None
    outbox_deliver()  # the next pass, in another process
    assert CreditRequirementStatus.objects.get(user=learner).status == "submitted"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_four_workers_at_once_deliver_each_event_once_in_order(settings):
    if not on_postgresql():
        pytest.skip("real concurrent workers need PostgreSQL")
    settings.PROCTORING_WEBHOOKS_ALLOW_PRIVATE = True
    settings.PROCTORING_OUTBOX_BATCH_SIZE = 20
    course = CourseFactory(course_id="course-v1:Org+Workers+Run")
    exams = [ExamFactory(course=course, content_id=f"w{n}") for n in range(5)]
    learners = [UserFactory(username=f"w{n}") for n in range(20)]
    with Subscriber() as receiver:
        new = subscription_create(url=receiver.url, event_types=["attempt.status_changed"])
        receiver.secrets = [new.secret]
        for exam in exams:
            for learner in learners:
                api.create_exam_attempt(exam.pk, learner.pk)
                api.update_attempt_status(exam.pk, learner.pk, "started")
                api.update_attempt_status(exam.pk, learner.pk, "submitted")
        barrier = threading.Barrier(4)

        def worker():
            try:
                barrier.wait(timeout=30)
                for _ in range(30):
                    outbox_deliver()
            finally:
                close_old_connections()

        threads = [threading.Thread(target=worker) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        ids = receiver.ids()
        assert len(ids) == len(set(ids)) == 2 * len(exams) * len(learners)
        by_attempt: dict[int, list[int]] = {}
        for message in receiver.received:
            by_attempt.setdefault(message["attempt_id"], []).append(message["sequence"])
        assert all(sequence == sorted(sequence) for sequence in by_attempt.values())


@pytest.mark.django_db(transaction=True)
def test_the_in_process_runner_delivers_moments_after_a_commit():
    """The runner's outbox job runs hourly here, yet a commit wakes it: the credit update
    leaves within a second, from the runner's thread."""
    import time

    from proctoring.jobs import JobRunner, job_named

    exam = ExamFactory(course=CourseFactory(course_id="course-v1:Org+Wake+Run"))
    learner = UserFactory(username="wake")
    api.create_exam_attempt(exam.pk, learner.pk)
    api.update_attempt_status(exam.pk, learner.pk, "started")
    runner = JobRunner(interval=3600, jobs=(job_named("outbox"),))
    runner.start()
    try:
        time.sleep(0.5)  # its first run at the start is over
        api.update_attempt_status(exam.pk, learner.pk, "submitted")
        limit = time.monotonic() + 5
        while time.monotonic() < limit:
            row = CreditRequirementStatus.objects.filter(user=learner).first()
            if row is not None:
                break
            time.sleep(0.05)
        waited = 5 - (limit - time.monotonic())
    finally:
        runner.stop(timeout=10)
    assert row is not None and row.status == "submitted"
    assert waited < 1.5
