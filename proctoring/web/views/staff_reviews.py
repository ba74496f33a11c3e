"""Course staff's review queue (the attempts awaiting a review or a second review, or those
with a flagged review) with verify or reject from it, and the learners' onboarding statuses:
the selectors and services the REST API calls (proctoring.rest.v1.reviews, onboarding)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from proctoring.attempts.onboarding import (
    onboarding_learners_for_course,
    onboarding_statuses_resolve,
)
from proctoring.browser.selectors import browser_summary_subquery
from proctoring.reviews.selectors import QUEUE_STATUSES, review_queue_for_course
from proctoring.web.access import check_course_staff
from proctoring.web.errors import web_errors
from proctoring.web.forms import ReviewForm
from proctoring.web.views.staff import PAGE_SIZE, exams_of_course


def _queue_filters(request: HttpRequest, exam_ids: set[int]) -> dict[str, Any]:
    """The queue's filters from the query string; unknown values are ignored."""
    exam = request.GET.get("exam", "")
    status = request.GET.get("status", "")
    return {
        "exam_id": int(exam) if exam.isdigit() and int(exam) in exam_ids else None,
        "status": status if status in QUEUE_STATUSES else None,
        "flagged": request.GET.get("flagged") == "1",
    }


@require_GET
@login_required
@web_errors
def review_queue(request: HttpRequest, course_id: str) -> HttpResponse:
    """The queue, a page at a time, oldest submission first: at most six statements whatever
    its length (session, user, role, exams, count, page with each attempt's latest review and
    its browser proctoring summary)."""
    check_course_staff(request.user, course_id)
    exams = exams_of_course(course_id)
    filters = _queue_filters(request, {exam.pk for exam in exams})
    attempts = review_queue_for_course(course_id=course_id, **filters)
    # Browser proctoring's summary (its flags counted) beside each attempt, in the same statement.
    attempts = attempts.annotate(browser_summary=browser_summary_subquery())
    page = Paginator(attempts, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "course_id": course_id,
        "exams": exams,
        "filters": filters,
        "statuses": QUEUE_STATUSES,
        "page": page,
        "query": query.urlencode(),
        "back": request.get_full_path(),
        "review_form": ReviewForm(),
    }
    return render(request, "web/staff/reviews.html", context)


@require_GET
@login_required
@web_errors
def onboarding_statuses(request: HttpRequest, course_id: str) -> HttpResponse:
    """The course's learners and their onboarding statuses (from the provider when it knows
    them, else from their onboarding attempts), a page at a time."""
    check_course_staff(request.user, course_id)
    page = Paginator(onboarding_learners_for_course(course_id=course_id), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = list(page.object_list)
    statuses = onboarding_statuses_resolve(course_id=course_id, rows=rows)
    context = {
        "course_id": course_id,
        "page": page,
        "rows": [
            {"role": row, "status": status.value, "source": source}
            for row, (status, source) in zip(rows, statuses, strict=True)
        ],
    }
    return render(request, "web/staff/onboarding.html", context)
