"""Middleware of the service as a whole."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse

QUERY_COUNT_HEADER = "X-Query-Count"


class _Counter:
    """A ``connection.execute_wrapper`` that counts the statements it sees."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        self.count += 1
        return execute(sql, params, many, context)


class QueryCountHeaderMiddleware:
    """With ``PROCTORING_QUERY_COUNT_HEADER`` on, tell in ``X-Query-Count`` how many SQL
    statements the request made (for benchmarks; leave it off in production).

    It counts every statement sent through the default database's cursors while the rest of
    the middleware chain and the view run, savepoints included; PostgreSQL's BEGIN and COMMIT
    are not statements (psycopg sends them itself). Off, it passes the request on untouched.
    It goes first in ``MIDDLEWARE`` so that it sees the statements of every other middleware.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not settings.PROCTORING_QUERY_COUNT_HEADER:
            return self.get_response(request)
        counter = _Counter()
        with connection.execute_wrapper(counter):
            response = self.get_response(request)
        response[QUERY_COUNT_HEADER] = str(counter.count)
        return response
