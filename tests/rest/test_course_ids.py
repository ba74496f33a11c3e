"""Course ids have a grammar (docs/integration.md): one segment, or the old three-segment
``Org/Number/Run``; an unknown path under a course is a 404, never a course."""

import pytest

from proctoring.core.ids import is_course_id
from proctoring.courses.models import Course
from tests.rest.conftest import COURSE_ID, client_for

pytestmark = pytest.mark.django_db

NOT_FOUND = {"detail": "Not found.", "code": "not_found"}


@pytest.mark.parametrize(
    "course_id",
    [
        "course-v1:edX+DemoX+Demo_Course",
        "edX/DemoX/Demo_Course",
        "ccx-v1:edX+DemoX+Demo_Course+ccx@1",
        "MITx/6.002x/2012_Fall",
        "A~b.c_d-e",
        "x" * 255,
    ],
)
def test_course_ids_of_the_grammar_are_created_read_and_used(world, course_id):
    client = client_for(world, "service")
    response = client.put(f"/api/v1/courses/{course_id}", {"display_name": "C"}, format="json")
    assert response.status_code == 200
    assert response.json()["course_id"] == course_id
    assert client.get(f"/api/v1/courses/{course_id}").json()["course_id"] == course_id
    exam = {"content_id": "final", "exam_name": "Final", "time_limit_mins": 30}
    assert client.post(f"/api/v1/courses/{course_id}/exams", exam, format="json").status_code == 201
    assert client.get(f"/api/v1/courses/{course_id}/exams").json()["count"] == 1


@pytest.mark.parametrize(
    "course_id",
    ["a b", "x" * 256, "é", "..", "a*b", "a,b", "a;b", "a$b"],
)
def test_a_put_of_a_course_id_outside_the_grammar_is_a_400_and_creates_nothing(world, course_id):
    response = client_for(world, "service").put(f"/api/v1/courses/{course_id}", {}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_course_id"
    assert not Course.objects.exclude(
        course_id__in=[COURSE_ID, world.other_course.course_id]
    ).exists()


@pytest.mark.parametrize(
    "path",
    [
        "A/exams/abc",
        "A/exams/-1",
        "A/roles/x/y",
        "A/attempts/1",
        "A/allowances/x",
        "A/B",
        "A/B/C/D",
        f"{COURSE_ID}/exams/abc",
        f"{COURSE_ID}/nothing",
    ],
)
@pytest.mark.parametrize("method", ["get", "put"])
def test_unknown_paths_under_courses_are_404s_not_courses(world, path, method):
    client = client_for(world, "service")
    response = getattr(client, method)(f"/api/v1/courses/{path}", {}, format="json")
    assert response.status_code == 404
    assert response.json() == NOT_FOUND
    assert not Course.objects.filter(course_id__startswith="A").exists()


def test_a_route_under_a_course_outside_the_grammar_is_a_404(world):
    client = client_for(world, "service")
    exam = {"content_id": "final", "exam_name": "Final", "time_limit_mins": 30}
    response = client.post("/api/v1/courses/a b/exams", exam, format="json")
    assert response.status_code == 404
    assert response.json() == NOT_FOUND
    assert client.get("/api/v1/courses/a*b/attempts").status_code == 404


def test_course_staff_get_a_404_for_an_unknown_exam_path_not_a_403(world):
    response = client_for(world, "staff").get(f"/api/v1/courses/{COURSE_ID}/exams/-1")
    assert response.status_code == 404


def test_an_old_style_course_id_with_a_slash_sent_as_percent_2f_works(world):
    client = client_for(world, "service")
    assert client.put("/api/v1/courses/edX%2FDemoX%2FDemo", {}, format="json").status_code == 200
    assert client.get("/api/v1/courses/edX/DemoX/Demo").json()["course_id"] == "edX/DemoX/Demo"


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("course-v1:edX+DemoX+Demo", True),
        ("edX/DemoX/Demo_Course", True),
        ("A/examsX/b", True),
        ("A/b/exams", True),
        ("A/exams/b", False),
        ("A/B", False),
        ("./a/b", False),
        ("a/b/..", False),
        ("a\n", False),
        ("", False),
        (None, False),
    ],
)
def test_the_course_id_grammar(value, valid):
    assert is_course_id(value) is valid
