"""The value of each allowance key, as the REST API takes it and its schema describes it.

An allowance's value is a string whose form depends on its key. The API takes exactly the
forms below (the Python API is more lenient: it strips spaces and takes any number), so that
the OpenAPI schema can say what is accepted and the server accepts all of it:

- ``additional_time_granted``: whole minutes, 0 to 10000 (``"15"``);
- ``time_multiplier``: a decimal from 1 to 10 with at most 6 decimals (``"1.5"``);
- ``due_date_extension``: an RFC 3339 date and time with its offset, years 1900 to 9899
  (``"2030-06-30T23:59:00+00:00"``);
- ``opens_at``: the learner's own opening time of the exam, in the same form;
- ``review_policy_exception``: a text of 1 to 255 characters, not starting or ending with a
  space.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.core.validators import RegexValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from proctoring.allowances.models import Allowance
from proctoring.exceptions import InvalidAllowance
from proctoring.rest.schema import SPACES
from proctoring.rest.v1.common import JsonCharField

Key = Allowance.Key

_SPACES = SPACES
PATTERNS: dict[str, str] = {
    Key.ADDITIONAL_TIME: r"^(?:[0-9]{1,4}|10000)\Z",
    Key.TIME_MULTIPLIER: r"^(?:10(?:\.0{1,6})?|[1-9](?:\.[0-9]{1,6})?)\Z",
    # With ``format: date-time``: the year bounded, so that every value is a date the
    # service can compute with; the rest of the form is RFC 3339's.
    Key.DUE_DATE_EXTENSION: r"^(?:19|[2-8][0-9]|9[0-8])[0-9]{2}-",
    Key.OPENS_AT: r"^(?:19|[2-8][0-9]|9[0-8])[0-9]{2}-",
    Key.REVIEW_POLICY_EXCEPTION: rf"^[^\x00{_SPACES}](?:[^\x00]*[^\x00{_SPACES}])?\Z",
}
MESSAGES: dict[str, str] = {
    Key.ADDITIONAL_TIME: "additional_time_granted must be a whole number of minutes from 0 to "
    "10000.",
    Key.TIME_MULTIPLIER: "time_multiplier must be a decimal number from 1 to 10.",
    Key.DUE_DATE_EXTENSION: "due_date_extension must be an RFC 3339 date and time with its "
    "offset, of a year from 1900 to 9899, e.g. 2030-06-30T23:59:00+00:00.",
    Key.OPENS_AT: "opens_at must be an RFC 3339 date and time with its offset, of a year "
    "from 1900 to 9899, e.g. 2030-06-01T09:00:00+00:00.",
    Key.REVIEW_POLICY_EXCEPTION: "review_policy_exception must be a text of 1 to 255 "
    "characters, without spaces at its ends.",
}


@extend_schema_field({"type": "string", "format": "date-time"})
class _DueDateValueField(JsonCharField):
    """A due date extension or an opening time: RFC 3339 with its offset, within the years
    of the pattern."""

    def __init__(self, *, key: str = Key.DUE_DATE_EXTENSION, **kwargs: Any) -> None:
        self.key = key
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        value = super().to_internal_value(data)
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            parsed = None
        if parsed is None or parsed.tzinfo is None or "T" not in value.upper():
            raise serializers.ValidationError(MESSAGES[self.key])
        return value


def value_field(key: str, **extra: Any) -> serializers.Field[Any, Any, Any, Any]:
    """The ``value`` field of an allowance of this key (``extra``: more field arguments)."""
    validator = RegexValidator(PATTERNS[key], MESSAGES[key])
    if key in (Key.DUE_DATE_EXTENSION, Key.OPENS_AT):
        return _DueDateValueField(
            key=key,
            max_length=255,
            trim_whitespace=False,
            validators=[validator],
            help_text=MESSAGES[key],
            **extra,
        )
    return JsonCharField(
        max_length=255,
        trim_whitespace=False,
        validators=[validator],
        help_text=MESSAGES[key],
        **extra,
    )


def validated(serializer: serializers.Serializer[Any], key: str) -> dict[str, Any]:
    """The serializer's data; a string value that does not fit its key is a 400
    ``invalid_allowance`` (the code of the domain's own check), other errors are ``invalid``."""
    if serializer.is_valid():
        return dict(serializer.validated_data)
    errors = serializer.errors
    data = serializer.initial_data
    value = data.get("value") if isinstance(data, Mapping) else None
    if set(errors) == {"value"} and key in MESSAGES and isinstance(value, str):
        raise InvalidAllowance(MESSAGES[key])
    raise serializers.ValidationError(errors)
