"""Schemathesis against the live server, as a learner and as course staff: no 5xx, responses
that match the schema (status code, content type, body), and every request the schema allows
accepted (``positive_data_acceptance``: no 400 for a schema-valid request, so the schema and
the server agree on what input is valid).

The schema is generated at collection time by the generator that serves /api/schema/ (one
test per operation), and the first test checks that the live server serves that very schema.
Bounded for CI (FUZZ_MAX_EXAMPLES, 8 by default per operation); `make fuzz` runs longer.
"""

import json
import os
import time
from dataclasses import dataclass

import jwt
import pytest
import requests
import schemathesis
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from schemathesis import checks as sc
from schemathesis.specs.openapi import checks as oc

from proctoring.accounts.claims import platform_claims_parse
from proctoring.accounts.identities import platform_user_sync
from proctoring.attempts.services import attempt_create
from tests.rest.conftest import COURSE_ID, JWT_ISSUER, mint

MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "8"))
CHECKS = [
    sc.not_a_server_error,
    oc.status_code_conformance,
    oc.content_type_conformance,
    oc.response_schema_conformance,
    oc.positive_data_acceptance,
]


def _schema_document():
    document = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(document))


DOCUMENT = _schema_document()
schema = schemathesis.openapi.from_dict(DOCUMENT)


@dataclass
class Target:
    url: str
    ids: dict[str, int]


@pytest.fixture
def server(live_server, world):
    """The live server with the course world; the fuzz learner has an attempt on its exam."""
    claims = platform_claims_parse(
        payload=jwt.decode(LEARNER_TOKEN, options={"verify_signature": False}), issuer=JWT_ISSUER
    )
    fuzz_learner = platform_user_sync(claims=claims)
    own = attempt_create(exam_id=world.exam.pk, user_id=fuzz_learner.pk)
    return Target(
        url=live_server.url,
        ids={"exam_id": world.exam.pk, "attempt_id": own.pk, "staff_attempt_id": world.attempt.pk},
    )


def _aim(case, target, *, course_staff):
    """Point half of the generated ids (and, for staff, every course id) at real objects, so
    the examples reach past the 404s and 403s."""
    params = case.path_parameters
    if not params:
        return
    if course_staff and "course_id" in params:
        params["course_id"] = COURSE_ID
    for name in ("exam_id", "attempt_id"):
        value = params.get(name)
        if isinstance(value, int) and value % 2 == 0:
            key = "staff_attempt_id" if course_staff and name == "attempt_id" else name
            params[name] = target.ids[key]


def test_the_live_server_serves_the_fuzzed_schema(server):
    response = requests.get(
        f"{server.url}/api/schema/",
        headers={"Accept": "application/vnd.oai.openapi+json"},
        timeout=30,
    )
    assert response.json() == DOCUMENT


def _bearer(token):
    return {"Authorization": f"Bearer {token}"}


LEARNER_TOKEN = mint("fuzz-learner", preferred_username="fuzzy", exp=int(time.time()) + 86400)
LEARNER = _bearer(LEARNER_TOKEN)
STAFF = _bearer(
    mint(
        "fuzz-staff",
        preferred_username="fuzzstaff",
        course_roles={COURSE_ID: "staff"},
        exp=int(time.time()) + 86400,
    )
)
FUZZ_SETTINGS = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=os.environ.get("FUZZ_RANDOM") != "1",
    suppress_health_check=list(HealthCheck),
)


@schema.parametrize()
@FUZZ_SETTINGS
def test_as_a_learner_the_api_never_fails_and_keeps_to_its_schema(case, server):
    _aim(case, server, course_staff=False)
    case.call_and_validate(base_url=server.url, headers=LEARNER, checks=CHECKS)


@schema.parametrize()
@FUZZ_SETTINGS
def test_as_course_staff_the_api_never_fails_and_keeps_to_its_schema(case, server):
    _aim(case, server, course_staff=True)
    case.call_and_validate(base_url=server.url, headers=STAFF, checks=CHECKS)
