"""A course proctored by the ``browser`` provider, its learner's attempt at each step (created
with its session, consented, running), snapshots kept in a folder of the test's own."""

from __future__ import annotations

import base64
import io
import itertools
import json
from typing import Any

import pytest

from proctoring.attempts import actions
from proctoring.attempts.models import Attempt
from proctoring.browser.models import BrowserSession
from proctoring.providers import services as provider_services
from tests.web.conftest import World
from tests.web.conftest import world as world  # the web tests' course world (a fixture)

# The smallest JPEG-looking bytes the ingest accepts (its magic number; it does not decode).
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 200
_ids = itertools.count(1)


@pytest.fixture(autouse=True)
def snapshot_folder(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "browser_snapshots": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "snapshots")},
        },
    }
    return tmp_path / "snapshots"


@pytest.fixture
def browser_world(world):
    world.course.provider = "browser"
    world.course.save()
    return world


def created(course: World) -> Attempt:
    """The learner asked to start: the attempt exists, registered with the browser provider."""
    return provider_services.attempt_create_for_learner(
        exam_id=course.exam.pk, user_id=course.learner.pk, taking_as_proctored=True
    )


def session_of(attempt: Attempt) -> BrowserSession:
    return BrowserSession.objects.get(attempt_id=attempt.pk)


def running(course: World, client: Any) -> Attempt:
    """Created, consented through the setup page (checks passed), started."""
    attempt = created(course)
    client.force_login(course.learner)
    response = client.post(
        f"/browser/setup/{attempt.external_id}",
        {"agree": "yes", "camera": "ok", "fullscreen": "ok"},
    )
    assert response.status_code == 302, response.content
    return actions.attempt_act(attempt_id=attempt.pk, action="start", actor_id=course.learner.pk)


def event(kind: str = "heartbeat", at_ms: int | None = None, **data: Any) -> dict[str, Any]:
    import time

    return {
        "id": f"t-{next(_ids)}",
        "type": kind,
        "at": at_ms if at_ms is not None else int(time.time() * 1000),
        "data": data,
    }


def snapshot(content: bytes = JPEG, **extra: Any) -> dict[str, Any]:
    import time

    return {
        "id": f"s-{next(_ids)}",
        "kind": "camera",
        "at": int(time.time() * 1000),
        "image": "data:image/jpeg;base64," + base64.b64encode(content).decode(),
        **extra,
    }


def post_batch(client: Any, attempt: Attempt, body: Any, **extra: Any) -> Any:
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return client.post(
        f"/attempts/{attempt.pk}/browser-events",
        data=data,
        content_type="application/json",
        **extra,
    )


__all__ = ["io"]
