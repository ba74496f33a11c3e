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
