"""Fixtures of the operations tests: captured log lines, the REST world and the moved clock."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from io import StringIO
from typing import Any

import pytest

from proctoring.ops.logs import formatter
from tests.attempts.conftest import clock  # noqa: F401 (a fixture)
from tests.rest.conftest import _jwt_settings, world  # noqa: F401 (fixtures)

CAPTURED = ("proctoring.requests", "django.request")


@pytest.fixture
def log_lines() -> Iterator[Callable[[], list[dict[str, Any]]]]:
    """The JSON lines the service's formatter writes for the request and error loggers."""
    stream = StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter("json"))
    loggers = [logging.getLogger(name) for name in CAPTURED]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.INFO if logger.name == "proctoring.requests" else logging.ERROR)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    for logger, level in zip(loggers, levels, strict=True):
        logger.removeHandler(handler)
        logger.setLevel(level)
