"""Writes over HTTP with a JWT: at most 4 statements and the commit, authentication and
authorization included, once the caller's token is known to the process (auth_cache)."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from proctoring.attempts.models import Attempt, AttemptHistory
from proctoring.attempts.services import attempt_create, attempt_update_status
from tests.rest.conftest import COURSE_ID, OTHER_COURSE_ID, bearer, mint

pytestmark = pytest.mark.django_db
CONTROL = {"BEGIN", "COMMIT", "SAVEPOINT", "RELEASE", "ROLLBACK"}


def _statements(queries):
    return [q["sql"] for q in queries.captured_queries if q["sql"].split(" ", 1)[0] not in CONTROL]


def _post(path, token, body=None):
    return APIClient().post(path, body, format="json", **bearer(token))


def _submitted(world):
    attempt_update_status(exam_id=world.exam.pk, user_id=world.learner.pk, to_status="started")
    attempt_update_status(exam_id=world.exam.pk, user_id=world.learner.pk, to_status="submitted")
    return world.attempt.pk


def _known(token):
    """The token's first request: its identity and course role are made and kept."""
    assert APIClient().get("/api/v1/attempts/active", **bearer(token)).status_code == 200


def test_a_learners_start_is_7_statements(world):
    token = mint("zed-1", preferred_username="zed", course_roles={COURSE_ID: "learner"})
    _known(token)
    user_id = get_user_model().objects.get(username="zed").pk
    attempt = attempt_create(exam_id=world.exam.pk, user_id=user_id)
    with CaptureQueriesContext(connection) as queries:
        response = _post(f"/api/v1/attempts/{attempt.pk}/start", token)
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "started"
    statements = _statements(queries)
    # The access gates' reads (issue 15: the attempt, the exam's rules, the learner's
    # allowances for its window), then the lock (with allowances), UPDATE, history, event.
    assert len(statements) == 7, statements
    assert "FOR UPDATE" in statements[3] or connection.vendor == "sqlite"


@pytest.mark.parametrize("verdict", ["verified", "rejected"])
def test_a_staff_review_is_5_statements(world, verdict):
    attempt_id = _submitted(world)
    token = mint("boss-1", preferred_username="boss", course_roles={COURSE_ID: "staff"})
    _known(token)
    _post(f"/api/v1/attempts/{attempt_id}/review", token, {"status": "bogus"})  # role kept
    with CaptureQueriesContext(connection) as queries:
        response = _post(f"/api/v1/attempts/{attempt_id}/review", token, {"status": verdict})
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == verdict
    statements = _statements(queries)
    # lock, the review record (issue 10), UPDATE, history, event
    assert len(statements) == 5, statements
    assert "FOR UPDATE" in statements[0] or connection.vendor == "sqlite"


def test_staff_of_another_course_are_refused_and_nothing_changes(world):
    attempt_id = _submitted(world)
    token = mint("other-1", preferred_username="other", course_roles={OTHER_COURSE_ID: "staff"})
    history = AttemptHistory.objects.count()
    for body in ({"status": "verified"}, {"status": "bogus"}, {}):
        response = _post(f"/api/v1/attempts/{attempt_id}/review", token, body)
        assert response.status_code == 403, body
        assert response.json()["code"] == "not_course_staff"
    assert Attempt.objects.get(pk=attempt_id).status == "submitted"
    assert AttemptHistory.objects.count() == history


def test_an_unknown_attempt_is_a_404_and_a_bad_verdict_a_400(world):
    attempt_id = _submitted(world)
    token = mint("boss-1", preferred_username="boss", course_roles={COURSE_ID: "staff"})
    response = _post(f"/api/v1/attempts/{attempt_id + 99}/review", token, {"status": "verified"})
    assert response.status_code == 404
    response = _post(f"/api/v1/attempts/{attempt_id}/review", token, {"status": "bogus"})
    assert response.status_code == 400
    assert Attempt.objects.get(pk=attempt_id).status == "submitted"
