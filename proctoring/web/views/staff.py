"""The course staff's dashboard: exams, attempts, an attempt's timeline and actions,
allowances (one, or many from a CSV file), and the attempts as CSV. Every action calls the
service the REST API calls, after the same permission check."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from proctoring.allowances.selectors import allowance_list
from proctoring.allowances.services import allowance_grant, allowance_revoke
from proctoring.attempts import actions, retakes, staff_control, time_changes
from proctoring.attempts.models import Attempt
from proctoring.attempts.selectors import attempt_get_by_id, attempt_list_for_course
from proctoring.attempts.statuses import (
    CHOICES,
    RUNNING_STATUSES,
    AttemptStatus,
    is_completed_status,
)
from proctoring.attempts.timer import attempt_clock
from proctoring.browser.selectors import browser_review_for
from proctoring.core.clock import now
from proctoring.exams.models import Exam
from proctoring.exams.selectors import exam_get, exam_get_in_course, exam_list_for_course
from proctoring.exams.services import exam_create, exam_update
from proctoring.exceptions import (
    InvalidAllowance,
    ProctoringError,
    UserNotFoundException,
)
from proctoring.providers.services import timeline_provider_entries
from proctoring.reviews.models import Review
from proctoring.reviews.policies import review_policy_get, review_policy_set
from proctoring.reviews.services import review_by_staff
from proctoring.web.access import check_course_staff, is_htmx, staff_courses, user_id_of
from proctoring.web.allowance_csv import allowance_csv_check, allowance_csv_grant
from proctoring.web.errors import web_errors
from proctoring.web.forms import (
    AddTimeForm,
    AllowanceCsvForm,
    AllowanceForm,
    AllowanceRevokeForm,
    BulkAttemptsForm,
    ExamForm,
    ReasonForm,
    ReviewForm,
)

PAGE_SIZE = 25


class InvalidAttemptSelection(ProctoringError):
    """A bulk action on the attempts page without a valid selection, action or value."""

    code = "invalid_selection"


SEARCH_MAX_LENGTH = 150


@require_GET
@login_required
@web_errors
def dashboard(request: HttpRequest) -> HttpResponse:
    """The courses the user manages."""
    return render(request, "web/staff/dashboard.html", {"courses": staff_courses(request.user)})


def exams_of_course(course_id: str) -> list[Exam]:
    return list(exam_list_for_course(course_id=course_id).select_related("course"))


@require_GET
@login_required
@web_errors
def course_exams(request: HttpRequest, course_id: str) -> HttpResponse:
    check_course_staff(request.user, course_id)
    context = {"course_id": course_id, "exams": exams_of_course(course_id)}
    return render(request, "web/staff/exams.html", context)


def _exam_values(form: ExamForm) -> tuple[dict[str, Any], dict[str, Any]]:
    """The exam's values and its review policy's, from the valid form."""
    data, policy = form.split()
    data["backend"] = data["backend"] or None
    return data, policy


@require_http_methods(["GET", "POST"])
@login_required
@web_errors
def exam_new(request: HttpRequest, course_id: str) -> HttpResponse:
    check_course_staff(request.user, course_id)
    form = ExamForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        values, policy = _exam_values(form)
        exam = exam_create(course_id=course_id, **values)
        review_policy_set(exam_id=exam.pk, **policy)
        messages.success(request, _("Exam %(name)s created.") % {"name": exam.exam_name})
        return redirect("web:staff-exams", course_id=course_id)
    context = {"course_id": course_id, "form": form, "exam": None}
    return render(request, "web/staff/exam_form.html", context)


@require_http_methods(["GET", "POST"])
@login_required
@web_errors
def exam_edit(request: HttpRequest, exam_id: int) -> HttpResponse:
    exam = exam_get(exam_id=exam_id)
    check_course_staff(request.user, exam.course_id)
    policy_now = review_policy_get(exam_id=exam.pk)
    initial = {
        name: getattr(exam, name)
        for name in ExamForm.base_fields
        if name not in ExamForm.POLICY_FIELDS
    }
    if policy_now is not None:
        initial.update(
            review_policy_text=policy_now.text,
            on_violation=policy_now.on_violation,
            on_suspicious=policy_now.on_suspicious,
        )
    form = ExamForm(request.POST or None, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        values, policy = _exam_values(form)
        values.pop("content_id")
        exam_update(exam_id=exam.pk, **values)
        review_policy_set(exam_id=exam.pk, **policy)
        messages.success(request, _("Exam %(name)s saved.") % {"name": values["exam_name"]})
        return redirect("web:staff-exams", course_id=exam.course_id)
    context = {"course_id": exam.course_id, "form": form, "exam": exam}
    return render(request, "web/staff/exam_form.html", context)


def _filters(request: HttpRequest, exams: list[Exam]) -> dict[str, Any]:
    """The list's filters from the query string; unknown values are ignored."""
    exam_ids = {exam.pk for exam in exams}
    exam = request.GET.get("exam", "")
    status = request.GET.get("status", "")
    search = request.GET.get("q", "").strip()[:SEARCH_MAX_LENGTH]
    return {
        "exam_id": int(exam) if exam.isdigit() and int(exam) in exam_ids else None,
        "status": status if status in dict(CHOICES) else None,
        "search": search or None,
    }


@require_GET
@login_required
@web_errors
def course_attempts(request: HttpRequest, course_id: str) -> HttpResponse:
    """The course's attempts, filtered, searched, a page at a time: at most six statements
    whatever the course's size (session, user, role, exams, count, page)."""
    check_course_staff(request.user, course_id)
    exams = exams_of_course(course_id)
    filters = _filters(request, exams)
    attempts = attempt_list_for_course(course_id=course_id, **filters)
    page = Paginator(attempts, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "course_id": course_id,
        "course": exams[0].course if exams else None,
        "exams": exams,
        "filters": filters,
        "statuses": CHOICES,
        "page": page,
        "query": query.urlencode(),
        "running_statuses": [str(status) for status in RUNNING_STATUSES],
        "max_minutes": time_changes.MAX_ADDED_MINUTES,
    }
    template = "web/staff/_attempt_results.html" if is_htmx(request) else "web/staff/attempts.html"
    return render(request, template, context)


def _csv_safe(value: Any) -> str:
    """A cell a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


class _Echo:
    def write(self, value: str) -> str:
        return value


@require_GET
@login_required
@web_errors
def course_attempts_csv(request: HttpRequest, course_id: str) -> StreamingHttpResponse:
    """Every attempt of the course matching the filters, as CSV, streamed."""
    check_course_staff(request.user, course_id)
    filters = _filters(request, exams_of_course(course_id))
    attempts = attempt_list_for_course(course_id=course_id, **filters)
    header = [
        "attempt_id",
        "exam_id",
        "exam_name",
        "username",
        "email",
        "attempt_number",
        "status",
        "taking_as_proctored",
        "started_at",
        "completed_at",
    ]

    def rows() -> Iterator[str]:
        writer = csv.writer(_Echo())
        yield writer.writerow(header)
        for a in attempts.iterator(chunk_size=500):
            yield writer.writerow(
                [
                    _csv_safe(value)
                    for value in (
                        a.pk,
                        a.exam_id,
                        a.exam.exam_name,
                        a.user.username,
                        a.user.email,
                        a.attempt_number,
                        a.status,
                        a.taking_as_proctored,
                        a.started_at,
                        a.completed_at,
                    )
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="attempts.csv"'
    return response


def _staff_attempt(request: HttpRequest, attempt_id: int) -> Attempt:
    attempt = attempt_get_by_id(attempt_id=attempt_id)
    if attempt is None:
        raise Http404(f"There is no attempt with id {attempt_id}.")
    check_course_staff(request.user, attempt.exam.course_id)
    return attempt


def _timeline(attempt: Attempt) -> list[dict[str, Any]]:
    """The attempt's statuses, clock changes, provider events (the worker's missed pings
    among them) and reviews, in time order."""
    entries: list[dict[str, Any]] = [
        {
            "at": h.changed_at,
            "kind": "status",
            "what": f"{h.from_status or '-'} → {h.to_status}",
            "who": h.actor.username if h.actor else "",
            "note": " · ".join(part for part in (h.cause, h.reason) if part),
        }
        for h in attempt.history.select_related("actor")
    ]
    entries += [
        {
            "at": e.at,
            "kind": "provider",
            "what": f"{e.data['provider']}: {e.kind} ({e.data['outcome']})",
            "who": "",
            "note": e.data["message"],
        }
        for e in timeline_provider_entries(attempt.pk)
    ]
    entries += [
        {
            "at": c.changed_at,
            "kind": "clock",
            "what": c.get_kind_display(),
            "who": c.actor.username if c.actor else "",
            "note": f"{c.seconds // 60} min" + (f" · {c.reason}" if c.reason else ""),
        }
        for c in attempt.time_changes.select_related("actor")
    ]
    entries += [
        {
            "at": r.received_at,
            "kind": "review",
            "what": f"{r.source}: {r.verdict or '-'}",
            "who": r.reviewer_user.username if r.reviewer_user else r.reviewer,
            "note": r.reason,
        }
        for r in Review.objects.filter(attempt=attempt).select_related("reviewer_user")
    ]
    return sorted(entries, key=lambda entry: entry["at"])


@require_GET
@login_required
@web_errors
def attempt_detail(request: HttpRequest, attempt_id: int) -> HttpResponse:
    attempt = _staff_attempt(request, attempt_id)
    context = {
        "attempt": attempt,
        "course_id": attempt.exam.course_id,
        "clock": attempt_clock(attempt=attempt, now=now()),
        "running": attempt.status in RUNNING_STATUSES and attempt.archived_at is None,
        "completed": is_completed_status(attempt.status),
        "resumable": attempt.status == AttemptStatus.ERROR
        and attempt.started_at is not None
        and not attempt.ready_to_resume
        and not attempt.resumed
        and attempt.archived_at is None,
        "reason_form": ReasonForm(),
        "timeline": _timeline(attempt),
        "add_time_form": AddTimeForm(),
        "review_form": ReviewForm(),
        # Browser proctoring's timeline and snapshots (its viewing logged), when it has one.
        "browser_review": browser_review_for(attempt=attempt, viewer_id=user_id_of(request)),
    }
    return render(request, "web/staff/attempt.html", context)


def _run_attempt_action(request: HttpRequest, attempt: Attempt, action: str) -> str:
    """Call the service of the action; what to tell the user."""
    actor = user_id_of(request)
    if action == "add_time":
        form: Any = AddTimeForm(request.POST)
        if not form.is_valid():
            return _("Add between 1 and %(max)s minutes.") % {"max": time_changes.MAX_ADDED_MINUTES}
        time_changes.attempt_add_time(attempt_id=attempt.pk, actor_id=actor, **form.cleaned_data)
        return _("%(minutes)s minutes added.") % {"minutes": form.cleaned_data["minutes"]}
    if action in ("pause", "resume"):
        form = ReasonForm(request.POST)
        reason = form.cleaned_data["reason"] if form.is_valid() else ""
        change = time_changes.attempt_pause if action == "pause" else time_changes.attempt_resume
        change(attempt_id=attempt.pk, actor_id=actor, reason=reason)
        return _("The clock is paused.") if action == "pause" else _("The clock runs again.")
    if action == "end":
        form = ReasonForm(request.POST)
        reason = form.cleaned_data["reason"] if form.is_valid() else ""
        staff_control.attempt_end_by_staff(attempt_id=attempt.pk, actor_id=actor, reason=reason)
        return _("The attempt was ended: it is submitted.")
    if action == "resumable":
        form = ReasonForm(request.POST)
        reason = form.cleaned_data["reason"] if form.is_valid() else ""
        retakes.attempt_mark_resumable(attempt_id=attempt.pk, actor_id=actor, reason=reason)
        return _("The learner may continue the attempt with the time that was left.")
    if action == "reset":
        actions.attempt_reset(attempt_id=attempt.pk, actor_id=actor)
        return _("The attempt was reset: the learner may start again.")
    if action == "review":
        form = ReviewForm(request.POST)
        if not form.is_valid():
            return _("Choose a verdict.")
        outcome = review_by_staff(attempt_id=attempt.pk, actor_id=actor, **form.cleaned_data)
        return _("Reviewed: the attempt is %(status)s.") % {"status": outcome.status}
    raise Http404(f"There is no action {action!r}.")


@require_POST
@login_required
@web_errors
def attempt_action(request: HttpRequest, attempt_id: int, action: str) -> HttpResponse:
    attempt = _staff_attempt(request, attempt_id)
    messages.info(request, _run_attempt_action(request, attempt, action))
    back = request.POST.get("next", "")
    if back.startswith("/staff/") and url_has_allowed_host_and_scheme(back, allowed_hosts=None):
        return redirect(back)  # the page it was done from (the review queue)
    return redirect("web:staff-attempt", attempt_id=attempt.pk)


def _exam_choices(course_id: str) -> list[tuple[int, str]]:
    return [(exam.pk, exam.exam_name) for exam in exam_list_for_course(course_id=course_id)]


@require_http_methods(["GET", "POST"])
@login_required
@web_errors
def course_allowances(request: HttpRequest, course_id: str) -> HttpResponse:
    """The course's allowances; grant one, or revoke one."""
    check_course_staff(request.user, course_id)
    exams = _exam_choices(course_id)
    form = AllowanceForm(request.POST or None, exams=exams)
    if request.method == "POST" and request.POST.get("revoke"):
        revoke = AllowanceRevokeForm(request.POST)
        if not revoke.is_valid():
            raise InvalidAllowance("Revoking an allowance needs its exam, learner and key.")
        data = revoke.cleaned_data
        exam = exam_get_in_course(course_id=course_id, exam_id=data["exam"])
        allowance_revoke(
            exam=exam, user_id=data["user_id"], key=data["key"], actor_id=user_id_of(request)
        )
        messages.info(request, _("Allowance revoked."))
        return redirect("web:staff-allowances", course_id=course_id)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        exam = exam_get_in_course(course_id=course_id, exam_id=data["exam"])
        user = get_user_model().objects.filter(username=data["username"]).first()
        if user is None:
            raise UserNotFoundException(f"There is no user {data['username']!r}.")
        allowance_grant(
            exam=exam,
            user_id=user.pk,
            key=data["key"],
            value=data["value"],
            actor_id=user_id_of(request),
        )
        messages.success(request, _("Allowance granted."))
        return redirect("web:staff-allowances", course_id=course_id)
    context = {
        "course_id": course_id,
        "allowances": allowance_list(course_id=course_id),
        "form": form,
        "csv_form": AllowanceCsvForm(),
    }
    return render(request, "web/staff/allowances.html", context)


@require_POST
@login_required
@web_errors
def course_allowances_csv(request: HttpRequest, course_id: str) -> HttpResponse:
    """Step one: the uploaded file's rows checked (a preview). Step two (``confirm``, with the
    text of the file sent back): the valid rows granted."""
    check_course_staff(request.user, course_id)
    actor = user_id_of(request)
    if "confirm" in request.POST:
        text = request.POST.get("text", "")
        rows = allowance_csv_check(course_id=course_id, text=text, actor_id=actor)
        results = allowance_csv_grant(course_id=course_id, rows=rows, actor_id=actor)
        granted = sum(1 for result in results if result.ok)
        messages.success(request, _("%(count)s allowances granted.") % {"count": granted})
        return redirect("web:staff-allowances", course_id=course_id)
    form = AllowanceCsvForm(request.POST, request.FILES)
    if not form.is_valid():
        context = {"course_id": course_id, "csv_form": form, "rows": None}
        return render(request, "web/staff/allowances_preview.html", context, status=400)
    text = form.cleaned_data["file"]
    rows = allowance_csv_check(course_id=course_id, text=text, actor_id=actor)
    context = {
        "course_id": course_id,
        "rows": rows,
        "text": text,
        "valid": sum(1 for row in rows if not row.error),
    }
    return render(request, "web/staff/allowances_preview.html", context)


def _bulk_one(attempt_id: int, data: dict[str, Any], actor: int) -> None:
    """One selected attempt: its own service call, its own lock, as the REST API does it."""
    if data["action"] == "add_time":
        time_changes.attempt_add_time(
            attempt_id=attempt_id, actor_id=actor, minutes=data["minutes"], reason=data["reason"]
        )
    else:
        staff_control.attempt_end_by_staff(
            attempt_id=attempt_id, actor_id=actor, reason=data["reason"]
        )


@require_POST
@login_required
@web_errors
def course_attempts_bulk(request: HttpRequest, course_id: str) -> HttpResponse:
    """Course staff add time to, or end, the attempts they selected on the attempts page.
    Each attempt goes through its service on its own: one refused (not running any more, no
    reason) does not stop the others, and the page says which and why."""
    check_course_staff(request.user, course_id)
    form = BulkAttemptsForm(request.POST)
    if not form.is_valid():
        errors = "; ".join(str(e) for field in form.errors.values() for e in field)
        raise InvalidAttemptSelection(errors)
    data, actor = form.cleaned_data, user_id_of(request)
    mine = set(
        Attempt.objects.filter(
            pk__in=data["attempt"], exam__course_id=course_id, archived_at__isnull=True
        ).values_list("pk", flat=True)
    )
    done, refused = 0, []
    for attempt_id in data["attempt"]:
        if attempt_id not in mine:
            refused.append(_("#%(id)s: not an attempt of this course") % {"id": attempt_id})
            continue
        try:
            _bulk_one(attempt_id, data, actor)
        except ProctoringError as refusal:
            refused.append(f"#{attempt_id}: {refusal.message}")
        else:
            done += 1
    messages.success(request, _("%(count)s attempts changed.") % {"count": done})
    if refused:
        messages.warning(request, _("Refused: %(list)s") % {"list": "; ".join(refused)})
    query = request.POST.get("query", "")  # the list's filters, after its own address
    back = reverse("web:staff-attempts", args=[course_id])
    return redirect(f"{back}?{query}" if query else back)
