"""The start of the assessment: the tool's JWT is verified (its JWKS, kept, fetched again on
an unknown kid), replays and mismatches are refused with a 4xx and change nothing."""

from __future__ import annotations

import time

import jwt
import pytest

from proctoring.attempts.models import Attempt
from proctoring.lti.models import LtiLaunch, LtiTool
from tests.lti.conftest import start_assessment, start_proctoring
from tests.lti.tool import AP, LTI, key_pair

pytestmark = pytest.mark.django_db(transaction=True)


def _unchanged(learner) -> None:
    assert Attempt.objects.get(pk=learner.attempt.pk).status == "created"
    assert not LtiLaunch.objects.filter(assessment_verified_at__isnull=False).exists()


@pytest.fixture
def claims(learner_lti, registered, platform):
    return start_proctoring(learner_lti, registered, platform)


def _refused(learner, token: str, status: int = 400) -> None:
    answer = start_assessment(learner, token)
    assert answer.status_code == status, answer.text[:300]
    _unchanged(learner)


@pytest.mark.parametrize(
    "override",
    [
        {"aud": "https://someone-else.example"},
        {"exp": int(time.time()) - 60},
        {"iat": None},
        {LTI + "message_type": "LtiResourceLinkRequest"},
        {LTI + "version": "1.1"},
        {LTI + "deployment_id": "another"},
        {"nonce": None},
        {AP + "session_data": "forged"},
        {AP + "session_data": None},
        {LTI + "resource_link": {"id": "exam-999"}},
        {AP + "attempt_number": 2},
    ],
    ids=lambda o: next(iter(o)).rsplit("/", 1)[-1],
)
def test_a_bad_start_assessment_is_refused(learner_lti, registered, claims, override):
    _refused(learner_lti, registered.start_assessment_jwt(claims, **override))


def test_a_forged_signature_is_refused(learner_lti, registered, claims):
    good = registered.start_assessment_jwt(claims)
    forger, _ = key_pair()
    payload = jwt.decode(good, options={"verify_signature": False})
    forged = jwt.encode(payload, forger, algorithm="RS256", headers={"kid": registered.kid})
    _refused(learner_lti, forged)


def test_an_unsigned_or_malformed_jwt_is_refused(learner_lti, registered, claims):
    payload = jwt.decode(
        registered.start_assessment_jwt(claims), options={"verify_signature": False}
    )
    _refused(learner_lti, jwt.encode(payload, "s" * 32, algorithm="HS256"))
    _refused(learner_lti, "not-a-jwt")
    _refused(learner_lti, "")


def test_an_unknown_tool_is_refused(learner_lti, registered, claims):
    _refused(learner_lti, registered.start_assessment_jwt(claims, iss="unknown-tool"))


def test_a_replayed_start_assessment_is_refused(learner_lti, registered, claims):
    token = registered.start_assessment_jwt(claims)
    assert start_assessment(learner_lti, token).status_code == 200
    again = start_assessment(learner_lti, token)
    assert again.status_code == 400
    assert LtiLaunch.objects.filter(assessment_verified_at__isnull=False).count() == 1


def test_a_replayed_nonce_is_refused_on_another_launch(learner_lti, registered, platform):
    first = start_proctoring(learner_lti, registered, platform)
    second = start_proctoring(learner_lti, registered, platform)
    token = registered.start_assessment_jwt(first, nonce="same-nonce")
    assert start_assessment(learner_lti, token).status_code == 200
    replay = registered.start_assessment_jwt(second, nonce="same-nonce")
    answer = start_assessment(learner_lti, replay)
    assert answer.status_code == 400 and "already used" in answer.text
    assert LtiLaunch.objects.filter(assessment_verified_at__isnull=False).count() == 1


def test_another_signed_in_learner_cannot_start_the_assessment(
    learner_lti, other_browser, registered, claims, platform
):
    answer = other_browser.post(
        platform + "/lti/start-assessment",
        data={"JWT": registered.start_assessment_jwt(claims)},
        timeout=10,
    )
    assert answer.status_code == 403
    _unchanged(learner_lti)


def test_the_landing_is_the_learners_and_used_once(
    learner_lti, other_browser, registered, claims, platform
):
    import requests

    # A cross-site post carries no session: the platform verifies, then the landing checks.
    posted = requests.post(
        platform + "/lti/start-assessment",
        data={"JWT": registered.start_assessment_jwt(claims)},
        allow_redirects=False,
        timeout=10,
    )
    assert posted.status_code == 302
    landing = platform + posted.headers["Location"]
    assert other_browser.get(landing, allow_redirects=False, timeout=10).status_code == 403
    assert Attempt.objects.get(pk=learner_lti.attempt.pk).status == "created"
    assert learner_lti.browser.get(landing, allow_redirects=False, timeout=10).status_code == 302
    assert Attempt.objects.get(pk=learner_lti.attempt.pk).status == "started"
    assert learner_lti.browser.get(landing, allow_redirects=False, timeout=10).status_code == 400


def test_the_tools_jwks_is_kept_and_fetched_again_for_an_unknown_kid(
    learner_lti, registered, platform
):
    import requests

    launches = [start_proctoring(learner_lti, registered, platform) for _ in range(3)]

    def verify(claims) -> int:
        return requests.post(
            platform + "/lti/start-assessment",
            data={"JWT": registered.start_assessment_jwt(claims)},
            allow_redirects=False,
            timeout=10,
        ).status_code

    assert verify(launches[0]) == 302
    assert registered.jwks_server.fetches == 1
    assert LtiTool.objects.get().jwks_cache  # kept in the database
    assert verify(launches[1]) == 302
    assert registered.jwks_server.fetches == 1  # the kept keys served
    registered.rotate_key()  # the tool rotates: a kid the platform has not seen
    assert verify(launches[2]) == 302
    assert registered.jwks_server.fetches == 2


def _land(learner, registered, claims, platform):
    import requests

    posted = requests.post(
        platform + "/lti/start-assessment",
        data={"JWT": registered.start_assessment_jwt(claims)},
        allow_redirects=False,
        timeout=10,
    )
    assert posted.status_code == 302
    return learner.browser.get(platform + posted.headers["Location"], timeout=10)


def test_the_landing_start_passes_the_exams_gates(learner_lti, registered, claims, platform):
    from proctoring.access.models import ExamRules

    ExamRules.objects.create(exam=learner_lti.attempt.exam, allowed_ip_ranges=["10.0.0.0/8"])
    page = _land(learner_lti, registered, claims, platform)
    assert page.status_code == 403 and "network" in page.text.lower(), page.text[:300]
    # Ready, not started: the learner starts from the exam page once a gate lets it.
    assert Attempt.objects.get(pk=learner_lti.attempt.pk).status == "ready_to_start"


def test_an_exam_with_an_access_code_asks_it_on_the_exam_page(
    learner_lti, registered, claims, platform
):
    from django.contrib.auth.hashers import make_password

    from proctoring.access.models import ExamRules

    exam = learner_lti.attempt.exam
    ExamRules.objects.create(exam=exam, access_code_hash=make_password("blue-falcon"))
    page = _land(learner_lti, registered, claims, platform)
    assert page.status_code == 200 and page.url.endswith(f"/exams/{exam.pk}")
    assert "needs an access code" in page.text
    assert Attempt.objects.get(pk=learner_lti.attempt.pk).status == "ready_to_start"
    browser = learner_lti.browser
    csrf = browser.cookies.get("csrftoken")
    started = browser.post(
        f"{platform}/exams/{exam.pk}/act",
        data={"action": "start", "access_code": "blue-falcon", "csrfmiddlewaretoken": csrf},
        headers={"Referer": platform + "/"},
        timeout=10,
    )
    assert started.status_code == 200
    assert Attempt.objects.get(pk=learner_lti.attempt.pk).status == "started"
