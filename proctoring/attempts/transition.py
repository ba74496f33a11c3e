"""The one transition: every change of an attempt's status goes through ``attempts_transition``.

It applies the reference's rules (DESIGN.md 2.1, seed Exemple #13) once, to one attempt or to
many, which the caller has locked (locks.py) inside its transaction:

- rule 2: a move to ``timed_out`` becomes ``submitted`` unless the course provider allows it;
- rule 3: no way back from a completed status to an incomplete one, nor to ``error``;
- rule 4: a move to the status the attempt has changes nothing;
- rules 5 and 8: the status, ``completed_at`` on submission, ``started_at`` and the clock on
  the first start, and one history row per change;
- rules 6 and 9: one ``attempt.status_changed`` event per change, recorded in the transaction
  (the outbox); the credit service and the learner's email consume it after the commit;
- rule 7: a decline's cascade to the learner's other proctored exams of the course.

Learner and staff actions, the cascade, the expiry job and every future caller use it.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Coalesce

from proctoring.attempts import statuses
from proctoring.attempts.cascade_sql import (
    attempts_insert_new,
    cascade_attempts_lock,
    cascade_exams,
)
from proctoring.attempts.deadline_wakeup import deadlines_changed
from proctoring.attempts.events import (
    attempt_event,
    attempt_status_changed_event,
    review_event_types,
    review_events,
)
from proctoring.attempts.models import Attempt, AttemptHistory, new_attempt_code
from proctoring.attempts.statuses import AttemptStatus
from proctoring.attempts.timer import attempt_allowances_loaded, attempt_clock_at_start
from proctoring.attempts.update_sql import (
    attempt_row_update_statement,
    attempt_rows_update_statement,
)
from proctoring.core.clock import now
from proctoring.core.events import DomainEvent, events_record
from proctoring.courses.provider_settings import course_provider_settings
from proctoring.exams.models import Exam
from proctoring.exceptions import ProctoredExamIllegalStatusTransition

log = logging.getLogger(__name__)

CAUSE_CASCADE = "cascade"


@dataclass(frozen=True)
class Move:
    """What the caller asks of the attempts: a target status, who or what asks, and why."""

    to_status: AttemptStatus
    actor_id: int | None = None
    cause: str = ""
    reason: str = ""  # a person's words for why (staff ending an attempt, an administrator)
    cascade: bool = False  # rule 7 applies (the reference's ``cascade_effects``)
    at_deadline: bool = False  # record the deadline as ``completed_at`` (a time-out)
    review: bool = False  # a reviewer's verdict: ``review.recorded`` events too
    review_info: dict[str, Any] = field(default_factory=dict)  # more of the review, for events


@dataclass
class _Writes:
    """What one transition leaves to write at its end: one locked attempt's ``UPDATE``s,
    history rows and events (one statement on PostgreSQL)."""

    moment: datetime
    updates: list[tuple[str, list[Any]]] = field(default_factory=list)
    history: list[AttemptHistory] = field(default_factory=list)
    events: list[DomainEvent] = field(default_factory=list)

    def record(self, attempt_id: int, from_status: str, to_status: str, move: Move) -> None:
        self.history.append(
            AttemptHistory(
                attempt_id=attempt_id,
                from_status=from_status,
                to_status=to_status,
                changed_at=self.moment,
                actor_id=move.actor_id,
                cause=move.cause,
                reason=move.reason,
            )
        )


def attempts_transition(
    *,
    attempts: Sequence[Attempt],
    move: Move,
    moment: datetime | None = None,
    first: Sequence[tuple[str, list[Any]]] = (),
) -> list[Attempt]:
    """Apply ``move`` to ``attempts``, locked by the caller and loaded with exam, course and
    user; return the attempts that changed, updated in memory.

    ``first``: the caller's own writes (``(sql, params)``: a review's record, say), sent
    ahead of the change's, in its statement on PostgreSQL; sent even when nothing moves.

    Raises ``ProctoredExamIllegalStatusTransition`` (and changes nothing) when the move is
    illegal for any of them.
    """
    writes = _Writes(moment=moment or now(), updates=list(first))
    moved = _apply(attempts, move, writes)
    # The attempt's UPDATE, the history and the events in one statement on PostgreSQL
    # (core/inserts.py): nothing read in between depends on the attempt's row.
    events_record(writes.events, rows=writes.history, first=writes.updates)
    return moved


def attempt_event_without_change(
    *, attempt: Attempt, event_type: str, data: dict[str, Any], moment: datetime | None = None
) -> None:
    """Tell the platforms about a locked attempt whose status does not change (a review that
    came too late to apply, say): the next number of its event sequence, one event."""
    Attempt.objects.filter(pk=attempt.pk).update(event_sequence=F("event_sequence") + 1)
    attempt.event_sequence += 1
    events_record([attempt_event(event_type, attempt, moment or now(), data)])


def _apply(attempts: Sequence[Attempt], move: Move, writes: _Writes) -> list[Attempt]:
    by_target: dict[AttemptStatus, list[Attempt]] = defaultdict(list)
    for attempt in attempts:
        target = _target(attempt, move.to_status)
        if target != attempt.status:  # rule 4
            by_target[target].append(attempt)
    moved: list[Attempt] = []
    for target, group in by_target.items():
        _save(group, target, move, writes)
        moved += group
        _log(group, target)
    if move.cascade and statuses.is_a_cascadable_failure(move.to_status):
        for attempt in moved:
            _cascade_decline(attempt, move, writes)
    return moved


def _target(attempt: Attempt, to_status: AttemptStatus) -> AttemptStatus:
    """Rules 2 and 3: the status the attempt moves to, or the illegal move raised."""
    target = to_status
    if target == AttemptStatus.TIMED_OUT:
        target = statuses.timeout_status(
            from_status=attempt.status,
            provider_settings=course_provider_settings(attempt.exam.course),
        )
    if not statuses.is_transition_legal(attempt.status, target):
        raise ProctoredExamIllegalStatusTransition(
            f"A status transition from {attempt.status} to {target} was attempted on "
            f"exam_id {attempt.exam_id} for user_id {attempt.user_id}. This is not allowed!"
        )
    return target


def _save(group: list[Attempt], target: AttemptStatus, move: Move, writes: _Writes) -> None:
    """Rules 5, 6, 8 and 9 for attempts that all move to ``target``: one UPDATE for the group,
    one more per first start (its clock is its own)."""
    moment = writes.moment
    events_each = 1 + len(review_event_types(target) if move.review else ())
    fields: dict[str, Any] = {
        "status": target,
        "modified": moment,
        "event_sequence": F("event_sequence") + events_each,
    }
    if target == AttemptStatus.SUBMITTED or move.at_deadline:
        fields["completed_at"] = _completion(target, move, moment)
    if move.cascade and target == AttemptStatus.DECLINED:
        fields.update(taking_as_proctored=False, external_id=None)
    first_starts = [
        attempt
        for attempt in group
        if target == AttemptStatus.STARTED and attempt.started_at is None
    ]
    single = len(group) == 1
    for attempt in first_starts:
        clock = attempt_clock_at_start(
            attempt=attempt, started_at=moment, allowances=attempt_allowances_loaded(attempt)
        )
        if single:
            values = _plain(attempt, fields, target, move, events_each)
            writes.updates.append(
                attempt_row_update_statement(
                    attempt_id=attempt.pk, values={**values, "started_at": moment, **clock}
                )
            )
        else:
            Attempt.objects.filter(pk=attempt.pk).update(**fields, started_at=moment, **clock)
        _set(attempt, {"started_at": moment, **clock})
    if any(attempt.deadline_at is not None for attempt in first_starts):
        deadlines_changed()
    rest = [attempt for attempt in group if attempt not in first_starts]
    if rest:
        _update(rest, fields, target, move, events_each, writes)
    for attempt in group:
        from_status = attempt.status
        writes.record(attempt.pk, from_status, target, move)
        in_memory = dict(fields, event_sequence=attempt.event_sequence + 1)
        if "completed_at" in fields:
            in_memory["completed_at"] = _completed_at(attempt, target, move, moment)
        _set(attempt, in_memory)
        writes.events.append(
            attempt_status_changed_event(
                attempt=attempt,
                from_status=from_status,
                moment=moment,
                actor_id=move.actor_id,
                cause=move.cause,
            )
        )
        if move.review:
            writes.events += review_events(
                attempt=attempt, moment=moment, actor_id=move.actor_id, info=move.review_info
            )


def _update(
    attempts: list[Attempt],
    fields: dict[str, Any],
    target: AttemptStatus,
    move: Move,
    events_each: int,
    writes: _Writes,
) -> None:
    """The locked attempts' UPDATE: their values are known here, so it goes with the change's
    other writes (one attempt: compiled once; many: one UPDATE of their own values on
    PostgreSQL), else the ORM's UPDATE of them all with ``fields``' expressions."""
    if len(attempts) == 1:
        values = _plain(attempts[0], fields, target, move, events_each)
        writes.updates.append(
            attempt_row_update_statement(attempt_id=attempts[0].pk, values=values)
        )
        return
    statement = attempt_rows_update_statement(
        [(attempt.pk, _plain(attempt, fields, target, move, events_each)) for attempt in attempts]
    )
    if statement is not None:
        writes.updates.append(statement)
    else:
        Attempt.objects.filter(pk__in=[attempt.pk for attempt in attempts]).update(**fields)


def _plain(
    attempt: Attempt, fields: dict[str, Any], target: AttemptStatus, move: Move, events_each: int
) -> dict[str, Any]:
    """``fields`` for one locked attempt, as plain values: what their SQL expressions give
    on its row (which the lock keeps as it was read)."""
    values = dict(fields, event_sequence=attempt.event_sequence + events_each)
    if "completed_at" in fields:
        values["completed_at"] = _completed_at(attempt, target, move, fields["modified"])
    return values


def _completion(target: AttemptStatus, move: Move, moment: datetime) -> Any:
    """``completed_at`` in SQL: the moment of a submission, or the deadline of a time-out (else
    the moment, or the value it had); the start when that would be before the start."""
    when: Any = Value(moment)
    if move.at_deadline:
        fallback = Value(moment) if target == AttemptStatus.SUBMITTED else F("completed_at")
        when = Coalesce(F("deadline_at"), fallback)
    return Case(When(Q(started_at__gt=when), then=F("started_at")), default=when)


def _completed_at(
    attempt: Attempt, target: AttemptStatus, move: Move, moment: datetime
) -> datetime | None:
    """``_completion`` of one attempt, in memory."""
    when: datetime | None = moment
    if move.at_deadline:
        fallback = moment if target == AttemptStatus.SUBMITTED else attempt.completed_at
        when = attempt.deadline_at or fallback
    if when is not None and attempt.started_at is not None and attempt.started_at > when:
        return attempt.started_at
    return when


def _set(attempt: Attempt, values: dict[str, Any]) -> None:
    for name, value in values.items():
        setattr(attempt, name, value)


def _log(group: list[Attempt], target: AttemptStatus) -> None:
    if len(group) == 1:
        attempt = group[0]
        log.info(
            "%s - %s: attempt %s on exam %s for user %s -> %s",
            attempt.attempt_code,
            attempt.user.username,
            attempt.pk,
            attempt.exam_id,
            attempt.user_id,
            target,
        )
    else:
        log.info("%s attempts -> %s", len(group), target)


def _cascade_decline(attempt: Attempt, move: Move, writes: _Writes) -> None:
    """Rule 7: decline the learner's other active, proctored, non-practice exams of the course.

    Completed attempts stay as they are; a missing attempt is created (not proctored) and
    declined at once, each with the history the reference's one-by-one calls would leave, in
    a fixed number of statements whatever the number of exams.
    """
    others = cascade_exams(exam=attempt.exam)  # its reads compiled once (cascade_sql.py)
    if not others:
        return
    rows = cascade_attempts_lock(attempt=attempt, exams=others)
    current = {row.exam_id: row for row in rows if row.archived_at is None}
    missing = sorted(set(others) - set(current))
    if missing:
        exams = {exam_id: others[exam_id] for exam_id in missing}
        current.update(_create_declinable(attempt, exams, rows, move, writes))
    to_decline = sorted(
        (row for row in current.values() if not statuses.is_completed_status(row.status)),
        key=lambda row: row.pk,
    )
    cascaded = Move(AttemptStatus.DECLINED, actor_id=move.actor_id, cause=CAUSE_CASCADE)
    _apply(to_decline, cascaded, writes)


def _create_declinable(
    attempt: Attempt, exams: dict[int, Exam], rows: list[Attempt], move: Move, writes: _Writes
) -> dict[int, Attempt]:
    """Create the learner's missing attempts on these exams, locked; an attempt created
    meanwhile by someone else is taken (and declined) instead."""
    highest: dict[int, int] = {}
    for row in rows:
        highest[row.exam_id] = max(highest.get(row.exam_id, 0), row.attempt_number)
    exam_ids = sorted(exams)
    codes = {exam_id: new_attempt_code() for exam_id in exam_ids}
    attempts_insert_new(
        [
            Attempt(
                exam_id=exam_id,
                user_id=attempt.user_id,
                attempt_number=highest.get(exam_id, 0) + 1,
                status=AttemptStatus.CREATED,
                taking_as_proctored=False,
                is_sample_attempt=False,
                attempt_code=codes[exam_id],
            )
            for exam_id in exam_ids
        ]
    )
    created = {
        row.exam_id: row
        for row in cascade_attempts_lock(attempt=attempt, exams=exams)
        if row.archived_at is None
    }
    creation = Move(AttemptStatus.CREATED, actor_id=move.actor_id, cause=CAUSE_CASCADE)
    for row in sorted(created.values(), key=lambda row: row.pk):
        if row.attempt_code == codes[row.exam_id]:  # ours, not one created meanwhile
            writes.record(row.pk, "", AttemptStatus.CREATED, creation)
    return created
