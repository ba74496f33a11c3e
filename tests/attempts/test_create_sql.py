"""An attempt's creation with SQL written once (attempts/create_sql.py): the rows the ORM
would write, and a refused creation that leaves the caller's transaction usable."""

import pytest
from django.db import transaction

from proctoring import api
from proctoring.attempts.models import Attempt, AttemptHistory
from proctoring.exceptions import StudentExamAttemptAlreadyExistsException
from tests.factories import ExamFactory

pytestmark = pytest.mark.django_db


def test_the_attempt_and_its_history_are_written(learner):
    exam = ExamFactory(is_practice_exam=True)
    attempt_id = api.create_exam_attempt(exam.pk, learner.pk)
    attempt = Attempt.objects.get(pk=attempt_id)
    assert (attempt.exam_id, attempt.user_id, attempt.status) == (exam.pk, learner.pk, "created")
    assert attempt.attempt_number == 1 and attempt.is_sample_attempt is True
    assert len(attempt.attempt_code) == 40 and attempt.modified >= attempt.created
    history = AttemptHistory.objects.get(attempt_id=attempt_id)
    assert (history.from_status, history.to_status) == ("", "created")
    assert history.changed_at == attempt.created


def test_a_refused_creation_leaves_the_transaction_usable(learner):
    exam = ExamFactory()
    first = api.create_exam_attempt(exam.pk, learner.pk)
    with transaction.atomic():
        with pytest.raises(StudentExamAttemptAlreadyExistsException):
            api.create_exam_attempt(exam.pk, learner.pk)
        assert Attempt.objects.filter(exam=exam).count() == 1  # no aborted transaction
    assert AttemptHistory.objects.filter(attempt_id=first).count() == 1
