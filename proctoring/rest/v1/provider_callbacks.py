"""Callbacks from proctoring providers: ``ready`` and ``reviewed``.

At the reference's paths (``/api/edx_proctoring/v1/proctored_exam/attempt/{external_id}/...``,
so vendors of the reference work unchanged) and at ours
(``/api/v1/providers/{alias}/attempts/{external_id}/...``). Only a provider may call them: by
a Standard Webhooks signature with its secret, or by an API key of one of its service
accounts; anonymous callers get 401, a provider calling about another provider's attempt 403,
an unknown external id 404, a replayed message 409 (docs/providers.md).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from drf_spectacular.utils import OpenApiExample, extend_schema, inline_serializer
from rest_framework import authentication, exceptions, permissions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from proctoring.accounts.models import ApiKey
from proctoring.exceptions import CallbackUnauthenticated, InvalidCallback, ProviderNotFound
from proctoring.providers.callbacks import (
    SIGNATURE_HEADERS,
    ProviderCaller,
    callback_attempt,
    callback_message_forget,
    callback_message_remember,
    callback_ready,
    callback_signed,
    callback_verify,
)
from proctoring.providers.registry import provider_alias_of_service_account, provider_entry
from proctoring.providers.review_payload import review_report_parse
from proctoring.rest.authentication import ApiKeyAuthentication
from proctoring.rest.schema import errors
from proctoring.reviews.services import review_record


class ProviderPrincipal(AnonymousUser):
    """The user of a signed callback: the provider itself, with no account of its own."""

    def __init__(self, alias: str) -> None:
        super().__init__()
        self.username = f"provider:{alias}"  # type: ignore[assignment]

    @property
    def is_authenticated(self) -> bool:  # type: ignore[override]
        return True

    @property
    def is_anonymous(self) -> bool:  # type: ignore[override]
        return False


class ProviderSignatureAuthentication(authentication.BaseAuthentication):
    """A callback signed with a provider's ``WEBHOOK_SECRET`` (Standard Webhooks)."""

    def authenticate(self, request: Request) -> tuple[ProviderPrincipal, ProviderCaller] | None:
        headers = {name: request.headers.get(name, "") for name in SIGNATURE_HEADERS}
        if not callback_signed(headers):
            return None
        view_kwargs = (request.parser_context or {}).get("kwargs", {})
        try:
            caller = callback_verify(
                headers=headers, body=request._request.body, alias=view_kwargs.get("alias")
            )
        except CallbackUnauthenticated as exc:
            raise exceptions.AuthenticationFailed(exc.message, code=exc.code) from exc
        return ProviderPrincipal(caller.alias), caller

    def authenticate_header(self, request: Request) -> str:
        return 'Webhook realm="providers"'


def caller_alias(request: Request) -> str | None:
    """The provider a callback's caller speaks for, or None when it is none."""
    if isinstance(request.auth, ProviderCaller):
        return request.auth.alias
    if isinstance(request.auth, ApiKey):
        return provider_alias_of_service_account(request.user.get_username())
    return None


class IsProvider(permissions.BasePermission):
    """A provider: by its signature, or an API key of one of its service accounts; on our
    paths, the provider the path names."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        if not request.user or not request.user.is_authenticated:
            return False
        alias = caller_alias(request)
        if alias is None:
            raise exceptions.PermissionDenied(
                "Only a proctoring provider (a service account its SERVICE_ACCOUNTS names, or "
                "a message signed with its secret) calls back.",
                code="not_a_provider",
            )
        named = view.kwargs.get("alias")
        if named is not None and provider_entry(named) is None:
            raise ProviderNotFound(f"There is no proctoring provider {named!r}.")
        if named is not None and named != alias:
            raise exceptions.PermissionDenied(
                f"This caller speaks for {alias!r}, not {named!r}.", code="callback_wrong_provider"
            )
        return True


CALLBACK_OUTPUT = inline_serializer(
    name="CallbackAnswer",
    fields={
        "detail": serializers.CharField(),
        "attempt_status": serializers.CharField(help_text="The attempt's status now."),
    },
)


REVIEWED_OUTPUT = inline_serializer(
    name="ReviewedAnswer",
    fields={
        "detail": serializers.CharField(),
        "attempt_status": serializers.CharField(help_text="The attempt's status now."),
        "review_id": serializers.IntegerField(),
        "applied": serializers.BooleanField(help_text="Whether the review changed the status."),
        "flagged": serializers.BooleanField(help_text="Kept for staff: it could not apply."),
        "duplicate": serializers.BooleanField(help_text="The same review, sent again."),
    },
)


class ProviderCallbackApi(APIView):
    """The base of the callback views: authentication, the replay guard, the attempt."""

    authentication_classes = [ProviderSignatureAuthentication, ApiKeyAuthentication]
    permission_classes = [IsProvider]

    def body(self, request: Request) -> dict[str, Any]:
        data = request.data
        if not isinstance(data, dict):
            raise InvalidCallback("The callback's body must be a JSON object.")
        return data

    def handle(self, request: Request, external_id: str) -> Response:
        alias = caller_alias(request)
        assert alias is not None  # IsProvider
        caller = request.auth if isinstance(request.auth, ProviderCaller) else None
        body = self.body(request)
        message = callback_message_remember(caller=caller) if caller else None
        try:
            return self.process(alias=alias, external_id=external_id, body=body)
        except Exception:
            callback_message_forget(message)
            raise

    def process(self, *, alias: str, external_id: str, body: dict[str, Any]) -> Response:
        raise NotImplementedError


class ReadyCallbackApi(ProviderCallbackApi):
    """The provider's software runs: a ``created`` (or ``download_software_clicked``) attempt
    becomes ``ready_to_start``; in any other status nothing changes."""

    @extend_schema(
        request=inline_serializer(
            name="ReadyCallback", fields={"status": serializers.CharField(required=False)}
        ),
        responses={200: CALLBACK_OUTPUT, **errors(404, 409)},
        examples=[OpenApiExample("ready", value={"status": "ready"}, request_only=True)],
    )
    def post(self, request: Request, external_id: str, alias: str | None = None) -> Response:
        return self.handle(request, external_id)

    def process(self, *, alias: str, external_id: str, body: dict[str, Any]) -> Response:
        attempt = callback_attempt(alias=alias, external_id=external_id)
        attempt = callback_ready(alias=alias, attempt=attempt)
        return Response({"detail": "OK", "attempt_status": attempt.status})


class ReviewedCallbackApi(ProviderCallbackApi):
    """The provider's review of a submitted attempt, recorded and applied by the reviews app
    (docs/reviews.md): ``passed`` verifies, ``violation`` and ``suspicious`` reject (unless the
    exam's policy says otherwise), a late review is kept and flagged for staff."""

    @extend_schema(
        request=inline_serializer(
            name="ReviewedCallback",
            fields={
                "status": serializers.ChoiceField(
                    choices=["passed", "violation", "suspicious", "not_reviewed"]
                ),
                "comments": serializers.ListField(child=serializers.DictField(), required=False),
                "reviewed_by": serializers.CharField(required=False),
                "video_url": serializers.CharField(required=False),
                "second_review_required": serializers.BooleanField(required=False),
            },
        ),
        responses={200: REVIEWED_OUTPUT, **errors(404, 409)},
        examples=[
            OpenApiExample(
                "violation",
                request_only=True,
                value={
                    "status": "violation",
                    "comments": [
                        {
                            "comment": "Another person in the room",
                            "status": "violation",
                            "start": 120,
                            "stop": 150,
                            "duration": 30,
                        }
                    ],
                    "reviewed_by": "reviewer@vendor.example",
                    "video_url": "https://vendor.example/videos/att-1",
                },
            )
        ],
    )
    def post(self, request: Request, external_id: str, alias: str | None = None) -> Response:
        return self.handle(request, external_id)

    def process(self, *, alias: str, external_id: str, body: dict[str, Any]) -> Response:
        report = review_report_parse(alias=alias, payload=body)
        outcome = review_record(report=report, external_id=external_id)
        return Response(
            {
                "detail": "OK",
                "attempt_status": outcome.status,
                "review_id": outcome.review_id,
                "applied": outcome.applied,
                "flagged": outcome.flagged,
                "duplicate": outcome.duplicate,
            }
        )
