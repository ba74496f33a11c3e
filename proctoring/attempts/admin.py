from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from proctoring.attempts.models import Attempt, AttemptHistory, AttemptTimeChange


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
    fields = ["changed_at", "from_status", "to_status", "actor", "cause"]
    readonly_fields = ["changed_at", "from_status", "to_status", "actor", "cause"]
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
        "created",
        "modified",
    ]
    inlines = [AttemptHistoryInline, AttemptTimeChangeInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(AttemptHistory)
class AttemptHistoryAdmin(ReadOnlyMixin, admin.ModelAdmin[AttemptHistory]):
    list_display = ["attempt", "from_status", "to_status", "changed_at", "actor", "cause"]
    list_filter = ["to_status", "cause"]
    list_select_related = ["attempt", "actor"]
    search_fields = ["attempt__attempt_code", "attempt__user__username"]


@admin.register(AttemptTimeChange)
class AttemptTimeChangeAdmin(ReadOnlyMixin, admin.ModelAdmin[AttemptTimeChange]):
    list_display = ["attempt", "kind", "seconds", "deadline_after", "changed_at", "actor"]
    list_filter = ["kind"]
    list_select_related = ["attempt", "actor"]
    search_fields = ["attempt__attempt_code", "attempt__user__username", "reason"]
