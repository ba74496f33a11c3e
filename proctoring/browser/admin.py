"""The admin of browser proctoring: exam settings are edited here (and on the staff page);
the learners' events and snapshots are not listed here (their reviewers see them on the review
page, where each look is logged), only the view log is."""

from django.contrib import admin
from django.http import HttpRequest

from proctoring.browser.models import BrowserDataView, BrowserExamSettings


@admin.register(BrowserExamSettings)
class BrowserExamSettingsAdmin(admin.ModelAdmin[BrowserExamSettings]):
    list_display = (
        "exam",
        "camera_snapshots",
        "snapshot_interval_seconds",
        "auto_review_when_clean",
    )
    raw_id_fields = ("exam",)


@admin.register(BrowserDataView)
class BrowserDataViewAdmin(admin.ModelAdmin[BrowserDataView]):
    list_display = ("viewed_at", "viewer", "attempt", "what", "snapshot")
    list_filter = ("what",)
    raw_id_fields = ("viewer", "attempt", "snapshot")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: BrowserDataView | None = None
    ) -> bool:
        return False
