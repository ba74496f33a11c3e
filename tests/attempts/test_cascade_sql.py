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
