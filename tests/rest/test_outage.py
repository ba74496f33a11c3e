"""A database that cannot answer is a 503 ``database_unavailable`` with ``Retry-After``, in the
error shape, never a 500; the service answers again as soon as the database is back.

The tests commit their data (``transaction=True``): they break and restore the connection the
requests use, which a test wrapped in a transaction could not survive.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import pytest
from django.db import InterfaceError, OperationalError, connection
from django.test import Client
from rest_framework.test import APIRequestFactory

from proctoring.attempts.models import Attempt
from proctoring.rest import django_errors
from proctoring.rest.exception_handler import RETRY_AFTER_SECONDS
from tests.conftest import on_postgresql
from tests.factories import UserFactory
from tests.rest.conftest import COURSE_ID, client_for

pytestmark = pytest.mark.django_db(transaction=True)

UNAVAILABLE = {
    "detail": "The database is unavailable; try again in a few seconds.",
    "code": "database_unavailable",
}


def _assert_unavailable(response):
    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert json.loads(response.content) == UNAVAILABLE


@contextlib.contextmanager
def _unreachable_database(tmp_path: Path):
    """The default connection pointed at a database that is not there: a closed port on
    PostgreSQL, a file in a folder that does not exist on SQLite."""
    saved = dict(connection.settings_dict)
    connection.close()
    if connection.vendor == "postgresql":
        connection.settings_dict.update(HOST="127.0.0.1", PORT="1")
    else:
        connection.settings_dict["NAME"] = str(tmp_path / "missing" / "db.sqlite3")
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)


def _failing(exc: Exception):
    """An ``execute_wrapper`` whose statements fail as a lost connection makes them fail."""

    def wrapper(execute, sql, params, many, context):
        raise exc

    return wrapper


def test_an_unreachable_database_is_a_503_and_the_service_recovers(world, tmp_path):
    client = client_for(world, "service")
    url = f"/api/v1/courses/{COURSE_ID}"
    with _unreachable_database(tmp_path):
        _assert_unavailable(client.get(url))
    assert client.get(url).status_code == 200


@pytest.mark.parametrize(
    "exc",
    [
        OperationalError("server closed the connection unexpectedly"),
        InterfaceError("connection already closed"),
    ],
)
def test_a_connection_lost_in_a_view_is_a_503(world, exc):
    client = client_for(world, "staff")
    client.get("/api/v1/attempts/active")  # the session is loaded: the view's query fails
    with connection.execute_wrapper(_failing(exc)):
        response = client.get(f"/api/v1/courses/{COURSE_ID}/attempts")
    _assert_unavailable(response)


def test_a_database_outage_outside_drf_views_is_a_503(db):
    """The sign-in form is a Django view: the middleware answers for it."""
    UserFactory(username="frank")
    with connection.execute_wrapper(_failing(OperationalError("connection refused"))):
        response = Client().post("/api/auth/login/", {"username": "frank", "password": "x"})
    _assert_unavailable(response)


def test_a_database_outage_raised_outside_any_view_is_a_503_from_the_500_handler(db):
    request = APIRequestFactory().get("/admin/")
    try:
        raise OperationalError("the database system is shutting down")
    except OperationalError:
        response = django_errors.server_error(request)
    _assert_unavailable(response)


def test_the_outage_is_logged_with_its_traceback(world, caplog):
    client = client_for(world, "service")
    with connection.execute_wrapper(_failing(OperationalError("connection refused"))):
        client.get(f"/api/v1/courses/{COURSE_ID}")
    [record] = [r for r in caplog.records if r.name == "proctoring.rest"]
    assert record.levelname == "ERROR"
    assert "connection refused" in record.getMessage()
    assert record.exc_info is not None


@pytest.mark.skipif(not on_postgresql(), reason="pg_terminate_backend is PostgreSQL's")
def test_a_connection_terminated_mid_request_is_a_503_and_the_next_request_succeeds(world):
    """A real kill: another session runs pg_terminate_backend on the request's connection
    just before the view's query, as an administrator or a failover would."""
    client = client_for(world, "staff")
    client.get("/api/v1/attempts/active")
    killer = connection.get_new_connection(connection.get_connection_params())
    killer.autocommit = True
    state = {"killed": False}

    def terminate_then_execute(execute, sql, params, many, context):
        if not state["killed"] and Attempt._meta.db_table in sql:
            state["killed"] = True
            with killer.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(%s)", [connection.connection.info.backend_pid]
                )
        return execute(sql, params, many, context)

    try:
        with connection.execute_wrapper(terminate_then_execute):
            response = client.get(f"/api/v1/courses/{COURSE_ID}/attempts")
    finally:
        killer.close()
    assert state["killed"]
    _assert_unavailable(response)
    after = client.get(f"/api/v1/courses/{COURSE_ID}/attempts")
    assert after.status_code == 200
    assert after.json()["count"] == 1
