"""The whole proctored life against the simulated vendor, over real HTTP both ways: the exam
registered, the attempt created at the vendor, the vendor's ``ready``, the start and the
submission told to the vendor, its review, and the verdict's credit and email."""

from __future__ import annotations

import pytest
import requests
from django.core import mail

from proctoring.accounts.services import api_key_create
from proctoring.attempts.models import Attempt
from proctoring.credit.models import CreditRequirementStatus
from proctoring.exams.models import Exam
from proctoring.outbox.delivery import outbox_deliver
from proctoring.providers.models import ProviderEvent
from tests.factories import CourseFactory
from tests.providers.conftest import ALIAS, COURSE_ID, WEBHOOK_SECRET
from tests.rest.conftest import JWT_AUDIENCE, JWT_ISSUER, JWT_SECRET, mint

REFERENCE = "/api/edx_proctoring/v1/proctored_exam/attempt"


@pytest.fixture
def jwt_settings(settings):
    settings.PROCTORING_JWT_SECRET = JWT_SECRET
    settings.PROCTORING_JWT_ISSUER = JWT_ISSUER
    settings.PROCTORING_JWT_AUDIENCE = JWT_AUDIENCE
    settings.PROCTORING_JWT_JWKS_URL = ""
    return settings


class Service:
    """The service at the live server, as a platform and a learner call it."""

    def __init__(self, url: str, platform_key: str) -> None:
        self.url = url
        self.platform = {"Authorization": f"Api-Key {platform_key}"}
        token = mint(
            "lena-1",
            preferred_username="lena",
            email="lena@example.org",
            course_roles={COURSE_ID: "learner"},
        )
        self.learner = {"Authorization": f"Bearer {token}"}

    def post(self, path: str, body: dict | None = None, *, as_: dict) -> requests.Response:
        return requests.post(f"{self.url}{path}", json=body or {}, headers=as_, timeout=10)

    def get(self, path: str, *, as_: dict) -> requests.Response:
        return requests.get(f"{self.url}{path}", headers=as_, timeout=10)


@pytest.fixture
def service(live_server, vendor_settings, jwt_settings):
    CourseFactory(course_id=COURSE_ID, provider=ALIAS)
    return Service(live_server.url, api_key_create(name="lms")[1])


@pytest.mark.parametrize(
    ("verdict", "final", "credit"),
    [("passed", "verified", "satisfied"), ("violation", "rejected", "failed")],
)
def test_the_whole_proctored_life_runs_against_the_vendor(
    service, simulator, verdict, final, credit
):
    vendor = simulator.state
    # The platform creates the exam; the outbox registers it with the vendor.
    created = service.post(
        f"/api/v1/courses/{COURSE_ID}/exams",
        {"content_id": "final", "exam_name": "Final", "time_limit_mins": 60},
        as_=service.platform,
    )
    assert created.status_code == 201, created.text
    outbox_deliver()
    exam = Exam.objects.get(pk=created.json()["id"])
    assert (exam.external_id, exam.backend) == ("exam-1", ALIAS)
    assert vendor.exams["exam-1"]["name"] == "Final"

    # The learner creates a proctored attempt: the vendor registers it.
    attempt_answer = service.post(
        "/api/v1/attempts", {"exam_id": exam.pk, "taking_as_proctored": True}, as_=service.learner
    )
    assert attempt_answer.status_code == 201, attempt_answer.text
    attempt = Attempt.objects.get(pk=attempt_answer.json()["id"])
    assert attempt.external_id in vendor.attempts
    assert vendor.attempts[attempt.external_id]["status"] == "created"

    # The learner's page gets the vendor's software link and worker.
    info = service.get(f"/api/v1/attempts/{attempt.pk}/provider", as_=service.learner).json()
    assert info["download_url"] == f"https://vendor.example/download?attempt={attempt.external_id}"
    assert info["worker"] == {"url": "https://vendor.example/worker.js", "ping_interval": 30}

    # The vendor's software runs: it says the learner is ready.
    ready = simulator.callback(
        service.url,
        f"{REFERENCE}/{attempt.external_id}/ready",
        {"status": "ready"},
        secret=WEBHOOK_SECRET,
    )
    assert ready.status_code == 200, ready.text
    assert ready.json()["attempt_status"] == "ready_to_start"

    # Start and submit; the vendor hears of both after their commit.
    started = service.post(f"/api/v1/attempts/{attempt.pk}/start", as_=service.learner)
    assert started.json()["status"] == "started"
    outbox_deliver()
    assert vendor.attempts[attempt.external_id]["status"] == "started"
    submitted = service.post(f"/api/v1/attempts/{attempt.pk}/submit", as_=service.learner)
    assert submitted.json()["status"] == "submitted"
    outbox_deliver()
    assert vendor.attempts[attempt.external_id]["status"] == "submitted"

    # The vendor's review decides; credit and the learner's email follow.
    reviewed = simulator.callback(
        service.url,
        f"/api/v1/providers/{ALIAS}/attempts/{attempt.external_id}/reviewed",
        {"status": verdict, "comments": [], "reviewed_by": "reviewer@vendor.example"},
        secret=WEBHOOK_SECRET,
    )
    assert reviewed.status_code == 200, reviewed.text
    assert reviewed.json()["attempt_status"] == final
    outbox_deliver()
    attempt.refresh_from_db()
    assert attempt.status == final
    status = CreditRequirementStatus.objects.get(user_id=attempt.user_id, req_name="final")
    assert status.status == credit
    subjects = [message.subject for message in mail.outbox]
    assert len(subjects) == 2  # submitted, then the verdict
    assert all(message.to == ["lena@example.org"] for message in mail.outbox)
    operations = list(
        ProviderEvent.objects.filter(attempt=attempt).values_list("operation", "outcome")
    )
    assert ("attempt_create", "ok") in operations
    assert ("attempt_start", "ok") in operations and ("attempt_submit", "ok") in operations


def test_a_learner_the_vendor_has_not_onboarded_gets_the_onboarding_status(service, simulator):
    simulator.state.onboarding = {}
    created = service.post(
        f"/api/v1/courses/{COURSE_ID}/exams",
        {"content_id": "final", "exam_name": "Final", "time_limit_mins": 60},
        as_=service.platform,
    )
    outbox_deliver()
    from proctoring.providers.services import obscured_user_id

    # The learner's user exists once it has called; its id at the vendor is obscured.
    service.get("/api/v1/attempts/active", as_=service.learner)
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(username="lena")
    simulator.state.onboarding[obscured_user_id(user_id=user.pk, alias=ALIAS)] = (
        "onboarding_missing"
    )
    answer = service.post(
        "/api/v1/attempts",
        {"exam_id": created.json()["id"], "taking_as_proctored": True},
        as_=service.learner,
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["status"] == "onboarding_missing"
    attempt = Attempt.objects.get(pk=answer.json()["id"])
    assert attempt.external_id is None
    assert attempt.history.last().cause == f"provider:{ALIAS}"


def test_forged_expired_and_replayed_callbacks_are_refused_over_http(service, simulator):
    from datetime import UTC, datetime, timedelta

    from proctoring.attempts.services import attempt_create
    from tests.factories import ExamFactory, UserFactory

    exam = ExamFactory(course_id=COURSE_ID, content_id="quiz", backend=ALIAS, external_id="e-9")
    attempt = attempt_create(
        exam_id=exam.pk, user_id=UserFactory(username="hugo").pk, taking_as_proctored=True
    )
    Attempt.objects.filter(pk=attempt.pk).update(external_id="att-9")
    path = f"{REFERENCE}/att-9/ready"
    forged = simulator.callback(service.url, path, {}, secret="whsec_" + "Zm9yZ2VkIQ==" * 3)
    assert (forged.status_code, forged.json()["code"]) == (401, "invalid_signature")
    old = datetime.now(UTC) - timedelta(minutes=6)
    expired = simulator.callback(service.url, path, {}, secret=WEBHOOK_SECRET, timestamp=old)
    assert (expired.status_code, expired.json()["code"]) == (401, "callback_expired")
    anonymous = simulator.callback(service.url, path, {})
    assert anonymous.status_code == 401
    assert Attempt.objects.get(pk=attempt.pk).status == "created"

    first = simulator.callback(service.url, path, {}, secret=WEBHOOK_SECRET, message_id="m-1")
    assert first.status_code == 200
    replay = simulator.callback(service.url, path, {}, secret=WEBHOOK_SECRET, message_id="m-1")
    assert (replay.status_code, replay.json()["code"]) == (409, "callback_replayed")
