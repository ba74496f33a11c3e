"""API keys in the admin: created here or with ``proctoring api_key``, shown once, revocable."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest

from proctoring.accounts.models import ApiKey, PlatformIdentity
from proctoring.accounts.services import api_key_create, api_key_revoke


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin[ApiKey]):
    list_display = ["name", "prefix", "user", "created", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["name", "prefix"]
    readonly_fields = ["prefix", "user", "created", "revoked_at"]
    actions = ["revoke"]

    def get_fields(self, request: HttpRequest, obj: ApiKey | None = None) -> Any:
        return ["name"] if obj is None else ["name", "prefix", "user", "created", "revoked_at"]

    def save_model(
        self, request: HttpRequest, obj: ApiKey, form: ModelForm[Any], change: bool
    ) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        api_key, raw_key = api_key_create(name=obj.name)
        obj.pk = api_key.pk
        obj.prefix, obj.key_hash, obj.user = api_key.prefix, api_key.key_hash, api_key.user
        messages.warning(request, f"The new API key, shown this once only; copy it now: {raw_key}")

    @admin.action(description="Revoke the selected API keys")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        count = sum(
            api_key_revoke(prefix=prefix)
            for prefix in queryset.filter(revoked_at__isnull=True).values_list("prefix", flat=True)
        )
        messages.success(request, f"{count} API key(s) revoked.")


@admin.register(PlatformIdentity)
class PlatformIdentityAdmin(admin.ModelAdmin[PlatformIdentity]):
    list_display = ["issuer", "subject", "user", "created"]
    search_fields = ["subject", "user__username"]
    readonly_fields = ["issuer", "subject", "user", "claims_digest", "created"]
