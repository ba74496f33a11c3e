"""What the v1 views share: strict input serializers and lookups of URL arguments."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rest_framework import serializers
from rest_framework.exceptions import NotAuthenticated
from rest_framework.request import Request

COURSE_ID_MAX_LENGTH = 255


class StrictSerializer(serializers.Serializer[Any]):
    """An input serializer that refuses fields it does not know (a typo is an error)."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            unknown = sorted(
                set(data) - {name for name, f in self.fields.items() if not f.read_only}
            )
            if unknown:
                raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        return super().to_internal_value(data)


def check_course_id(course_id: str) -> str:
    if len(course_id) > COURSE_ID_MAX_LENGTH:
        raise serializers.ValidationError(
            {
                "course_id": [
                    f"Ensure this field has no more than {COURSE_ID_MAX_LENGTH} characters."
                ]
            }
        )
    return course_id


def user_id_of(request: Request) -> int:
    """The id of the authenticated caller (views run after authentication)."""
    user_id = request.user.pk
    if user_id is None:
        raise NotAuthenticated()
    return int(user_id)
