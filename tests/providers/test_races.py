"""Provider calls happen outside any transaction; the vendor's ``ready`` and the learner's
start race safely; one message id is taken once even by two deliveries at the same moment."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection
from rest_framework.test import APIClient

from proctoring.attempts import actions
from proctoring.attempts.models import Attempt, AttemptHistory
from proctoring.attempts.services import attempt_create
from proctoring.exceptions import CallbackReplayed
from proctoring.outbox.delivery import outbox_deliver
from proctoring.providers.callbacks import (
    ProviderCaller,
    callback_message_remember,
    callback_ready,
)
from proctoring.providers.models import CallbackMessage
from tests.attempts.threads import run_together
from tests.factories import CourseFactory, CourseRoleFactory, ExamFactory, UserFactory
from tests.providers.fakes import RecordingProvider


def _in_memory_sqlite() -> bool:
    database = settings.DATABASES["default"]
    return connection.vendor == "sqlite" and str(database["NAME"]).startswith(":memory:")


pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        _in_memory_sqlite(), reason="threads need a database file on SQLite, not :memory:"
    ),
]


@pytest.fixture
def recorded(settings):
    settings.PROCTORING_BACKENDS = {
        "DEFAULT": "null",
        "null": {},
        "rec": {"CLASS": "tests.providers.fakes.RecordingProvider"},
    }
    RecordingProvider.calls.clear()
    course = CourseFactory(course_id="course-v1:Rec+X+1", provider="rec")
    learner = UserFactory(username="rita")
    CourseRoleFactory(user=learner, course=course, role="learner")
    return ExamFactory(course=course, content_id="final"), learner


def test_every_provider_call_runs_outside_any_transaction(recorded):
    exam, learner = recorded  # not registered yet: the attempt's creation registers it first
    api = APIClient()
    api.force_authenticate(user=learner)
    created = api.post(
        "/api/v1/attempts", {"exam_id": exam.pk, "taking_as_proctored": True}, format="json"
    )
    assert created.status_code == 201, created.json()
    attempt_id = created.json()["id"]
    assert Attempt.objects.get(pk=attempt_id).external_id == f"rec-{attempt_id}"
    api.post(f"/api/v1/attempts/{attempt_id}/start")
    api.post(f"/api/v1/attempts/{attempt_id}/submit")
    outbox_deliver()
    operations = [operation for operation, _ in RecordingProvider.calls]
    assert operations == [
        "exam_register",
        "attempt_create",
        "attempt_start",
        "attempt_submit",
    ]
    assert not any(in_transaction for _, in_transaction in RecordingProvider.calls)


def test_ready_and_start_at_the_same_moment_end_started(recorded):
    exam, learner = recorded
    for _ in range(4):
        attempt = attempt_create(exam_id=exam.pk, user_id=learner.pk, taking_as_proctored=True)
        jobs = [
            lambda a=attempt: callback_ready(alias="rec", attempt=a),
            lambda a=attempt: actions.attempt_act(
                attempt_id=a.pk, action="start", actor_id=learner.pk
            ),
        ]
        run_together(lambda jobs=jobs: jobs.pop()())
        attempt.refresh_from_db()
        assert attempt.status == "started"
        moves = list(
            AttemptHistory.objects.filter(attempt=attempt).values_list("from_status", "to_status")
        )
        assert moves in (
            [("", "created"), ("created", "ready_to_start"), ("ready_to_start", "started")],
            [("", "created"), ("created", "started")],
        )
        actions.attempt_reset(attempt_id=attempt.pk, actor_id=None)


def test_one_message_id_is_taken_once_by_two_deliveries_at_once(db):
    caller = ProviderCaller(alias="acme", message_id="msg_race")

    def deliver() -> str:
        try:
            callback_message_remember(caller=caller)
        except CallbackReplayed:
            return "replayed"
        return "taken"

    assert sorted(run_together(deliver, copies=4)) == ["replayed", "replayed", "replayed", "taken"]
    assert CallbackMessage.objects.filter(message_id="msg_race").count() == 1
