"""Allowances: list, grant, change, revoke, bulk; and the time they give."""

import pytest

from proctoring.allowances.models import Allowance
from proctoring.allowances.services import allowance_value_clean
from proctoring.exceptions import InvalidAllowance
from tests.factories import ExamFactory
from tests.rest.conftest import COURSE_ID, client_for

pytestmark = pytest.mark.django_db


def _path(exam_id, username="alice", key="additional_time_granted"):
    return f"/api/v1/courses/{COURSE_ID}/exams/{exam_id}/allowances/{username}/{key}"


def test_staff_grant_change_list_and_revoke_an_allowance(world):
    client = client_for(world, "staff")
    granted = client.put(_path(world.exam.pk), {"value": "30"}, format="json")
    assert granted.status_code == 201
    assert granted.json()["value"] == "30"
    changed = client.put(_path(world.exam.pk), {"value": "45"}, format="json")
    assert changed.status_code == 200
    assert Allowance.objects.get().value == "45"
    listed = client.get(f"/api/v1/courses/{COURSE_ID}/allowances", {"username": "alice"})
    assert [(a["username"], a["key"], a["value"]) for a in listed.json()["results"]] == [
        ("alice", "additional_time_granted", "45")
    ]
    by_exam = client.get(f"/api/v1/courses/{COURSE_ID}/allowances", {"exam_id": world.exam.pk})
    assert by_exam.json()["count"] == 1
    assert client.delete(_path(world.exam.pk)).status_code == 204
    missing = client.delete(_path(world.exam.pk))
    assert missing.status_code == 404
    assert missing.json()["code"] == "allowance_not_found"


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("additional_time_granted", "-5"),
        ("additional_time_granted", "ten"),
        ("additional_time_granted", "99999"),
        ("time_multiplier", "0.5"),
        ("time_multiplier", "nan"),
        ("time_multiplier", "11"),
        ("time_multiplier", " 2"),
        ("time_multiplier", "1e0"),
        ("review_policy_exception", ""),
        ("review_policy_exception", " padded "),
        ("due_date_extension", "2030-06-30T23:59:00"),
        ("due_date_extension", "0001-01-01T00:00:00+14:00"),
        ("due_date_extension", "2030-02-30T00:00:00Z"),
    ],
)
def test_invalid_values_are_400s(world, key, value):
    response = client_for(world, "staff").put(
        _path(world.exam.pk, key=key), {"value": value}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_allowance"


def test_an_unknown_allowance_key_is_a_404(world):
    response = client_for(world, "staff").put(
        _path(world.exam.pk, key="shoe_size"), {"value": "42"}, format="json"
    )
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_values_are_stored_in_a_canonical_form():
    assert allowance_value_clean(key="additional_time_granted", value=" 007 ") == "7"
    assert allowance_value_clean(key="time_multiplier", value="1.50") == "1.5"
    assert allowance_value_clean(key="review_policy_exception", value=" ok ") == "ok"
    with pytest.raises(InvalidAllowance):
        allowance_value_clean(key="time_multiplier", value="x")


def test_an_exam_of_another_course_or_an_unknown_user_is_a_404(world):
    client = client_for(world, "staff")
    other = client.put(_path(world.other_exam.pk), {"value": "5"}, format="json")
    assert other.status_code == 404
    assert other.json()["code"] == "exam_not_found"
    nobody = client.put(_path(world.exam.pk, username="nobody"), {"value": "5"}, format="json")
    assert nobody.json()["code"] == "user_not_found"
    assert (
        client.get(f"/api/v1/courses/{COURSE_ID}/allowances", {"username": "x"}).status_code == 404
    )


def test_a_bulk_grant_reports_each_pair(world):
    second = ExamFactory(course=world.course)
    body = {
        "exam_ids": [world.exam.pk, second.pk, world.other_exam.pk],
        "usernames": ["alice", "bob", "ghost"],
        "key": "time_multiplier",
        "value": "1.5",
    }
    response = client_for(world, "staff").post(
        f"/api/v1/courses/{COURSE_ID}/allowances/bulk", body, format="json"
    )
    assert response.status_code == 200
    results = response.json()["results"]
    assert len(results) == 9
    ok = {(r["exam_id"], r["username"]) for r in results if r["ok"]}
    assert ok == {(e, u) for e in (world.exam.pk, second.pk) for u in ("alice", "bob")}
    codes = {r["code"] for r in results if not r["ok"]}
    assert codes == {"exam_not_found", "user_not_found"}
    assert Allowance.objects.filter(value="1.5").count() == 4
    body["value"] = "2"
    client_for(world, "staff").post(
        f"/api/v1/courses/{COURSE_ID}/allowances/bulk", body, format="json"
    )
    assert Allowance.objects.filter(value="2").count() == 4
    assert Allowance.objects.count() == 4


def test_a_bulk_grant_with_an_invalid_value_grants_nothing(world):
    body = {"exam_ids": [world.exam.pk], "usernames": ["alice"], "key": "time_multiplier"}
    client = client_for(world, "staff")
    url = f"/api/v1/courses/{COURSE_ID}/allowances/bulk"
    assert client.post(url, {**body, "value": "zero"}, format="json").status_code == 400
    assert client.post(url, {**body, "exam_ids": []}, format="json").status_code == 400
    assert not Allowance.objects.exists()


def test_a_bulk_grant_costs_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    exams = [ExamFactory(course=world.course).pk for _ in range(10)]
    body = {
        "exam_ids": exams,
        "usernames": ["alice", "bob"],
        "key": "time_multiplier",
        "value": "2",
    }
    client = client_for(world, "staff")
    with django_assert_max_num_queries(10):  # the events of the grants in one INSERT
        client.post(f"/api/v1/courses/{COURSE_ID}/allowances/bulk", body, format="json")
    assert Allowance.objects.count() == 20


@pytest.mark.parametrize(
    ("key", "value", "code"),
    [
        ("due_date_extension", "5", "invalid_allowance"),
        ("additional_time_granted", "2030-06-30T23:59:00+00:00", "invalid_allowance"),
        ("time_multiplier", 2, "invalid"),
        ("shoe_size", "42", "invalid"),
        (None, "42", "invalid"),
    ],
)
def test_a_bulk_grant_takes_the_value_form_of_its_key(world, key, value, code):
    body = {"exam_ids": [world.exam.pk], "usernames": ["alice"], "key": key, "value": value}
    body = {name: item for name, item in body.items() if item is not None}
    response = client_for(world, "staff").post(
        f"/api/v1/courses/{COURSE_ID}/allowances/bulk", body, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == code
