"""X-Query-Count: the statements of a request, told by a middleware that is off by default."""

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from proctoring.accounts.models import PlatformIdentity
from proctoring.attempts.services import attempt_create, attempt_update_status
from proctoring.core.middleware import QUERY_COUNT_HEADER
from tests.factories import ExamFactory
from tests.rest.conftest import JWT_AUDIENCE, JWT_ISSUER, JWT_SECRET, bearer, mint


@pytest.fixture
def jwt_settings(settings):
    settings.PROCTORING_JWT_SECRET = JWT_SECRET
    settings.PROCTORING_JWT_ISSUER = JWT_ISSUER
    settings.PROCTORING_JWT_AUDIENCE = JWT_AUDIENCE
    settings.PROCTORING_JWT_JWKS_URL = ""
    return settings


def test_the_middleware_is_first_and_off_by_default():
    assert django_settings.MIDDLEWARE[0] == (
        "proctoring.core.middleware.QueryCountHeaderMiddleware"
    )
    assert django_settings.PROCTORING_QUERY_COUNT_HEADER is False


def test_no_header_when_disabled(client, settings, db):
    settings.PROCTORING_QUERY_COUNT_HEADER = False
    response = client.get("/health/")
    assert response.status_code == 200
    assert QUERY_COUNT_HEADER not in response.headers


def test_health_makes_no_query(client, settings, db):
    settings.PROCTORING_QUERY_COUNT_HEADER = True
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.headers[QUERY_COUNT_HEADER] == "0"


@pytest.fixture
def polled(jwt_settings, db):
    """A learner known from a first request, with a started attempt, and its token."""
    token = mint("lms-learner-42", preferred_username="ada", email="ada@example.org")
    exam = ExamFactory(time_limit_mins=60, is_proctored=False)
    return token, exam


def test_the_header_counts_the_statements_of_an_api_request(client, settings, polled):
    token, exam = polled
    settings.PROCTORING_QUERY_COUNT_HEADER = True
    # The first request makes the user (several statements), counted all the same.
    with CaptureQueriesContext(connection) as first:
        response = client.get("/api/v1/attempts/active", **bearer(token))
    assert response.status_code == 200, response.content
    assert int(response.headers[QUERY_COUNT_HEADER]) == len(first.captured_queries) > 1

    user = PlatformIdentity.objects.get(subject="lms-learner-42").user
    attempt = attempt_create(exam_id=exam.pk, user_id=user.pk)
    attempt_update_status(exam_id=exam.pk, user_id=user.pk, to_status="started")
    with CaptureQueriesContext(connection) as poll:
        response = client.get(f"/api/v1/attempts/{attempt.pk}", **bearer(token))
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "started"
    count = int(response.headers[QUERY_COUNT_HEADER])
    assert count == len(poll.captured_queries)
    assert 1 <= count <= 3  # the poll's budget, authentication included


def test_no_header_on_an_api_request_when_disabled(client, settings, polled):
    token, _ = polled
    settings.PROCTORING_QUERY_COUNT_HEADER = False
    response = client.get("/api/v1/attempts/active", **bearer(token))
    assert response.status_code == 200
    assert QUERY_COUNT_HEADER not in response.headers


def test_an_error_response_gets_the_header_too(client, settings, polled):
    token, _ = polled
    settings.PROCTORING_QUERY_COUNT_HEADER = True
    response = client.get("/api/v1/attempts/999999", **bearer(token))
    assert response.status_code == 404
    assert int(response.headers[QUERY_COUNT_HEADER]) >= 1
