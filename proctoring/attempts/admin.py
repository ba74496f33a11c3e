from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse

from proctoring.attempts.models import Attempt, AttemptHistory, AttemptTimeChange
from proctoring.attempts.staff_control import MAX_REASON_LENGTH, attempt_set_status
from proctoring.attempts.statuses import CHOICES
from proctoring.exceptions import ProctoringError


class ReadOnlyMixin:
    """History is written by the status machine only."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AttemptHistoryInline(ReadOnlyMixin, admin.TabularInline[AttemptHistory, Attempt]):
    model = AttemptHistory
    fields = ["changed_at", "from_status", "to_status", "actor", "cause", "reason"]
    readonly_fields = ["changed_at", "from_status", "to_status", "actor", "cause", "reason"]
    extra = 0


class AttemptTimeChangeInline(ReadOnlyMixin, admin.TabularInline[AttemptTimeChange, Attempt]):
    model = AttemptTimeChange
    fields = [
        "changed_at",
        "kind",
        "seconds",
        "deadline_before",
        "deadline_after",
        "actor",
        "reason",
    ]
    readonly_fields = [
        "changed_at",
        "kind",
        "seconds",
        "deadline_before",
        "deadline_after",
        "actor",
        "reason",
    ]
    extra = 0


class SetStatusForm(forms.Form):
    status = forms.ChoiceField(choices=CHOICES)
    reason = forms.CharField(widget=forms.Textarea, max_length=MAX_REASON_LENGTH)


@admin.register(Attempt)
class AttemptAdmin(admin.ModelAdmin[Attempt]):
    list_display = [
        "id",
        "user",
        "exam",
        "attempt_number",
        "status",
        "taking_as_proctored",
        "started_at",
        "completed_at",
    ]
    list_filter = ["status", "taking_as_proctored", "is_sample_attempt"]
    list_select_related = ["user", "exam", "exam__course"]
    search_fields = ["user__username", "user__email", "attempt_code", "exam__exam_name"]
    # The status changes only through the status machine (proctoring.api.update_attempt_status).
    readonly_fields = [
        "exam",
        "user",
        "attempt_number",
        "status",
        "attempt_code",
        "started_at",
        "completed_at",
        "archived_at",
        "ready_to_resume",
        "resumed",
        "time_remaining_seconds",
        "created",
        "modified",
    ]
    inlines = [AttemptHistoryInline, AttemptTimeChangeInline]
    actions = ["set_status"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Set the status, with a reason")
    def set_status(
        self, request: HttpRequest, queryset: QuerySet[Attempt]
    ) -> TemplateResponse | None:
        """An administrator's correction, through the one transition like any other: each
        attempt is changed on its own, and an illegal move is reported, not forced."""
        form = SetStatusForm(request.POST if "apply" in request.POST else None)
        if not form.is_valid():
            context = {
                **self.admin_site.each_context(request),
                "title": "Set the status",
                "attempts": list(queryset),
                "form": form,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(request, "admin/attempts/set_status.html", context)
        for attempt in queryset.order_by("id"):
            try:
                attempt_set_status(
                    attempt_id=attempt.pk,
                    to_status=form.cleaned_data["status"],
                    actor_id=request.user.pk,
                    reason=form.cleaned_data["reason"],
                )
            except ProctoringError as exc:
                self.message_user(request, f"Attempt {attempt.pk}: {exc.message}", messages.ERROR)
            else:
                self.message_user(request, f"Attempt {attempt.pk}: {form.cleaned_data['status']}.")
        return None


@admin.register(AttemptHistory)
class AttemptHistoryAdmin(ReadOnlyMixin, admin.ModelAdmin[AttemptHistory]):
    list_display = ["attempt", "from_status", "to_status", "changed_at", "actor", "cause", "reason"]
    list_filter = ["to_status", "cause"]
    list_select_related = ["attempt", "actor"]
    search_fields = ["attempt__attempt_code", "attempt__user__username"]


@admin.register(AttemptTimeChange)
class AttemptTimeChangeAdmin(ReadOnlyMixin, admin.ModelAdmin[AttemptTimeChange]):
    list_display = ["attempt", "kind", "seconds", "deadline_after", "changed_at", "actor"]
    list_filter = ["kind"]
    list_select_related = ["attempt", "actor"]
    search_fields = ["attempt__attempt_code", "attempt__user__username", "reason"]
