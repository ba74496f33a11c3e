"""Browser proctoring's pages and endpoints (docs/browser-proctoring.md): the learner's consent
and checks page, the exam page's ingest of events and snapshots, course staff's settings of an
exam, and the permission-checked snapshot files of the review page."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from proctoring.browser import config
from proctoring.browser.errors import BatchInvalid, BatchTooLarge
from proctoring.browser.ingest import batch_parse
from proctoring.browser.models import BrowserExamSettings
from proctoring.browser.selectors import (
    browser_session_by_external_id,
    browser_snapshot_get,
    browser_snapshot_view_log,
    exam_is_browser_proctored,
)
from proctoring.browser.services import (
    SETTING_FIELDS,
    browser_consent_record,
    browser_ingest,
    browser_settings_for_exam,
    browser_settings_set,
    snapshot_storage,
)
from proctoring.exams.models import Exam
from proctoring.exceptions import ProctoringError
from proctoring.web.access import check_course_staff, is_course_staff, user_id_of
from proctoring.web.errors import web_errors


def _consent_text(exam_settings: BrowserExamSettings) -> str:
    """What the learner agrees to, in words, from the exam's settings (kept with the consent)."""
    observed = []
    if exam_settings.observe_focus:
        observed.append(_("when you leave the exam's tab or window, and for how long"))
    if exam_settings.observe_fullscreen:
        observed.append(_("when you leave full screen"))
    if exam_settings.observe_clipboard:
        observed.append(_("copy, cut, paste and right-click attempts (not what you copy)"))
    if exam_settings.observe_window_size:
        observed.append(_("when the window gets smaller than the exam needs"))
    if exam_settings.observe_screens:
        observed.append(_("whether a second screen is attached, where your browser tells it"))
    observed.append(_("when the page loses the network (its heartbeat)"))
    if exam_settings.camera_snapshots:
        observed.append(
            _("a webcam picture every %(seconds)s seconds")
            % {"seconds": exam_settings.snapshot_interval_seconds}
        )
    return _(
        "During this exam your browser reports to the course team: %(observed)s. Nothing else is "
        "recorded: no sound, no video stream, no keystrokes, nothing outside this page. The "
        "pictures are kept %(days)s days, then deleted; the rest is kept with your attempt. "
        "Only course staff who review exams see them, and every look is logged."
    ) % {"observed": "; ".join(observed), "days": config.retention_days()}


@require_http_methods(["GET", "POST"])
@login_required
@web_errors
def browser_setup(request: HttpRequest, external_id: str) -> HttpResponse:
    """The learner's consent and checks, before a browser-proctored exam starts; the agreement
    (with the checks the page made) reports the attempt ready, then back to the exam page."""
    session = browser_session_by_external_id(external_id)
    if session is None or session.attempt.user_id != user_id_of(request):
        raise Http404("There is no such proctoring setup of yours.")
    attempt = session.attempt
    exam_settings = browser_settings_for_exam(exam_id=attempt.exam_id)
    text = _consent_text(exam_settings)
    if request.method == "POST":
        if request.POST.get("agree") != "yes":
            error = _("Tick the box to agree, or decline proctoring from the exam page.")
            return _setup_page(request, session, exam_settings, text, error, status=400)
        checks = {name: request.POST.get(name) == "ok" for name in ("camera", "fullscreen")}
        try:
            browser_consent_record(session=session, text=text, checks=checks)
        except ProctoringError as refusal:
            return _setup_page(
                request, session, exam_settings, text, refusal.message, refusal.http_status
            )
        return redirect("web:exam", exam_id=attempt.exam_id)
    return _setup_page(request, session, exam_settings, text)


def _setup_page(
    request: HttpRequest,
    session: Any,
    exam_settings: BrowserExamSettings,
    text: str,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    context = {
        "session": session,
        "attempt": session.attempt,
        "exam": session.attempt.exam,
        "settings": exam_settings,
        "consent_text": text,
        "consent_version": config.CONSENT_VERSION,
        "error": error,
    }
    return render(request, "web/browser/setup.html", context, status=status)


def _json_error(exc: ProctoringError) -> JsonResponse:
    return JsonResponse({"code": exc.code, "detail": exc.message}, status=exc.http_status)


@require_POST
def browser_events(request: HttpRequest, attempt_id: int) -> JsonResponse:
    """A batch of the running exam page: JSON ``{"events": [...], "snapshots": [...]}`` (see
    docs/browser-proctoring.md). Session-authenticated and CSRF-checked like the pages; only
    the learner's own running attempt (404 otherwise: another's is not told apart from none)."""
    if not request.user.is_authenticated:
        return JsonResponse({"code": "not_authenticated", "detail": "Sign in first."}, status=403)
    limits = config.ingest_limits()
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
        if declared > limits.max_batch_bytes or len(request.body) > limits.max_batch_bytes:
            raise BatchTooLarge(f"A batch is at most {limits.max_batch_bytes} bytes.")
        try:
            payload = json.loads(request.body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise BatchInvalid("The batch is not JSON.") from exc
        batch = batch_parse(payload, limits=limits)
        result = browser_ingest(attempt_id=attempt_id, user_id=user_id_of(request), batch=batch)
    except ProctoringError as exc:
        return _json_error(exc)
    except ValueError:
        return _json_error(BatchInvalid("The Content-Length header is not a number."))
    return JsonResponse(
        {
            "events": result.events,
            "snapshots_saved": result.snapshots_saved,
            "gap_seconds": result.gap_seconds,
        }
    )


class BrowserSettingsForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = BrowserExamSettings
        fields = list(SETTING_FIELDS)


@require_http_methods(["GET", "POST"])
@login_required
@web_errors
def browser_exam_settings(request: HttpRequest, exam_id: int) -> HttpResponse:
    """Course staff choose what browser proctoring observes for one exam, and its thresholds."""
    exam = Exam.objects.select_related("course").filter(pk=exam_id).first()
    if exam is None:
        raise Http404(f"There is no exam with id {exam_id}.")
    check_course_staff(request.user, exam.course_id)
    current = browser_settings_for_exam(exam_id=exam.pk)
    form = BrowserSettingsForm(request.POST or None, instance=current)
    saved = False
    if request.method == "POST":
        if not form.is_valid():
            context = {"exam": exam, "form": form, "course_id": exam.course_id}
            return render(request, "web/browser/settings.html", context, status=400)
        values = {name: form.cleaned_data[name] for name in form.fields}
        browser_settings_set(exam_id=exam.pk, values=values)
        saved = True
    context = {
        "exam": exam,
        "form": form,
        "course_id": exam.course_id,
        "saved": saved,
        "browser_proctored": exam_is_browser_proctored(exam),
    }
    return render(request, "web/browser/settings.html", context)


@require_GET
@login_required
@web_errors
def browser_snapshot(request: HttpRequest, snapshot_id: int) -> HttpResponseBase:
    """One snapshot's image, for course staff who review its attempt; each look is logged.
    Never cached: the file may be deleted (retention, retirement)."""
    snapshot = browser_snapshot_get(snapshot_id=snapshot_id)
    if snapshot is None:
        raise Http404(f"There is no snapshot {snapshot_id}.")
    if not is_course_staff(request.user, snapshot.attempt.exam.course_id):
        raise PermissionDenied(_("Only the course's reviewers see its proctoring snapshots."))
    browser_snapshot_view_log(snapshot=snapshot, viewer_id=user_id_of(request))
    try:
        handle = snapshot_storage().open(snapshot.path, "rb")
    except FileNotFoundError as exc:
        raise Http404("The snapshot's file is gone.") from exc
    response = FileResponse(handle, content_type=snapshot.content_type)
    response["Cache-Control"] = "private, no-store"
    return response
