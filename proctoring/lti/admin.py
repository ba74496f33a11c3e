"""Admin of LTI: tools are registered and edited here (or with ``proctoring lti_tool``);
keys, launches and tokens are shown, never edited (keys rotate with ``proctoring lti_keys``)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from proctoring.core.clock import now
from proctoring.lti.models import LtiKey, LtiLaunch, LtiTool
from proctoring.lti.tools import ToolSpec, tool_spec_problems


class LtiToolForm(forms.ModelForm):  # type: ignore[type-arg]
    # A tool's addresses are https: one typed without a scheme gets it.
    login_url = forms.URLField(max_length=1000, assume_scheme="https")
    launch_url = forms.URLField(max_length=1000, assume_scheme="https")
    jwks_url = forms.URLField(max_length=1000, required=False, assume_scheme="https")

    class Meta:
        model = LtiTool
        fields = (
            "name",
            "client_id",
            "deployment_id",
            "login_url",
            "launch_url",
            "redirect_uris",
            "jwks_url",
            "public_jwk",
            "actions",
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        try:
            spec = ToolSpec(
                name=data.get("name") or "",
                client_id=data.get("client_id") or "",
                deployment_id=data.get("deployment_id") or "",
                login_url=data.get("login_url") or "",
                launch_url=data.get("launch_url") or "",
                redirect_uris=tuple(data.get("redirect_uris") or ()),
                jwks_url=data.get("jwks_url") or "",
                public_jwk=data.get("public_jwk") or None,
                actions=tuple(data.get("actions") or ()),
            )
        except TypeError as exc:
            raise forms.ValidationError(str(exc)) from exc
        problems = tool_spec_problems(spec)
        if problems:
            raise forms.ValidationError(problems)
        return data


@admin.register(LtiTool)
class LtiToolAdmin(admin.ModelAdmin[LtiTool]):
    form = LtiToolForm
    list_display = ("name", "client_id", "deployment_id", "registered_dynamically", "created")
    search_fields = ("name", "client_id")

    def save_model(self, request: HttpRequest, obj: LtiTool, form: Any, change: bool) -> None:
        if not change:
            obj.created = now()
        if not obj.redirect_uris:
            obj.redirect_uris = [obj.launch_url]
        super().save_model(request, obj, form, change)


class _ReadOnly(admin.ModelAdmin[Any]):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(LtiKey)
class LtiKeyAdmin(_ReadOnly):
    list_display = ("kid", "state", "created", "activated_at", "retired_at")
    exclude = ("private_pem",)


@admin.register(LtiLaunch)
class LtiLaunchAdmin(_ReadOnly):
    list_display = ("id", "kind", "tool", "attempt_id", "created", "assessment_started_at")
    list_filter = ("kind", "tool")
    raw_id_fields = ("attempt", "user")
    exclude = ("message_hint", "session_data", "landing_token")
