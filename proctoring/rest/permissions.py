"""Who may call what (DESIGN.md 2.2), in one module.

Staff-only endpoints admit global staff and platform service accounts at once. For anyone
else the course comes from the ``course_id`` URL argument, else from the exam named by
``exam_id`` in the body, else from the attempt named by ``attempt_id`` in the URL; objects the
view then reaches must belong to that course (see ``access_*`` below).
"""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions, permissions
from rest_framework.request import Request
from rest_framework.views import APIView

from proctoring.accounts.models import ApiKey
from proctoring.attempts.models import Attempt
from proctoring.core.ids import as_id
from proctoring.exams.models import Exam
from proctoring.exceptions import (
    ProctoredExamNotFoundException,
    StudentExamAttemptDoesNotExistsException,
)
from proctoring.providers.registry import provider_alias_of_service_account
from proctoring.rest.auth_cache import auth_cache
from proctoring.runtime import get_runtime_service

NO_COURSE_MESSAGE = "could not determine the course_id"
NOT_STAFF_MESSAGE = "Must be a Staff User to Perform this request."
SERVICE_ACCOUNT_MESSAGE = "A service account cannot take exams."


def is_service_account(request: Request) -> bool:
    """A platform's service account (an API key); a proctoring provider's service account
    (named by its alias's ``SERVICE_ACCOUNTS``) is not one: it only sends callbacks."""
    return isinstance(request.auth, ApiKey) and not is_provider_account(request)


def is_provider_account(request: Request) -> bool:
    return isinstance(request.auth, ApiKey) and (
        provider_alias_of_service_account(request.user.get_username()) is not None
    )


def is_global_staff(request: Request) -> bool:
    """Global staff (``is_staff``) or a platform service account."""
    user = request.user
    return bool(user.is_authenticated and (user.is_staff or is_service_account(request)))


def is_course_staff(request: Request, course_id: str) -> bool:
    """Global staff, or staff of the course by the instructor service; its answer is kept a
    few seconds (``auth_cache``): a role granted or taken away shows within that bound."""
    if is_global_staff(request):
        return True
    user, service = request.user, get_runtime_service("instructor")
    if user.pk is None:
        return bool(service.is_course_staff(user, course_id))
    key = ("course-staff", service, user.pk, course_id)  # another service, another answer
    known = auth_cache.get(key)
    if known is None:
        known = bool(service.is_course_staff(user, course_id))
        auth_cache.put(key, known, user_id=user.pk)
    return bool(known)


def _not_staff() -> exceptions.PermissionDenied:
    return exceptions.PermissionDenied(NOT_STAFF_MESSAGE, code="not_course_staff")


def _body_exam_id(request: Request) -> Any:
    data = request.data
    return data.get("exam_id") if isinstance(data, dict) else None


def course_of_request(request: Request, view: APIView) -> str:
    """The course a staff-only request is about (DESIGN.md 2.2); 404 for unknown objects."""
    course_id = view.kwargs.get("course_id")
    if course_id is not None:
        return str(course_id)
    exam_id = _body_exam_id(request)
    if exam_id is not None:
        exam_course = (
            Exam.objects.filter(pk=as_id(exam_id) or 0).values_list("course_id", flat=True).first()
        )
        if exam_course is None:
            raise ProctoredExamNotFoundException(f"There is no exam with id {exam_id!r}.")
        return str(exam_course)
    attempt_id = view.kwargs.get("attempt_id")
    if attempt_id is not None:
        attempt_course = (
            Attempt.objects.filter(pk=as_id(attempt_id) or 0)
            .values_list("exam__course_id", flat=True)
            .first()
        )
        if attempt_course is None:
            raise StudentExamAttemptDoesNotExistsException(
                f"There is no attempt with id {attempt_id!r}."
            )
        return str(attempt_course)
    raise exceptions.PermissionDenied(NO_COURSE_MESSAGE, code="no_course")


class IsGlobalStaff(permissions.BasePermission):
    """Global staff or a platform service account."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        if not request.user.is_authenticated:
            return False
        if not is_global_staff(request):
            raise _not_staff()
        return True


class IsCourseStaff(permissions.BasePermission):
    """Staff of the course the request is about (DESIGN.md 2.2), global staff, services."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        if not request.user.is_authenticated:
            return False
        if is_global_staff(request):
            return True
        if not is_course_staff(request, course_of_request(request, view)):
            raise _not_staff()
        return True


class IsStaffOfLockedAttempt(permissions.BasePermission):
    """Staff of the course of the attempt named in the URL, checked by the view itself on the
    attempt it locks (``check_attempt_staff``): an unknown attempt is a 404, another course's
    a 403, as with ``IsCourseStaff``, with no read of the attempt's course beforehand."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        return bool(request.user.is_authenticated)


class IsLearner(permissions.BasePermission):
    """A person, not a service account: only people take exams."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        if not request.user.is_authenticated:
            return False
        if isinstance(request.auth, ApiKey):  # a platform's or a provider's
            raise exceptions.PermissionDenied(SERVICE_ACCOUNT_MESSAGE, code="service_account")
        return True


def check_attempt_reader(request: Request, attempt: Attempt) -> None:
    """The attempt's learner, or staff of its course, may read it."""
    if attempt.user_id != request.user.pk and not is_course_staff(request, attempt.exam.course_id):
        raise _not_staff()


def check_attempt_staff(request: Request, attempt: Attempt) -> None:
    """Staff of the attempt's own course: whatever course the permission class found, the
    attempt must belong to a course the caller manages (DESIGN.md 2.2, stricter)."""
    if not is_course_staff(request, attempt.exam.course_id):
        raise _not_staff()
