"""Admin of the outbox: events and deliveries read-only, subscriptions paused or resumed."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from proctoring.outbox.models import Delivery, Event, Subscription


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ("id", "type", "occurred_at", "course_id", "attempt_id", "sequence")
    list_filter = ("type",)
    search_fields = ("event_id", "course_id")


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = ("id", "subscription", "event", "attempted_at", "outcome", "status_code")
    list_filter = ("outcome",)
    list_select_related = ("subscription", "event")


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin[Subscription]):
    """Subscriptions are made through REST or `proctoring webhooks add` (their secret is shown
    there once); here they are paused, resumed or deactivated."""

    list_display = ("id", "kind", "name", "url", "active", "paused", "cursor", "failures")
    list_filter = ("kind", "active", "paused")
    fields = ("kind", "name", "url", "event_types", "active", "paused", "cursor", "failures")
    readonly_fields = ("kind", "name", "url", "event_types", "cursor", "failures")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
