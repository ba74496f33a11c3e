"""A vendor that is down, slow or failing never leaves half a state: the learner gets a 503
(unreachable, timed out) or a 502 (refused) with a code, the attempt stays ``created`` without
the vendor's id, the error is recorded; what the outbox tells the vendor waits and is tried
again."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from proctoring.attempts.models import Attempt
from proctoring.exams.models import Exam
from proctoring.outbox.delivery import outbox_deliver
from proctoring.outbox.models import Subscription
from proctoring.providers.models import ProviderEvent
from proctoring.providers.services import exam_register, provider_of_exam
from tests.conftest import committed
from tests.providers.conftest import ALIAS


@pytest.fixture
def learner_api(enrolled_learner):
    client = APIClient()
    client.force_authenticate(user=enrolled_learner)
    return client


@pytest.fixture
def registered_exam(proctored_exam, simulator):
    exam = Exam.objects.select_related("course").get(pk=proctored_exam.pk)
    exam_register(exam=exam, provider=provider_of_exam(exam))
    return exam


def create(api, exam, **extra):
    body = {"exam_id": exam.pk, "taking_as_proctored": True, **extra}
    return api.post("/api/v1/attempts", body, format="json")


@pytest.mark.parametrize(
    ("mode", "status", "code", "outcome"),
    [
        ("down", 503, "provider_unavailable", "unavailable"),
        ("slow", 503, "provider_unavailable", "unavailable"),
        ("error", 502, "provider_error", "error"),
    ],
)
def test_a_failing_vendor_leaves_the_attempt_created_and_says_why(
    learner_api, registered_exam, simulator, mode, status, code, outcome
):
    simulator.state.mode = mode
    response = create(learner_api, registered_exam)
    assert response.status_code == status, response.json()
    body = response.json()
    assert body["code"] == code and body["detail"]
    if status == 503:
        assert response["Retry-After"] == "30"
    attempt = Attempt.objects.get(exam=registered_exam)
    assert attempt.status == "created" and attempt.external_id is None
    event = ProviderEvent.objects.get(attempt=attempt, operation="attempt_create")
    assert (event.alias, event.outcome) == (ALIAS, outcome)
    assert event.message


def test_asking_again_once_the_vendor_is_back_registers_the_attempt(
    learner_api, registered_exam, simulator
):
    simulator.state.mode = "down"
    assert create(learner_api, registered_exam).status_code == 503
    simulator.state.mode = "ok"
    again = create(learner_api, registered_exam)
    assert again.status_code == 201, again.json()
    attempt = Attempt.objects.get(exam=registered_exam)
    assert attempt.external_id in simulator.state.attempts
    assert again.json()["id"] == attempt.pk
    # Registered now, the attempt exists: asking a third time is the usual conflict.
    assert create(learner_api, registered_exam).status_code == 409


def test_a_start_asked_with_the_creation_waits_for_the_vendor(
    learner_api, registered_exam, simulator
):
    simulator.state.mode = "down"
    assert create(learner_api, registered_exam, start=True).status_code == 503
    assert Attempt.objects.get(exam=registered_exam).status == "created"
    simulator.state.mode = "ok"
    response = create(learner_api, registered_exam, start=True)
    assert response.status_code == 201
    assert response.json()["status"] == "started"


def test_an_exam_is_registered_with_the_vendor_once_it_is_back(proctored_exam, simulator):
    from proctoring.exams.services import exam_update

    simulator.state.mode = "down"
    with committed():
        exam_update(exam_id=proctored_exam.pk, exam_name="Final exam")
    providers = Subscription.objects.get(name="providers")
    assert providers.failures == 1 and providers.next_attempt_at is not None
    assert Exam.objects.get(pk=proctored_exam.pk).external_id is None

    simulator.state.mode = "ok"
    Subscription.objects.filter(pk=providers.pk).update(next_attempt_at=None)
    outbox_deliver()
    exam = Exam.objects.get(pk=proctored_exam.pk)
    assert (exam.external_id, exam.backend) == ("exam-1", ALIAS)
    assert simulator.state.exams["exam-1"]["name"] == "Final exam"


def test_the_vendor_hears_of_a_start_once_it_is_back(learner_api, registered_exam, simulator):
    attempt_id = create(learner_api, registered_exam).json()["id"]
    attempt = Attempt.objects.get(pk=attempt_id)
    simulator.state.mode = "down"
    with committed():
        started = learner_api.post(f"/api/v1/attempts/{attempt_id}/start")
    assert started.status_code == 200  # the learner's start does not wait for the vendor
    assert simulator.state.attempts[attempt.external_id]["status"] == "created"
    assert Subscription.objects.get(name="providers").failures == 1

    simulator.state.mode = "ok"
    Subscription.objects.filter(name="providers").update(next_attempt_at=None)
    outbox_deliver()
    assert simulator.state.attempts[attempt.external_id]["status"] == "started"


def test_a_call_the_vendor_refuses_is_recorded_and_not_held(
    learner_api, registered_exam, simulator
):
    attempt_id = create(learner_api, registered_exam).json()["id"]
    Attempt.objects.filter(pk=attempt_id).update(external_id="unknown-to-the-vendor")
    with committed():
        learner_api.post(f"/api/v1/attempts/{attempt_id}/start")
    refused = ProviderEvent.objects.get(attempt_id=attempt_id, operation="attempt_start")
    assert refused.outcome == "error"
    providers = Subscription.objects.get(name="providers")
    assert providers.failures == 0  # not retried: the next events are not held back


def test_an_exam_of_an_unconfigured_provider_cannot_be_taken_as_proctored(
    learner_api, proctored_exam
):
    Exam.objects.filter(pk=proctored_exam.pk).update(backend="nobody")
    response = create(learner_api, proctored_exam)
    assert response.status_code == 502
    assert response.json()["code"] == "provider_error"
    assert "'nobody' is not configured" in response.json()["detail"]
    assert not Attempt.objects.filter(exam=proctored_exam).exists()


def test_the_vendor_receives_the_exams_review_policy_with_each_attempt(
    learner_api, registered_exam, simulator
):
    """The exam's review policy text goes to the vendor with the attempt (the reference's
    ``review_policy``); an exam without one sends none."""
    from proctoring.reviews.policies import review_policy_set

    text = "Notes on paper are allowed; no second screen."
    review_policy_set(
        exam_id=registered_exam.pk, text=text, on_violation="rejected", on_suspicious="verified"
    )
    assert create(learner_api, registered_exam).status_code == 201
    attempt = Attempt.objects.get(exam=registered_exam)
    assert simulator.state.attempts[attempt.external_id]["review_policy"] == text


def test_an_exam_without_a_review_policy_sends_none(learner_api, registered_exam, simulator):
    assert create(learner_api, registered_exam).status_code == 201
    attempt = Attempt.objects.get(exam=registered_exam)
    assert "review_policy" not in simulator.state.attempts[attempt.external_id]
