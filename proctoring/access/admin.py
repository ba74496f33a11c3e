"""The access rules in the admin: read-only. Rules change through the API (their checks and
the access code's hashing live in the services), and the gate log is a record."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from proctoring.access.models import ExamRelease, ExamRules, GateLog


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ExamRules)
class ExamRulesAdmin(ReadOnlyAdmin):
    list_display = ["exam", "opens_at", "requires_release", "max_attempts", "retake_policy"]
    list_select_related = ["exam"]
    exclude = ["access_code_hash"]


@admin.register(ExamRelease)
class ExamReleaseAdmin(ReadOnlyAdmin):
    list_display = ["exam", "group", "released_at", "released_by"]
    list_select_related = ["exam", "released_by"]


@admin.register(GateLog)
class GateLogAdmin(ReadOnlyAdmin):
    list_display = ["at", "exam", "user", "outcome", "ip"]
    list_select_related = ["exam", "user"]
    list_filter = ["outcome"]
