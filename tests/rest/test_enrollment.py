"""Only the course's members take its exams: POST /attempts by anyone else is a 403.

Enrollment comes from the platform: a role named in the token's ``course_roles`` (``learner``
for learners), or a role a service account grants with ``PUT /courses/{id}/roles/{username}``.
The course's staff and instructors are members too. The Python API does not ask.
"""

import io

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from proctoring import api
from proctoring.attempts.models import Attempt, AttemptHistory
from proctoring.devtools.management.commands.load_demo_data import DEMO_COURSE_ID
from proctoring.exams.models import Exam
from tests.factories import ExamFactory, UserFactory
from tests.rest.conftest import COURSE_ID, OTHER_COURSE_ID, bearer, client_for, mint

pytestmark = pytest.mark.django_db
ATTEMPTS = "/api/v1/attempts"


def _create(client, exam, **headers):
    body = {"exam_id": exam.pk, "taking_as_proctored": True, "start": True}
    return client.post(ATTEMPTS, body, format="json", **headers)


def _token(**roles):
    return bearer(mint("lms-zed", preferred_username="zed", course_roles=roles or None))


def _assert_not_enrolled(response):
    assert response.status_code == 403, response.content
    assert response.json()["code"] == "not_enrolled"
    assert not Attempt.objects.filter(user__username="zed").exists()
    assert not AttemptHistory.objects.filter(attempt__user__username="zed").exists()


@pytest.fixture
def proctored_exam(world):
    return ExamFactory(course=world.course, content_id="final", is_proctored=True)


def test_a_signed_in_user_with_no_role_in_the_course_cannot_create_or_start_an_attempt(
    proctored_exam,
):
    _assert_not_enrolled(_create(APIClient(), proctored_exam, **_token()))


def test_a_role_in_another_course_does_not_enroll(proctored_exam):
    _assert_not_enrolled(
        _create(APIClient(), proctored_exam, **_token(**{OTHER_COURSE_ID: "learner"}))
    )


def test_a_learner_named_by_the_token_creates_and_starts_its_attempt(proctored_exam):
    response = _create(APIClient(), proctored_exam, **_token(**{COURSE_ID: "learner"}))
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "started"


def test_a_learner_whose_token_revokes_the_role_is_refused(proctored_exam):
    assert (
        _create(APIClient(), proctored_exam, **_token(**{COURSE_ID: "learner"})).status_code == 201
    )
    other = ExamFactory(course=proctored_exam.course, content_id="other")
    response = _create(APIClient(), other, **_token(**{COURSE_ID: None}))
    assert response.status_code == 403
    assert response.json()["code"] == "not_enrolled"


def test_a_service_account_enrolls_and_unenrolls_a_learner_over_rest(world, proctored_exam):
    learner = _token()
    _assert_not_enrolled(_create(APIClient(), proctored_exam, **learner))
    service = client_for(world, "service")
    role = f"/api/v1/courses/{COURSE_ID}/roles/zed"
    assert service.put(role, {"role": "learner"}, format="json").status_code == 200
    assert _create(APIClient(), proctored_exam, **learner).status_code == 201
    assert service.delete(role).status_code == 204
    other = ExamFactory(course=world.course, content_id="other")
    assert _create(APIClient(), other, **learner).json()["code"] == "not_enrolled"


def test_course_staff_are_members_but_global_staff_and_other_staff_are_not(world, proctored_exam):
    assert _create(client_for(world, "staff"), proctored_exam).status_code == 201
    for persona in ("global_staff", "other_staff"):
        response = _create(client_for(world, persona), proctored_exam)
        assert response.status_code == 403
        assert response.json()["code"] == "not_enrolled"
    assert not Attempt.objects.filter(exam=proctored_exam, user=world.global_staff).exists()


def test_an_unknown_exam_is_still_a_404_for_anyone(world):
    response = _create(APIClient(), Exam(pk=999_999), **_token())
    assert response.status_code == 404


def test_the_python_api_creates_attempts_without_asking_for_enrollment(world, proctored_exam):
    outsider = UserFactory(username="outsider")
    attempt_id = api.create_exam_attempt(proctored_exam.pk, outsider.pk)
    assert Attempt.objects.get(pk=attempt_id).user == outsider


def test_the_demo_learners_are_enrolled_and_can_take_the_demo_exams(db):
    call_command("load_demo_data", stdout=io.StringIO())
    exam = Exam.objects.filter(course_id=DEMO_COURSE_ID, is_practice_exam=False).last()
    client = APIClient()
    client.force_login(UserFactory._meta.model.objects.get(username="learner"))
    response = _create(client, exam)
    assert response.status_code == 201, response.content
