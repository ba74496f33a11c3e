"""Structured logs: one JSON line per request with its id, and every unhandled error with its
traceback and the request id, in every setting (DEBUG off included)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from proctoring.ops.logs import REQUEST_ID_HEADER
from tests.rest.conftest import client_for

ROOT = Path(__file__).resolve().parents[2]
PROCTORING = str(Path(sys.executable).parent / "proctoring")


@pytest.mark.django_db
def test_a_request_logs_one_json_line_with_its_id_route_status_duration_user_and_ids(
    world, log_lines
):
    """The learner reads their attempt: one line names the route, the status, the duration,
    the learner and the attempt, with the request id also returned in the header."""
    client = client_for(world, "learner")
    response = client.get(f"/api/v1/attempts/{world.attempt.pk}")
    assert response.status_code == 200
    [line] = [line for line in log_lines() if line["event"] == "request"]
    assert line["request_id"] == response[REQUEST_ID_HEADER]
    assert line["route"] == "api/v1/attempts/<id:attempt_id>"
    assert line["method"] == "GET"
    assert line["status"] == 200
    assert line["duration_ms"] > 0
    assert line["user_id"] == world.learner.pk
    assert line["attempt_id"] == world.attempt.pk
    assert line["level"] == "info"
    assert "timestamp" in line


@pytest.mark.django_db
def test_a_learners_action_with_its_jwt_logs_the_learner_answered_or_refused(world, log_lines):
    """The lean path of a learner's action (rest/v1/attempt_act_lean.py): its request line
    names the learner whose identity the lock confirmed, for a refusal too."""
    from rest_framework.test import APIClient

    from tests.rest.conftest import COURSE_ID, bearer, mint

    token = mint("zed-1", preferred_username="zed", course_roles={COURSE_ID: "learner"})
    client = APIClient()
    body = {"exam_id": world.exam.pk}
    created = client.post("/api/v1/attempts", body, format="json", **bearer(token))
    assert created.status_code == 201, created.json()
    attempt_id = created.json()["id"]
    user_id = created.json()["user_id"]
    refused = client.post(f"/api/v1/attempts/{attempt_id}/submit", **bearer(token))  # created
    started = client.post(f"/api/v1/attempts/{attempt_id}/start", **bearer(token))
    assert (refused.status_code, started.status_code) == (409, 200)
    lines = [line for line in log_lines() if line["event"] == "request"]
    assert [(line["status"], line["user_id"]) for line in lines[-2:]] == [
        (409, user_id),
        (200, user_id),
    ]


@pytest.mark.django_db
def test_the_request_line_names_the_course_of_a_course_route(world, log_lines):
    client = client_for(world, "staff")
    response = client.get(f"/api/v1/courses/{world.course.course_id}/exams")
    assert response.status_code == 200
    [line] = [line for line in log_lines() if line["event"] == "request"]
    assert line["course_id"] == world.course.course_id
    assert line["user_id"] == world.staff.pk


def test_an_incoming_request_id_is_kept_and_returned(client, log_lines):
    response = client.get("/health/live", HTTP_X_REQUEST_ID="lb-7f3a.42")
    assert response[REQUEST_ID_HEADER] == "lb-7f3a.42"
    assert log_lines()[-1]["request_id"] == "lb-7f3a.42"


def test_a_malformed_request_id_is_replaced_by_a_new_one(client, log_lines):
    """A request id with spaces and quotes (a log injection attempt) is not trusted."""
    response = client.get("/health/live", HTTP_X_REQUEST_ID='x" injected=1')
    assert response[REQUEST_ID_HEADER] != 'x" injected=1'
    assert len(response[REQUEST_ID_HEADER]) == 32
    assert log_lines()[-1]["request_id"] == response[REQUEST_ID_HEADER]


def test_a_request_line_never_queries_for_the_user(client, log_lines):
    """A view that never looked at the user (the liveness probe): the line is written without
    a session query (this test may not touch the database at all)."""
    assert client.get("/health/live").status_code == 200
    assert log_lines()[-1]["user_id"] is None


@pytest.mark.urls("tests.ops.boom_urls")
def test_an_unhandled_error_is_logged_with_its_traceback_and_request_id(log_lines):
    """A bug in a view: a 500, and an error line with the traceback and the request id."""
    client = Client(raise_request_exception=False)
    response = client.get("/boom/c1/7", HTTP_X_REQUEST_ID="req-500")
    assert response.status_code == 500
    lines = log_lines()
    [error] = [line for line in lines if line["level"] == "error"]
    assert error["request_id"] == "req-500"
    assert error["logger"] == "django.request"
    assert "Traceback" in error["exception"]
    assert "RuntimeError: boom: a bug in a view" in error["exception"]
    [request] = [line for line in lines if line["event"] == "request"]
    assert request["status"] == 500
    assert request["course_id"] == "c1"
    assert request["attempt_id"] == 7


def test_with_debug_off_the_real_settings_print_the_traceback_as_json_on_stdout(tmp_path):
    """The service's own LOGGING, DEBUG off: the 500's traceback is a JSON line on stdout."""
    code = (
        "from django.test import Client, override_settings\n"
        "with override_settings(ROOT_URLCONF='tests.ops.boom_urls'):\n"
        "    Client(raise_request_exception=False, HTTP_X_REQUEST_ID='req-prod')"
        ".get('/boom/c1/7')\n"
    )
    environment = {
        key: value for key, value in os.environ.items() if key not in {"DJANGO_SETTINGS_MODULE"}
    }
    environment.update(
        DEBUG="false",
        PROCTORING_DATA_DIR=str(tmp_path),
        DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3",
        ALLOWED_HOSTS="testserver",
        PROCTORING_JOBS="off",
        PYTHONPATH=str(ROOT),
    )
    environment.pop("PROCTORING_LOG_FORMAT", None)
    result = subprocess.run(
        [PROCTORING, "shell", "-c", code],
        env=environment,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    [error] = [line for line in lines if line.get("level") == "error"]
    assert error["request_id"] == "req-prod"
    assert "RuntimeError: boom: a bug in a view" in error["exception"]
    [request] = [line for line in lines if line.get("event") == "request"]
    assert request == request | {"status": 500, "request_id": "req-prod", "attempt_id": 7}
