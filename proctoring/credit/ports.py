"""The ``credit`` runtime service: what the platform hears about credit requirements.

A platform replaces the local default (``LocalCreditService``) with
``proctoring.runtime.set_runtime_service("credit", service)``; its service needs the three
methods of ``CreditService``, the reference's contract. It may also offer
``set_credit_requirement_statuses`` (``BatchCreditService``) to take many updates in one call.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

CREDIT_NAMESPACE = "proctored_exam"


@dataclass(frozen=True)
class CreditUpdate:
    """One call's worth of ``set_credit_requirement_status`` arguments, and when the status
    change that asks for it happened (updates are delivered after commits, whose order their
    delivery need not keep: a receiver that can should let the latest change win)."""

    user_id: int
    course_key_or_id: str
    req_namespace: str
    req_name: str
    status: str
    changed_at: datetime | None = None


@dataclass(frozen=True)
class CreditRemoval:
    """One call's worth of ``remove_credit_requirement_status`` arguments."""

    user_id: int
    course_key_or_id: str
    req_namespace: str
    req_name: str


class CreditService(Protocol):
    def set_credit_requirement_status(
        self,
        user_id: int,
        course_key_or_id: str,
        req_namespace: str,
        req_name: str,
        status: str = "satisfied",
        reason: dict[str, Any] | None = None,
    ) -> None: ...

    def remove_credit_requirement_status(
        self, user_id: int, course_key_or_id: str, req_namespace: str, req_name: str
    ) -> None: ...

    def get_credit_state(
        self, user_id: int, course_key_or_id: str, return_course_name: bool = False
    ) -> dict[str, Any] | None: ...


@runtime_checkable
class BatchCreditService(Protocol):
    """A credit service that also takes many updates in one call."""

    def set_credit_requirement_statuses(
        self, updates: Iterable[CreditUpdate], reason: dict[str, Any] | None = None
    ) -> None: ...
