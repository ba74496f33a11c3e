"""DESIGN.md 2.2: how a staff-only request finds its course, with the seed's 403 bodies."""

import pytest
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory, force_authenticate
from rest_framework.views import APIView

from proctoring.rest.permissions import IsCourseStaff
from tests.rest.conftest import client_for

pytestmark = pytest.mark.django_db


class StaffOnly(APIView):
    permission_classes = [IsCourseStaff]

    def post(self, request, **kwargs):
        return Response({"ok": True})


def _call(user, body=None, **kwargs):
    request = APIRequestFactory().post("/x", body or {}, format="json")
    force_authenticate(request, user=user)
    return StaffOnly.as_view()(request, **kwargs)


def test_global_staff_are_admitted_at_once(world):
    assert _call(world.global_staff).status_code == 200


def test_without_any_course_the_request_is_refused_with_the_seed_body(world):
    response = _call(world.staff)
    assert response.status_code == 403
    assert response.data == {
        "detail": "could not determine the course_id",
        "code": "no_course",
    }


def test_the_course_comes_from_the_url_first(world):
    assert _call(world.staff, course_id=world.course.course_id).status_code == 200
    response = _call(world.staff, course_id=world.other_course.course_id)
    assert response.status_code == 403
    assert response.data["detail"] == "Must be a Staff User to Perform this request."
    # The URL's course wins over an exam of another course named in the body.
    body = {"exam_id": world.exam.pk}
    assert _call(world.staff, body, course_id=world.other_course.course_id).status_code == 403


def test_then_from_the_exam_named_in_the_body(world):
    assert _call(world.staff, {"exam_id": world.exam.pk}).status_code == 200
    assert _call(world.staff, {"exam_id": world.other_exam.pk}).status_code == 403


def test_then_from_the_attempt_named_in_the_url(world):
    assert _call(world.staff, attempt_id=world.attempt.pk).status_code == 200
    assert _call(world.other_staff, attempt_id=world.attempt.pk).status_code == 403


@pytest.mark.parametrize(
    ("body", "kwargs", "code"),
    [
        ({"exam_id": 999999}, {}, "exam_not_found"),
        ({"exam_id": "abc"}, {}, "exam_not_found"),
        ({}, {"attempt_id": 999999}, "attempt_not_found"),
    ],
)
def test_unknown_exams_and_attempts_are_404s(world, body, kwargs, code):
    response = _call(world.staff, body, **kwargs)
    assert response.status_code == 404
    assert response.data["code"] == code


def test_learners_see_only_their_own_attempts(world):
    path = f"/api/v1/attempts/{world.attempt.pk}"
    assert client_for(world, "learner").get(path).status_code == 200
    response = client_for(world, "other_learner").get(path)
    assert response.status_code == 403
    assert response.json() == {
        "detail": "Must be a Staff User to Perform this request.",
        "code": "not_course_staff",
    }


def test_an_exam_of_another_course_is_refused_even_to_global_staff(world):
    path = f"/api/v1/courses/{world.course.course_id}/exams/{world.other_exam.pk}"
    for persona in ("staff", "global_staff", "service"):
        response = client_for(world, persona).get(path)
        assert response.status_code == 404, persona
        assert response.json()["code"] == "exam_not_found"
