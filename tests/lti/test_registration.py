"""Discovery, dynamic registration (the tool is pylti1p3's DynamicRegistration), and manual
registration through the CLI and the admin."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.core.management import CommandError, call_command
from pylti1p3.dynamic_registration import DynamicRegistration
from pylti1p3.exception import LtiServiceException

from proctoring.lti.models import LtiRegistrationLink, LtiTool
from tests.factories import UserFactory
from tests.lti.conftest import start_assessment, start_proctoring
from tests.lti.tool import SCOPE_ACS

PLATFORM_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-platform-configuration"


class ToolRegistration(DynamicRegistration):
    """The test tool's registration page, given the link the administrator handed it."""

    client_name = "Proctorio-like (dynamic)"

    def __init__(self, tool: Any, link: str) -> None:
        self.tool = tool
        self.params = {k: v[0] for k, v in parse_qs(urlsplit(link).query).items()}
        self.completed: dict[str, Any] = {}

    def get_openid_configuration_endpoint(self) -> str:
        return self.params["openid_configuration"]

    def get_registration_token(self) -> str:
        return self.params["registration_token"]

    def get_initiate_login_uri(self) -> str:
        return self.tool.login_url

    def get_jwks_uri(self) -> str:
        return self.tool.jwks_url

    def get_redirect_uris(self) -> list[str]:
        return [self.tool.launch_url]

    def get_scopes(self) -> list[str]:
        return [SCOPE_ACS]

    def get_domain(self) -> str:
        return urlsplit(self.tool.base).netloc

    def get_target_link_uri(self) -> str:
        return self.tool.launch_url

    def get_messages(self) -> list[dict[str, str]]:
        return [{"type": "LtiStartProctoring", "target_link_uri": self.tool.launch_url}]

    def get_logo_uri(self) -> str:
        return self.tool.base + "/logo.png"

    def complete_registration(self, configuration: dict, registration: dict) -> Any:
        self.completed = {"configuration": configuration, "registration": registration}
        return registration


def _link(capsys, tool) -> str:
    call_command("lti_tool", "link", "--name", "Proctorio", "--tool-url", tool.base + "/register")
    return capsys.readouterr().out.strip()


@pytest.mark.django_db(transaction=True)
def test_discovery_has_the_shape_dynamic_registration_defines(platform):
    config = requests.get(platform + "/.well-known/openid-configuration", timeout=10).json()
    assert config["issuer"] == platform
    assert config["authorization_endpoint"] == platform + "/lti/authorize"
    assert config["token_endpoint"] == platform + "/lti/token"
    assert config["jwks_uri"] == platform + "/lti/jwks"
    assert config["registration_endpoint"] == platform + "/lti/register"
    assert SCOPE_ACS in config["scopes_supported"]
    messages = [m["type"] for m in config[PLATFORM_CONFIGURATION]["messages_supported"]]
    assert "LtiStartProctoring" in messages


@pytest.mark.django_db(transaction=True)
def test_a_tool_registers_itself_and_then_proctors(capsys, tool, lti_exam, platform):
    from proctoring.providers.services import attempt_create_for_learner
    from tests.factories import CourseRoleFactory
    from tests.lti.conftest import Learner, _browser

    registration = ToolRegistration(tool, _link(capsys, tool))
    answer = registration.register()
    stored = LtiTool.objects.get()
    assert stored.registered_dynamically
    assert answer["client_id"] == stored.client_id
    tool_configuration = answer["https://purl.imsglobal.org/spec/lti-tool-configuration"]
    assert tool_configuration["deployment_id"] == stored.deployment_id
    assert stored.jwks_url == tool.jwks_url and stored.redirect_uris == [tool.launch_url]
    assert stored.actions == ["pause", "resume", "update", "flag", "terminate"]
    assert LtiRegistrationLink.objects.get().used_at is not None

    # The tool takes the ids the platform gave it, and the whole flow runs.
    tool.client_id, tool.deployment_id = stored.client_id, stored.deployment_id
    user = UserFactory(username="dyna")
    CourseRoleFactory(user=user, course=lti_exam.course, role="learner")
    attempt = attempt_create_for_learner(
        exam_id=lti_exam.pk, user_id=user.pk, taking_as_proctored=True
    )
    learner = Learner(user=user, browser=_browser(user, platform), attempt=attempt)
    claims = start_proctoring(learner, tool, platform)
    assert start_assessment(learner, tool.start_assessment_jwt(claims)).ok
    assert tool.acs(claims, "pause")["status"] == "paused"


@pytest.mark.django_db(transaction=True)
def test_a_registration_token_is_used_once(capsys, tool, platform):
    link = _link(capsys, tool)
    ToolRegistration(tool, link).register()
    with pytest.raises(LtiServiceException):
        ToolRegistration(tool, link).register()
    assert LtiTool.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_registration_without_a_valid_token_or_body_is_refused(capsys, tool, platform):
    body = ToolRegistration(tool, _link(capsys, tool)).lti_registration_data()
    url = platform + "/lti/register"
    assert requests.post(url, json=body, timeout=10).status_code == 401
    forged = {"Authorization": "Bearer forged"}
    assert requests.post(url, json=body, headers=forged, timeout=10).status_code == 401
    token = {
        "Authorization": "Bearer "
        + parse_qs(urlsplit(_link(capsys, tool)).query)["registration_token"][0]
    }
    bad = {**body, "redirect_uris": "not-a-list"}
    answer = requests.post(url, json=bad, headers=token, timeout=10)
    assert answer.status_code == 400 and answer.json()["error_description"]
    wrong = requests.post(
        url, data="{", headers={**token, "Content-Type": "application/json"}, timeout=10
    )
    assert wrong.status_code == 400
    assert not LtiTool.objects.exists()
    assert not LtiRegistrationLink.objects.filter(used_at__isnull=False).exists()


@pytest.mark.django_db
def test_the_cli_registers_lists_and_removes_a_tool(capsys):
    call_command(
        "lti_tool",
        "add",
        "--name",
        "Proctorio",
        "--client-id",
        "proctorio-1",
        "--deployment-id",
        "1",
        "--login-url",
        "https://tool.example/login",
        "--launch-url",
        "https://tool.example/launch",
        "--jwks-url",
        "https://tool.example/jwks",
        "--actions",
        "flag,terminate",
    )
    tool = LtiTool.objects.get(client_id="proctorio-1")
    assert tool.actions == ["flag", "terminate"]
    assert tool.redirect_uris == ["https://tool.example/launch"]
    call_command("lti_tool", "list")
    assert "proctorio-1\t1\tProctorio\tflag,terminate" in capsys.readouterr().out
    with pytest.raises(CommandError, match="unknown actions"):
        call_command(
            "lti_tool",
            "add",
            "--name",
            "x",
            "--client-id",
            "x",
            "--deployment-id",
            "1",
            "--login-url",
            "https://t.example/l",
            "--launch-url",
            "https://t.example/x",
            "--jwks-url",
            "https://t.example/j",
            "--actions",
            "explode",
        )
    with pytest.raises(CommandError, match="JWKS URL or a public key"):
        call_command(
            "lti_tool",
            "add",
            "--name",
            "x",
            "--client-id",
            "x",
            "--deployment-id",
            "1",
            "--login-url",
            "https://t.example/l",
            "--launch-url",
            "https://t.example/x",
        )
    call_command("lti_tool", "remove", "proctorio-1")
    assert not LtiTool.objects.exists()
    with pytest.raises(CommandError):
        call_command("lti_tool", "remove", "proctorio-1")


@pytest.mark.django_db
def test_the_admin_registers_a_tool_and_refuses_a_bad_one(client):
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    form = {
        "name": "Honorlock-like",
        "client_id": "hl-1",
        "deployment_id": "7",
        "login_url": "https://hl.example/login",
        "launch_url": "https://hl.example/launch",
        "redirect_uris": '["https://hl.example/launch"]',
        "jwks_url": "https://hl.example/jwks",
        "public_jwk": "null",
        "actions": '["pause", "resume"]',
    }
    answer = client.post("/admin/lti/ltitool/add/", form)
    assert answer.status_code == 302, answer.content[:500]
    assert LtiTool.objects.get(client_id="hl-1").actions == ["pause", "resume"]
    bad = {**form, "client_id": "hl-2", "jwks_url": "", "actions": '["explode"]'}
    answer = client.post("/admin/lti/ltitool/add/", bad)
    assert answer.status_code == 200
    assert not LtiTool.objects.filter(client_id="hl-2").exists()
