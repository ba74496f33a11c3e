"""The whole flow with the independent tool, over HTTP: start proctoring, start assessment,
assessment control (all five actions), end assessment."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache

from proctoring.attempts import actions
from proctoring.attempts.models import Attempt, AttemptHistory
from proctoring.lti.models import LtiKey, LtiLaunch
from proctoring.providers.models import ProviderEvent
from tests.lti.conftest import launch, start_assessment, start_proctoring
from tests.lti.tool import AP, LTI

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_tool_starts_proctoring_and_the_learner_lands_in_the_started_exam(
    learner_lti, registered, platform
):
    tool = registered
    claims = start_proctoring(learner_lti, tool, platform)
    assert claims[LTI + "message_type"] == "LtiStartProctoring"
    assert claims[LTI + "version"] == "1.3.0"
    assert claims[LTI + "deployment_id"] == tool.deployment_id
    assert claims[LTI + "target_link_uri"] == tool.launch_url
    assert claims[LTI + "resource_link"]["id"] == f"exam-{learner_lti.attempt.exam_id}"
    assert claims[LTI + "roles"]
    assert claims[LTI + "context"]["id"] == "course-v1:Lti+Proctored+2026"
    assert claims[AP + "attempt_number"] == 1
    assert claims[AP + "start_assessment_url"] == platform + "/lti/start-assessment"
    assert len(claims[AP + "session_data"]) >= 32
    assert claims[AP + "acs"] == {
        "assessment_control_url": platform + "/lti/acs",
        "actions": ["pause", "resume", "update", "flag", "terminate"],
    }
    assert claims["sub"] and claims["sub"] != str(learner_lti.user.pk)
    assert claims["_kid"] == LtiKey.objects.get(state="active").kid
    assert claims["exp"] > claims["iat"]

    # The launch state is in the database: a cache flush mid-flow breaks nothing.
    cache.clear()
    answer = start_assessment(learner_lti, tool.start_assessment_jwt(claims))
    assert answer.status_code == 200, answer.text[:500]
    assert answer.url == f"{platform}/exams/{learner_lti.attempt.exam_id}"
    attempt = Attempt.objects.get(pk=learner_lti.attempt.pk)
    assert attempt.status == "started"
    moves = list(AttemptHistory.objects.filter(attempt=attempt).values_list("to_status", flat=True))
    assert moves[-2:] == ["ready_to_start", "started"]


def test_every_assessment_control_action_through_the_tools_service_token(
    learner_lti, registered, platform
):
    tool = registered
    claims = start_proctoring(learner_lti, tool, platform)
    start_assessment(learner_lti, tool.start_assessment_jwt(claims))
    attempt_id = learner_lti.attempt.pk
    deadline = Attempt.objects.get(pk=attempt_id).deadline_at

    assert tool.acs(claims, "pause", reason_code="1", reason_msg="camera off") == {
        "status": "paused",
        "extra_time": 0,
    }
    assert Attempt.objects.get(pk=attempt_id).paused_at is not None
    assert tool.acs(claims, "resume")["status"] == "running"
    assert Attempt.objects.get(pk=attempt_id).paused_at is None

    assert tool.acs(claims, "update", extra_time=15) == {"status": "running", "extra_time": 15}
    moved = Attempt.objects.get(pk=attempt_id).deadline_at
    assert moved >= deadline + timedelta(minutes=15)
    assert tool.acs(claims, "update", extra_time=20)["extra_time"] == 20
    assert Attempt.objects.get(pk=attempt_id).deadline_at == moved + timedelta(minutes=5)

    assert (
        tool.acs(claims, "flag", incident_severity="0.8", reason_msg="second face")["status"]
        == "running"
    )
    flag = ProviderEvent.objects.get(attempt_id=attempt_id, operation="lti_flag")
    assert "second face" in flag.message and "incident_severity=0.8" in flag.message
    assert Attempt.objects.get(pk=attempt_id).status == "started"

    assert tool.acs(claims, "terminate", reason_msg="left the room")["status"] == "terminated"
    ended = Attempt.objects.get(pk=attempt_id)
    assert ended.status == "submitted"
    assert "left the room" in AttemptHistory.objects.filter(attempt=ended).last().reason


def test_the_end_of_the_assessment_launches_lti_end_assessment_when_the_tool_asked(
    learner_lti, registered, platform
):
    tool = registered
    claims = start_proctoring(learner_lti, tool, platform)
    start_assessment(learner_lti, tool.start_assessment_jwt(claims, end_assessment_return=True))
    exam_id = learner_lti.attempt.exam_id
    page = learner_lti.browser.get(f"{platform}/exams/{exam_id}", timeout=10)
    token = page.text.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    answer = learner_lti.browser.post(
        f"{platform}/exams/{exam_id}/act",
        data={"action": "submit", "csrfmiddlewaretoken": token},
        headers={"Referer": platform + "/"},
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 302
    assert answer.headers["Location"] == f"/lti/end-assessment/{learner_lti.attempt.pk}"
    ended = learner_lti.browser.get(
        platform + answer.headers["Location"], allow_redirects=False, timeout=10
    )
    assert ended.status_code == 302
    page = learner_lti.browser.get(tool.login(ended.headers["Location"]), timeout=10)
    end = tool.receive(page.text)
    assert end[LTI + "message_type"] == "LtiEndAssessment"
    assert end[AP + "attempt_number"] == 1
    assert end[LTI + "resource_link"] == claims[LTI + "resource_link"]
    assert LtiLaunch.objects.filter(kind="end", end_assessment_sent_at__isnull=False).count() == 1


def test_no_end_assessment_when_the_tool_did_not_ask(learner_lti, registered, platform):
    tool = registered
    claims = start_proctoring(learner_lti, tool, platform)
    start_assessment(learner_lti, tool.start_assessment_jwt(claims))
    actions.attempt_act(
        attempt_id=learner_lti.attempt.pk, action="submit", actor_id=learner_lti.user.pk
    )
    answer = learner_lti.browser.get(
        f"{platform}/lti/end-assessment/{learner_lti.attempt.pk}", allow_redirects=False, timeout=10
    )
    assert answer.status_code == 400
    assert not LtiLaunch.objects.filter(kind="end").exists()


def test_the_launch_is_refused_for_an_attempt_that_already_started(
    learner_lti, registered, platform
):
    tool = registered
    claims = start_proctoring(learner_lti, tool, platform)
    start_assessment(learner_lti, tool.start_assessment_jwt(claims))
    external_id = Attempt.objects.get(pk=learner_lti.attempt.pk).external_id
    answer = learner_lti.browser.get(
        f"{platform}/lti/launch/{external_id}", allow_redirects=False, timeout=10
    )
    assert answer.status_code == 409
    assert LtiLaunch.objects.count() == 1
    assert launch  # the helper the other tests use


def test_an_attempt_ended_in_error_sends_the_error_message_and_log(
    learner_lti, registered, platform
):
    tool = registered
    claims = start_proctoring(learner_lti, tool, platform)
    start_assessment(learner_lti, tool.start_assessment_jwt(claims, end_assessment_return=True))
    actions.attempt_act(
        attempt_id=learner_lti.attempt.pk, action="error", actor_id=learner_lti.user.pk
    )
    ended = learner_lti.browser.get(
        f"{platform}/lti/end-assessment/{learner_lti.attempt.pk}", allow_redirects=False, timeout=10
    )
    assert ended.status_code == 302, ended.text[:300]
    page = learner_lti.browser.get(tool.login(ended.headers["Location"]), timeout=10)
    end = tool.receive(page.text)
    assert end[LTI + "message_type"] == "LtiEndAssessment"
    errors = end[LTI + "errors"]["errors"]
    assert errors["msg"] and errors["log"] == "learner:error"
    # Sent once: the end of the assessment is not launched again.
    again = learner_lti.browser.get(
        f"{platform}/lti/end-assessment/{learner_lti.attempt.pk}", allow_redirects=False, timeout=10
    )
    assert again.status_code == 400


def test_an_alias_names_its_tool_among_several(learner_lti, registered, platform, settings):
    from proctoring.lti.tools import ToolSpec, tool_register

    tool_register(
        ToolSpec(
            name="Other",
            client_id="other-tool",
            deployment_id="d",
            login_url="https://other.example/login",
            launch_url="https://other.example/launch",
            jwks_url="https://other.example/jwks",
        )
    )
    url = f"{platform}/lti/launch/{learner_lti.attempt.external_id}"
    # Two tools and no TOOL option: which one is not guessed.
    ambiguous = learner_lti.browser.get(url, allow_redirects=False, timeout=10)
    assert ambiguous.status_code == 400 and not LtiLaunch.objects.exists()
    settings.PROCTORING_BACKENDS = {
        "DEFAULT": "null",
        "null": {},
        "lti": {"OPTIONS": {"TOOL": registered.client_id}},
    }
    named = learner_lti.browser.get(url, allow_redirects=False, timeout=10)
    assert named.status_code == 302
    assert named.headers["Location"].startswith(registered.login_url + "?")


def test_after_a_rotation_launches_carry_the_new_kid_and_still_verify(
    learner_lti, registered, platform
):
    from django.core.management import call_command

    before = start_proctoring(learner_lti, registered, platform)["_kid"]
    upcoming = LtiKey.objects.get(state="next").kid
    call_command("lti_keys", "rotate")
    after = start_proctoring(learner_lti, registered, platform)  # the tool verifies it
    assert after["_kid"] == upcoming != before
