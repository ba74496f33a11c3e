"""A decline's cascade with its reads compiled once (attempts/cascade_sql.py): the same
attempts declined, created and told about, and no query compiled again at the next one."""

import pytest

from proctoring import api
from proctoring.attempts import cascade_sql
from proctoring.attempts.models import Attempt, AttemptHistory
from proctoring.outbox.models import Event
from tests.factories import ExamFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_the_cascade_declines_creates_and_tells(course):
    declined = ExamFactory(course=course, content_id="declined")
    started = ExamFactory(course=course, content_id="started")
    missing = ExamFactory(course=course, content_id="missing")
    ExamFactory(course=course, content_id="practice", is_practice_exam=True)
    ExamFactory(course=course, content_id="inactive", is_active=False)
    learners = [UserFactory(), UserFactory()]
    for learner in learners:
        api.create_exam_attempt(declined.pk, learner.pk)
        api.create_exam_attempt(started.pk, learner.pk)
        api.update_attempt_status(started.pk, learner.pk, "started")
    api.update_attempt_status(declined.pk, learners[0].pk, "declined")
    compiled = dict(cascade_sql._compiled)
    api.update_attempt_status(declined.pk, learners[1].pk, "declined")
    assert cascade_sql._compiled == compiled  # nothing compiled again
    for learner in learners:
        attempts = Attempt.objects.filter(user=learner, archived_at__isnull=True)
        assert {a.exam.content_id: a.status for a in attempts} == {
            "declined": "declined",
            "started": "declined",
            "missing": "declined",
        }
        created = attempts.get(exam=missing)
        assert list(
            AttemptHistory.objects.filter(attempt=created).values_list("from_status", "to_status")
        ) == [("", "created"), ("created", "declined")]
        events = Event.objects.filter(attempt_id=created.pk, type="attempt.status_changed")
        assert [(e.course_id, e.payload["content_id"]) for e in events] == [
            (course.course_id, "missing")
        ]


def test_the_new_attempts_of_a_cascade_are_one_insert_whatever_their_number(course):
    """On PostgreSQL the created attempts go in one array per column (UNNEST): one text for
    any number of rows, as many parameters as columns (psycopg keeps it parsed, the server
    prepared); elsewhere a row of values each. The rows are those the ORM would write."""
    from django.db import connection

    from proctoring.core.inserts import insert_fields
    from tests.conftest import on_postgresql

    declined = ExamFactory(course=course, content_id="declined")
    first, second = UserFactory(), UserFactory()
    for learner in (first, second):
        api.create_exam_attempt(declined.pk, learner.pk)
    ExamFactory(course=course, content_id="one")
    inserts = []  # the attempts' INSERTs as sent, with their parameters

    def keep(execute, sql, params, many, context):
        if sql.startswith("INSERT") and '"attempts_attempt"' in sql.split("(")[0]:
            inserts.append((sql, params))
        return execute(sql, params, many, context)

    for learner, more in ((first, 0), (second, 2)):
        for number in range(more):
            ExamFactory(course=course, content_id=f"more-{number}")
        with connection.execute_wrapper(keep):
            api.update_attempt_status(declined.pk, learner.pk, "declined")
        created = Attempt.objects.filter(user=learner).exclude(exam=declined)
        assert created.count() == 1 + more
        for attempt in created:
            assert (attempt.status, attempt.attempt_number, attempt.taking_as_proctored) == (
                "declined",
                1,
                False,
            )
            assert attempt.created is not None and len(attempt.attempt_code) > 0
    assert len(inserts) == 2
    (one_sql, one_params), (three_sql, three_params) = inserts
    if on_postgresql():
        assert "UNNEST" in one_sql and one_sql == three_sql
        assert len(one_params) == len(three_params) == len(insert_fields(Attempt))
        assert [len(column) for column in three_params] == [3] * len(three_params)
    else:
        assert one_sql != three_sql  # a VALUES row per attempt
        assert len(three_params) == 3 * len(one_params)


def test_an_attempt_created_meanwhile_is_skipped_by_the_cascades_insert(course):
    from proctoring.attempts.models import AttemptStatus

    exam = ExamFactory(course=course, content_id="taken")
    other = ExamFactory(course=course, content_id="free")
    learner = UserFactory()
    api.create_exam_attempt(exam.pk, learner.pk)
    taken = Attempt.objects.get(exam=exam, user=learner)
    rows = [
        Attempt(
            exam_id=exam_id,
            user_id=learner.pk,
            attempt_number=1,
            status=AttemptStatus.CREATED,
            attempt_code=f"code-{exam_id}",
        )
        for exam_id in (exam.pk, other.pk)
    ]
    cascade_sql.attempts_insert_new(rows)
    assert Attempt.objects.get(exam=exam, user=learner).pk == taken.pk  # not replaced
    assert Attempt.objects.get(exam=other, user=learner).attempt_code == f"code-{other.pk}"
