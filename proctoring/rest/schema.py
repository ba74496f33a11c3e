"""OpenAPI descriptions of the authentication schemes and of the error body."""

from __future__ import annotations

from typing import Any, Literal

from drf_spectacular import openapi
from drf_spectacular.extensions import (
    OpenApiAuthenticationExtension,
    OpenApiSerializerExtension,
)
from drf_spectacular.utils import Direction, OpenApiResponse, inline_serializer
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


class ProviderSignatureScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "proctoring.rest.v1.provider_callbacks.ProviderSignatureAuthentication"
    name = "providerSignature"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "webhook-signature",
            "description": "A Standard Webhooks signature with the provider's WEBHOOK_SECRET, "
            "with the `webhook-id` and `webhook-timestamp` headers (docs/providers.md).",
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
    429: "Too many tries: wait before trying again",
    502: "The proctoring provider answered with an error (`provider_error`)",
    503: "The database, or the proctoring provider (`provider_unavailable`), is unavailable: "
    "try again after `Retry-After` seconds",
}


def errors(*statuses: int) -> dict[int, OpenApiResponse]:
    """Error responses of an operation; 400, 401, 403, 404 (an unknown URL), 413, 415 and
    503 (the database is unavailable) are always possible."""
    codes = sorted({400, 401, 403, 404, 413, 415, 503, *statuses})
    return {
        code: OpenApiResponse(response=ErrorSerializer, description=_DESCRIPTIONS[code])
        for code in codes
    }


class StrictSerializerScheme(OpenApiSerializerExtension):  # type: ignore[no-untyped-call]
    """A ``StrictSerializer`` refuses unknown fields: its request body says so. A serializer
    without a docstring of its own gets no description (not its base class's)."""

    target_class = "proctoring.rest.v1.common.StrictSerializer"
    match_subclasses = True

    def map_serializer(self, auto_schema: Any, direction: Direction) -> dict[str, Any]:
        schema: dict[str, Any] = auto_schema._map_serializer(
            self.target, direction, bypass_extensions=True
        )
        if direction == "request":
            schema["additionalProperties"] = False
        if "__doc__" not in vars(type(self.target)) or not type(self.target).__doc__:
            schema.pop("description", None)
        return schema


RETRY_AFTER_HEADER = {
    "schema": {"type": "integer", "minimum": 1},
    "description": "Seconds to wait before trying again.",
}


def add_retry_after_header(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """A drf-spectacular postprocessing hook: every 503 answer carries ``Retry-After``."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            unavailable = operation.get("responses", {}).get("503")
            if unavailable is not None:
                unavailable.setdefault("headers", {})["Retry-After"] = RETRY_AFTER_HEADER
    return result


# The characters that Python's str.strip() removes (and DRF's CharField trims), spelled out:
# ``\s`` differs between Python and the ECMAScript regular expressions of the schema.
SPACES = r"\t\n\x0b\x0c\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"


def require_bodies_with_required_fields(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """A drf-spectacular postprocessing hook: a request body whose every shape has required
    fields is itself required (drf-spectacular leaves a ``oneOf`` body optional)."""
    schemas = result.get("components", {}).get("schemas", {})

    def has_required(ref: str) -> bool:
        schema = schemas.get(ref.rsplit("/", 1)[-1], {})
        if "oneOf" in schema:
            return all(has_required(choice["$ref"]) for choice in schema["oneOf"])
        return bool(schema.get("required"))

    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            body = operation.get("requestBody")
            if body is None:
                continue
            ref = body["content"]["application/json"]["schema"].get("$ref", "")
            if ref and has_required(ref):
                body["required"] = True
    return result


NO_NUL_PATTERN = "^[^\\u0000]*$"
# A string that may not be blank: not only spaces, since they are trimmed first.
NOT_BLANK_PATTERN = "^[^\\u0000]*[^\\u0000" + SPACES.replace("\\x", "\\u00") + "][^\\u0000]*$"


def _forbid_nul(schema: Any) -> None:
    """Give every plain string of ``schema`` (walked down) the pattern of no NUL, and of not
    only spaces when it may not be blank."""
    if isinstance(schema, list):
        for item in schema:
            _forbid_nul(item)
    elif isinstance(schema, dict):
        if schema.get("type") == "string" and not {"pattern", "enum", "format"} & set(schema):
            blank_ok = schema.get("minLength", 0) == 0
            schema["pattern"] = NO_NUL_PATTERN if blank_ok else NOT_BLANK_PATTERN
        for value in schema.values():
            _forbid_nul(value)


def forbid_nul_in_input_strings(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """A drf-spectacular postprocessing hook: the strings a client sends (request bodies,
    query parameters) never hold NUL, as DRF's CharField refuses it (and PostgreSQL could not
    store it); the schema says so."""
    for name, component in result.get("components", {}).get("schemas", {}).items():
        if name.endswith("Request"):
            _forbid_nul(component)
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query":
                    _forbid_nul(parameter.get("schema"))
    return result


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
