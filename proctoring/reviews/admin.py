from django.contrib import admin
from django.http import HttpRequest

from proctoring.reviews.models import Review, ReviewPolicy


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin[Review]):
    """Reviews are records: read here, given through the review services (REST, CLI)."""

    list_display = ["id", "attempt", "source", "provider", "review_status", "verdict", "applied"]
    list_filter = ["source", "review_status", "flagged", "applied"]
    search_fields = ["attempt__id", "attempt__external_id", "reviewer"]
    raw_id_fields = ["attempt", "reviewer_user"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Review | None = None) -> bool:
        return False


@admin.register(ReviewPolicy)
class ReviewPolicyAdmin(admin.ModelAdmin[ReviewPolicy]):
    list_display = ["exam", "on_violation", "on_suspicious", "modified"]
    raw_id_fields = ["exam"]
