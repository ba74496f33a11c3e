"""Entry gates (issue 15, item 2): each optional, each refused with its own code and a
learner-facing message, nothing created, every pass logged for staff."""

import hashlib

import pytest
from django.contrib.auth.hashers import identify_hasher

from proctoring.access.models import AttemptSession, ExamRules, GateLog
from proctoring.attempts.actions import attempt_reset
from proctoring.attempts.models import Attempt
from tests.rest.conftest import COURSE_ID, client_for

pytestmark = pytest.mark.django_db

CONFIG_KEY = "a" * 64
BROWSER_KEY = "b" * 64


def _rules(world, **body):
    staff = client_for(world, "staff")
    response = staff.patch(
        f"/api/v1/courses/{COURSE_ID}/exams/{world.exam.pk}/access", body, format="json"
    )
    assert response.status_code == 200, response.content
    return response.json()


def _start(world, persona="learner", body=None, **headers):
    client = client_for(world, persona)
    return client.post(
        f"/api/v1/attempts/{world.attempt.pk}/start", body or {}, format="json", **headers
    )


def _refused(response, status, code):
    assert response.status_code == status, response.content
    assert response.json()["code"] == code
    assert response.json()["detail"]


def _status(world):
    return Attempt.objects.get(pk=world.attempt.pk).status


def test_an_exam_without_rules_has_no_gate_and_logs_nothing(world):
    assert _start(world).status_code == 200
    assert not GateLog.objects.exists()


def test_the_access_code_is_stored_hashed_and_checked(world):
    rules = _rules(world, access_code="s3cret-code")
    assert rules["has_access_code"] is True
    stored = ExamRules.objects.get(exam=world.exam).access_code_hash
    assert "s3cret-code" not in stored
    assert identify_hasher(stored)
    _refused(_start(world), 403, "access_code_required")
    _refused(_start(world, body={"access_code": "wrong"}), 403, "access_code_invalid")
    assert _status(world) == "created"
    assert _start(world, body={"access_code": "s3cret-code"}).status_code == 200
    outcomes = list(GateLog.objects.order_by("id").values_list("outcome", flat=True))
    assert outcomes == ["access_code_required", "access_code_invalid", "passed"]


def test_the_access_code_in_a_create_and_start(world):
    _rules(world, access_code="s3cret-code")
    bob = client_for(world, "other_learner")
    body = {"exam_id": world.exam.pk, "start": True, "access_code": "nope"}
    _refused(bob.post("/api/v1/attempts", body, format="json"), 403, "access_code_invalid")
    assert not Attempt.objects.filter(user=world.other_learner).exists()
    body["access_code"] = "s3cret-code"
    assert bob.post("/api/v1/attempts", body, format="json").status_code == 201


def test_wrong_codes_are_rate_limited_per_learner_and_exam(world):
    _rules(world, access_code="s3cret-code")
    for _ in range(5):
        _refused(_start(world, body={"access_code": "wrong"}), 403, "access_code_invalid")
    _refused(_start(world, body={"access_code": "s3cret-code"}), 429, "access_code_rate_limited")
    # Another learner is not limited by alice's tries.
    bob = client_for(world, "other_learner")
    body = {"exam_id": world.exam.pk, "start": True, "access_code": "s3cret-code"}
    assert bob.post("/api/v1/attempts", body, format="json").status_code == 201


def test_removing_the_code_opens_the_gate(world):
    _rules(world, access_code="s3cret-code")
    assert _rules(world, access_code=None)["has_access_code"] is False
    assert _start(world).status_code == 200


def test_a_start_waits_for_staffs_release_of_the_learners_group(world):
    _rules(world, requires_release=True)
    staff = client_for(world, "staff")
    groups = f"/api/v1/courses/{COURSE_ID}/allowances/groups/room-1"
    staff.put(groups, {"usernames": ["alice"]}, format="json")
    _refused(_start(world), 409, "exam_not_released")
    release = f"/api/v1/courses/{COURSE_ID}/exams/{world.exam.pk}/release"
    assert staff.post(release, {"group": "room-1"}, format="json").status_code == 200
    assert _start(world).status_code == 200
    bob = client_for(world, "other_learner")
    body = {"exam_id": world.exam.pk, "start": True}
    _refused(bob.post("/api/v1/attempts", body, format="json"), 409, "exam_not_released")
    staff.post(release, {}, format="json")  # everyone
    assert bob.post("/api/v1/attempts", body, format="json").status_code == 201


def test_only_the_allowed_ip_ranges_may_start(world):
    _rules(world, allowed_ip_ranges=["10.0.0.0/8", "2001:db8::/32"])
    _refused(_start(world, REMOTE_ADDR="192.0.2.7"), 403, "ip_not_allowed")
    assert GateLog.objects.get().ip == "192.0.2.7"
    assert _start(world, REMOTE_ADDR="10.1.2.3").status_code == 200


def test_x_forwarded_for_counts_only_behind_trusted_proxies(world, settings):
    _rules(world, allowed_ip_ranges=["10.0.0.0/8"])
    forged = {"REMOTE_ADDR": "192.0.2.7", "HTTP_X_FORWARDED_FOR": "10.0.0.5"}
    _refused(_start(world, **forged), 403, "ip_not_allowed")
    settings.PROCTORING_TRUSTED_PROXY_COUNT = 1
    # The client forged the first entry; the trusted proxy appended the real address.
    spoofed = {"REMOTE_ADDR": "172.16.0.1", "HTTP_X_FORWARDED_FOR": "10.0.0.5, 192.0.2.7"}
    _refused(_start(world, **spoofed), 403, "ip_not_allowed")
    proxied = {"REMOTE_ADDR": "172.16.0.1", "HTTP_X_FORWARDED_FOR": "192.0.2.7, 10.0.0.5"}
    assert _start(world, **proxied).status_code == 200


def _seb_hash(url, key):
    return hashlib.sha256((url + key).encode()).hexdigest()


def test_safe_exam_browser_config_key_hash_is_checked(world):
    _rules(world, seb_config_key=CONFIG_KEY)
    url = f"http://testserver/api/v1/attempts/{world.attempt.pk}/start"
    _refused(_start(world), 403, "seb_required")
    wrong = {"HTTP_X_SAFEEXAMBROWSER_CONFIGKEYHASH": _seb_hash(url, "c" * 64)}
    _refused(_start(world, **wrong), 403, "seb_required")
    right = {"HTTP_X_SAFEEXAMBROWSER_CONFIGKEYHASH": _seb_hash(url, CONFIG_KEY)}
    assert _start(world, **right).status_code == 200


def test_safe_exam_browser_browser_exam_key_hash_is_checked(world):
    _rules(world, seb_browser_exam_keys=[BROWSER_KEY])
    url = f"http://testserver/api/v1/attempts/{world.attempt.pk}/start"
    other_url = {"HTTP_X_SAFEEXAMBROWSER_REQUESTHASH": _seb_hash(url + "x", BROWSER_KEY)}
    _refused(_start(world, **other_url), 403, "seb_required")
    right = {"HTTP_X_SAFEEXAMBROWSER_REQUESTHASH": _seb_hash(url, BROWSER_KEY)}
    assert _start(world, **right).status_code == 200


def test_the_seb_file_is_downloadable_by_the_courses_learners(world):
    _rules(world, seb_config_key=CONFIG_KEY, seb_config_file="<plist>exam</plist>")
    path = f"/api/v1/exams/{world.exam.pk}/seb-config"
    response = client_for(world, "learner").get(path)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/seb"
    assert response.content == b"<plist>exam</plist>"
    _refused(client_for(world, "other_staff").get(path), 403, "not_enrolled")


def test_bad_rules_are_refused(world):
    staff = client_for(world, "staff")
    path = f"/api/v1/courses/{COURSE_ID}/exams/{world.exam.pk}/access"
    for body, code in [
        ({"allowed_ip_ranges": ["10.0.0.300/8"]}, "invalid"),
        ({"seb_config_key": "xyz"}, "invalid"),
        ({"escalation_email": "not-an-address"}, "invalid"),
        ({"support_links": [{"title": "Help", "url": "ftp://x"}]}, "invalid"),
        ({"max_attempts": 0}, "invalid"),
        ({"retake_policy": "sometimes"}, "invalid"),
        ({"access_code": "abc"}, "invalid"),
        ({"surprise": True}, "invalid"),
    ]:
        response = staff.patch(path, body, format="json")
        assert response.status_code == 400, body
        assert response.json()["code"] == code, body
    learner = client_for(world, "learner")
    assert learner.patch(path, {"one_session": True}, format="json").status_code == 403


@pytest.mark.parametrize("rules", [{"max_attempts": 1}, {"retake_policy": "none"}])
def test_no_attempt_beyond_the_limit_is_created(world, rules):
    _rules(world, **rules)
    attempt_reset(attempt_id=world.attempt.pk, actor_id=world.staff.pk)
    alice = client_for(world, "learner")
    for start in (False, True):
        body = {"exam_id": world.exam.pk, "start": start}
        _refused(alice.post("/api/v1/attempts", body, format="json"), 409, "attempt_limit_reached")
    assert Attempt.objects.filter(user=world.learner).count() == 1


def test_a_second_attempt_within_the_limit(world):
    _rules(world, max_attempts=2)
    attempt_reset(attempt_id=world.attempt.pk, actor_id=world.staff.pk)
    alice = client_for(world, "learner")
    body = {"exam_id": world.exam.pk}
    assert alice.post("/api/v1/attempts", body, format="json").status_code == 201


def test_one_browser_session_per_running_attempt_until_staff_unlock(world):
    _rules(world, one_session=True)
    # The X-Exam-Session header names the browser (else the Django session's key).
    assert _start(world, HTTP_X_EXAM_SESSION="device-1").status_code == 200
    assert AttemptSession.objects.get().session_hash != "device-1"
    alice = client_for(world, "learner")
    submit = f"/api/v1/attempts/{world.attempt.pk}/submit"
    _refused(alice.post(submit, HTTP_X_EXAM_SESSION="device-2"), 409, "session_locked")
    assert _status(world) == "started"
    unlock = f"/api/v1/attempts/{world.attempt.pk}/unlock-session"
    assert client_for(world, "learner").post(unlock).status_code == 403
    assert client_for(world, "staff").post(unlock).json() == {"was_bound": True}
    assert alice.post(submit, HTTP_X_EXAM_SESSION="device-2").status_code == 200


def test_one_session_binds_a_create_and_start(world):
    _rules(world, one_session=True)
    bob = client_for(world, "other_learner")
    body = {"exam_id": world.exam.pk, "start": True}
    created = bob.post("/api/v1/attempts", body, format="json", HTTP_X_EXAM_SESSION="tab-1")
    assert created.status_code == 201
    stop = f"/api/v1/attempts/{created.json()['id']}/stop"
    _refused(bob.post(stop, HTTP_X_EXAM_SESSION="tab-2"), 409, "session_locked")
    assert bob.post(stop, HTTP_X_EXAM_SESSION="tab-1").status_code == 200


def test_staff_read_the_gate_log(world):
    _rules(world, access_code="s3cret-code")
    _start(world, body={"access_code": "wrong"})
    _start(world, body={"access_code": "s3cret-code"})
    staff = client_for(world, "staff")
    log = staff.get(f"/api/v1/courses/{COURSE_ID}/exams/{world.exam.pk}/gate-log").json()
    assert [item["outcome"] for item in log["results"]] == ["passed", "access_code_invalid"]
    assert log["results"][0]["gates"] == ["window", "access_code"]
    assert log["results"][0]["username"] == "alice"
