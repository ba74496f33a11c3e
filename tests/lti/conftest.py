"""A course proctored by the ``lti`` provider, the live platform, a registered tool, and a
learner's browser (a requests session signed in to the live server)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from django.test import Client

from proctoring.attempts.models import Attempt
from proctoring.lti.tools import ToolSpec, tool_register
from proctoring.providers.services import attempt_create_for_learner
from tests.factories import CourseFactory, CourseRoleFactory, ExamFactory, UserFactory
from tests.lti.tool import ProctoringTool

PASSWORD = "pw-lti-learner"


@pytest.fixture
def platform(live_server, settings):
    settings.PROCTORING_PUBLIC_URL = live_server.url
    settings.PROCTORING_BACKENDS = {"DEFAULT": "null", "null": {}, "lti": {}}
    return live_server.url


@pytest.fixture
def tool(platform):
    tool = ProctoringTool(platform)
    yield tool
    tool.stop()


@pytest.fixture
def registered(tool):
    tool_register(
        ToolSpec(
            name="Proctorio-like",
            client_id=tool.client_id,
            deployment_id=tool.deployment_id,
            login_url=tool.login_url,
            launch_url=tool.launch_url,
            redirect_uris=(tool.launch_url,),
            jwks_url=tool.jwks_url,
        )
    )
    return tool


@pytest.fixture
def lti_exam(platform):
    course = CourseFactory(course_id="course-v1:Lti+Proctored+2026", provider="lti")
    return ExamFactory(course=course, content_id="final", exam_name="Final", time_limit_mins=60)


def _browser(user: Any, platform: str) -> requests.Session:
    client = Client()
    client.force_login(user)
    session = requests.Session()
    session.cookies.set("sessionid", client.cookies["sessionid"].value)
    session.base = platform  # type: ignore[attr-defined]
    return session


@dataclass
class Learner:
    user: Any
    browser: requests.Session
    attempt: Attempt


@pytest.fixture
def learner_lti(lti_exam, registered, platform):
    user = UserFactory(username="lina", email="lina@example.org")
    CourseRoleFactory(user=user, course=lti_exam.course, role="learner")
    attempt = attempt_create_for_learner(
        exam_id=lti_exam.pk, user_id=user.pk, taking_as_proctored=True
    )
    return Learner(user=user, browser=_browser(user, platform), attempt=attempt)


@pytest.fixture
def other_browser(lti_exam, platform):
    user = UserFactory(username="otto", email="otto@example.org")
    CourseRoleFactory(user=user, course=lti_exam.course, role="learner")
    return _browser(user, platform)


def setup_link(learner: Learner, platform: str) -> str:
    """The learner's exam page's "Continue to the proctoring setup" link."""
    page = learner.browser.get(f"{platform}/exams/{learner.attempt.exam_id}", timeout=10)
    assert page.status_code == 200, page.text[:500]
    steps = re.search(r'hx-get="([^"]+)" hx-trigger="load"', page.text)
    assert steps, "the page loads no provider steps"
    page = learner.browser.get(platform + steps.group(1), timeout=10)
    found = re.search(r'<a class="button primary" href="([^"]+)" data-setup>', page.text)
    assert found, "the page has no setup link"
    return platform + found.group(1)


def launch(learner: Learner, tool: ProctoringTool, platform: str) -> str:
    """The learner continues to the setup: the tool's login initiation URL."""
    answer = learner.browser.get(setup_link(learner, platform), allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text[:500]
    return answer.headers["Location"]


def start_proctoring(learner: Learner, tool: ProctoringTool, platform: str) -> dict[str, Any]:
    """Through the OIDC login to a verified ``LtiStartProctoring``."""
    authorize = tool.login(launch(learner, tool, platform))
    page = learner.browser.get(authorize, timeout=10)
    assert page.status_code == 200, page.text[:500]
    return tool.receive(page.text)


def start_assessment(learner: Learner, token: str) -> requests.Response:
    """The tool posts ``LtiStartAssessment``; the browser follows to the exam."""
    return learner.browser.post(
        learner.browser.base + "/lti/start-assessment",  # type: ignore[attr-defined]
        data={"JWT": token},
        timeout=10,
    )
