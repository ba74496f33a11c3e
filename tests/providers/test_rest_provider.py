"""The ``rest`` provider against the simulated vendor: the reference's REST contract, its
token, its timeouts and retries."""

from __future__ import annotations

import time

import jwt
import pytest

from proctoring.exceptions import ProviderError, ProviderUnavailable
from proctoring.providers.base import AttemptSpec, DashboardUser, ExamSpec
from proctoring.providers.rest import RestProvider
from tests.providers.conftest import rest_options
from tests.providers.simulator import CLIENT_ID, CLIENT_SECRET


def provider(simulator, **options):
    return RestProvider(alias="acme", options=rest_options(simulator.url, **options))


EXAM = ExamSpec(
    exam_id=7,
    course_id="course-v1:Acme+X+1",
    content_id="final",
    name="Final",
    time_limit_mins=60,
    is_proctored=True,
    is_practice=False,
    is_active=True,
)


def attempt_spec(exam_external_id, user_id="u-1"):
    return AttemptSpec(
        attempt_id=3,
        attempt_code="CODE",
        exam_external_id=exam_external_id,
        user_id=user_id,
        full_name="Lena",
        email="lena@example.org",
        time_limit_mins=60,
        is_sample_attempt=False,
        lms_host="https://proctoring.example",
    )


def test_the_exam_is_created_then_updated_with_the_references_fields(simulator):
    vendor = provider(simulator)
    external_id = vendor.exam_register(EXAM)
    assert external_id == "exam-1"
    sent = simulator.state.exams["exam-1"]
    assert sent["id"] == 7 and sent["course_id"] == "course-v1:Acme+X+1"
    assert sent["exam_name"] == sent["name"] == "Final"
    assert sent["is_proctored"] is True and sent["is_practice_exam"] is False
    assert sent["backend"] == "acme"

    from dataclasses import replace

    assert vendor.exam_register(replace(EXAM, name="Final v2", external_id="exam-1")) == "exam-1"
    assert simulator.state.api_calls("POST")[-1].path == "/api/v1/exam/exam-1/"
    assert simulator.state.exams["exam-1"]["name"] == "Final v2"


def test_one_token_serves_every_call_until_it_expires(simulator):
    vendor = provider(simulator)
    vendor.exam_register(EXAM)
    vendor.instructions(exam_external_id=None, external_id=None)
    vendor.onboarding_statuses(course_id="course-v1:Acme+X+1")
    assert simulator.state.token_requests == 1
    token = simulator.state.calls[0]
    assert token.path == "/oauth2/access_token"
    assert token.body["client_id"] == CLIENT_ID
    assert all(call.authorization.startswith("JWT ") for call in simulator.state.api_calls())

    vendor._token.expires_at = time.monotonic() - 1  # the cached token has expired
    vendor.instructions(exam_external_id=None, external_id=None)
    assert simulator.state.token_requests == 2


def test_a_token_the_vendor_refuses_is_fetched_again_once(simulator):
    vendor = provider(simulator)
    vendor.exam_register(EXAM)
    simulator.state.tokens.clear()  # the vendor forgot every token
    vendor.instructions(exam_external_id=None, external_id=None)
    assert simulator.state.token_requests == 2


def test_wrong_credentials_are_a_provider_error(simulator):
    vendor = provider(simulator, CLIENT_SECRET="wrong")
    with pytest.raises(ProviderError):
        vendor.exam_register(EXAM)


def test_an_attempt_is_created_started_submitted_errored_and_removed(simulator):
    vendor = provider(simulator)
    exam_id = vendor.exam_register(EXAM)
    created = vendor.attempt_create(attempt_spec(exam_id))
    assert created.onboarding_status is None
    sent = simulator.state.attempts[created.external_id]
    assert sent["status"] == "created" and sent["user_id"] == "u-1"
    assert sent["full_name"] == "Lena" and sent["email"] == "lena@example.org"
    assert sent["lms_host"] == "https://proctoring.example"

    ids = {"exam_external_id": exam_id, "external_id": created.external_id}
    vendor.attempt_start(**ids)
    assert simulator.state.attempts[created.external_id]["status"] == "started"
    vendor.attempt_submit(**ids)
    assert simulator.state.attempts[created.external_id]["status"] == "submitted"
    vendor.attempt_error(**ids)
    assert simulator.state.attempts[created.external_id]["status"] == "error"
    vendor.attempt_remove(**ids)
    assert simulator.state.attempts[created.external_id]["status"] == "deleted"
    patches = simulator.state.api_calls("PATCH")
    assert [call.body for call in patches] == [
        {"status": "started"},
        {"status": "submitted"},
        {"status": "error"},
    ]


def test_the_vendor_may_answer_an_onboarding_status_instead_of_an_attempt(simulator):
    vendor = provider(simulator)
    exam_id = vendor.exam_register(EXAM)
    simulator.state.onboarding["u-2"] = "onboarding_missing"
    answer = vendor.attempt_create(attempt_spec(exam_id, user_id="u-2"))
    assert answer.external_id is None
    assert answer.onboarding_status == "onboarding_missing"


def test_instructions_come_from_the_attempt_or_else_the_config(simulator):
    vendor = provider(simulator)
    general = vendor.instructions(exam_external_id=None, external_id=None)
    assert general.steps == ("Download the software", "Run it")
    assert general.download_url == "https://vendor.example/download"
    exam_id = vendor.exam_register(EXAM)
    created = vendor.attempt_create(attempt_spec(exam_id))
    own = vendor.instructions(exam_external_id=exam_id, external_id=created.external_id)
    assert own.steps == ("Attempt step 1",)


def test_onboarding_statuses_of_a_course_and_the_retirement_of_a_user(simulator):
    vendor = provider(simulator)
    simulator.state.onboarding_statuses = [{"user_id": "u-1", "status": "verified"}]
    rows = vendor.onboarding_statuses(course_id="course-v1:Acme+X+1")
    assert [(row.user_id, row.status) for row in rows] == [("u-1", "verified")]
    assert simulator.state.api_calls("GET")[-1].path == (
        "/api/v1/courses/course-v1:Acme+X+1/onboarding_statuses"
    )
    assert vendor.user_retire(user_id="u-1") is True
    assert simulator.state.retired == ["u-1"]


def test_the_instructor_dashboard_link_is_a_jwt_signed_with_the_client_secret(simulator):
    vendor = provider(simulator)
    url = vendor.instructor_dashboard_url(
        course_id="course-v1:Acme+X+1",
        user=DashboardUser(user_id="s-1", full_name="Sam", email="sam@example.org"),
        exam_external_id="exam-1",
        attempt_external_id="att-1",
    )
    prefix = f"{simulator.url}/api/v1/instructor/{CLIENT_ID}/?jwt="
    assert url is not None and url.startswith(prefix)
    claims = jwt.decode(url.removeprefix(prefix), CLIENT_SECRET, algorithms=["HS256"])
    assert claims["course_id"] == "course-v1:Acme+X+1"
    assert claims["iss"] == CLIENT_ID
    assert claims["user"] == {"id": "s-1", "full_name": "Sam", "email": "sam@example.org"}
    assert claims["exam_id"] == "exam-1" and claims["attempt_id"] == "att-1"
    assert claims["exp"] > time.time()
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(url.removeprefix(prefix), "x" * 32, algorithms=["HS256"])


def test_the_worker_and_its_ping_interval_come_from_the_options(simulator):
    worker = provider(simulator).worker()
    assert worker is not None
    assert (worker.url, worker.ping_interval) == ("https://vendor.example/worker.js", 30)
    assert provider(simulator, WORKER_URL="").worker() is None


def test_a_slow_vendor_times_out_and_a_get_is_tried_again(simulator):
    vendor = provider(simulator, TIMEOUT_SECONDS=0.2, RETRIES=2)
    vendor.exam_register(EXAM)
    simulator.state.mode, simulator.state.slow_seconds = "slow", 1.0
    before = len(simulator.state.api_calls("GET"))
    with pytest.raises(ProviderUnavailable):
        vendor.instructions(exam_external_id=None, external_id=None)
    assert len(simulator.state.api_calls("GET")) - before == 3  # one call, two retries


def test_a_post_is_never_sent_twice(simulator):
    vendor = provider(simulator, RETRIES=3)
    vendor.exam_register(EXAM)
    simulator.state.mode = "down"
    before = len(simulator.state.api_calls("POST"))
    with pytest.raises(ProviderUnavailable):
        vendor.exam_register(EXAM)
    assert len(simulator.state.api_calls("POST")) - before == 1


def test_a_vendor_that_fails_is_a_provider_error_and_one_gone_is_unavailable(simulator):
    vendor = provider(simulator)
    vendor.exam_register(EXAM)
    simulator.state.mode = "error"
    with pytest.raises(ProviderError):
        vendor.exam_register(EXAM)
    simulator.state.mode = "down"
    with pytest.raises(ProviderUnavailable):
        vendor.instructions(exam_external_id=None, external_id=None)
    unreachable = RestProvider(
        alias="gone",
        options={"BASE_URL": "http://127.0.0.1:9", "CLIENT_ID": "a", "CLIENT_SECRET": "b"},
    )
    with pytest.raises(ProviderUnavailable):
        unreachable.exam_register(EXAM)


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        ({}, "option BASE_URL is required"),
        ({"BASE_URL": "ftp://x", "CLIENT_ID": "a", "CLIENT_SECRET": "b"}, "http or https"),
        (
            {"BASE_URL": "http://x", "CLIENT_ID": "a", "CLIENT_SECRET": "b", "RETRIES": -1},
            "option RETRIES must be a number",
        ),
        (
            {"BASE_URL": "http://x", "CLIENT_ID": "a", "CLIENT_SECRET": "b", "TIMEOUT_SECONDS": 0},
            "TIMEOUT_SECONDS must be more than 0",
        ),
    ],
)
def test_bad_options_are_named(options, problem):
    assert any(problem in found for found in RestProvider.options_problems(options))
