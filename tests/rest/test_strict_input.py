"""The server takes what the OpenAPI schema describes and nothing more: JSON booleans are
true/false, strings are strings, integers are integers, and a query parameter given with an
empty value is refused (docs/integration.md, "Errors")."""

import pytest

from tests.rest.conftest import COURSE_ID, client_for

pytestmark = pytest.mark.django_db

EXAMS = f"/api/v1/courses/{COURSE_ID}/exams"
ATTEMPTS = f"/api/v1/courses/{COURSE_ID}/attempts"
EXAM = {"content_id": "final", "exam_name": "Final", "time_limit_mins": 30}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("is_proctored", 1, "Must be a valid boolean."),
        ("is_proctored", 0, "Must be a valid boolean."),
        ("is_active", "true", "Must be a valid boolean."),
        ("is_practice_exam", "yes", "Must be a valid boolean."),
        ("exam_name", 42, "Not a valid string."),
        ("content_id", 7.5, "Not a valid string."),
        ("time_limit_mins", "30", "A valid integer is required."),
        ("time_limit_mins", 30.0, "A valid integer is required."),
        ("time_limit_mins", True, "A valid integer is required."),
    ],
)
def test_a_json_body_takes_only_values_of_the_schemas_types(world, field, value, message):
    response = client_for(world, "staff").post(EXAMS, {**EXAM, field: value}, format="json")
    assert response.status_code == 400
    assert response.json()["fields"] == {field: [message]}


def test_a_learner_cannot_start_an_attempt_with_a_number_for_true(world):
    body = {"exam_id": world.exam.pk, "start": 1}
    response = client_for(world, "other_learner").post("/api/v1/attempts", body, format="json")
    assert response.status_code == 400
    assert response.json()["fields"] == {"start": ["Must be a valid boolean."]}


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("roles/bob", {"role": 1}),
        ("allowances/bulk", {"exam_ids": ["1"], "usernames": ["bob"], "key": "x", "value": "1"}),
        ("allowances/bulk", {"exam_ids": [1], "usernames": [5], "key": "x", "value": "1"}),
    ],
)
def test_nested_and_choice_fields_are_strict_too(world, path, body):
    client = client_for(world, "staff")
    method = client.put if path.startswith("roles") else client.post
    response = method(f"/api/v1/courses/{COURSE_ID}/{path}", body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_a_true_json_boolean_is_still_taken(world):
    response = client_for(world, "staff").post(
        EXAMS, {**EXAM, "is_proctored": False, "is_active": True}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["is_proctored"] is False


@pytest.mark.parametrize(
    ("path", "query", "field"),
    [
        (EXAMS, "active_only=1", "active_only"),
        (EXAMS, "active_only=True", "active_only"),
        (EXAMS, "active_only=", "active_only"),
        (ATTEMPTS, "include_archived=yes", "include_archived"),
        (ATTEMPTS, "exam_id=", "exam_id"),
        (ATTEMPTS, "search=", "search"),
        (ATTEMPTS, "status=", "status"),
        (ATTEMPTS, "page=", "page"),
        (ATTEMPTS, "page=0", "page"),
        (ATTEMPTS, "page=last", "page"),
        (ATTEMPTS, "page_size=0", "page_size"),
        (ATTEMPTS, "page_size=201", "page_size"),
        (ATTEMPTS, "page_size=", "page_size"),
        (f"/api/v1/courses/{COURSE_ID}/allowances", "username=", "username"),
        (f"/api/v1/courses/{COURSE_ID}/roles", "role=", "role"),
        (f"{EXAMS}/lookup", "content_id=", "content_id"),
    ],
)
def test_a_query_parameter_outside_its_schema_or_empty_is_a_400(world, path, query, field):
    response = client_for(world, "staff").get(f"{path}?{query}")
    assert response.status_code == 400
    assert list(response.json()["fields"]) == [field]


def test_query_booleans_and_pages_of_the_schema_are_taken(world):
    client = client_for(world, "staff")
    assert client.get(f"{EXAMS}?active_only=true&page=1&page_size=200").status_code == 200
    assert client.get(f"{ATTEMPTS}?include_archived=false&page_size=1").json()["count"] == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [("exam_name", "a\x00b"), ("exam_name", " \u3000\x1c "), ("content_id", "\t")],
)
def test_strings_with_nul_or_only_spaces_are_400s_as_the_schema_says(world, field, value):
    response = client_for(world, "staff").post(EXAMS, {**EXAM, field: value}, format="json")
    assert response.status_code == 400
    assert list(response.json()["fields"]) == [field]
