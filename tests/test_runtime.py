"""Runtime services: local defaults, replaceable by the platform."""

import pytest

from proctoring.courses.models import CourseRole
from proctoring.courses.service import LocalInstructorService
from proctoring.credit.models import CreditRequirementStatus
from proctoring.credit.service import LocalCreditService
from proctoring.runtime import get_runtime_service, set_runtime_service
from tests.factories import CourseRoleFactory, UserFactory


def test_defaults_are_the_local_services():
    assert isinstance(get_runtime_service("credit"), LocalCreditService)
    assert isinstance(get_runtime_service("instructor"), LocalInstructorService)
    assert get_runtime_service("no-such-service") is None


def test_a_set_service_replaces_the_default_until_reset():
    replacement = object()
    set_runtime_service("credit", replacement)
    assert get_runtime_service("credit") is replacement
    set_runtime_service("credit", None)
    assert isinstance(get_runtime_service("credit"), LocalCreditService)


@pytest.mark.django_db
def test_local_instructor_service_answers_from_course_roles(course):
    service = get_runtime_service("instructor")
    staff = CourseRoleFactory(course=course, role=CourseRole.Role.STAFF).user
    instructor = CourseRoleFactory(course=course, role=CourseRole.Role.INSTRUCTOR).user
    learner = CourseRoleFactory(course=course, role=CourseRole.Role.LEARNER).user
    global_staff = UserFactory(is_staff=True)
    assert service.is_course_staff(staff, course.course_id) is True
    assert service.is_course_staff(instructor, course.course_id) is True
    assert service.is_course_staff(learner, course.course_id) is False
    assert service.is_course_staff(staff, "another-course") is False
    assert service.is_course_staff(global_staff, "another-course") is True


@pytest.mark.django_db
def test_local_credit_service_records_updates_and_removals(learner, course):
    service = get_runtime_service("credit")
    service.set_credit_requirement_status(
        user_id=learner.pk,
        course_key_or_id=course.course_id,
        req_namespace="proctored_exam",
        req_name="midterm",
        status="submitted",
    )
    service.set_credit_requirement_status(
        learner.pk, course.course_id, "proctored_exam", "midterm", status="satisfied"
    )
    row = CreditRequirementStatus.objects.get()
    assert (row.req_name, row.status) == ("midterm", "satisfied")
    state = service.get_credit_state(learner.pk, course.course_id)
    assert [s["status"] for s in state["credit_requirement_status"]] == ["satisfied"]
    assert "course_name" not in state
    named = service.get_credit_state(learner.pk, course.course_id, return_course_name=True)
    assert named["course_name"] == "Demo Course"
    service.remove_credit_requirement_status(
        learner.pk, course.course_id, "proctored_exam", "midterm"
    )
    assert not CreditRequirementStatus.objects.exists()


@pytest.mark.django_db
def test_credit_state_names_an_unnamed_course_by_its_id(learner):
    state = LocalCreditService().get_credit_state(learner.pk, "edX/X/Y", return_course_name=True)
    assert state["course_name"] == "edX/X/Y"
