"""Admin of the providers: what was said to and by them, read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from proctoring.providers.models import CallbackMessage, ProviderEvent


class _ReadOnly(admin.ModelAdmin[Any]):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ProviderEvent)
class ProviderEventAdmin(_ReadOnly):
    list_display = ("id", "created", "alias", "operation", "outcome", "attempt_id", "exam_id")
    list_filter = ("alias", "operation", "outcome")
    search_fields = ("message",)
    raw_id_fields = ("attempt", "exam")


@admin.register(CallbackMessage)
class CallbackMessageAdmin(_ReadOnly):
    list_display = ("id", "received_at", "alias", "message_id")
    list_filter = ("alias",)
    search_fields = ("message_id",)
