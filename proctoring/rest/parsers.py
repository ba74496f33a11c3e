"""A JSON parser with a size limit that no malformed body can turn into a 500."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import IO, Any

from django.conf import settings
from rest_framework import exceptions, parsers

from proctoring.rest.exception_handler import RequestTooLarge


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON.")


class BoundedJSONParser(parsers.JSONParser):
    """Parses at most PROCTORING_API_MAX_BODY_BYTES; NaN, bad UTF-8, deep nesting: 400s."""

    def parse(
        self,
        stream: IO[Any],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        limit = settings.PROCTORING_API_MAX_BODY_BYTES
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise RequestTooLarge(f"The request body is larger than {limit} bytes.")
        try:
            return json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:
            raise exceptions.ParseError(f"The request body is not valid JSON: {exc}") from exc
