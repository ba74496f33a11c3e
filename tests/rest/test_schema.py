"""The OpenAPI schema, generated from the code, and its Swagger UI."""

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_the_schema_is_served_as_openapi_3():
    response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/attempts/{attempt_id}" in schema["paths"]
    schemes = schema["components"]["securitySchemes"]
    assert schemes["platformJWT"]["scheme"] == "bearer"
    assert schemes["apiKey"]["in"] == "header"
    review = schema["paths"]["/api/v1/attempts/{attempt_id}/review"]["post"]
    assert review["operationId"] == "attempt_review"
    assert {"200", "403", "404", "409"} <= set(review["responses"])


def test_the_swagger_ui_is_served():
    response = APIClient().get("/api/docs/")
    assert response.status_code == 200
    assert b"swagger" in response.content.lower()


def test_the_schema_has_no_warnings(tmp_path):
    """What `make check` runs: warnings fail."""
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yml"))
    assert (tmp_path / "s.yml").read_text().startswith("openapi: 3")


def test_a_short_jwt_secret_is_reported_by_the_system_checks(settings):
    from proctoring.rest.checks import check_jwt_settings

    settings.PROCTORING_JWT_SECRET = "short"
    assert [message.id for message in check_jwt_settings()] == ["rest.W001"]
    settings.PROCTORING_JWT_SECRET = "x" * 32
    assert check_jwt_settings() == []


def _schema():
    return APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()


def _operations(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            yield path, method, operation


def test_every_request_body_refuses_unknown_fields_as_the_server_does():
    schema = _schema()
    components = schema["components"]["schemas"]
    bodies = set()
    for _, _, operation in _operations(schema):
        if "requestBody" in operation:
            ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
            name = ref.rsplit("/", 1)[1]
            one_of = components[name].get("oneOf", [{"$ref": ref}])  # the bulk grant's
            bodies.update(choice["$ref"].rsplit("/", 1)[1] for choice in one_of)
    assert len(bodies) >= 16
    # A vendor's callbacks may carry fields of its own (the reference's payloads vary): the
    # server reads what it knows and keeps the rest with the review.
    for name in bodies - {"ReadyCallbackRequest", "ReviewedCallbackRequest"}:
        assert components[name]["additionalProperties"] is False, name
        assert "typo" not in components[name].get("description", ""), name


def test_every_operation_may_answer_503_with_retry_after():
    for path, method, operation in _operations(_schema()):
        unavailable = operation["responses"]["503"]
        assert "Retry-After" in unavailable["headers"], (path, method)


def test_course_ids_in_paths_have_the_grammars_pattern():
    from proctoring.core.ids import COURSE_ID_PATTERN

    seen = 0
    for _, _, operation in _operations(_schema()):
        for parameter in operation.get("parameters", []):
            if parameter["name"] == "course_id":
                assert parameter["schema"]["pattern"] == COURSE_ID_PATTERN
                assert parameter["schema"]["maxLength"] == 255
                seen += 1
    assert seen >= 10


def test_paginated_lists_describe_their_page_parameters():
    schema = _schema()
    operation = schema["paths"]["/api/v1/courses/{course_id}/attempts"]["get"]
    parameters = {p["name"]: p["schema"] for p in operation["parameters"]}
    assert parameters["page"]["minimum"] == 1
    assert parameters["page_size"] == {"type": "integer", "minimum": 1, "maximum": 200}
    assert parameters["search"]["minLength"] == 1


def test_input_strings_are_described_without_nul_and_not_only_spaces_when_required():
    from proctoring.rest.schema import NO_NUL_PATTERN, NOT_BLANK_PATTERN

    components = _schema()["components"]["schemas"]
    exam = components["ExamListCreateInputRequest"]["properties"]
    assert exam["exam_name"]["pattern"] == NOT_BLANK_PATTERN
    course = components["CourseInputRequest"]["properties"]
    assert course["display_name"]["pattern"] == NO_NUL_PATTERN


def test_each_allowance_key_has_its_own_path_and_value_schema():
    schema = _schema()
    paths = [p for p in schema["paths"] if "/allowances/{username}/" in p]
    assert sorted(p.rsplit("/", 1)[1] for p in paths) == [
        "additional_time_granted",
        "due_date_extension",
        "opens_at",
        "review_policy_exception",
        "time_multiplier",
    ]
    bulk = schema["components"]["schemas"]["AllowanceBulkGrantInputRequest"]
    assert bulk["discriminator"]["propertyName"] == "key"
    assert len(bulk["oneOf"]) == 5
    operation = schema["paths"]["/api/v1/courses/{course_id}/allowances/bulk"]["post"]
    assert operation["requestBody"]["required"] is True  # a POST without a body is a 400
