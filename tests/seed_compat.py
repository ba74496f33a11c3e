"""What the reference's tests need from Django that Django no longer has.

``assertQuerysetEqual`` (lower-case "set") was removed in Django 5.1. The reference's tests
call it with its old defaults: each item of the queryset goes through ``repr`` and the order
counts. :class:`SeedTestCase` puts it back on top of ``assertQuerySetEqual``.
"""

from collections.abc import Callable, Iterable
from typing import Any

from django.test import TestCase


class SeedCompatMixin:
    def assertQuerysetEqual(  # the reference's name
        self,
        qs: Iterable[Any],
        values: Iterable[Any],
        transform: Callable[[Any], Any] = repr,
        ordered: bool = True,
        msg: str | None = None,
    ) -> None:
        self.assertQuerySetEqual(  # type: ignore[attr-defined]
            qs, values, transform=transform, ordered=ordered, msg=msg
        )


class SeedTestCase(SeedCompatMixin, TestCase):
    """A ``django.test.TestCase`` that also has the reference's ``assertQuerysetEqual``."""
