"""A learner's action with its platform JWT on the lean path (rest/v1/attempt_act_lean.py):
the caller's identity confirmed by the action's own lock, the same answers as the DRF view's,
and the DRF view's answer whenever the lock cannot confirm the caller."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from proctoring.access.models import ExamRules, GateLog
from proctoring.accounts.models import PlatformIdentity
from proctoring.attempts.models import Attempt, AttemptHistory
from proctoring.attempts.services import attempt_create, attempt_update_status
from proctoring.rest.auth_cache import auth_cache
from tests.rest.conftest import COURSE_ID, bearer, mint
from tests.write_shapes import change_kinds, change_statements

pytestmark = pytest.mark.django_db
User = get_user_model()
CLAIMS = {"preferred_username": "zed", "course_roles": {COURSE_ID: "learner"}}
CONTROL = {"BEGIN", "COMMIT", "SAVEPOINT", "RELEASE", "ROLLBACK"}
MOVING = {"server_time", "time_remaining_seconds", "started_at", "deadline_at", "id"}
MOVING |= {"attempt_number"}  # the second attempt of the comparison is number 2


def _post(path, token, **extra):
    return APIClient().post(path, **bearer(token), **extra)


def _learner(token):
    """The token's first request makes its identity and course role (the DRF view)."""
    assert APIClient().get("/api/v1/attempts/active", **bearer(token)).status_code == 200
    return User.objects.get(username="zed")


def _attempt(world, user, status="created"):
    attempt = attempt_create(exam_id=world.exam.pk, user_id=user.pk)
    if status != "created":
        attempt_update_status(exam_id=world.exam.pk, user_id=user.pk, to_status=status)
    return attempt


def _headers(response):
    """The answer's headers but its request id (each request's own)."""
    return {k: v for k, v in response.headers.items() if k != "X-Request-ID"}


def _statements(queries):
    return [q["sql"] for q in queries.captured_queries if q["sql"].split(" ", 1)[0] not in CONTROL]


@pytest.mark.parametrize("action", ["start", "submit"])
def test_a_token_new_to_the_process_costs_no_statement_of_its_own(world, action):
    """Each learner writes once in an exam: its token is new to the process. The lock reads
    its identity's user as a sub-select: 2 statements on PostgreSQL (4 on SQLite), the same
    as with a token the process knows."""
    token = mint("zed-1", **CLAIMS)
    user = _learner(token)
    attempt = _attempt(world, user, "created" if action == "start" else "started")
    auth_cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = _post(f"/api/v1/attempts/{attempt.pk}/{action}", token)
    assert response.status_code == 200, response.json()
    statements = _statements(queries)
    assert len(statements) == 1 + change_statements(), statements
    assert [s.split(" ", 1)[0] for s in statements] == ["SELECT", *change_kinds()]
    assert "accounts_platformidentity" in statements[0]
    assert "FOR UPDATE" in statements[0] or connection.vendor == "sqlite"
    history = AttemptHistory.objects.filter(attempt_id=attempt.pk).last()
    assert history.actor_id == user.pk  # the confirmed caller is the actor


def test_the_lean_answer_is_the_drf_views_answer(world):
    token = mint("zed-1", **CLAIMS)
    user = _learner(token)
    lean_attempt = _attempt(world, user)
    lean = _post(f"/api/v1/attempts/{lean_attempt.pk}/start", token)
    Attempt.objects.filter(pk=lean_attempt.pk).update(archived_at=timezone.now())
    drf_attempt = _attempt(world, user)
    drf = _post(f"/api/v1/attempts/{drf_attempt.pk}/start?via=drf", token)  # a query string
    assert lean.status_code == drf.status_code == 200
    assert list(lean.json()) == list(drf.json())
    assert {k: v for k, v in lean.json().items() if k not in MOVING} == {
        k: v for k, v in drf.json().items() if k not in MOVING
    }
    assert _headers(lean) == _headers(drf)


def test_a_refused_action_gets_the_drf_views_refusal_and_changes_nothing(world):
    token = mint("zed-1", **CLAIMS)
    attempt = _attempt(world, _learner(token))  # created: it cannot be submitted
    lean = _post(f"/api/v1/attempts/{attempt.pk}/submit", token)
    drf = _post(f"/api/v1/attempts/{attempt.pk}/submit?via=drf", token)
    assert lean.status_code == drf.status_code == 409
    assert lean.json() == drf.json()
    assert lean.json()["code"] == "action_not_allowed"
    assert _headers(lean) == _headers(drf)
    assert Attempt.objects.get(pk=attempt.pk).status == "created"
    assert AttemptHistory.objects.filter(attempt_id=attempt.pk).count() == 1  # its creation


def test_a_late_submission_times_out_and_answers_as_the_drf_view(world, settings):
    """The time-out commits even though the submission is refused: once, with the answer the
    DRF view gives."""
    settings.PROCTORING_SUBMIT_GRACE_SECONDS = 5
    token = mint("zed-1", **CLAIMS)
    attempt = _attempt(world, _learner(token), "started")
    past = timezone.now() - timedelta(seconds=30)
    Attempt.objects.filter(pk=attempt.pk).update(deadline_at=past)
    response = _post(f"/api/v1/attempts/{attempt.pk}/submit", token)
    assert response.status_code == 409
    assert response.json()["code"] == "deadline_passed"
    history = AttemptHistory.objects.filter(attempt_id=attempt.pk).last()
    assert (history.to_status, history.cause) == ("submitted", "late submission")
    again = _post(f"/api/v1/attempts/{attempt.pk}/submit?via=drf", token)
    assert again.json() == response.json()


def test_a_first_request_makes_the_identity_through_the_drf_view(world):
    token = mint("zed-1", **CLAIMS)
    assert not PlatformIdentity.objects.exists()
    user = User.objects.create(username="someone-else-first")  # no identity for zed-1 yet
    attempt = _attempt(world, user)
    response = _post(f"/api/v1/attempts/{attempt.pk}/start", token)
    # The identity is made (the DRF view); the attempt is not its: refused, nothing changed.
    assert PlatformIdentity.objects.filter(subject="zed-1").exists()
    assert response.status_code in (403, 404)
    assert Attempt.objects.get(pk=attempt.pk).status == "created"


def test_changed_claims_are_applied_then_the_next_action_is_lean(world):
    token = mint("zed-1", **CLAIMS)
    user = _learner(token)
    attempt = _attempt(world, user)
    renamed = mint("zed-1", **CLAIMS, email="zed@example.org")
    with CaptureQueriesContext(connection) as queries:
        response = _post(f"/api/v1/attempts/{attempt.pk}/start", renamed)
    assert response.status_code == 200, response.json()
    assert User.objects.get(pk=user.pk).email == "zed@example.org"  # synced by the DRF view
    # The lean path's lock, rolled back, then the DRF view: its sync and its own lock.
    assert len(_statements(queries)) > 1 + change_statements()
    auth_cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = _post(f"/api/v1/attempts/{attempt.pk}/submit", renamed)
    assert response.status_code == 200, response.json()
    assert len(_statements(queries)) == 1 + change_statements()


def test_a_user_made_inactive_is_refused_at_once(world):
    token = mint("zed-1", **CLAIMS)
    user = _learner(token)
    attempt = _attempt(world, user)
    User.objects.filter(pk=user.pk).update(is_active=False)  # no signal, no invalidation
    response = _post(f"/api/v1/attempts/{attempt.pk}/start", token)
    assert response.status_code == 401
    assert response.json()["code"] == "user_inactive"
    assert Attempt.objects.get(pk=attempt.pk).status == "created"


def test_another_learners_attempt_and_an_unknown_one_get_the_drf_views_answers(world):
    token = mint("zed-1", **CLAIMS)
    _learner(token)
    theirs = world.attempt  # alice's
    lean = _post(f"/api/v1/attempts/{theirs.pk}/start", token)
    drf = _post(f"/api/v1/attempts/{theirs.pk}/start?via=drf", token)
    assert lean.status_code == drf.status_code and lean.status_code in (403, 404)
    assert lean.json() == drf.json()
    assert Attempt.objects.get(pk=theirs.pk).status == "created"
    unknown = _post(f"/api/v1/attempts/{theirs.pk + 999}/start", token)
    assert unknown.status_code == 404


def test_a_bad_token_is_refused_as_before(world):
    forged = mint("zed-1", key="not-the-secret-but-long-enough-to-sign", **CLAIMS)
    response = _post(f"/api/v1/attempts/{world.attempt.pk}/start", forged)
    assert response.status_code == 401
    assert Attempt.objects.get(pk=world.attempt.pk).status == "created"


def test_a_refusal_at_the_gates_is_logged_once(world):
    token = mint("zed-1", **CLAIMS)
    attempt = _attempt(world, _learner(token))
    ExamRules.objects.create(exam_id=world.exam.pk, opens_at=timezone.now() + timedelta(days=1))
    response = _post(f"/api/v1/attempts/{attempt.pk}/start", token)
    assert response.status_code == 409
    assert response.json()["code"] == "exam_not_open"
    assert list(
        GateLog.objects.filter(attempt_id=attempt.pk).values_list("outcome", flat=True)
    ) == ["exam_not_open"]
    assert Attempt.objects.get(pk=attempt.pk).status == "created"


def test_a_start_with_a_body_goes_through_the_views_serializer(world):
    token = mint("zed-1", **CLAIMS)
    attempt = _attempt(world, _learner(token))
    response = _post(
        f"/api/v1/attempts/{attempt.pk}/start",
        token,
        data='{"access_code": 5}',
        content_type="application/json",
    )
    assert response.status_code == 400  # a number is no access code: the serializer says so
    assert Attempt.objects.get(pk=attempt.pk).status == "created"
