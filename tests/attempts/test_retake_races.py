"""Retakes, resumes and staff ending an attempt under concurrency: real threads, each on its
own connection; one wins, the others get a clear error, and one current attempt remains."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection

from proctoring.attempts.actions import attempt_act
from proctoring.attempts.models import Attempt, AttemptHistory
from proctoring.attempts.retakes import (
    attempt_mark_resumable,
    attempt_resume,
    attempt_retake_practice,
)
from proctoring.attempts.services import attempt_create, attempt_update_status
from proctoring.attempts.staff_control import attempt_end_by_staff
from proctoring.exceptions import AttemptActionNotAllowed, AttemptArchived, ProctoringError
from tests.attempts.threads import run_together
from tests.factories import CourseRoleFactory, ExamFactory, UserFactory


def _in_memory_sqlite() -> bool:
    database = settings.DATABASES["default"]
    return connection.vendor == "sqlite" and str(database["NAME"]).startswith(":memory:")


pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        _in_memory_sqlite(), reason="threads need a database file on SQLite, not :memory:"
    ),
]
COPIES = 4


def _outcome(call):
    def wrapped():
        try:
            return call().pk
        except ProctoringError as exc:
            return type(exc)

    return wrapped


def _current(exam, user):
    return list(Attempt.objects.filter(exam=exam, user=user, archived_at__isnull=True))


def test_one_resume_wins_when_the_learner_continues_in_several_tabs():
    learner = UserFactory(username="racer")
    exam = ExamFactory(time_limit_mins=30)
    attempt = attempt_create(exam_id=exam.pk, user_id=learner.pk)
    attempt_update_status(exam_id=exam.pk, user_id=learner.pk, to_status="started")
    attempt_update_status(exam_id=exam.pk, user_id=learner.pk, to_status="error")
    attempt_mark_resumable(attempt_id=attempt.pk, actor_id=None)
    results = run_together(
        _outcome(lambda: attempt_resume(attempt_id=attempt.pk, actor_id=learner.pk)), COPIES
    )
    winners = [r for r in results if isinstance(r, int)]
    assert len(winners) == 1
    assert sorted(r.__name__ for r in results if not isinstance(r, int)) == ["AttemptArchived"] * (
        COPIES - 1
    )
    [current] = _current(exam, learner)
    assert (current.pk, current.attempt_number) == (winners[0], 2)


def test_one_practice_retake_wins():
    learner = UserFactory(username="racer")
    exam = ExamFactory(is_practice_exam=True)
    attempt = attempt_create(exam_id=exam.pk, user_id=learner.pk)
    attempt_update_status(exam_id=exam.pk, user_id=learner.pk, to_status="started")
    attempt_update_status(exam_id=exam.pk, user_id=learner.pk, to_status="submitted")
    results = run_together(
        _outcome(lambda: attempt_retake_practice(attempt_id=attempt.pk, actor_id=learner.pk)),
        COPIES,
    )
    assert len([r for r in results if isinstance(r, int)]) == 1
    assert [r for r in results if not isinstance(r, int)] == [AttemptArchived] * (COPIES - 1)
    assert len(_current(exam, learner)) == 1
    assert Attempt.objects.filter(exam=exam, user=learner).count() == 2


def test_staff_ending_and_the_learner_submitting_at_once_submit_once():
    learner = UserFactory(username="racer")
    staff = UserFactory(username="boss")
    exam = ExamFactory(time_limit_mins=30)
    CourseRoleFactory(user=learner, course=exam.course, role="learner")
    attempt = attempt_create(exam_id=exam.pk, user_id=learner.pk)
    attempt_update_status(exam_id=exam.pk, user_id=learner.pk, to_status="started")
    calls = [
        lambda: attempt_end_by_staff(attempt_id=attempt.pk, actor_id=staff.pk, reason="stop"),
        lambda: attempt_act(attempt_id=attempt.pk, action="submit", actor_id=learner.pk),
    ]
    index = iter(range(2))

    def either():
        return _outcome(calls[next(index)])()

    results = run_together(either, 2)
    # The first submits; the second finds it submitted: a no-op (the learner's own action asks
    # for the status it has) or a 409 (staff end only a running attempt).
    assert all(isinstance(r, int) or r is AttemptActionNotAllowed for r in results)
    assert Attempt.objects.get(pk=attempt.pk).status == "submitted"
    assert AttemptHistory.objects.filter(attempt=attempt, to_status="submitted").count() == 1
