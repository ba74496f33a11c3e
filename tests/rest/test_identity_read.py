"""The identity read of a token new to the process: hand-written SQL written once, read into
the same instances as the ORM's ``select_related`` query, short enough for psycopg to keep
its parsing, and no ORM query compiled on the way."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models.sql.compiler import SQLCompiler
from django.test.utils import CaptureQueriesContext
from psycopg import _queries
from rest_framework.test import APIClient, APIRequestFactory

from proctoring.accounts.identity_read import identity_read, identity_statement
from proctoring.accounts.models import PlatformIdentity
from proctoring.rest.auth_cache import auth_cache
from proctoring.rest.authentication import JWTAuthentication
from tests.rest.conftest import COURSE_ID, JWT_ISSUER, bearer, mint

pytestmark = pytest.mark.django_db
User = get_user_model()


def _fields(instance):
    """Each column's value and its type (a boolean read as ``1`` would compare equal)."""
    return {
        field.attname: (type(value), value)
        for field in instance._meta.fields
        for value in [getattr(instance, field.attname)]
    }


def _known(token):
    """The token's first request: its identity is made."""
    assert APIClient().get("/api/v1/attempts/active", **bearer(token)).status_code == 200


def test_the_read_gives_what_the_orm_query_gives():
    _known(mint("lms-7", preferred_username="zoe", email="z@example.org", name="Zoe"))
    _known(mint("lms-8", preferred_username="max", course_roles={COURSE_ID: "staff"}))
    for subject in ("lms-7", "lms-8"):
        expected = PlatformIdentity.objects.select_related("user").get(
            issuer=JWT_ISSUER, subject=subject
        )
        found = identity_read(issuer=JWT_ISSUER, subject=subject)
        assert found is not None
        assert _fields(found) == _fields(expected)
        assert _fields(found.user) == _fields(expected.user)
        assert found.user_id == found.user.pk
        assert found._state.adding is False and found.user._state.adding is False
    assert PlatformIdentity.objects.get(subject="lms-8").course_roles == {COURSE_ID: "staff"}
    assert identity_read(issuer=JWT_ISSUER, subject="lms-404") is None
    assert identity_read(issuer="https://other.example.org", subject="lms-7") is None


def test_the_read_is_one_statement_short_enough_for_psycopgs_parse_cache():
    sql, _readers = identity_statement("default", connection.vendor)
    # psycopg keeps its parsing of a statement only up to these sizes (psycopg/_queries.py):
    # read from psycopg, so that an upgrade changing them is noticed.
    assert len(sql) <= _queries.MAX_CACHED_STATEMENT_LENGTH
    assert sql.count("%s") == 2 <= _queries.MAX_CACHED_STATEMENT_PARAMS
    _known(mint("lms-7", preferred_username="zoe"))
    with CaptureQueriesContext(connection) as queries:
        identity_read(issuer=JWT_ISSUER, subject="lms-7")
    assert len(queries.captured_queries) == 1


def test_a_cold_token_of_a_known_identity_compiles_no_orm_query(monkeypatch):
    token = mint("lms-7", preferred_username="zoe", course_roles={COURSE_ID: "learner"})
    _known(token)
    auth_cache.clear()
    compiled = []
    original = SQLCompiler.as_sql

    def counting(self, *args, **kwargs):
        compiled.append(self.query.model)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(SQLCompiler, "as_sql", counting)
    request = APIRequestFactory().post("/api/v1/attempts/1/submit", **bearer(token))
    with CaptureQueriesContext(connection) as queries:
        user, _auth = JWTAuthentication().authenticate(request)
    assert user.username == "zoe"
    assert compiled == []
    assert len(queries.captured_queries) == 1
