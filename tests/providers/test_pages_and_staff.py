"""What the learner's page, course staff and platforms get from the attempt's provider: the
instructions, software link and worker; a missed ping recorded; the instructor dashboard
link; the retirement of a learner at the providers; the Python API's registration."""

from __future__ import annotations

import jwt
import pytest
from rest_framework.test import APIClient

from proctoring import api as python_api
from proctoring.accounts.services import api_key_create
from proctoring.attempts.models import Attempt
from proctoring.attempts.services import attempt_create
from proctoring.exceptions import ProviderUnavailable
from proctoring.providers.models import ProviderEvent
from proctoring.providers.services import exam_register, obscured_user_id, provider_of_exam
from tests.factories import CourseRoleFactory, ExamFactory, UserFactory
from tests.providers.conftest import ALIAS, COURSE_ID
from tests.providers.simulator import CLIENT_ID, CLIENT_SECRET


def client(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user=user)
    return api


@pytest.fixture
def registered(proctored_exam, simulator):
    exam_register(exam=proctored_exam, provider=provider_of_exam(proctored_exam))
    return proctored_exam


@pytest.fixture
def proctored_attempt(registered, enrolled_learner):
    attempt_id = python_api.create_exam_attempt(registered.pk, enrolled_learner.pk, True)
    return Attempt.objects.get(pk=attempt_id)


def test_the_python_api_registers_a_proctored_attempt_with_the_vendor(proctored_attempt, simulator):
    assert proctored_attempt.external_id in simulator.state.attempts
    sent = simulator.state.attempts[proctored_attempt.external_id]
    assert sent["user_id"] == obscured_user_id(user_id=proctored_attempt.user_id, alias=ALIAS)
    assert sent["email"] == "lena@example.org" and sent["full_name"] == "Lena"


def test_the_python_api_raises_the_vendors_outage(registered, enrolled_learner, simulator):
    simulator.state.mode = "down"
    with pytest.raises(ProviderUnavailable):
        python_api.create_exam_attempt(registered.pk, enrolled_learner.pk, True)
    attempt = Attempt.objects.get(exam=registered)
    assert (attempt.status, attempt.external_id) == ("created", None)


def test_an_attempt_not_taken_as_proctored_is_not_sent(registered, enrolled_learner, simulator):
    python_api.create_exam_attempt(registered.pk, enrolled_learner.pk, False)
    assert simulator.state.attempts == {}


def test_the_page_of_a_timed_attempt_has_no_provider_to_run(enrolled_learner, vendor_course):
    timed = ExamFactory(course=vendor_course, content_id="quiz", is_proctored=False)
    attempt = attempt_create(exam_id=timed.pk, user_id=enrolled_learner.pk)
    info = client(enrolled_learner).get(f"/api/v1/attempts/{attempt.pk}/provider").json()
    assert info["proctored"] is False and info["worker"] is None
    assert info["instructions"] == [] and info["download_url"] == ""


def test_the_page_of_a_proctored_attempt_gets_the_vendors_steps(
    proctored_attempt, enrolled_learner, simulator
):
    response = client(enrolled_learner).get(f"/api/v1/attempts/{proctored_attempt.pk}/provider")
    info = response.json()
    assert info["alias"] == ALIAS and info["proctored"] is True
    assert info["external_id"] == proctored_attempt.external_id
    assert info["instructions"] == ["Attempt step 1"]
    simulator.state.mode = "down"
    response = client(enrolled_learner).get(f"/api/v1/attempts/{proctored_attempt.pk}/provider")
    assert response.status_code == 503
    assert response.json()["code"] == "provider_unavailable"


def test_a_missed_ping_is_recorded_for_the_review(proctored_attempt, enrolled_learner):
    response = client(enrolled_learner).post(
        f"/api/v1/attempts/{proctored_attempt.pk}/ping-missed",
        {"detail": "no answer in 30 s"},
        format="json",
    )
    assert response.status_code == 201
    event = ProviderEvent.objects.get(attempt=proctored_attempt, operation="ping_missed")
    assert (event.alias, event.outcome, event.message) == (ALIAS, "reported", "no answer in 30 s")


def test_staff_get_a_signed_link_to_the_vendors_dashboard(registered, vendor_course):
    staff = UserFactory(username="sam", email="sam@example.org")
    CourseRoleFactory(user=staff, course=vendor_course, role="staff")
    response = client(staff).get(
        f"/api/v1/courses/{COURSE_ID}/exams/{registered.pk}/provider-dashboard?attempt=att-9"
    )
    assert response.status_code == 200, response.json()
    token = response.json()["url"].split("?jwt=", 1)[1]
    claims = jwt.decode(token, CLIENT_SECRET, algorithms=["HS256"])
    assert claims["iss"] == CLIENT_ID and claims["course_id"] == COURSE_ID
    assert claims["exam_id"] == "exam-1" and claims["attempt_id"] == "att-9"
    assert claims["user"]["email"] == "sam@example.org"


def test_retiring_a_learner_asks_the_vendor_to_forget_them(proctored_attempt, simulator):
    key = api_key_create(name="lms")[1]
    platform = APIClient()
    platform.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    response = platform.post("/api/v1/users/lena/retire")
    assert response.status_code == 200, response.json()
    assert response.json()["providers"] == {ALIAS: True}
    assert simulator.state.retired == [
        obscured_user_id(user_id=proctored_attempt.user_id, alias=ALIAS)
    ]


def test_a_vendor_down_at_retirement_is_reported_not_a_500(proctored_attempt, simulator):
    simulator.state.mode = "down"
    key = api_key_create(name="lms")[1]
    platform = APIClient()
    platform.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    response = platform.post("/api/v1/users/lena/retire")
    assert response.status_code == 200
    assert response.json()["providers"] == {ALIAS: False}
    assert ProviderEvent.objects.filter(operation="user_retire", outcome="unavailable").exists()


def test_obscured_ids_differ_between_providers_and_learners():
    ids = {obscured_user_id(user_id=u, alias=a) for u in (1, 2) for a in ("acme", "globex")}
    assert len(ids) == 4
