"""Writes over HTTP with a JWT: at most 4 statements and the commit, authentication and
authorization included, once the caller's token is known to the process (auth_cache).

A change's UPDATE, history and event rows are one statement on PostgreSQL and three on
SQLite (tests/write_shapes.py): a start or a submit is 2 statements on PostgreSQL, 4 on
SQLite; a staff review 2 on PostgreSQL (its record's id read by the lock, its INSERT in the
change's statement), 5 on SQLite."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from proctoring.access.models import AttemptSession, GateLog
from proctoring.attempts.models import Attempt, AttemptHistory
from proctoring.attempts.services import attempt_create, attempt_update_status
from proctoring.outbox.models import Event
from proctoring.reviews.models import Review
from tests.rest.conftest import COURSE_ID, OTHER_COURSE_ID, bearer, client_for, mint
from tests.write_shapes import change_kinds, change_statements, joined

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


def test_a_learners_start_is_2_statements_on_postgresql_4_on_sqlite(world):
    token = mint("zed-1", preferred_username="zed", course_roles={COURSE_ID: "learner"})
    _known(token)
    user_id = get_user_model().objects.get(username="zed").pk
    attempt = attempt_create(exam_id=world.exam.pk, user_id=user_id)
    with CaptureQueriesContext(connection) as queries:
        response = _post(f"/api/v1/attempts/{attempt.pk}/start", token)
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "started"
    statements = _statements(queries)
    # The lock, with what the access gates read (the exam's rules, the learner's window,
    # allowances and release), then the UPDATE, history and event: no read before the lock.
    assert len(statements) == 1 + change_statements(), statements
    assert len(statements) <= 4
    assert "FOR UPDATE" in statements[0] or connection.vendor == "sqlite"
    assert [s.split(" ", 1)[0] for s in statements] == ["SELECT", *change_kinds()]


def _rules(world, **body):
    staff = client_for(world, "staff")
    path = f"/api/v1/courses/{COURSE_ID}/exams/{world.exam.pk}/access"
    assert staff.patch(path, body, format="json").status_code == 200


def test_a_start_through_gates_reads_nothing_but_the_lock(world):
    """An exam with rules (an opening time, a release, one browser session): the gates read
    what they need from the locking statement; the start writes the binding and the log."""
    _rules(world, opens_at="2020-01-01T00:00:00Z", requires_release=True, one_session=True)
    staff = client_for(world, "staff")
    release = f"/api/v1/courses/{COURSE_ID}/exams/{world.exam.pk}/release"
    assert staff.post(release, {}, format="json").status_code == 200
    token = mint("zed-1", preferred_username="zed", course_roles={COURSE_ID: "learner"})
    _known(token)
    user_id = get_user_model().objects.get(username="zed").pk
    attempt = attempt_create(exam_id=world.exam.pk, user_id=user_id)
    with CaptureQueriesContext(connection) as queries:
        response = APIClient().post(
            f"/api/v1/attempts/{attempt.pk}/start",
            {},
            format="json",
            HTTP_X_EXAM_SESSION="browser-1",
            **bearer(token),
        )
    assert response.status_code == 200, response.json()
    statements = _statements(queries)
    kinds = [s.split(" ", 1)[0] for s in statements]
    # lock; the session's binding, the gates' log; UPDATE, history and event
    assert kinds == ["SELECT", "INSERT", "INSERT", *change_kinds()], statements
    assert GateLog.objects.get(attempt_id=attempt.pk).outcome == GateLog.PASSED
    assert AttemptSession.objects.filter(attempt_id=attempt.pk).exists()


def test_a_pass_at_the_gates_is_logged_when_the_start_is_then_refused(world):
    """The gates pass, the start is refused after them (an attempt declined before it
    started): the start's transaction rolls back, the pass is still logged, once."""
    _rules(world, opens_at="2020-01-01T00:00:00Z")
    Attempt.objects.filter(pk=world.attempt.pk).update(status="declined")
    response = client_for(world, "learner").post(
        f"/api/v1/attempts/{world.attempt.pk}/start", {}, format="json"
    )
    assert response.status_code == 409, response.json()
    assert Attempt.objects.get(pk=world.attempt.pk).status == "declined"
    logged = GateLog.objects.get(attempt_id=world.attempt.pk)
    assert logged.outcome == GateLog.PASSED


def test_a_refusal_at_the_gates_is_logged_and_changes_nothing(world):
    _rules(world, opens_at="2099-01-01T00:00:00Z", one_session=True)
    response = client_for(world, "learner").post(
        f"/api/v1/attempts/{world.attempt.pk}/start",
        {},
        format="json",
        HTTP_X_EXAM_SESSION="browser-1",
    )
    assert response.status_code == 409, response.json()
    assert response.json()["code"] == "exam_not_open"
    assert Attempt.objects.get(pk=world.attempt.pk).status == "created"
    assert GateLog.objects.get(attempt_id=world.attempt.pk).outcome == "exam_not_open"
    assert not AttemptSession.objects.exists()


@pytest.mark.parametrize("verdict", ["verified", "rejected"])
def test_a_staff_review_is_2_statements_on_postgresql_5_on_sqlite(world, verdict):
    attempt_id = _submitted(world)
    token = mint("boss-1", preferred_username="boss", course_roles={COURSE_ID: "staff"})
    _known(token)
    _post(f"/api/v1/attempts/{attempt_id}/review", token, {"status": "bogus"})  # role kept
    with CaptureQueriesContext(connection) as queries:
        response = _post(f"/api/v1/attempts/{attempt_id}/review", token, {"status": verdict})
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == verdict
    statements = _statements(queries)
    # The lock (which reads the review record's id from its sequence on PostgreSQL), then the
    # record's INSERT (issue 10) with the UPDATE, history and events: one statement there.
    if joined():
        assert len(statements) == 2, statements
        assert "FOR UPDATE" in statements[0] and "nextval(" in statements[0]
        assert '"reviews_review"' in statements[1] and statements[1].startswith("WITH ")
    else:
        assert len(statements) == 2 + change_statements(), statements
    review = Review.objects.get(attempt_id=attempt_id)
    events = Event.objects.filter(attempt_id=attempt_id, type__startswith="review.")
    assert {event.payload["review_id"] for event in events} == {review.pk}
    assert (review.verdict, review.applied, review.source) == (verdict, True, "staff")


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


@pytest.mark.parametrize("action", ["start", "submit"])
def test_a_write_through_drf_with_a_token_new_to_the_process_reads_its_identity(world, action):
    """A token new to the process, on the DRF view (a query string; the lean path's case is in
    test_attempt_act_lean.py): its identity is read in one statement of its own
    (accounts/identity_read.py), then the write as above: 3 statements on PostgreSQL, 5 on
    SQLite."""
    from proctoring.accounts.identity_read import identity_statement
    from proctoring.rest.auth_cache import auth_cache

    token = mint("zed-1", preferred_username="zed", course_roles={COURSE_ID: "learner"})
    _known(token)
    user_id = get_user_model().objects.get(username="zed").pk
    attempt = attempt_create(exam_id=world.exam.pk, user_id=user_id)
    if action == "submit":
        attempt_update_status(exam_id=world.exam.pk, user_id=user_id, to_status="started")
    auth_cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = _post(f"/api/v1/attempts/{attempt.pk}/{action}?via=drf", token)
    assert response.status_code == 200, response.json()
    statements = _statements(queries)
    assert len(statements) == 2 + change_statements(), statements
    assert len(statements) <= 4 or connection.vendor == "sqlite"
    sql, _readers = identity_statement("default", connection.vendor)
    assert statements[0].startswith(sql.split(" WHERE ", 1)[0]), statements[0]
    assert [s.split(" ", 1)[0] for s in statements] == ["SELECT", "SELECT", *change_kinds()]
