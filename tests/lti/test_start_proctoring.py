"""The authorization endpoint refuses every bad authentication request with a 4xx and no
id_token, and leaves the launch's hint unused."""

from __future__ import annotations

from datetime import timedelta

import pytest

from proctoring.core.clock import now
from proctoring.lti.models import LtiLaunch
from proctoring.lti.tools import ToolSpec, tool_register
from tests.lti.conftest import launch, start_proctoring

pytestmark = pytest.mark.django_db(transaction=True)


def _refused(answer, status: int) -> None:
    assert answer.status_code == status, answer.text[:300]
    assert 'name="id_token"' not in answer.text
    assert not LtiLaunch.objects.filter(hint_used_at__isnull=False).exists()


@pytest.mark.parametrize(
    ("override", "status"),
    [
        ({"redirect_uri": "https://evil.example/launch"}, 400),
        ({"lti_message_hint": "not-a-hint"}, 400),
        ({"nonce": None}, 400),
        ({"state": None}, 400),
        ({"scope": "profile"}, 400),
        ({"response_type": "code"}, 400),
        ({"response_mode": "query"}, 400),
        ({"client_id": "nobody"}, 400),
        ({"login_hint": "someone-else"}, 403),
    ],
)
def test_a_bad_authentication_request_gets_no_token(
    learner_lti, registered, platform, override, status
):
    url = registered.login(launch(learner_lti, registered, platform), **override)
    _refused(learner_lti.browser.get(url, timeout=10), status)


def test_another_tools_client_id_is_refused(learner_lti, registered, platform):
    initiation = launch(learner_lti, registered, platform)
    tool_register(
        ToolSpec(
            name="Other",
            client_id="other-tool",
            deployment_id="d",
            login_url="https://other.example/login",
            launch_url="https://other.example/launch",
            redirect_uris=(registered.launch_url,),
            jwks_url="https://other.example/jwks",
        )
    )
    url = registered.login(initiation, client_id="other-tool")
    _refused(learner_lti.browser.get(url, timeout=10), 400)


def test_an_expired_hint_is_refused(learner_lti, registered, platform):
    url = registered.login(launch(learner_lti, registered, platform))
    LtiLaunch.objects.update(hint_expires_at=now() - timedelta(seconds=1))
    _refused(learner_lti.browser.get(url, timeout=10), 400)


def test_another_signed_in_learner_cannot_use_the_hint(
    learner_lti, other_browser, registered, platform
):
    url = registered.login(launch(learner_lti, registered, platform))
    _refused(other_browser.get(url, timeout=10), 403)


def test_a_hint_is_used_once(learner_lti, registered, platform):
    initiation = launch(learner_lti, registered, platform)
    first = learner_lti.browser.get(registered.login(initiation), timeout=10)
    assert first.status_code == 200 and "id_token" in first.text
    again = learner_lti.browser.get(registered.login(initiation), timeout=10)
    assert again.status_code == 400
    assert 'name="id_token"' not in again.text


def test_a_signed_out_browser_is_sent_to_sign_in(learner_lti, registered, platform):
    import requests

    url = registered.login(launch(learner_lti, registered, platform))
    answer = requests.get(url, allow_redirects=False, timeout=10)
    assert answer.status_code == 302 and "/signin" in answer.headers["Location"]
    assert not LtiLaunch.objects.filter(hint_used_at__isnull=False).exists()


def test_the_form_may_post_to_the_tool_only(learner_lti, registered, platform):
    initiation = launch(learner_lti, registered, platform)
    answer = learner_lti.browser.get(registered.login(initiation), timeout=10)
    policy = answer.headers["Content-Security-Policy"]
    assert f"form-action 'self' {registered.base}" in policy
    assert "script-src 'self'" in policy
    assert answer.headers["Cache-Control"] == "no-store"


def test_the_learner_sees_each_attempts_own_launch(learner_lti, registered, platform):
    claims = start_proctoring(learner_lti, registered, platform)
    assert (
        LtiLaunch.objects.get().session_data
        == claims["https://purl.imsglobal.org/spec/lti-ap/claim/session_data"]
    )


def test_a_launch_for_someone_elses_attempt_is_refused(
    learner_lti, other_browser, registered, platform
):
    external_id = learner_lti.attempt.external_id
    answer = other_browser.get(
        f"{platform}/lti/launch/{external_id}", allow_redirects=False, timeout=10
    )
    assert answer.status_code == 400
    assert not LtiLaunch.objects.exists()
