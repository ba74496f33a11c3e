"""OpenAPI descriptions of the authentication schemes and of the error body."""

from __future__ import annotations

from typing import Any, Literal

from drf_spectacular import openapi
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers

from proctoring.allowances.models import Allowance
from proctoring.courses.models import CourseRole


class JWTScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "proctoring.rest.authentication.JWTAuthentication"
    name = "platformJWT"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "A JWT the course platform signs (HS256 or RS256).",
        }


class ApiKeyScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "proctoring.rest.authentication.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Api-Key <key>`: a platform service account's key.",
        }


class SessionScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "proctoring.rest.authentication.SessionAuthentication"
    name = "session"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {"type": "apiKey", "in": "cookie", "name": "sessionid"}


ErrorSerializer = inline_serializer(
    name="Error",
    fields={
        "detail": serializers.CharField(),
        "code": serializers.CharField(),
        "fields": serializers.DictField(
            child=serializers.ListField(child=serializers.CharField()), required=False
        ),
    },
)

_DESCRIPTIONS = {
    400: "Invalid input",
    401: "Not authenticated",
    403: "Not allowed",
    404: "Not found",
    409: "Conflict with the current state",
    413: "Body too large",
    415: "Unsupported media type",
}


def errors(*statuses: int) -> dict[int, OpenApiResponse]:
    """Error responses of an operation; 400, 401, 403, 404 (an unknown URL), 413 and 415
    are always possible."""
    codes = sorted({400, 401, 403, 404, 413, 415, *statuses})
    return {
        code: OpenApiResponse(response=ErrorSerializer, description=_DESCRIPTIONS[code])
        for code in codes
    }


class AutoSchema(openapi.AutoSchema):
    """Names a view's nested serializer after the view: ``AttemptReviewApi.InputSerializer``
    is the component ``AttemptReviewInput``."""

    def get_serializer_name(
        self, serializer: serializers.Serializer[Any], direction: Literal["request", "response"]
    ) -> str:
        qualname = type(serializer).__qualname__
        if "." not in qualname:
            return super().get_serializer_name(serializer, direction)
        outer, inner = qualname.rsplit(".", 1)
        return outer.removesuffix("Api") + inner.removesuffix("Serializer")


# The choice sets that get one enum component each (SPECTACULAR_SETTINGS ENUM_NAME_OVERRIDES).
ROLE_CHOICES = CourseRole.Role.choices
ALLOWANCE_KEY_CHOICES = Allowance.Key.choices
