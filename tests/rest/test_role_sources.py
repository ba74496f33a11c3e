"""Course roles from two sources, the platform's tokens and the REST API: the latest change wins.

A token changes a user's role in a course only when it names a different role for the course
than the identity's earlier tokens named; naming the same role again (in the same token, or in
one whose other claims changed) leaves whatever the API did since in place.
"""

import pytest
from rest_framework.test import APIClient

from proctoring.courses.models import CourseRole
from tests.rest.conftest import COURSE_ID, OTHER_COURSE_ID, bearer, client_for, mint

ATTEMPTS = f"/api/v1/courses/{COURSE_ID}/attempts"
ROLE = f"/api/v1/courses/{COURSE_ID}/roles/tess"


def _token(email="tess@example.org", **roles):
    return mint("lms-tess", preferred_username="tess", email=email, course_roles=roles or None)


def _as(token):
    """The user's request with this token, on a staff-only list: 200 for staff, else 403."""
    return APIClient().get(ATTEMPTS, **bearer(token)).status_code


def _role():
    return CourseRole.objects.filter(user__username="tess", course_id=COURSE_ID).first()


def _staff_token(**extra):
    return _token(**{COURSE_ID: "staff"}, **extra)


@pytest.fixture
def revoked_staff(world):
    """Tess was made staff by her token, then the service account revoked the role."""
    assert _as(_staff_token()) == 200
    assert client_for(world, "service").delete(ROLE).status_code == 204
    return world


def test_a_role_revoked_through_the_api_stays_revoked_when_the_same_token_comes_back(
    revoked_staff,
):
    assert _as(_staff_token()) == 403
    assert _role() is None


def test_a_role_revoked_through_the_api_stays_revoked_when_other_claims_change(revoked_staff):
    assert _as(_staff_token(email="tess@new.example.org")) == 403
    assert _role() is None


def test_a_role_revoked_through_the_api_stays_revoked_after_tokens_of_other_courses(
    revoked_staff,
):
    assert _as(_token(**{OTHER_COURSE_ID: "learner"})) == 403
    assert _as(_staff_token()) == 403
    assert _role() is None


def test_a_token_that_names_another_role_for_the_course_changes_it_again(revoked_staff):
    assert _as(_token(**{COURSE_ID: "instructor"})) == 200
    assert _role().role == "instructor"


def test_a_token_that_revokes_then_names_the_role_again_grants_it(revoked_staff):
    assert _as(_token(**{COURSE_ID: None})) == 403
    assert _as(_staff_token()) == 200
    assert _role().role == "staff"


def test_a_role_granted_through_the_api_stands_while_tokens_name_the_old_one(world):
    learner_token = _token(**{COURSE_ID: "learner"})
    assert _as(learner_token) == 403
    granted = client_for(world, "service").put(ROLE, {"role": "staff"}, format="json")
    assert granted.status_code == 200
    assert _as(learner_token) == 200
    assert _as(_token(email="tess@new.example.org", **{COURSE_ID: "learner"})) == 200
    assert _role().role == "staff"


def test_a_role_granted_through_the_api_is_revoked_by_a_token_that_revokes_it(world):
    assert _as(_token(**{COURSE_ID: "learner"})) == 403
    client_for(world, "service").put(ROLE, {"role": "staff"}, format="json")
    assert _as(_token(**{COURSE_ID: None})) == 403
    assert _role() is None


def test_a_token_without_course_roles_leaves_every_role_alone(world):
    assert _as(_staff_token()) == 200
    assert _as(_token(email="tess@other.example.org")) == 200
    assert _role().role == "staff"
