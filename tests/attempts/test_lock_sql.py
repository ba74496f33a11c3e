"""The lock's SQL is compiled once per shape and reads what the ORM's query reads."""

from __future__ import annotations

import re
from unittest import mock

import pytest
from django.db import connection, transaction
from django.db.models import OuterRef, Subquery
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext
from psycopg import _queries as psycopg_queries

from proctoring.access.gates import AccessFacts, session_guard, start_guard
from proctoring.access.models import ExamRules
from proctoring.allowances.models import Allowance
from proctoring.attempts import lock_sql
from proctoring.attempts.locks import _locked, _with_allowances, attempt_lock
from proctoring.attempts.models import Attempt, AttemptHistory
from proctoring.attempts.services import attempt_create
from proctoring.attempts.time_math import ADDITIONAL_TIME
from tests.factories import ExamFactory

pytestmark = pytest.mark.django_db

LATEST_HISTORY = {
    "latest_history_status": Subquery(
        AttemptHistory.objects.filter(attempt_id=OuterRef("pk"))
        .order_by("-id")
        .values("to_status")[:1]
    )
}


def _fields(attempt: Attempt) -> dict[str, object]:
    return {
        "attempt": {f.attname: getattr(attempt, f.attname) for f in Attempt._meta.concrete_fields},
        "exam": attempt.exam.__dict__ | {"_state": None},
        "course": attempt.exam.course.__dict__ | {"_state": None},
        "user": attempt.user.__dict__ | {"_state": None},
    }


@pytest.fixture
def attempt(course, learner):
    exam = ExamFactory(course=course, content_id="lock-sql", time_limit_mins=60)
    Allowance.objects.create(exam=exam, user=learner, key=ADDITIONAL_TIME, value="15")
    return attempt_create(exam_id=exam.pk, user_id=learner.pk, actor_id=learner.pk)


def test_the_lock_reads_what_the_orms_query_reads(attempt):
    with transaction.atomic():
        compiled = attempt_lock(
            attempt_id=attempt.pk, with_allowances=True, annotations=LATEST_HISTORY
        )
        orm = _with_allowances(_locked().filter(pk=attempt.pk)).annotate(**LATEST_HISTORY).first()
    assert compiled is not None and orm is not None
    assert _fields(compiled) == _fields(orm)
    assert compiled.allowance_additional_time_granted == "15"  # type: ignore[attr-defined]
    assert compiled.latest_history_status == orm.latest_history_status == "created"  # type: ignore[attr-defined]
    assert compiled._state.adding is False and compiled._state.db == "default"


def test_the_learner_and_exam_lock_finds_the_current_attempt_only(attempt, learner):
    with transaction.atomic():
        found = attempt_lock(exam_id=attempt.exam_id, user_id=learner.pk)
        missing = attempt_lock(exam_id=attempt.exam_id, user_id=learner.pk + 1000)
    assert found is not None and found.pk == attempt.pk
    assert missing is None
    Attempt.objects.filter(pk=attempt.pk).update(archived_at=attempt.created)
    with transaction.atomic():
        assert attempt_lock(exam_id=attempt.exam_id, user_id=learner.pk) is None
        # By its id, an archived attempt is still found (its callers refuse it).
        assert attempt_lock(attempt_id=attempt.pk) is not None


def test_each_shape_is_compiled_once(attempt):
    lock_sql.lock_shapes_clear()
    with mock.patch.object(lock_sql, "_compile", wraps=lock_sql._compile) as compile_:
        for _ in range(3):
            with transaction.atomic():
                assert attempt_lock(attempt_id=attempt.pk) is not None
                assert attempt_lock(attempt_id=attempt.pk, with_allowances=True) is not None
    assert compile_.call_count == 2


def test_the_lock_is_one_statement_that_locks_the_attempt_row_only(attempt):
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        attempt_lock(attempt_id=attempt.pk, with_allowances=True)
    statements = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT")]
    assert len(statements) == 1
    if connection.vendor == "postgresql":
        # The attempt's table under its short alias (short_sql.py): only its row is locked.
        alias = re.search(r"FROM attempts_attempt (t\d+) ", statements[0])
        assert alias is not None, statements[0]
        assert statements[0].endswith(f"FOR UPDATE OF {alias[1]}")


@pytest.mark.skipif(
    not connection.features.has_select_for_update, reason="SQLite has no FOR UPDATE"
)
@pytest.mark.django_db(transaction=True)
def test_the_lock_refuses_to_run_outside_a_transaction(attempt):
    with pytest.raises(TransactionManagementError):
        attempt_lock(attempt_id=attempt.pk)


def test_the_shapes_are_bounded(attempt):
    lock_sql.lock_shapes_clear()
    for i in range(lock_sql.MAX_SHAPES + 5):
        with transaction.atomic():
            # A fresh annotations' object each time: a shape each time, the oldest forgotten.
            attempt_lock(
                attempt_id=attempt.pk,
                annotations={f"n{i}": LATEST_HISTORY["latest_history_status"]},
            )
    assert len(lock_sql._shapes) == lock_sql.MAX_SHAPES


def _lock_sql(**kwargs: object) -> str:
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        attempt_lock(**kwargs)  # type: ignore[arg-type]
    return next(q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT"))


def test_the_hot_locks_are_short_enough_for_psycopgs_cache_of_parsed_statements(attempt):
    """psycopg parses a statement's placeholders again at every execution unless its text is
    at most ``MAX_CACHED_STATEMENT_LENGTH`` bytes (with 50 parameters at most): the locks of a
    start (with its gates), a submission (with its browser session) and a review stay under,
    read from psycopg so that an upgrade that changes it is noticed."""
    lock_sql.lock_shapes_clear()
    facts = AccessFacts()
    start, session = start_guard(facts=facts), session_guard(facts=facts)
    hot = {
        "start": {
            "with_allowances": True,
            "annotations": start.annotations,
            "related": start.related,
            "deferred": start.deferred,
        },
        "submit": {"annotations": session.annotations},
        "review": {},
    }
    # A learner's action with its JWT (rest/v1/attempt_act_lean.py): the identity's user too.
    viewer = ("https://lms.example.org", "learner-1", "0" * 64)
    hot["start, lean"] = {**hot["start"], "viewer": viewer}
    hot["submit, lean"] = {**hot["submit"], "viewer": viewer}
    for name, kwargs in hot.items():
        shape_before = set(lock_sql._shapes)
        text = _lock_sql(attempt_id=attempt.pk, **kwargs)
        (key,) = set(lock_sql._shapes) - shape_before
        shape = lock_sql._shapes[key]
        if connection.vendor == "postgresql":
            size = len(shape.sql.encode())
            assert size <= psycopg_queries.MAX_CACHED_STATEMENT_LENGTH, (name, size)
            assert len(shape.params) <= psycopg_queries.MAX_CACHED_STATEMENT_PARAMS, name
        else:  # SQLite: the ORM's own text
            assert '"attempts_attempt"."id"' in text, name
    if connection.vendor == "postgresql":
        # Today's sizes (bytes), pinned: start 3,754 (lean 3,935), submit 1,140 (lean 1,321),
        # a review 1,050.
        sizes = sorted(len(shape.sql.encode()) for shape in lock_sql._shapes.values())
        assert sizes[-1] < 3950 and sizes[0] < 1200, sizes


def test_the_start_lock_reads_the_gates_rules_and_leaves_the_rest_out(attempt):
    """The start's lock joins the exam's access rules with only the fields the gates read."""
    ExamRules.objects.create(exam_id=attempt.exam_id, rules_text="Bring a pen.", max_attempts=2)
    guard = start_guard(facts=AccessFacts())
    with transaction.atomic():
        locked = attempt_lock(
            attempt_id=attempt.pk,
            with_allowances=True,
            annotations=guard.annotations,
            related=guard.related,
            deferred=guard.deferred,
        )
    assert locked is not None
    rules = locked.exam.access_rules  # type: ignore[attr-defined]
    with CaptureQueriesContext(connection) as queries:
        assert (rules.max_attempts, rules.opens_at, rules.one_session) == (2, None, False)
    assert not queries.captured_queries  # loaded by the lock
    assert "rules_text" in rules.get_deferred_fields()
    assert rules.rules_text == "Bring a pen."  # still there, read when asked for


def test_the_lock_reads_the_viewers_user_with_each_calls_own_identity(attempt):
    """``viewer``: the user of the platform identity with this issuer, subject and claims
    digest, when active, read by the lock itself; each call's own texts take the stand-ins'
    places in the one compiled statement."""
    from django.contrib.auth import get_user_model

    from proctoring.accounts.models import PlatformIdentity
    from proctoring.attempts.locks import VIEWER_ANNOTATION

    owner = get_user_model().objects.get(pk=attempt.user_id)
    PlatformIdentity.objects.create(issuer="lms", subject="s-1", user=owner, claims_digest="d1")

    def viewer_of(viewer: tuple[str, str, str]) -> object:
        with transaction.atomic():
            locked = attempt_lock(attempt_id=attempt.pk, viewer=viewer)
        assert locked is not None
        return getattr(locked, VIEWER_ANNOTATION)

    lock_sql.lock_shapes_clear()
    assert viewer_of(("lms", "s-1", "d1")) == owner.pk
    assert viewer_of(("lms", "s-1", "d2")) is None  # other claims applied since
    assert viewer_of(("lms", "s-2", "d1")) is None  # another subject
    assert viewer_of(("other", "s-1", "d1")) is None  # another issuer
    assert len(lock_sql._shapes) == 1  # one statement compiled for all of them
    get_user_model().objects.filter(pk=owner.pk).update(is_active=False)
    assert viewer_of(("lms", "s-1", "d1")) is None  # inactive
