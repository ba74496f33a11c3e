"""Who must hear when a learner's allowances change.

The attempts app listens: a running attempt's deadline follows its learner's allowances. It
registers itself when the apps are ready, so this app never imports it.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Protocol


class AllowanceListener(Protocol):
    def allowances_changed(
        self, *, exam_ids: Collection[int], user_ids: Collection[int], actor_id: int | None
    ) -> None:
        """The allowances of these learners on these exams changed, inside the caller's
        transaction."""


_listeners: list[AllowanceListener] = []


def allowance_listener_add(listener: AllowanceListener) -> None:
    if listener not in _listeners:
        _listeners.append(listener)


def allowances_changed(
    *, exam_ids: Collection[int], user_ids: Collection[int], actor_id: int | None
) -> None:
    for listener in _listeners:
        listener.allowances_changed(exam_ids=exam_ids, user_ids=user_ids, actor_id=actor_id)
