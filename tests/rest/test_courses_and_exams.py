"""Courses, course roles and exams."""

import pytest

from proctoring.courses.models import Course, CourseRole
from proctoring.exams.models import Exam
from tests.factories import UserFactory
from tests.rest.conftest import COURSE_ID, client_for

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("course_id", ["course-v1:New+1+2", "edX/DemoX/Demo_Course"])
def test_a_service_account_creates_and_updates_a_course(world, course_id):
    client = client_for(world, "service")
    created = client.put(f"/api/v1/courses/{course_id}", {"display_name": "New"}, format="json")
    assert created.status_code == 200
    assert created.json()["course_id"] == course_id
    updated = client.put(f"/api/v1/courses/{course_id}", {"provider": "null"}, format="json")
    assert updated.json()["display_name"] == "New"
    assert Course.objects.get(course_id=course_id).provider == "null"
    assert client.get(f"/api/v1/courses/{course_id}").json()["provider"] == "null"


def test_a_course_id_longer_than_255_characters_is_refused(world):
    response = client_for(world, "service").put(f"/api/v1/courses/{'x' * 256}", {}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_course_id"


def test_course_staff_cannot_create_courses(world):
    response = client_for(world, "staff").put(f"/api/v1/courses/{COURSE_ID}", {}, format="json")
    assert response.status_code == 403


def test_an_unknown_course_is_a_404_for_global_staff(world):
    response = client_for(world, "global_staff").get("/api/v1/courses/nope")
    assert response.status_code == 404
    assert response.json()["code"] == "course_not_found"


def test_course_staff_list_grant_and_revoke_roles(world):
    client = client_for(world, "staff")
    roles = f"/api/v1/courses/{COURSE_ID}/roles"
    listed = client.get(roles).json()
    assert [(r["username"], r["role"]) for r in listed["results"]] == [
        ("alice", "learner"),
        ("bob", "learner"),
        ("carol", "staff"),
    ]
    granted = client.put(f"{roles}/alice", {"role": "instructor"}, format="json")
    assert granted.status_code == 200
    assert granted.json() == {
        "user_id": world.learner.pk,
        "username": "alice",
        "role": "instructor",
    }
    assert client.get(roles, {"role": "instructor"}).json()["count"] == 1
    assert client.delete(f"{roles}/alice").status_code == 204
    assert not CourseRole.objects.filter(user=world.learner).exists()
    missing = client.delete(f"{roles}/alice")
    assert missing.status_code == 404
    assert missing.json()["code"] == "role_not_found"
    assert client.put(f"{roles}/nobody", {"role": "staff"}, format="json").status_code == 404
    bad = client.put(f"{roles}/alice", {"role": "dean"}, format="json")
    assert bad.status_code == 400


def test_course_staff_create_list_read_and_update_exams(world):
    client = client_for(world, "staff")
    exams = f"/api/v1/courses/{COURSE_ID}/exams"
    body = {
        "content_id": "block-v1:final",
        "exam_name": "Final",
        "time_limit_mins": 120,
        "due_date": "2030-01-01T00:00:00Z",
        "is_practice_exam": False,
    }
    created = client.post(exams, body, format="json")
    assert created.status_code == 201
    exam_id = created.json()["id"]
    assert created.json()["is_proctored"] is True
    assert created.json()["due_date"] == "2030-01-01T00:00:00Z"
    assert client.post(exams, body, format="json").json()["code"] == "exam_already_exists"
    assert client.get(exams).json()["count"] == 2
    lookup = client.get(f"{exams}/lookup", {"content_id": "block-v1:final"})
    assert lookup.json()["id"] == exam_id
    assert client.get(f"{exams}/lookup", {"content_id": "nope"}).status_code == 404
    assert client.get(f"{exams}/lookup").status_code == 400
    changed = client.patch(
        f"{exams}/{exam_id}", {"is_active": False, "due_date": None}, format="json"
    )
    assert changed.status_code == 200
    assert changed.json()["is_active"] is False
    assert changed.json()["due_date"] is None
    assert client.get(exams, {"active_only": "true"}).json()["count"] == 1
    assert client.get(f"{exams}/{exam_id}").json()["exam_name"] == "Final"
    assert Exam.objects.get(pk=exam_id).time_limit_mins == 120


def test_staff_of_another_course_cannot_touch_its_exams(world):
    client = client_for(world, "other_staff")
    exams = f"/api/v1/courses/{COURSE_ID}/exams"
    body = {"content_id": "x", "exam_name": "X", "time_limit_mins": 1}
    for response in (
        client.get(exams),
        client.post(exams, body, format="json"),
        client.patch(f"{exams}/{world.exam.pk}", {"exam_name": "Hacked"}, format="json"),
    ):
        assert response.status_code == 403
        assert response.json()["detail"] == "Must be a Staff User to Perform this request."
    assert Exam.objects.get(pk=world.exam.pk).exam_name == "Midterm"


def test_an_instructor_counts_as_course_staff(world):
    instructor = UserFactory(username="ivan")
    CourseRole.objects.create(user=instructor, course=world.course, role="instructor")
    learner_role = UserFactory(username="lea")
    CourseRole.objects.create(user=learner_role, course=world.course, role="learner")
    world.instructor, world.lea = instructor, learner_role
    exams = f"/api/v1/courses/{COURSE_ID}/exams"
    assert client_for(world, "instructor").get(exams).status_code == 200
    assert client_for(world, "lea").get(exams).status_code == 403


def test_a_course_id_with_slashes_works_under_its_sub_resources(world):
    client = client_for(world, "service")
    body = {"content_id": "c1", "exam_name": "One", "time_limit_mins": None}
    created = client.post("/api/v1/courses/edX/DemoX/Demo_Course/exams", body, format="json")
    assert created.status_code == 201
    assert created.json()["course_id"] == "edX/DemoX/Demo_Course"
    listed = client.get("/api/v1/courses/edX%2FDemoX%2FDemo_Course/exams").json()
    assert [exam["content_id"] for exam in listed["results"]] == ["c1"]
