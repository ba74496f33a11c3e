from typing import Any, cast

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from proctoring.allowances.models import Allowance
from proctoring.allowances.services import (
    allowance_grant,
    allowance_revoke,
    allowance_value_clean,
    check_not_self,
)
from proctoring.exceptions import InvalidAllowance, SelfAllowance


class AllowanceForm(forms.ModelForm[Allowance]):
    """Checks the value as the API does (the same service), and that the signed-in user
    (``actor_id``, set by the admin) is not granting themselves an allowance."""

    actor_id: int | None = None

    class Meta:
        model = Allowance
        fields = ["exam", "user", "key", "value"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        user = data.get("user") or (self.instance.user if self.instance.pk else None)
        if user is not None:
            try:
                check_not_self(user_id=user.pk, actor_id=self.actor_id)
            except SelfAllowance as exc:
                self.add_error(None, exc.message)
        if data.get("key") and data.get("value") is not None:
            try:
                data["value"] = allowance_value_clean(key=data["key"], value=data["value"])
            except InvalidAllowance as exc:
                self.add_error("value", exc.message)
        return data


@admin.register(Allowance)
class AllowanceAdmin(admin.ModelAdmin[Allowance]):
    """Grants and revokes go through the allowance services, so a running attempt's deadline
    moves to match, as it does through the API."""

    form = AllowanceForm
    list_display = ["user", "exam", "key", "value", "modified"]
    list_filter = ["key"]
    list_select_related = ["user", "exam"]
    search_fields = ["user__username", "user__email", "exam__exam_name"]
    raw_id_fields = ["user", "exam"]
    actions = []  # the bulk delete would bypass the services

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        # A class made for this request (modelform_factory): the attribute is the request's own.
        form = cast(type[AllowanceForm], super().get_form(request, obj, change=change, **kwargs))
        form.actor_id = request.user.pk
        return form

    def has_delete_permission(self, request: HttpRequest, obj: Allowance | None = None) -> bool:
        # Nobody revokes their own allowance (the service refuses it too).
        own = obj is not None and obj.user_id == request.user.pk
        return not own and super().has_delete_permission(request, obj)

    def get_readonly_fields(self, request: HttpRequest, obj: Allowance | None = None) -> Any:
        # An existing allowance changes its value only; another key is another allowance.
        return ["exam", "user", "key"] if obj else []

    def save_model(self, request: HttpRequest, obj: Allowance, form: Any, change: bool) -> None:
        saved, _ = allowance_grant(
            exam=obj.exam,
            user_id=obj.user_id,
            key=obj.key,
            value=obj.value,
            actor_id=request.user.pk,
        )
        obj.pk = saved.pk

    def delete_model(self, request: HttpRequest, obj: Allowance) -> None:
        allowance_revoke(exam=obj.exam, user_id=obj.user_id, key=obj.key, actor_id=request.user.pk)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Allowance]) -> None:
        for allowance in queryset.select_related("exam"):
            self.delete_model(request, allowance)
