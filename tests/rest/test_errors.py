"""One error shape everywhere, and never a 500 for a bad request."""

import json

import pytest
from django.test import Client, override_settings
from rest_framework.test import APIRequestFactory

from proctoring.exceptions import (
    ProctoredExamIllegalStatusTransition,
    StudentExamAttemptDoesNotExistsException,
)
from proctoring.rest import django_errors
from proctoring.rest.exception_handler import _flatten, exception_handler
from tests.factories import UserFactory
from tests.rest.conftest import COURSE_ID, client_for

pytestmark = pytest.mark.django_db
EXAMS = f"/api/v1/courses/{COURSE_ID}/exams"


def _post_raw(world, path, body, content_type="application/json", persona="staff"):
    client = client_for(world, persona)
    return client.generic("POST", path, body, content_type=content_type)


@pytest.mark.parametrize(
    "body",
    [
        b"{",
        b"{'single': 'quotes'}",
        b'{"time_limit_mins": NaN}',
        b'{"a": Infinity}',
        b"\xff\xfe\x00",
        b"[" * 100_000 + b"]" * 100_000,
    ],
)
def test_malformed_json_is_a_400_parse_error(world, body):
    response = _post_raw(world, EXAMS, body)
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    assert response.json()["detail"].startswith("The request body is not valid JSON")


def test_an_oversized_body_is_a_413(world, settings):
    settings.PROCTORING_API_MAX_BODY_BYTES = 2048
    body = json.dumps({"content_id": "x", "exam_name": "y" * 5000, "time_limit_mins": 1})
    response = _post_raw(world, EXAMS, body.encode())
    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"


def test_wrong_types_are_field_errors(world):
    body = {"content_id": ["x"], "exam_name": "Final", "time_limit_mins": "ninety"}
    response = client_for(world, "staff").post(EXAMS, body, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "detail": "Invalid input.",
        "code": "invalid",
        "fields": {
            "content_id": ["Not a valid string."],
            "time_limit_mins": ["A valid integer is required."],
        },
    }


def test_unknown_fields_are_refused(world):
    body = {"content_id": "x", "exam_name": "Final", "time_limit_mins": 5, "is_proctord": False}
    response = client_for(world, "staff").post(EXAMS, body, format="json")
    assert response.status_code == 400
    assert response.json()["fields"] == {"is_proctord": ["Unknown field."]}


@pytest.mark.parametrize("body", [b"[]", b'"text"', b"42", b"null"])
def test_a_body_that_is_not_an_object_is_a_400(world, body):
    response = _post_raw(world, EXAMS, body)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_a_body_that_is_not_an_object_is_a_400_for_learners_too(world):
    response = _post_raw(world, "/api/v1/attempts", b"[1, 2]", persona="learner")
    assert response.status_code == 400


def test_an_unsupported_media_type_is_a_415(world):
    response = _post_raw(world, EXAMS, b"a=b", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


def test_a_wrong_method_is_a_405(world):
    response = client_for(world, "learner").delete(f"/api/v1/attempts/{world.attempt.pk}")
    assert response.status_code == 405
    assert response.json() == {
        "detail": 'Method "DELETE" not allowed.',
        "code": "method_not_allowed",
    }


def test_bad_query_parameters_are_400s_and_bad_pages_404s(world):
    client = client_for(world, "staff")
    response = client.get(f"/api/v1/courses/{COURSE_ID}/attempts", {"exam_id": "abc"})
    assert response.status_code == 400
    assert "exam_id" in response.json()["fields"]
    response = client.get(f"/api/v1/courses/{COURSE_ID}/attempts", {"page": "99"})
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_too_many_query_fields_is_a_400(world):
    query = "&".join(f"f{i}=1" for i in range(1100))
    response = client_for(world, "staff").get(f"/api/v1/courses/{COURSE_ID}/attempts?{query}")
    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"


def test_an_unknown_url_under_the_api_is_a_json_404(db):
    response = Client().get("/api/v1/nothing/here")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


def test_an_unknown_url_outside_the_api_is_a_json_404_too(db):
    response = Client().get("/nothing/here")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


def test_an_unknown_url_of_the_admin_keeps_the_admins_html_404(db):
    response = Client().get("/admin/nothing/here/")
    assert response.status_code in (302, 404)  # the admin sends strangers to its login
    staff = UserFactory(username="root", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(staff)
    response = client.get("/admin/nothing/here/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@override_settings(DEBUG=False)
def test_a_server_error_is_json_outside_the_admin(db):
    request = APIRequestFactory().get("/api/v1/attempts/active")
    response = django_errors.server_error(request)
    assert response.status_code == 500
    assert json.loads(response.content) == {"detail": "Server error.", "code": "server_error"}
    admin = django_errors.server_error(APIRequestFactory().get("/admin/"))
    assert admin.status_code == 500
    assert admin["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(
    ("exc", "status", "code"),
    [
        (StudentExamAttemptDoesNotExistsException(), 404, "attempt_not_found"),
        (ProctoredExamIllegalStatusTransition("no"), 409, "illegal_status_transition"),
    ],
)
def test_domain_exceptions_map_to_their_status_and_code(exc, status, code):
    response = exception_handler(exc, {})
    assert response.status_code == status
    assert response.data == {"detail": exc.message, "code": code}


def test_django_exceptions_are_mapped_and_bugs_are_left_to_the_500_handler():
    from django.core.exceptions import PermissionDenied, RequestDataTooBig
    from django.http import Http404

    assert exception_handler(Http404(), {}).status_code == 404
    assert exception_handler(PermissionDenied(), {}).status_code == 403
    assert exception_handler(RequestDataTooBig(), {}).status_code == 413
    assert exception_handler(ZeroDivisionError(), {}) is None


def test_nested_field_errors_are_flattened():
    assert _flatten({"items": [{}, {"username": ["Bad."]}], "key": ["Required."]}) == {
        "items.1.username": ["Bad."],
        "key": ["Required."],
    }
    assert _flatten(["Wrong."]) == {"non_field_errors": ["Wrong."]}


# --- Django's own answers (outside DRF's views) are in the error shape -------------------------


@pytest.mark.parametrize("path", ["/api/v1/attempts/active", "/admin/", "/nothing/here"])
def test_a_host_not_allowed_is_a_json_400_bad_host_everywhere(db, path):
    response = Client().get(path, HTTP_HOST="evil.example.com")
    assert response.status_code == 400
    assert response.json() == {
        "detail": "The Host header names no host this service answers to.",
        "code": "bad_host",
    }


def test_a_failed_csrf_check_of_the_sign_in_form_is_a_json_403(db):
    response = Client(enforce_csrf_checks=True).post(
        "/api/auth/login/", {"username": "x", "password": "y"}
    )
    assert response.status_code == 403
    body = response.json()
    assert body["code"] == "csrf_failed"
    assert body["detail"].startswith("CSRF verification failed: ")


def test_a_failed_csrf_check_of_the_admin_keeps_the_admins_html_page(db):
    response = Client(enforce_csrf_checks=True).post("/admin/login/", {"username": "x"})
    assert response.status_code == 403
    assert response["Content-Type"].startswith("text/html")


def test_a_form_body_over_djangos_limit_is_a_json_413(db, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    response = Client().post("/api/auth/login/", {"username": "x" * 5000, "password": "y"})
    assert response.status_code == 413
    assert response.json() == {
        "detail": "The request body is too large.",
        "code": "request_too_large",
    }


def test_a_form_with_too_many_fields_is_a_json_400(db, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    fields = {f"f{i}": "1" for i in range(50)}
    response = Client().post("/api/auth/login/", fields)
    assert response.status_code == 400
    assert response.json() == {"detail": "The request is malformed.", "code": "bad_request"}


def test_an_error_page_of_a_django_view_is_reshaped_and_keeps_its_headers(db):
    response = Client().delete("/api/auth/login/")
    assert response.status_code == 405
    assert response.json() == {"detail": "Method Not Allowed.", "code": "method_not_allowed"}
    assert "POST" in response["Allow"]


def test_a_permission_denied_outside_the_admin_is_a_json_403():
    request = APIRequestFactory().get("/api/auth/login/")
    response = django_errors.permission_denied(request)
    assert response.status_code == 403
    assert json.loads(response.content)["code"] == "permission_denied"
    admin = django_errors.permission_denied(APIRequestFactory().get("/admin/x/"))
    assert admin["Content-Type"].startswith("text/html")


def test_the_browsable_apis_html_error_page_is_left_to_drf(world):
    client = client_for(world, "learner")
    response = client.get("/api/v1/attempts/999999", HTTP_ACCEPT="text/html")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_a_session_call_without_its_csrf_token_is_a_403_csrf_failed(world):
    from rest_framework.test import APIClient

    client = APIClient(enforce_csrf_checks=True)
    client.force_login(world.staff)
    response = client.post(EXAMS, {"content_id": "x"}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "csrf_failed"
    assert response.json()["detail"].startswith("CSRF Failed: ")
