"""The vendor simulator, a course proctored by it, and signed callbacks."""

from __future__ import annotations

import base64
import json
import secrets
from datetime import UTC, datetime
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook

from proctoring.accounts.services import api_key_create
from tests.factories import CourseFactory, CourseRoleFactory, ExamFactory, UserFactory
from tests.providers.simulator import CLIENT_ID, CLIENT_SECRET, VendorSimulator

ALIAS = "acme"
OTHER_ALIAS = "globex"
WEBHOOK_SECRET = "whsec_" + base64.b64encode(b"a" * 32).decode()
OTHER_SECRET = "whsec_" + base64.b64encode(b"b" * 32).decode()
COURSE_ID = "course-v1:Acme+Proctored+2026"


@pytest.fixture
def simulator():
    vendor = VendorSimulator()
    yield vendor
    vendor.stop()


def rest_options(url: str, **options: Any) -> dict[str, Any]:
    return {
        "BASE_URL": url,
        "CLIENT_ID": CLIENT_ID,
        "CLIENT_SECRET": CLIENT_SECRET,
        "TIMEOUT_SECONDS": 0.5,
        "RETRIES": 1,
        "BACKOFF_SECONDS": 0.01,
        "WORKER_URL": "https://vendor.example/worker.js",
        "PING_INTERVAL": 30,
        **options,
    }


def rest_entry(url: str, **options: Any) -> dict[str, Any]:
    options = rest_options(url, **options)
    return {"CLASS": "proctoring.providers.rest.RestProvider", "OPTIONS": options}


@pytest.fixture
def vendor_settings(settings, simulator):
    """``acme`` is the simulator, signing with WEBHOOK_SECRET, with the service account
    ``svc-acme``; ``globex`` is another vendor (its callbacks signed with OTHER_SECRET)."""
    settings.PROCTORING_BACKENDS = {
        "DEFAULT": "null",
        "null": {},
        ALIAS: rest_entry(
            simulator.url, WEBHOOK_SECRET=WEBHOOK_SECRET, SERVICE_ACCOUNTS=["svc-acme"]
        ),
        OTHER_ALIAS: rest_entry("http://127.0.0.1:9", WEBHOOK_SECRET=OTHER_SECRET),
    }
    return settings


@pytest.fixture
def vendor_course(db, vendor_settings):
    return CourseFactory(course_id=COURSE_ID, provider=ALIAS)


@pytest.fixture
def proctored_exam(vendor_course):
    return ExamFactory(course=vendor_course, content_id="final", exam_name="Final")


@pytest.fixture
def enrolled_learner(vendor_course):
    user = UserFactory(username="lena", email="lena@example.org", first_name="Lena")
    CourseRoleFactory(user=user, course=vendor_course, role="learner")
    return user


@pytest.fixture
def provider_key(db):
    """An API key of acme's service account."""
    return api_key_create(name="acme")[1]


def signed(
    payload: Any,
    *,
    secret: str = WEBHOOK_SECRET,
    message_id: str | None = None,
    timestamp: datetime | None = None,
) -> tuple[str, dict[str, str]]:
    """A JSON body and the Standard Webhooks headers signing it, for Django's test client."""
    body = json.dumps(payload)
    moment = timestamp or datetime.now(UTC)
    message_id = message_id or f"msg_{secrets.token_hex(8)}"
    return body, {
        "HTTP_WEBHOOK_ID": message_id,
        "HTTP_WEBHOOK_TIMESTAMP": str(int(moment.timestamp())),
        "HTTP_WEBHOOK_SIGNATURE": Webhook(secret).sign(message_id, moment, body),
    }
