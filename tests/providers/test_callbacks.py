"""Callbacks from providers: who may call, what ``ready`` and ``reviewed`` do, and what is
refused (anonymous, forged, expired, replayed, another provider's attempt, unknown ids)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from proctoring.accounts.services import api_key_create
from proctoring.attempts.models import Attempt, AttemptHistory
from proctoring.attempts.services import attempt_create
from proctoring.providers.models import CallbackMessage
from proctoring.reviews.models import Review
from tests.factories import CourseFactory, ExamFactory, UserFactory
from tests.providers.conftest import ALIAS, OTHER_ALIAS, OTHER_SECRET, signed

REFERENCE = "/api/edx_proctoring/v1/proctored_exam/attempt"


def ours(external_id: str, what: str, alias: str = ALIAS) -> str:
    return f"/api/v1/providers/{alias}/attempts/{external_id}/{what}"


@pytest.fixture
def api():
    return APIClient()


def make_attempt(exam, user, *, external_id="att-1", status="created") -> Attempt:
    attempt = attempt_create(exam_id=exam.pk, user_id=user.pk, taking_as_proctored=True)
    Attempt.objects.filter(pk=attempt.pk).update(external_id=external_id, status=status)
    attempt.refresh_from_db()
    return attempt


@pytest.fixture
def attempt(proctored_exam, enrolled_learner):
    proctored_exam.backend = ALIAS
    proctored_exam.external_id = "exam-1"
    proctored_exam.save()
    return make_attempt(proctored_exam, enrolled_learner)


def post_signed(api, path, payload, **signing):
    body, headers = signed(payload, **signing)
    return api.post(path, data=body, content_type="application/json", **headers)


@pytest.mark.parametrize("path", [f"{REFERENCE}/att-1/ready", ours("att-1", "ready")])
def test_a_signed_ready_makes_the_attempt_ready_to_start(api, attempt, path):
    response = post_signed(api, path, {"status": "ready"})
    assert response.status_code == 200, response.json()
    assert response.json()["attempt_status"] == "ready_to_start"
    attempt.refresh_from_db()
    assert attempt.status == "ready_to_start"
    history = AttemptHistory.objects.filter(attempt=attempt).last()
    assert history is not None and history.cause == f"provider:{ALIAS}:ready"


def test_ready_again_changes_nothing(api, attempt):
    assert post_signed(api, ours("att-1", "ready"), {}).status_code == 200
    again = post_signed(api, ours("att-1", "ready"), {})
    assert again.status_code == 200
    assert again.json()["attempt_status"] == "ready_to_start"
    assert AttemptHistory.objects.filter(attempt=attempt, to_status="ready_to_start").count() == 1


def test_ready_for_a_started_attempt_leaves_it_started(api, proctored_exam, enrolled_learner):
    started = make_attempt(proctored_exam, enrolled_learner, status="started")
    proctored_exam.backend = ALIAS
    proctored_exam.save()
    assert post_signed(api, ours("att-1", "ready"), {}).json()["attempt_status"] == "started"
    started.refresh_from_db()
    assert started.status == "started"


def test_a_service_account_of_the_provider_may_call_back_with_its_api_key(
    api, attempt, provider_key
):
    response = api.post(
        f"{REFERENCE}/att-1/ready", {}, format="json", HTTP_AUTHORIZATION=f"Api-Key {provider_key}"
    )
    assert response.status_code == 200, response.json()
    attempt.refresh_from_db()
    assert attempt.status == "ready_to_start"


def test_a_platforms_api_key_is_no_provider(api, attempt):
    key = api_key_create(name="lms")[1]
    response = api.post(
        f"{REFERENCE}/att-1/ready", {}, format="json", HTTP_AUTHORIZATION=f"Api-Key {key}"
    )
    assert response.status_code == 403
    assert response.json()["code"] == "not_a_provider"


def test_a_providers_api_key_is_not_a_platforms(api, attempt, provider_key):
    """A vendor's service account cannot act as the platform (global staff) elsewhere."""
    response = api.get(
        f"/api/v1/courses/{attempt.exam.course_id}/attempts",
        HTTP_AUTHORIZATION=f"Api-Key {provider_key}",
    )
    assert response.status_code == 403


def test_anonymous_callbacks_are_refused(api, attempt):
    response = api.post(f"{REFERENCE}/att-1/ready", {"status": "ready"}, format="json")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    response = api.post(ours("att-1", "reviewed"), {"status": "passed"}, format="json")
    assert response.status_code == 401
    attempt.refresh_from_db()
    assert attempt.status == "created"


def test_a_forged_signature_is_refused(api, attempt):
    body, headers = signed({"status": "ready"}, secret="whsec_" + "Zm9yZ2VkLXNlY3JldA==")
    response = api.post(
        f"{REFERENCE}/att-1/ready", data=body, content_type="application/json", **headers
    )
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_signature"


def test_a_body_changed_after_signing_is_refused(api, attempt):
    _, headers = signed({"status": "passed"})
    tampered = json.dumps({"status": "violation"})
    response = api.post(
        ours("att-1", "reviewed"), data=tampered, content_type="application/json", **headers
    )
    assert response.status_code == 401
    assert not Review.objects.exists()


def test_an_expired_message_is_refused(api, attempt):
    old = datetime.now(UTC) - timedelta(minutes=10)
    response = post_signed(api, ours("att-1", "ready"), {}, timestamp=old)
    assert response.status_code == 401
    assert response.json()["code"] == "callback_expired"
    attempt.refresh_from_db()
    assert attempt.status == "created"


def test_a_replayed_message_is_refused_and_does_nothing_twice(api, attempt):
    body, headers = signed({"status": "ready"}, message_id="msg_once")
    first = api.post(ours("att-1", "ready"), data=body, content_type="application/json", **headers)
    assert first.status_code == 200
    again = api.post(ours("att-1", "ready"), data=body, content_type="application/json", **headers)
    assert again.status_code == 409
    assert again.json()["code"] == "callback_replayed"
    assert CallbackMessage.objects.filter(alias=ALIAS, message_id="msg_once").count() == 1


def test_a_message_that_failed_may_be_sent_again(api, attempt):
    """Its id is not kept when the callback could not be processed (the vendor retries)."""
    assert post_signed(api, ours("nope", "ready"), {}, message_id="msg_x").status_code == 404
    assert post_signed(api, ours("att-1", "ready"), {}, message_id="msg_x").status_code == 200


def test_an_unknown_external_id_is_not_found(api, attempt):
    response = post_signed(api, f"{REFERENCE}/unknown/ready", {})
    assert response.status_code == 404
    assert response.json()["code"] == "attempt_not_found"


def test_another_providers_attempt_is_refused(api, attempt):
    response = post_signed(api, f"{REFERENCE}/att-1/ready", {}, secret=OTHER_SECRET)
    assert response.status_code == 403
    assert response.json()["code"] == "review_provider_mismatch"
    response = post_signed(
        api, f"{REFERENCE}/att-1/reviewed", {"status": "passed"}, secret=OTHER_SECRET
    )
    assert response.status_code == 403
    attempt.refresh_from_db()
    assert attempt.status == "created"


def test_our_path_names_the_provider_that_signs(api, attempt):
    """globex's signature does not open acme's path, nor the reverse."""
    response = post_signed(api, ours("att-1", "ready", alias=OTHER_ALIAS), {})
    assert response.status_code == 401  # checked with globex's secret: not its signature
    response = post_signed(api, ours("att-1", "ready"), {}, secret=OTHER_SECRET)
    assert response.status_code == 401
    response = post_signed(api, ours("att-1", "ready", alias="nobody"), {})
    assert response.status_code == 401


def test_a_service_account_of_another_provider_is_refused_on_our_path(api, attempt, provider_key):
    response = api.post(
        ours("att-1", "ready", alias=OTHER_ALIAS),
        {},
        format="json",
        HTTP_AUTHORIZATION=f"Api-Key {provider_key}",
    )
    assert response.status_code == 403
    assert response.json()["code"] == "callback_wrong_provider"


def test_an_unknown_alias_in_our_path_is_not_found(api, attempt, provider_key):
    response = api.post(
        ours("att-1", "ready", alias="nobody"),
        {},
        format="json",
        HTTP_AUTHORIZATION=f"Api-Key {provider_key}",
    )
    assert response.status_code == 404
    assert response.json()["code"] == "provider_not_found"


@pytest.mark.parametrize(
    "body", ["not json", "[1, 2]", json.dumps({"status": "great"}), json.dumps({"status": 3})]
)
def test_a_malformed_review_is_a_400(api, attempt, body):
    Attempt.objects.filter(pk=attempt.pk).update(status="submitted")
    from standardwebhooks.webhooks import Webhook

    from tests.providers.conftest import WEBHOOK_SECRET

    moment = datetime.now(UTC)
    headers = {
        "HTTP_WEBHOOK_ID": "msg_bad",
        "HTTP_WEBHOOK_TIMESTAMP": str(int(moment.timestamp())),
        "HTTP_WEBHOOK_SIGNATURE": Webhook(WEBHOOK_SECRET).sign("msg_bad", moment, body),
    }
    response = api.post(
        ours("att-1", "reviewed"), data=body, content_type="application/json", **headers
    )
    assert response.status_code == 400, response.json()
    assert response.json()["code"] in {"parse_error", "invalid_callback"}
    assert not Review.objects.exists()


@pytest.mark.parametrize(
    ("verdict", "expected"), [("passed", "verified"), ("violation", "rejected")]
)
def test_a_review_of_a_submitted_attempt_decides_it(api, attempt, verdict, expected):
    Attempt.objects.filter(pk=attempt.pk).update(status="submitted")
    payload = {
        "status": verdict,
        "comments": [{"comment": "Looked away", "status": "ok", "start": 5, "stop": 9}],
        "reviewed_by": "reviewer@vendor.example",
        "videoReviewLink": "https://vendor.example/video/1",
    }
    response = post_signed(api, f"{REFERENCE}/att-1/reviewed", payload)
    assert response.status_code == 200, response.json()
    assert response.json()["attempt_status"] == expected
    review = Review.objects.get(attempt=attempt)
    assert review.provider == ALIAS and review.review_status == verdict
    assert review.video_url == "https://vendor.example/video/1"
    assert "videoReviewLink" not in review.raw
    assert review.comments[0]["comment"] == "Looked away"
    assert review.comments[0]["start_seconds"] == 5.0


def test_a_second_review_request_is_passed_on(api, attempt):
    Attempt.objects.filter(pk=attempt.pk).update(status="submitted")
    payload = {"status": "passed", "second_review_required": True}
    response = post_signed(api, ours("att-1", "reviewed"), payload)
    assert response.json()["attempt_status"] == "second_review_required"


def test_the_same_review_sent_again_with_a_new_message_is_idempotent(api, attempt):
    Attempt.objects.filter(pk=attempt.pk).update(status="submitted")
    first = post_signed(api, ours("att-1", "reviewed"), {"status": "passed"})
    again = post_signed(api, ours("att-1", "reviewed"), {"status": "passed"})
    assert again.status_code == 200
    assert again.json()["duplicate"] is True
    assert again.json()["review_id"] == first.json()["review_id"]
    assert Review.objects.filter(attempt=attempt).count() == 1


CONTROL = {"BEGIN", "COMMIT", "SAVEPOINT", "RELEASE", "ROLLBACK"}


@pytest.mark.parametrize("auth", ["signature", "api_key"])
def test_a_review_callback_is_at_most_6_statements(api, db, vendor_settings, auth):
    """Authentication included (transaction control statements are not counted)."""
    course = CourseFactory(course_id="course-v1:Acme+Budget+1", provider=ALIAS)
    exam = ExamFactory(course=course, backend=ALIAS, external_id="exam-b")
    learner = UserFactory(username="budget")
    attempt = make_attempt(exam, learner, external_id="att-b", status="submitted")
    key = api_key_create(name="acme")[1]
    with CaptureQueriesContext(connection) as queries:
        if auth == "signature":
            response = post_signed(api, ours("att-b", "reviewed"), {"status": "passed"})
        else:
            response = api.post(
                ours("att-b", "reviewed"),
                {"status": "passed"},
                format="json",
                HTTP_AUTHORIZATION=f"Api-Key {key}",
            )
    assert response.status_code == 200, response.json()
    statements = [
        q["sql"] for q in queries.captured_queries if q["sql"].split(" ")[0] not in CONTROL
    ]
    assert len(statements) <= 6, statements
    attempt.refresh_from_db()
    assert attempt.status == "verified"
