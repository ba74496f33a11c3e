"""The front page, sign-in and sign-out, and the platform launch."""

from __future__ import annotations

from typing import cast

from django.contrib.auth import login
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from proctoring.web.access import is_course_staff, learner_courses, staff_courses
from proctoring.web.errors import error_page
from proctoring.web.launch import LaunchRefused, launch_verify

SESSION_RETURN_URL = "web_return_url"


def home(request: HttpRequest) -> HttpResponse:
    """What the service is; a signed-in user's exams (learner) or courses (staff)."""
    context: dict[str, object] = {}
    user = request.user
    if user.is_authenticated:
        context["staff_courses"] = staff_courses(user)
        context["learner_courses"] = learner_courses(user)
    return render(request, "web/home.html", context)


@csrf_exempt  # the platform's signed, single-use token is this cross-site POST's proof
@require_POST
def launch(request: HttpRequest) -> HttpResponse:
    """``POST /launch`` with a platform token: a session for its user, on its exam's page."""
    try:
        found = launch_verify(token=request.POST.get("token"))
    except LaunchRefused as refused:
        return error_page(
            request,
            status=refused.status,
            message=refused.message,
            code=refused.code,
            title="The launch was refused",
        )
    login(request, cast(User, found.user), backend="django.contrib.auth.backends.ModelBackend")
    if found.return_url:
        request.session[SESSION_RETURN_URL] = found.return_url
    if is_course_staff(found.user, found.exam.course_id):
        return redirect(
            reverse("web:staff-attempts", args=[found.exam.course_id]) + f"?exam={found.exam.pk}"
        )
    return redirect("web:exam", exam_id=found.exam.pk)
