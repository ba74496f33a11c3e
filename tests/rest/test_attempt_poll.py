"""The in-exam poll's lean path (proctoring/rest/v1/attempt_poll.py): one statement,
authentication included, and the same answers as the DRF view."""

import time

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from proctoring.accounts.models import PlatformIdentity
from proctoring.rest import auth_cache as auth_cache_module
from tests.rest.conftest import bearer, mint

pytestmark = pytest.mark.django_db
User = get_user_model()
CLAIMS = {"preferred_username": "zed", "course_roles": {"course-v1:edX+DemoX+Demo": "learner"}}


def _started(world, token):
    body = {"exam_id": world.exam.pk, "start": True}
    response = APIClient().post("/api/v1/attempts", body, format="json", **bearer(token))
    assert response.status_code == 201, response.json()
    return response.json()["id"]


def _poll(attempt_id, token, query=""):
    return APIClient().get(f"/api/v1/attempts/{attempt_id}{query}", **bearer(token))


def test_every_poll_is_one_statement_even_past_the_cache_bound(
    world, monkeypatch, django_assert_num_queries
):
    token = mint("zed-1", **CLAIMS)
    attempt_id = _started(world, token)
    for offset in (0, 10, 20):  # the cache's entries expire every 5 s: the poll needs none
        monkeypatch.setattr(auth_cache_module, "clock", lambda o=offset: time.monotonic() + o)
        with django_assert_num_queries(1):
            response = _poll(attempt_id, token)
        assert response.status_code == 200
        assert response.json()["status"] == "started"


def test_the_lean_answer_is_the_drf_views_answer(world):
    token = mint("zed-1", **CLAIMS)
    attempt_id = _started(world, token)
    lean = _poll(attempt_id, token)
    drf = _poll(attempt_id, token, "?format=json")  # a query string: the DRF view answers
    moving = {"server_time", "time_remaining_seconds"}
    assert {k: v for k, v in lean.json().items() if k not in moving} == {
        k: v for k, v in drf.json().items() if k not in moving
    }
    assert list(lean.json()) == list(drf.json())
    for header in ("Content-Type", "Vary", "Allow"):
        assert lean[header] == drf[header], header


def test_a_user_made_inactive_is_refused_at_the_next_poll(world):
    token = mint("zed-1", **CLAIMS)
    attempt_id = _started(world, token)
    assert _poll(attempt_id, token).status_code == 200
    User.objects.filter(username="zed").update(is_active=False)  # no signal, no invalidation
    response = _poll(attempt_id, token)
    assert response.status_code == 401
    assert response.json()["code"] == "user_inactive"


def test_changed_claims_are_applied_then_polled_in_one_statement(world, django_assert_num_queries):
    attempt_id = _started(world, mint("zed-1", **CLAIMS))
    renamed = mint("zed-1", **CLAIMS, email="zed@example.org")
    assert _poll(attempt_id, renamed).status_code == 200  # the DRF view syncs the identity
    assert PlatformIdentity.objects.get(subject="zed-1").user.email == "zed@example.org"
    with django_assert_num_queries(1):
        assert _poll(attempt_id, renamed).status_code == 200


def test_staff_and_other_learners_get_the_drf_views_answers(world):
    attempt_id = _started(world, mint("zed-1", **CLAIMS))
    staff = mint("boss-1", preferred_username="boss", administrator=True)
    assert _poll(attempt_id, staff).status_code == 200
    other = mint("yan-1", preferred_username="yan")
    response = _poll(attempt_id, other)
    assert response.status_code == 403
    assert response.json()["code"] == "not_course_staff"
    missing = _poll(attempt_id + 1000, mint("zed-1", **CLAIMS))
    assert missing.status_code == 404


@pytest.mark.parametrize(
    "token",
    [
        mint("zed-1", **CLAIMS, exp=int(time.time()) - 3600),
        mint("zed-1", **CLAIMS, key="another-secret-of-at-least-32-bytes-long"),
        "not-a-jwt",
    ],
)
def test_bad_tokens_get_the_drf_views_401(world, token):
    attempt_id = _started(world, mint("zed-1", **CLAIMS))
    response = _poll(attempt_id, token)
    assert response.status_code == 401
    assert response.json()["code"] in {"token_expired", "invalid_token"}


def test_the_attempts_fields_are_those_of_the_serializer(world):
    from proctoring.attempts.models import Attempt
    from proctoring.rest.v1.attempts import _AttemptFields, attempt_fields

    _started(world, mint("zed-1", **CLAIMS))
    world.attempt.archived_at = world.attempt.created
    world.attempt.save()
    attempts = list(Attempt.objects.select_related("exam__course"))
    assert {a.status for a in attempts} == {"created", "started"}
    for attempt in attempts:
        expected = dict(_AttemptFields(attempt).data)
        assert attempt_fields(attempt) == expected
        assert list(attempt_fields(attempt)) == list(expected)


def test_an_attempt_not_started_shows_the_learners_allowances_in_one_statement(
    world, django_assert_num_queries
):
    from proctoring.allowances.models import Allowance

    token = mint("zed-1", **CLAIMS)
    body = {"exam_id": world.exam.pk}
    created = APIClient().post("/api/v1/attempts", body, format="json", **bearer(token))
    attempt_id = created.json()["id"]
    zed = User.objects.get(username="zed")
    Allowance.objects.create(exam=world.exam, user=zed, key="additional_time_granted", value="30")
    with django_assert_num_queries(1):
        lean = _poll(attempt_id, token).json()
    drf = _poll(attempt_id, token, "?format=json").json()  # reads the allowances itself
    assert lean["time_remaining_seconds"] is None
    assert lean["allowed_time_seconds"] == drf["allowed_time_seconds"]
    assert lean["allowed_time_seconds"] == (world.exam.time_limit_mins + 30) * 60


def _created(world, token):
    body = {"exam_id": world.exam.pk}
    created = APIClient().post("/api/v1/attempts", body, format="json", **bearer(token))
    assert created.status_code == 201, created.json()
    return created.json()["id"]


def test_a_not_started_attempts_poll_reads_the_course_profiles_allowances(
    world, django_assert_num_queries
):
    """The lean poll gives the time the full read gives when the learner's time comes from
    its course profile (not an allowance of its own)."""
    from proctoring.allowances.levels import course_allowance_set

    token = mint("zed-1", **CLAIMS)
    attempt_id = _created(world, token)
    zed = User.objects.get(username="zed")
    course_id = world.exam.course_id
    course_allowance_set(course_id=course_id, user_id=zed.pk, key="time_multiplier", value="1.5")
    course_allowance_set(
        course_id=course_id, user_id=zed.pk, key="additional_time_granted", value="10"
    )
    with django_assert_num_queries(1):
        lean = _poll(attempt_id, token).json()
    drf = _poll(attempt_id, token, "?format=json").json()  # reads the allowances itself
    assert {k: v for k, v in lean.items() if k != "server_time"} == {
        k: v for k, v in drf.items() if k != "server_time"
    }
    assert lean["allowed_time_seconds"] == world.exam.time_limit_mins * 90 + 600


def test_the_poll_read_loads_group_and_profile_values_as_the_lock_does(world):
    """``attempt_read_for_identity`` loads the same allowance values as ``attempt_lock(...,
    with_allowances=True)``: the learner's own, else its group's, else its course profile's."""
    from django.db import transaction

    from proctoring.allowances.levels import (
        course_allowance_set,
        group_allowance_set,
        group_members_set,
    )
    from proctoring.attempts.locks import ALLOWANCE_KEYS, attempt_lock
    from proctoring.attempts.poll_read import attempt_read_for_identity

    token = mint("zed-1", **CLAIMS)
    attempt_id = _created(world, token)
    zed = User.objects.get(username="zed")
    course_id = world.exam.course_id
    group_members_set(course_id=course_id, group="late", usernames=["zed"])
    due = "2099-01-01T00:00:00+00:00"
    group_allowance_set(exam=world.exam, group="late", key="due_date_extension", value=due)
    course_allowance_set(
        course_id=course_id, user_id=zed.pk, key="additional_time_granted", value="7"
    )
    found = attempt_read_for_identity(
        attempt_id=attempt_id, issuer="", subject="", claims_digest=""
    )
    assert found is not None
    polled = found[0]
    with transaction.atomic():
        locked = attempt_lock(attempt_id=attempt_id, with_allowances=True)
    values = {key: getattr(polled, f"allowance_{key}") for key in ALLOWANCE_KEYS}
    assert values == {key: getattr(locked, f"allowance_{key}") for key in ALLOWANCE_KEYS}
    assert values["additional_time_granted"] == "7"
    assert values["due_date_extension"] is not None


@pytest.mark.parametrize("allowances", [True, False])
def test_the_poll_statement_is_short_enough_for_psycopgs_parse_cache(allowances):
    """psycopg parses a statement's placeholders at every execution unless the statement is
    at most ``MAX_CACHED_STATEMENT_LENGTH`` bytes with at most ``MAX_CACHED_STATEMENT_PARAMS``
    parameters (read from psycopg: an upgrade that changes them is noticed here)."""
    from psycopg import _queries

    from proctoring.attempts.poll_read import statement_sql

    sql, params = statement_sql(allowances=allowances)
    assert len(sql.encode()) <= _queries.MAX_CACHED_STATEMENT_LENGTH
    assert params <= _queries.MAX_CACHED_STATEMENT_PARAMS
    assert sql.count("%s") == params


def test_a_started_attempts_later_polls_read_without_the_allowance_sub_selects(world):
    """An attempt seen started is polled without the allowance sub-selects (a start is never
    undone); one not started yet is polled with them until it starts."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from proctoring.allowances.models import Allowance

    token = mint("zed-1", **CLAIMS)
    attempt_id = _created(world, token)
    zed = User.objects.get(username="zed")
    Allowance.objects.create(exam=world.exam, user=zed, key="time_multiplier", value="2")
    polls = []
    for start in (False, False, True, False, False):
        if start:
            response = APIClient().post(f"/api/v1/attempts/{attempt_id}/start", **bearer(token))
            assert response.status_code == 200, response.json()
            continue
        with CaptureQueriesContext(connection) as queries:
            answer = _poll(attempt_id, token).json()
        assert len(queries) == 1
        polls.append(("allowances_" in queries[0]["sql"], answer["allowed_time_seconds"]))
    doubled = world.exam.time_limit_mins * 120
    assert polls == [(True, doubled), (True, doubled), (True, doubled), (False, doubled)]


def test_an_attempt_wrongly_taken_for_started_still_gets_its_allowances(world):
    """Were an attempt taken for started when it is not (it cannot be: a start is never
    undone), its poll would read its allowances apart, never answer without them."""
    from proctoring.allowances.models import Allowance
    from proctoring.attempts import poll_read

    token = mint("zed-1", **CLAIMS)
    attempt_id = _created(world, token)
    zed = User.objects.get(username="zed")
    Allowance.objects.create(exam=world.exam, user=zed, key="time_multiplier", value="2")
    poll_read._started.add(attempt_id)
    answer = _poll(attempt_id, token).json()
    assert answer["allowed_time_seconds"] == world.exam.time_limit_mins * 120


@pytest.mark.parametrize("state", ["created", "started", "paused", "submitted", "archived"])
def test_the_poll_reads_only_what_the_answer_needs_and_answers_as_a_full_read(
    world, state, django_assert_num_queries
):
    """The poll selects the fields its answer reads and defers the rest: the answer is the
    one of the fully loaded attempt, in every state, and reads no deferred field (a query)."""
    from django.utils import timezone

    from proctoring.allowances.models import Allowance
    from proctoring.attempts.models import Attempt
    from proctoring.attempts.poll_read import attempt_read_for_identity
    from proctoring.rest.v1 import attempts as views

    token = mint("zed-1", **CLAIMS)
    attempt_id = _created(world, token) if state == "created" else _started(world, token)
    zed = User.objects.get(username="zed")
    Allowance.objects.create(exam=world.exam, user=zed, key="time_multiplier", value="1.5")
    moment = timezone.now()
    changes = {
        "created": {},
        "started": {"ready_to_resume": True},
        "paused": {"paused_at": moment, "paused_seconds": 12},
        "submitted": {"status": "submitted", "completed_at": moment},
        "archived": {"status": "submitted", "completed_at": moment, "archived_at": moment},
    }[state]
    Attempt.objects.filter(pk=attempt_id).update(**changes)
    identity = PlatformIdentity.objects.get(subject="zed-1")
    with django_assert_num_queries(1):
        found = attempt_read_for_identity(
            attempt_id=attempt_id,
            issuer=identity.issuer,
            subject=identity.subject,
            claims_digest=identity.claims_digest,
        )
        assert found is not None
        polled, viewer_id = found
        answer = views.render_attempt(polled)
    assert viewer_id == zed.pk
    full = Attempt.objects.select_related("exam__course").get(pk=attempt_id)
    expected = views.render_attempt(full)
    moving = {"server_time", "time_remaining_seconds"}
    assert {k: v for k, v in answer.items() if k not in moving} == {
        k: v for k, v in expected.items() if k not in moving
    }
    assert list(answer) == list(expected)


def test_the_polls_instances_are_those_the_orm_loads_with_the_rest_deferred(world):
    """``loaded_instance`` skips ``Model.__init__``: right only while no model the poll loads
    has a ``pre_init``/``post_init`` receiver; its instances are those ``.only()`` loads, its
    times too (read on PostgreSQL as intervals since the epoch)."""
    import datetime as dt

    from django.db.models.signals import post_init, pre_init

    from proctoring.attempts.models import Attempt
    from proctoring.attempts.poll_read import POLLED_FIELDS, attempt_read_for_identity
    from proctoring.courses.models import Course
    from proctoring.exams.models import Exam

    for model in (Attempt, Exam, Course, User):
        assert not pre_init.has_listeners(model), model
        assert not post_init.has_listeners(model), model
    attempt_id = _started(world, mint("zed-1", **CLAIMS))
    Attempt.objects.filter(pk=attempt_id).update(  # times far off, before the epoch too
        paused_at=dt.datetime(2099, 12, 31, 23, 59, 59, 999999, tzinfo=dt.UTC),
        archived_at=dt.datetime(1969, 7, 20, 20, 17, 40, 1, tzinfo=dt.UTC),
    )
    found = attempt_read_for_identity(
        attempt_id=attempt_id, issuer="", subject="", claims_digest=""
    )
    assert found is not None
    polled = found[0]
    fields = POLLED_FIELDS[Attempt]
    orm = Attempt.objects.only(*fields).get(pk=attempt_id)
    assert polled == orm
    assert (polled._state.adding, polled._state.db) == (False, "default")
    assert polled.get_deferred_fields() == orm.get_deferred_fields()
    assert {name: repr(getattr(polled, name)) for name in fields} == {
        name: repr(getattr(orm, name)) for name in fields
    }  # the same values, times in the same time zone
    exam = Exam.objects.only(*POLLED_FIELDS[Exam]).get(pk=polled.exam_id)
    assert polled.exam == exam
    assert polled.exam.get_deferred_fields() == exam.get_deferred_fields()
    assert polled.exam.course.provider == world.exam.course.provider


@pytest.mark.parametrize("zone", ["UTC", "Europe/Paris"])
def test_the_answers_times_are_drfs(zone, settings):
    """``_when`` writes a time as DRF's ``DateTimeField`` does: in the current time zone, ``Z``
    for UTC, and through DRF itself for another format or a naive time."""
    import datetime as dt
    import zoneinfo

    from django.utils import timezone

    from proctoring.rest.v1.attempts import _WHEN, _when

    values = [
        dt.datetime(2026, 3, 29, 0, 59, 59, 123456, tzinfo=dt.UTC),
        dt.datetime(2026, 3, 29, 1, 0, tzinfo=dt.UTC),
        dt.datetime(2026, 7, 1, 12, 0, tzinfo=zoneinfo.ZoneInfo("America/New_York")),
        dt.datetime(2026, 7, 1, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=30))),
        dt.datetime(2026, 7, 1, 12, 0),
    ]
    with timezone.override(zoneinfo.ZoneInfo(zone)):
        for value in values:
            assert _when(value, timezone.get_current_timezone()) == _WHEN.to_representation(value)
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DATETIME_FORMAT": "%Y-%m-%d %H:%M"}
        for value in values:
            assert _when(value, timezone.get_current_timezone()) == _WHEN.to_representation(value)
        assert "T" not in _when(values[1], timezone.get_current_timezone())  # the format
    assert _when(None, dt.UTC) is None
