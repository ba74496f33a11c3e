"""What the v1 views share: strict input serializers and fields, and checks of URL arguments.

Input is taken as the OpenAPI schema describes it, and nothing more: a JSON body's booleans
are ``true``/``false`` (not ``0``, ``1`` or ``"yes"``), its strings are strings (not numbers)
and its integers are integers (not ``"5"``); a body's unknown fields are refused. In a query
string, a boolean is ``true`` or ``false`` and a parameter given with an empty value is
refused, as the schema says (a parameter left out takes its default).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rest_framework import serializers
from rest_framework.exceptions import NotAuthenticated
from rest_framework.fields import empty
from rest_framework.request import Request

from proctoring.core.ids import is_course_id
from proctoring.exceptions import InvalidCourseId
from proctoring.rest.pagination import PageNumberPagination

MAX_PAGE = 2**31 - 1


class StrictSerializer(serializers.Serializer[Any]):
    """An input serializer that refuses fields it does not know (a typo is an error). Its
    schema says so too (``additionalProperties: false``, see ``proctoring.rest.schema``)."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            unknown = sorted(
                set(data) - {name for name, f in self.fields.items() if not f.read_only}
            )
            if unknown:
                raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        return super().to_internal_value(data)


class JsonBooleanField(serializers.BooleanField):
    """A JSON ``true`` or ``false``, nothing else."""

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class JsonCharField(serializers.CharField):
    """A JSON string, never a number turned into one."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return str(super().to_internal_value(data))


class JsonIntegerField(serializers.IntegerField):
    """A JSON integer: not a string of digits, a boolean or a number with a fraction."""

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return int(super().to_internal_value(data))


class JsonChoiceField(serializers.ChoiceField):
    """One of the choices, as a JSON string."""

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str):
            self.fail("invalid_choice", input=data)
        return super().to_internal_value(data)


class QueryBooleanField(serializers.BooleanField):
    """A boolean of the query string: ``true`` or ``false``; left out, its default."""

    default_empty_html = empty

    def to_internal_value(self, data: Any) -> bool:
        if data == "true":
            return True
        if data == "false":
            return False
        self.fail("invalid", input=data)
        raise AssertionError("unreachable")  # fail() raises


class QuerySerializer(serializers.Serializer[Any]):
    """The filters of a list, from the query string: a parameter given with an empty value
    (``?exam_id=``) is an error, not a parameter left out."""

    def to_internal_value(self, data: Any) -> Any:
        empty = sorted(name for name, _ in self.fields.items() if data.get(name) == "")
        if empty:
            raise serializers.ValidationError({name: ["May not be empty."] for name in empty})
        return super().to_internal_value(data)


class PageQuery(QuerySerializer):
    """The filters of a paginated list: its page and page size, then the list's own."""

    page = serializers.IntegerField(
        min_value=1,
        max_value=MAX_PAGE,
        required=False,
        help_text="The page, from 1; a page past the last is a 404.",
    )
    page_size = serializers.IntegerField(
        min_value=1,
        max_value=PageNumberPagination.max_page_size,
        required=False,
        help_text=f"Items per page ({PageNumberPagination.page_size} by default).",
    )

    @property
    def filters(self) -> dict[str, Any]:
        """The validated filters of the list, without the page and its size."""
        return {
            name: value
            for name, value in self.validated_data.items()
            if name not in ("page", "page_size")
        }


def check_course_id(course_id: str) -> str:
    """The course id of a request that may create the course: one of the grammar of
    ``proctoring.core.ids``, or a 400 ``invalid_course_id``."""
    if not is_course_id(course_id):
        raise InvalidCourseId()
    return course_id


def user_id_of(request: Request) -> int:
    """The id of the authenticated caller (views run after authentication)."""
    user_id = request.user.pk
    if user_id is None:
        raise NotAuthenticated()
    return int(user_id)
