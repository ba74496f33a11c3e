"""Service tokens (RFC 7523 client assertions) and assessment control: every refusal is a
4xx with a JSON body, and changes nothing."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
import requests

from proctoring.attempts.models import Attempt, AttemptTimeChange
from proctoring.core.clock import now
from proctoring.lti.models import LtiAccessToken, LtiTool
from proctoring.lti.tokens import _digest
from proctoring.providers.models import ProviderEvent
from tests.lti.conftest import start_assessment, start_proctoring
from tests.lti.tool import ACS_TYPE, SCOPE_ACS, token_request

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def running(learner_lti, registered, platform):
    claims = start_proctoring(learner_lti, registered, platform)
    assert start_assessment(learner_lti, registered.start_assessment_jwt(claims)).ok
    return claims


def _body(claims, action="pause", **fields):
    return {
        "user": {"sub": claims["sub"]},
        "resource_link": {
            "id": claims["https://purl.imsglobal.org/spec/lti/claim/resource_link"]["id"]
        },
        "attempt_number": 1,
        "action": action,
        **fields,
    }


def _acs(platform, token, body, media_type=ACS_TYPE):
    headers = {"Content-Type": media_type}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = body if isinstance(body, str) else json.dumps(body)
    return requests.post(platform + "/lti/acs", data=data, headers=headers, timeout=10)


def _token(tool) -> str:
    answer = token_request(tool)
    assert answer.status_code == 200, answer.text
    assert answer.json()["scope"] == SCOPE_ACS and answer.json()["token_type"] == "Bearer"
    return answer.json()["access_token"]


def _untouched(learner):
    attempt = Attempt.objects.get(pk=learner.attempt.pk)
    assert attempt.status == "started" and attempt.paused_at is None
    assert not AttemptTimeChange.objects.filter(attempt=attempt).exists()


# The token endpoint.


@pytest.mark.parametrize(
    "claims",
    [
        {"aud": "https://elsewhere.example/token"},
        {"sub": "someone-else"},
        {"jti": None},
        {"exp": int(time.time()) - 60},
        {"exp": int(time.time()) + 3600},
        {"iss": "unknown-client"},
    ],
    ids=["audience", "sub", "no-jti", "expired", "too-long", "unknown-client"],
)
def test_a_bad_client_assertion_gets_no_token(registered, claims):
    answer = token_request(registered, **claims)
    assert answer.status_code in (400, 401), answer.text
    assert answer.json()["error"] == "invalid_client"
    assert not LtiAccessToken.objects.exists()


def test_a_replayed_jti_gets_no_token(registered):
    assert token_request(registered, jti="once").status_code == 200
    again = token_request(registered, jti="once")
    assert again.status_code == 400 and again.json()["error"] == "replayed"
    assert LtiAccessToken.objects.count() == 1


def test_a_token_needs_the_right_grant_and_a_scope(registered, platform):
    answer = requests.post(platform + "/lti/token", data={"grant_type": "password"}, timeout=10)
    assert answer.status_code == 400 and answer.json()["error"] == "unsupported_grant_type"
    import jwt as pyjwt

    assertion = pyjwt.encode(
        {
            "iss": registered.client_id,
            "sub": registered.client_id,
            "aud": platform + "/lti/token",
            "iat": int(time.time()),
            "exp": int(time.time()) + 60,
            "jti": "j1",
        },
        registered.private_pem,
        algorithm="RS256",
        headers={"kid": registered.kid},
    )
    answer = requests.post(
        platform + "/lti/token",
        data={
            "grant_type": "client_credentials",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion,
            "scope": "https://purl.imsglobal.org/spec/lti-ags/scope/score",
        },
        timeout=10,
    )
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_scope"
    assert not LtiAccessToken.objects.exists()


# Assessment control.


def test_acs_without_a_valid_token_is_401(learner_lti, registered, running, platform):
    assert _acs(platform, "", _body(running)).status_code == 401
    assert _acs(platform, "made-up", _body(running)).status_code == 401
    token = _token(registered)
    LtiAccessToken.objects.update(expires_at=now() - timedelta(seconds=1))
    answer = _acs(platform, token, _body(running))
    assert answer.status_code == 401 and answer.json()["error"] == "invalid_token"
    assert "Bearer" in answer.headers["WWW-Authenticate"]
    _untouched(learner_lti)


def test_acs_with_a_token_of_another_scope_is_403(learner_lti, registered, running, platform):
    LtiAccessToken.objects.create(
        tool=LtiTool.objects.get(),
        digest=_digest("ags-token"),
        scopes=["https://purl.imsglobal.org/spec/lti-ags/scope/score"],
        expires_at=now() + timedelta(hours=1),
        created=now(),
    )
    answer = _acs(platform, "ags-token", _body(running))
    assert answer.status_code == 403 and answer.json()["error"] == "insufficient_scope"
    _untouched(learner_lti)


def test_acs_on_an_attempt_of_another_registration_is_404(
    learner_lti, registered, running, platform
):
    from proctoring.lti.tools import ToolSpec, tool_register
    from tests.lti.tool import ProctoringTool

    other = ProctoringTool(platform)
    try:
        tool_register(
            ToolSpec(
                name="Other",
                client_id=other.client_id,
                deployment_id=other.deployment_id,
                login_url=other.login_url,
                launch_url=other.launch_url,
                jwks_url=other.jwks_url,
            )
        )
        answer = _acs(platform, _token(other), _body(running))
        assert answer.status_code == 404 and answer.json()["error"] == "not_found"
        wrong_number = _acs(platform, _token(registered), _body(running, attempt_number=2))
        assert wrong_number.status_code == 404
    finally:
        other.stop()
    _untouched(learner_lti)


def test_an_action_not_advertised_is_400(learner_lti, registered, running, platform):
    LtiTool.objects.update(actions=["flag"])
    answer = _acs(platform, _token(registered), _body(running, "pause"))
    assert answer.status_code == 400 and "advertised" in answer.json()["error_description"]
    _untouched(learner_lti)


@pytest.mark.parametrize(
    ("body", "media_type"),
    [
        ("{not json", ACS_TYPE),
        ("[]", ACS_TYPE),
        (json.dumps({"action": "pause"}), "text/plain"),
        (json.dumps({"action": "explode"}), ACS_TYPE),
        (
            json.dumps({"action": "pause", "attempt_number": 1, "resource_link": {"id": "x"}}),
            ACS_TYPE,
        ),
    ],
    ids=["malformed", "not-an-object", "media-type", "unknown-action", "no-user"],
)
def test_a_malformed_acs_request_is_400(
    learner_lti, registered, running, platform, body, media_type
):
    answer = _acs(platform, _token(registered), body, media_type)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error_description"]
    _untouched(learner_lti)


def test_plain_json_is_accepted_too(learner_lti, registered, running, platform):
    answer = _acs(platform, _token(registered), _body(running, "pause"), "application/json")
    assert answer.status_code == 200 and answer.json()["status"] == "paused"


def test_bad_extra_time_and_illegal_moves_change_nothing(
    learner_lti, registered, running, platform
):
    token = _token(registered)
    for value in (-5, "ten", True, None):
        answer = _acs(platform, token, _body(running, "update", extra_time=value))
        assert answer.status_code == 400, value
    assert _acs(platform, token, _body(running, "resume")).status_code == 409  # not paused
    _untouched(learner_lti)
    assert _acs(platform, token, _body(running, "update", extra_time=10)).ok
    smaller = _acs(platform, token, _body(running, "update", extra_time=5))
    assert smaller.status_code == 400
    assert AttemptTimeChange.objects.count() == 1


def test_the_status_of_a_completed_attempt_is_complete(learner_lti, registered, running, platform):
    from proctoring.attempts import actions

    actions.attempt_act(
        attempt_id=learner_lti.attempt.pk, action="submit", actor_id=learner_lti.user.pk
    )
    token = _token(registered)
    flagged = _acs(platform, token, _body(running, "flag", reason_msg="after the end"))
    assert flagged.status_code == 200 and flagged.json()["status"] == "complete"
    assert ProviderEvent.objects.filter(operation="lti_flag").count() == 1
    assert _acs(platform, token, _body(running, "terminate")).status_code == 409
