"""Nobody reviews their own attempt or changes their own allowances: another staff member must.

The rule lives in the domain services, so the REST API and the admin both keep it; course staff
and global staff alike are refused (403 ``self_review`` / ``self_allowance``), and actions
without an actor (the Python API's) are not concerned.
"""

import pytest
from django.urls import reverse

from proctoring import api
from proctoring.allowances.models import Allowance
from proctoring.allowances.services import allowance_grant, allowance_revoke
from proctoring.attempts import actions
from proctoring.attempts.models import Attempt
from proctoring.courses.models import CourseRole
from proctoring.exceptions import SelfAllowance, SelfReview
from tests.factories import ExamFactory, UserFactory
from tests.rest.conftest import COURSE_ID, client_for

pytestmark = pytest.mark.django_db


def _submitted_attempt_of(exam, user):
    attempt_id = api.create_exam_attempt(exam.pk, user.pk)
    api.update_attempt_status(exam.pk, user.pk, "started")
    api.update_attempt_status(exam.pk, user.pk, "submitted")
    return Attempt.objects.get(pk=attempt_id)


@pytest.fixture
def staff_attempt(world):
    """Carol, staff of the course, took one of its exams (e.g. before she became staff)."""
    return _submitted_attempt_of(ExamFactory(course=world.course, content_id="q"), world.staff)


def _review(client, attempt):
    return client.post(
        f"/api/v1/attempts/{attempt.pk}/review", {"status": "verified"}, format="json"
    )


def test_course_staff_cannot_verify_their_own_attempt(world, staff_attempt):
    response = _review(client_for(world, "staff"), staff_attempt)
    assert response.status_code == 403
    assert response.json()["code"] == "self_review"
    staff_attempt.refresh_from_db()
    assert staff_attempt.status == "submitted"


def test_another_staff_member_verifies_the_staff_members_attempt(world, staff_attempt):
    for persona in ("global_staff", "service"):
        assert _review(client_for(world, persona), staff_attempt).status_code == 200
    staff_attempt.refresh_from_db()
    assert staff_attempt.status == "verified"


def test_global_staff_cannot_verify_their_own_attempt_either(world):
    CourseRole.objects.create(user=world.global_staff, course=world.course, role="learner")
    attempt = _submitted_attempt_of(ExamFactory(course=world.course), world.global_staff)
    response = _review(client_for(world, "global_staff"), attempt)
    assert response.status_code == 403
    assert response.json()["code"] == "self_review"


def test_the_review_service_refuses_the_attempts_own_learner_but_not_the_system(world):
    attempt = _submitted_attempt_of(ExamFactory(course=world.course), world.learner)
    with pytest.raises(SelfReview):
        actions.attempt_review(attempt_id=attempt.pk, status="verified", actor_id=world.learner.pk)
    reviewed = actions.attempt_review(attempt_id=attempt.pk, status="verified", actor_id=None)
    assert reviewed.status == "verified"


def _allowance_url(world, username):
    return (
        f"/api/v1/courses/{COURSE_ID}/exams/{world.exam.pk}/allowances/{username}"
        "/additional_time_granted"
    )


@pytest.mark.parametrize(("persona", "username"), [("staff", "carol"), ("global_staff", "erin")])
def test_staff_cannot_grant_themselves_an_allowance(world, persona, username):
    response = client_for(world, persona).put(
        _allowance_url(world, username), {"value": "30"}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["code"] == "self_allowance"
    assert not Allowance.objects.exists()


def test_staff_cannot_revoke_their_own_allowance_and_another_staff_member_can(world):
    Allowance.objects.create(
        exam=world.exam, user=world.staff, key="additional_time_granted", value="5"
    )
    response = client_for(world, "staff").delete(_allowance_url(world, "carol"))
    assert response.status_code == 403
    assert response.json()["code"] == "self_allowance"
    assert Allowance.objects.filter(user=world.staff).exists()
    assert (
        client_for(world, "global_staff").delete(_allowance_url(world, "carol")).status_code == 204
    )


def test_another_staff_member_grants_the_staff_member_an_allowance(world):
    response = client_for(world, "global_staff").put(
        _allowance_url(world, "carol"), {"value": "30"}, format="json"
    )
    assert response.status_code == 201


def test_a_bulk_grant_skips_the_actors_own_pairs_with_a_per_row_error(world):
    response = client_for(world, "staff").post(
        f"/api/v1/courses/{COURSE_ID}/allowances/bulk",
        {
            "exam_ids": [world.exam.pk],
            "usernames": ["alice", "carol", "bob"],
            "key": "additional_time_granted",
            "value": "10",
        },
        format="json",
    )
    assert response.status_code == 200
    results = {row["username"]: (row["ok"], row["code"]) for row in response.json()["results"]}
    assert results == {
        "alice": (True, ""),
        "carol": (False, "self_allowance"),
        "bob": (True, ""),
    }
    granted = set(Allowance.objects.values_list("user__username", flat=True))
    assert granted == {"alice", "bob"}


def test_the_allowance_services_refuse_the_actor_but_not_a_call_without_one(world):
    with pytest.raises(SelfAllowance):
        allowance_grant(
            exam=world.exam,
            user_id=world.staff.pk,
            key="time_multiplier",
            value="2",
            actor_id=world.staff.pk,
        )
    allowance_grant(exam=world.exam, user_id=world.staff.pk, key="time_multiplier", value="2")
    with pytest.raises(SelfAllowance):
        allowance_revoke(
            exam=world.exam, user_id=world.staff.pk, key="time_multiplier", actor_id=world.staff.pk
        )
    assert Allowance.objects.filter(user=world.staff).count() == 1


@pytest.fixture
def root(client):
    user = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(user)
    return user


def test_the_admin_refuses_an_allowance_for_oneself_and_its_deletion(client, root):
    exam = ExamFactory()
    add = reverse("admin:allowances_allowance_add")
    form = {"exam": exam.pk, "user": root.pk, "key": "additional_time_granted", "value": "15"}
    refused = client.post(add, form)
    assert refused.status_code == 200
    assert b"Nobody grants or revokes their own allowances" in refused.content
    assert not Allowance.objects.exists()
    own = Allowance.objects.create(exam=exam, user=root, key="time_multiplier", value="2")
    delete = reverse("admin:allowances_allowance_delete", args=[own.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert Allowance.objects.filter(pk=own.pk).exists()
    other = UserFactory()
    assert client.post(add, {**form, "user": other.pk}).status_code == 302
