"""The reference's view decorators, for plain Django function views."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any, TypeVar, cast

from django.http import HttpRequest, JsonResponse, QueryDict
from django.http.response import HttpResponseBase
from django.utils.translation import gettext as _

from proctoring.models import ProctoredExam, ProctoredExamStudentAttempt
from proctoring.runtime import get_runtime_service

__all__ = ["require_course_or_global_staff"]

View = TypeVar("View", bound=Callable[..., HttpResponseBase])

_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _body_exam_id(request: HttpRequest) -> Any:
    """The ``exam_id`` of the request body (JSON or form), or None when there is none."""
    content_type = request.content_type or ""
    if content_type == "application/json" or content_type.endswith("+json"):
        try:
            data = json.loads(request.body or b"null")
        except (ValueError, UnicodeDecodeError):
            return None
        return data.get("exam_id") if isinstance(data, dict) else None
    if content_type in _FORM_TYPES:
        if request.method == "POST":
            return request.POST.get("exam_id")
        if content_type == "application/x-www-form-urlencoded":
            # Django fills request.POST for POST only; read PUT/PATCH/DELETE forms directly.
            return QueryDict(request.body).get("exam_id")
    return None


def _forbidden(detail: str) -> JsonResponse:
    return JsonResponse({"detail": detail}, status=403)


def _not_found(detail: str) -> JsonResponse:
    return JsonResponse({"detail": detail}, status=404)


def require_course_or_global_staff(view: View) -> View:
    """Let through global staff, and staff of the course the request is about.

    The course is the ``course_id`` URL argument; else the course of the exam named by
    ``exam_id`` in the request body; else that of the attempt named by the ``attempt_id`` URL
    argument. Course staff is what the ``instructor`` runtime service's ``is_course_staff``
    says. Answers 403 when the course cannot be determined or the user is not its staff, and
    404 when the exam or attempt named does not exist.
    """

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if getattr(request.user, "is_staff", False):
            return view(request, *args, **kwargs)

        course_id = kwargs.get("course_id")
        if course_id is None:
            exam_id = _body_exam_id(request)
            attempt_id = kwargs.get("attempt_id")
            if exam_id is not None:
                exam = ProctoredExam.get_exam_by_id(exam_id)
                if exam is None:
                    return _not_found(_("There is no exam with id %(id)s.") % {"id": exam_id})
                course_id = exam.course_id
            elif attempt_id is not None:
                attempt = ProctoredExamStudentAttempt.objects.get_exam_attempt_by_id(attempt_id)
                if attempt is None:
                    return _not_found(_("There is no attempt with id %(id)s.") % {"id": attempt_id})
                course_id = attempt.proctored_exam.course_id
            else:
                return _forbidden(_("could not determine the course_id"))

        instructor_service = get_runtime_service("instructor")
        if instructor_service.is_course_staff(request.user, course_id):
            return view(request, *args, **kwargs)
        return _forbidden(_("Must be a Staff User to Perform this request."))

    return cast(View, wrapped)
