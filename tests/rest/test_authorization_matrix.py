"""Every endpoint and method, called by every persona: the expected status codes.

A new endpoint without a row here fails ``test_every_endpoint_has_a_row``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from proctoring.accounts.models import ApiKey
from proctoring.allowances.models import Allowance
from proctoring.attempts.models import Attempt
from proctoring.attempts.retakes import attempt_mark_resumable
from proctoring.attempts.services import attempt_update_status
from proctoring.attempts.time_changes import attempt_pause
from proctoring.core.clock import now
from proctoring.courses.models import CourseRole
from proctoring.exams.models import Exam
from proctoring.outbox.models import Delivery, Event, Subscription
from proctoring.outbox.webhooks import secret_new
from tests.factories import ExamFactory
from tests.rest.conftest import World, client_for

PERSONAS = (
    "anonymous",
    "learner",
    "other_learner",
    "staff",
    "other_staff",
    "global_staff",
    "service",
)


@dataclass(frozen=True)
class Row:
    path: Callable[[World], str]
    expect: tuple[int, ...]  # in the order of PERSONAS
    body: Callable[[World], Any] | None = None
    status: str | None = None  # the attempt's status before the call
    setup: Callable[[World], None] | None = field(default=None)


def _attempt(suffix: str = "") -> Callable[[World], str]:
    return lambda w: f"/api/v1/attempts/{w.attempt.pk}{suffix}"


def _course(suffix: str = "") -> Callable[[World], str]:
    return lambda w: f"/api/v1/courses/{w.course.course_id}{suffix}"


def _exam(suffix: str = "") -> Callable[[World], str]:
    return lambda w: f"/api/v1/courses/{w.course.course_id}/exams/{w.exam.pk}{suffix}"


def _grant_bob_a_role(w: World) -> None:
    CourseRole.objects.update_or_create(
        user=w.other_learner, course=w.course, defaults={"role": "learner"}
    )


def _give_alice_an_allowance(w: World) -> None:
    Allowance.objects.create(exam=w.exam, user=w.learner, key="time_multiplier", value="2")


def _start(w: World) -> None:
    attempt_update_status(exam_id=w.exam.pk, user_id=w.learner.pk, to_status="started")


def _start_and_pause(w: World) -> None:
    _start(w)
    attempt_pause(attempt_id=w.attempt.pk, actor_id=None, reason="set up")


def _practice_submitted(w: World) -> None:
    """Alice's attempt is on a practice exam, and submitted."""
    Exam.objects.filter(pk=w.exam.pk).update(is_practice_exam=True)
    Attempt.objects.filter(pk=w.attempt.pk).update(status="submitted")


def _failed_after_start(w: World) -> None:
    _start(w)
    attempt_update_status(exam_id=w.exam.pk, user_id=w.learner.pk, to_status="error")


def _resumable(w: World) -> None:
    _failed_after_start(w)
    attempt_mark_resumable(attempt_id=w.attempt.pk, actor_id=None)


def _webhook(w: World) -> None:
    """A subscription of the service account (global staff see every one)."""
    owner = ApiKey.objects.get(name="lms").user
    subscription = Subscription.objects.create(
        id=4242,
        kind="webhook",
        name="lms",
        url="http://127.0.0.1:9/hooks",
        owner=owner,
        secret=secret_new(),
    )
    event = Event.objects.create(type="exam.changed", occurred_at=now(), course_id="c")
    Delivery.objects.create(
        id=4343, subscription=subscription, event=event, attempted_at=now(), outcome="dead"
    )


def _fresh_exam(w: World) -> dict[str, Any]:
    return {"exam_id": ExamFactory(course=w.course).pk}


def _hook(suffix: str = "") -> Callable[[World], str]:
    return lambda w: f"/api/v1/webhooks/4242{suffix}"


#                      anon learner other staff other_staff global service
LEARNER_ACTION = (401, 200, 403, 403, 403, 403, 403)
LEARNER_CREATES = (401, 201, 403, 403, 403, 403, 403)
OWNER_OR_STAFF = (401, 200, 403, 200, 403, 200, 200)
STAFF_ONLY = (401, 403, 403, 200, 403, 200, 200)
STAFF_CREATES = (401, 403, 403, 201, 403, 201, 201)
STAFF_DELETES = (401, 403, 403, 204, 403, 204, 204)
GLOBAL_ONLY = (401, 403, 403, 403, 403, 200, 200)

MATRIX: dict[tuple[str, str], Row] = {
    # Only the course's members (its learners and staff) take its exams.
    ("attempt-create", "POST"): Row(
        lambda w: "/api/v1/attempts", (401, 201, 201, 201, 403, 403, 403), body=_fresh_exam
    ),
    ("attempt-active", "GET"): Row(
        lambda w: "/api/v1/attempts/active", (401, 200, 200, 200, 200, 200, 403)
    ),
    ("attempt-detail", "GET"): Row(_attempt(), OWNER_OR_STAFF),
    ("attempt-start", "POST"): Row(_attempt("/start"), LEARNER_ACTION),
    ("attempt-stop", "POST"): Row(_attempt("/stop"), LEARNER_ACTION, status="started"),
    ("attempt-submit", "POST"): Row(_attempt("/submit"), LEARNER_ACTION, status="started"),
    ("attempt-decline", "POST"): Row(_attempt("/decline"), LEARNER_ACTION),
    ("attempt-error", "POST"): Row(_attempt("/error"), LEARNER_ACTION, status="started"),
    ("attempt-review", "POST"): Row(
        _attempt("/review"), STAFF_ONLY, body=lambda w: {"status": "verified"}, status="submitted"
    ),
    ("attempt-reset", "POST"): Row(_attempt("/reset"), STAFF_ONLY),
    ("attempt-add-time", "POST"): Row(
        _attempt("/time"), STAFF_ONLY, body=lambda w: {"minutes": 10}, setup=_start
    ),
    ("attempt-pause", "POST"): Row(_attempt("/pause"), STAFF_ONLY, setup=_start),
    ("attempt-resume", "POST"): Row(_attempt("/resume"), STAFF_ONLY, setup=_start_and_pause),
    ("course", "GET"): Row(_course(), STAFF_ONLY),
    ("course", "PUT"): Row(
        _course(), (401, 403, 403, 403, 403, 200, 200), body=lambda w: {"display_name": "D"}
    ),
    ("course-role-list", "GET"): Row(_course("/roles"), STAFF_ONLY),
    ("course-role", "PUT"): Row(
        _course("/roles/bob"), STAFF_ONLY, body=lambda w: {"role": "learner"}
    ),
    ("course-role", "DELETE"): Row(_course("/roles/bob"), STAFF_DELETES, setup=_grant_bob_a_role),
    ("exam-list", "GET"): Row(_course("/exams"), STAFF_ONLY),
    ("exam-list", "POST"): Row(
        _course("/exams"),
        STAFF_CREATES,
        body=lambda w: {"content_id": "new", "exam_name": "New", "time_limit_mins": 30},
    ),
    ("exam-lookup", "GET"): Row(_course("/exams/lookup?content_id=midterm"), STAFF_ONLY),
    ("exam-detail", "GET"): Row(_exam(), STAFF_ONLY),
    ("exam-detail", "PATCH"): Row(_exam(), STAFF_ONLY, body=lambda w: {"exam_name": "Renamed"}),
    ("allowance-detail", "PUT"): Row(
        _exam("/allowances/alice/additional_time_granted"),
        STAFF_CREATES,
        body=lambda w: {"value": "5"},
    ),
    ("allowance-detail", "DELETE"): Row(
        _exam("/allowances/alice/time_multiplier"), STAFF_DELETES, setup=_give_alice_an_allowance
    ),
    ("allowance-list", "GET"): Row(_course("/allowances"), STAFF_ONLY),
    ("allowance-bulk", "POST"): Row(
        _course("/allowances/bulk"),
        STAFF_ONLY,
        body=lambda w: {
            "exam_ids": [w.exam.pk],
            "usernames": ["alice", "bob"],
            "key": "additional_time_granted",
            "value": "10",
        },
    ),
    ("course-attempt-list", "GET"): Row(_course("/attempts"), STAFF_ONLY),
    ("webhook-list", "GET"): Row(lambda w: "/api/v1/webhooks", GLOBAL_ONLY),
    ("webhook-list", "POST"): Row(
        lambda w: "/api/v1/webhooks",
        (401, 403, 403, 403, 403, 201, 201),
        body=lambda w: {"url": "http://127.0.0.1:9/hooks"},
    ),
    ("webhook-detail", "GET"): Row(_hook(), GLOBAL_ONLY, setup=_webhook),
    ("webhook-detail", "DELETE"): Row(_hook(), (401, 403, 403, 403, 403, 204, 204), setup=_webhook),
    ("webhook-pause", "POST"): Row(_hook("/pause"), GLOBAL_ONLY, setup=_webhook),
    ("webhook-resume", "POST"): Row(_hook("/resume"), GLOBAL_ONLY, setup=_webhook),
    ("webhook-rotate-secret", "POST"): Row(_hook("/rotate-secret"), GLOBAL_ONLY, setup=_webhook),
    ("webhook-replay", "POST"): Row(
        _hook("/replay"), GLOBAL_ONLY, setup=_webhook, body=lambda w: {"since": "2020-01-01T00:00Z"}
    ),
    ("webhook-delivery-list", "GET"): Row(_hook("/deliveries"), GLOBAL_ONLY, setup=_webhook),
    ("webhook-delivery-retry", "POST"): Row(
        _hook("/deliveries/4343/retry"), GLOBAL_ONLY, setup=_webhook
    ),
    ("event-backlog", "GET"): Row(lambda w: "/api/v1/events/backlog", GLOBAL_ONLY),
    # Issue 10: the review work, staff control.
    ("course-review-queue", "GET"): Row(_course("/review-queue"), STAFF_ONLY),
    ("course-onboarding-statuses", "GET"): Row(_course("/onboarding-statuses"), STAFF_ONLY),
    ("attempt-timeline", "GET"): Row(_attempt("/timeline"), STAFF_ONLY),
    ("attempt-retake", "POST"): Row(
        _attempt("/retake"), LEARNER_CREATES, setup=_practice_submitted
    ),
    ("attempt-resumable", "POST"): Row(
        _attempt("/resumable"), STAFF_ONLY, setup=_failed_after_start
    ),
    ("attempt-continue", "POST"): Row(_attempt("/continue"), LEARNER_CREATES, setup=_resumable),
    ("attempt-end", "POST"): Row(
        _attempt("/end"), STAFF_ONLY, setup=_start, body=lambda w: {"reason": "fire alarm"}
    ),
    ("attempt-set-status", "POST"): Row(
        _attempt("/status"), GLOBAL_ONLY, body=lambda w: {"status": "error", "reason": "fix"}
    ),
    ("attempt-provider", "GET"): Row(_attempt("/provider"), OWNER_OR_STAFF),
    ("attempt-ping-missed", "POST"): Row(
        _attempt("/ping-missed"), (401, 201, 403, 403, 403, 403, 403)
    ),
    # The course's provider (null) has no dashboard: 404 for those who may ask.
    ("exam-provider-dashboard", "GET"): Row(
        _exam("/provider-dashboard"), (401, 403, 403, 404, 403, 404, 404)
    ),
    # Only providers call back (a signature or a provider's service account): sessions are
    # not accepted there, and a platform's API key is no provider's.
    ("provider-callback-ready", "POST"): Row(
        lambda w: "/api/v1/providers/null/attempts/x/ready", (401, 401, 401, 401, 401, 401, 403)
    ),
    ("provider-callback-reviewed", "POST"): Row(
        lambda w: "/api/v1/providers/null/attempts/x/reviewed",
        (401, 401, 401, 401, 401, 401, 403),
        body=lambda w: {"status": "passed"},
    ),
    ("user-retire", "POST"): Row(
        lambda w: "/api/v1/users/bob/retire", (401, 403, 403, 403, 403, 200, 200)
    ),
}


def _release_for_everyone(w: World) -> None:
    from proctoring.access.rules import exam_release

    exam_release(exam=w.exam, group="", actor_id=None)


def _seb_file(w: World) -> None:
    from proctoring.access.rules import exam_rules_set

    exam_rules_set(exam=w.exam, changes={"seb_config_file": "<plist/>"})


# Access rules (issue 15). The SEB file goes to the course's members (learners and staff); a
# learner's question is the caller's own, and a platform must name the learner (400).
LEARNER_QUESTION = (401, 200, 200, 200, 403, 403, 400)
MATRIX.update(
    {
        ("exam-access", "GET"): Row(_exam("/access"), STAFF_ONLY),
        ("exam-access", "PATCH"): Row(
            _exam("/access"), STAFF_ONLY, body=lambda w: {"rules_text": "Calculators allowed."}
        ),
        ("learner-window", "PUT"): Row(
            _exam("/windows/learners/bob"), STAFF_ONLY, body=lambda w: {"opens_at": None}
        ),
        ("learner-window", "DELETE"): Row(_exam("/windows/learners/bob"), STAFF_DELETES),
        ("group-window", "PUT"): Row(
            _exam("/windows/groups/room-1"), STAFF_ONLY, body=lambda w: {}
        ),
        ("group-window", "DELETE"): Row(_exam("/windows/groups/room-1"), STAFF_DELETES),
        ("group-members", "PUT"): Row(
            _course("/allowances/groups/room-1"), STAFF_ONLY, body=lambda w: {"usernames": ["bob"]}
        ),
        ("exam-release", "POST"): Row(_exam("/release"), STAFF_ONLY, body=lambda w: {}),
        ("exam-release", "DELETE"): Row(
            _exam("/release"), STAFF_DELETES, setup=_release_for_everyone
        ),
        ("exam-gate-log", "GET"): Row(_exam("/gate-log"), STAFF_ONLY),
        ("attempt-session-unlock", "POST"): Row(_attempt("/unlock-session"), STAFF_ONLY),
        ("course-exam-summary", "GET"): Row(_course("/exams/summary"), LEARNER_QUESTION),
        ("exam-content-access", "GET"): Row(
            lambda w: f"/api/v1/exams/{w.exam.pk}/content-access", LEARNER_QUESTION
        ),
        ("exam-learner-settings", "GET"): Row(
            lambda w: f"/api/v1/exams/{w.exam.pk}/learner-settings", LEARNER_QUESTION
        ),
        ("learner-accommodations", "GET"): Row(_course("/allowances/learners/alice"), STAFF_ONLY),
        ("exam-register", "POST"): Row(
            _course("/exams/register"),
            STAFF_ONLY,
            body=lambda w: {
                "exams": [{"content_id": "midterm", "exam_name": "Midterm", "time_limit_mins": 60}]
            },
        ),
        ("exam-extend", "POST"): Row(
            _exam("/extend"), STAFF_ONLY, body=lambda w: {"minutes": 5, "reason": "Outage"}
        ),
        ("course-profile", "PUT"): Row(
            _course("/allowances/profiles/bob"), STAFF_ONLY, body=lambda w: {"time_multiplier": "2"}
        ),
        ("exam-seb-config", "GET"): Row(
            lambda w: f"/api/v1/exams/{w.exam.pk}/seb-config",
            (401, 200, 200, 200, 403, 403, 403),
            setup=_seb_file,
        ),
    }
)


def _api_endpoints() -> set[tuple[str, str]]:
    """Every (url name, method) under /api/v1/, read from the URL resolver."""
    found: set[tuple[str, str]] = set()

    def walk(patterns: list[Any], prefix: str) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern) and route.startswith("api/v1/"):
                view = pattern.callback.view_class
                for method in view.http_method_names:
                    if method not in ("options", "head", "trace") and hasattr(view, method):
                        found.add((pattern.name, method.upper()))

    walk(get_resolver().url_patterns, "")
    return found


def test_every_endpoint_has_a_row():
    endpoints = _api_endpoints()
    assert endpoints, "no endpoint found under /api/v1/"
    assert endpoints - MATRIX.keys() == set(), "endpoints without a row in MATRIX"
    assert MATRIX.keys() - endpoints == set(), "rows for endpoints that do not exist"


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("endpoint", sorted(MATRIX), ids="{0[1]} {0[0]}".format)
def test_authorization(world, endpoint, persona, settings):
    settings.PROCTORING_WEBHOOKS_ALLOW_PRIVATE = True  # the webhooks point at a closed port
    row = MATRIX[endpoint]
    if row.setup:
        row.setup(world)
    if row.status:
        Attempt.objects.filter(pk=world.attempt.pk).update(status=row.status)
    client = client_for(world, persona)
    method = endpoint[1].lower()
    body = row.body(world) if row.body else None
    response = getattr(client, method)(row.path(world), body, format="json")
    expected = row.expect[PERSONAS.index(persona)]
    assert response.status_code == expected, response.content
    if expected >= 400:
        assert {"detail", "code"} <= set(response.json())
    if expected == 403 and row.expect in (STAFF_ONLY, STAFF_CREATES, STAFF_DELETES):
        assert response.json()["detail"] == "Must be a Staff User to Perform this request."
