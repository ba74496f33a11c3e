"""Fakes of the runtime services for the attempt tests."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class CreditCall:
    user_id: int
    course_key_or_id: str
    req_namespace: str
    req_name: str
    status: str


class RecordingCreditService:
    """A thread-safe credit service that records its calls; it has no batch method."""

    def __init__(self, course_name: str = "Recorded Course") -> None:
        self.course_name = course_name
        self._lock = threading.Lock()
        self.calls: list[CreditCall] = []
        self.state_requests: list[tuple[int, str, bool]] = []

    def set_credit_requirement_status(
        self,
        user_id: int,
        course_key_or_id: str,
        req_namespace: str,
        req_name: str,
        status: str = "satisfied",
        reason: dict[str, Any] | None = None,
    ) -> None:
        call = CreditCall(user_id, str(course_key_or_id), req_namespace, req_name, status)
        with self._lock:
            self.calls.append(call)

    def get_credit_state(
        self, user_id: int, course_key_or_id: str, return_course_name: bool = False
    ) -> dict[str, Any]:
        with self._lock:
            self.state_requests.append((user_id, str(course_key_or_id), return_course_name))
        state: dict[str, Any] = {"is_credit_course": True, "credit_requirement_status": []}
        if return_course_name:
            state["course_name"] = self.course_name
        return state

    def take_calls(self) -> list[CreditCall]:
        with self._lock:
            calls, self.calls = self.calls, []
        return calls
