"""Random sequences of attempt creations and status changes keep the attempt invariants.

A hypothesis state machine drives ``api.create_exam_attempt`` and ``api.update_attempt_status``
(any status, with or without cascade) over the exams of one course, plus an exam of another
course, for two learners. It keeps a model of the statuses the rules of DESIGN.md 2.1 predict
and, after every step, compares the database with it and checks the attempts' histories,
timestamps and credit calls.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise

import pytest
from django.db import transaction
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from proctoring import api
from proctoring.attempts.models import Attempt, AttemptHistory
from proctoring.exceptions import (
    InvalidAttemptStatus,
    ProctoredExamIllegalStatusTransition,
    StudentExamAttemptAlreadyExistsException,
    StudentExamAttemptDoesNotExistsException,
)
from tests.attempts import expected
from tests.attempts.fakes import CreditCall, RecordingCreditService
from tests.conftest import committed

COURSE = "course-v1:Org+Stateful+Run"
OTHER_COURSE = "course-v1:Org+Elsewhere+Run"

# The status table of DESIGN.md 2.1, from the tests' own oracle, not from the code under test.
INCOMPLETE = expected.INCOMPLETE
COMPLETED = expected.COMPLETED
ALL_STATUSES = sorted(expected.ALL_STATUSES)
CREDIT = expected.CREDIT
NOT_A_STATUS = "not_a_status"


@dataclass(frozen=True)
class ExamSpec:
    course_id: str
    is_proctored: bool = True
    is_practice_exam: bool = False
    is_active: bool = True

    @property
    def cascade_target(self) -> bool:
        """An exam a cascading decline reaches: active, proctored, not practice."""
        return self.is_active and self.is_proctored and not self.is_practice_exam


EXAMS: dict[str, ExamSpec] = {
    "proctored_a": ExamSpec(COURSE),
    "proctored_b": ExamSpec(COURSE),
    "proctored_c": ExamSpec(COURSE),
    "practice": ExamSpec(COURSE, is_practice_exam=True),
    "timed": ExamSpec(COURSE, is_proctored=False),
    "inactive": ExamSpec(COURSE, is_active=False),
    "elsewhere": ExamSpec(OTHER_COURSE),
}
EXAM_KEYS = sorted(EXAMS)
LEARNERS = (0, 1)


@dataclass
class World:
    """What the state machine works on: exam ids by key, learner ids by index."""

    exam_ids: dict[str, int]
    user_ids: tuple[int, int]


@dataclass
class Seen:
    """What an attempt looked like after the previous step."""

    status: str
    started_at: datetime | None
    history_ids: list[int]


_illegal = expected.is_illegal


class AttemptStateMachine(RuleBasedStateMachine):
    def __init__(self, world: World) -> None:
        super().__init__()
        self.world = world
        self.exam_by_id = {exam_id: key for key, exam_id in world.exam_ids.items()}
        self.learner_by_id = {user_id: i for i, user_id in enumerate(world.user_ids)}
        # Every example starts from the fixture's exams and learners and nothing else: its
        # writes live in a savepoint that teardown() rolls back.
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.credit = RecordingCreditService(course_name="Stateful Course")
        api.set_runtime_service("credit", self.credit)
        # The model: the status the rules predict for each (exam key, learner index).
        self.expected: dict[tuple[str, int], str] = {}
        self.seen: dict[int, Seen] = {}
        self.checked_history_id = (
            AttemptHistory.objects.order_by("-id").values_list("id", flat=True).first() or 0
        )

    def teardown(self) -> None:
        api.set_runtime_service("credit", None)
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    # Rules ------------------------------------------------------------------------------

    @rule(
        exam=st.sampled_from(EXAM_KEYS), learner=st.sampled_from(LEARNERS), proctored=st.booleans()
    )
    def create_attempt(self, exam: str, learner: int, proctored: bool) -> None:
        key = (exam, learner)
        try:
            attempt_id = api.create_exam_attempt(
                self.world.exam_ids[exam],
                self.world.user_ids[learner],
                taking_as_proctored=proctored,
            )
        except StudentExamAttemptAlreadyExistsException:
            assert key in self.expected, "refused a first attempt"
            return
        assert key not in self.expected, "created a second current attempt"
        self.expected[key] = "created"
        attempt = Attempt.objects.get(pk=attempt_id)
        assert attempt.taking_as_proctored is proctored
        assert attempt.is_sample_attempt is EXAMS[exam].is_practice_exam
        assert attempt.attempt_number == 1

    @rule(
        exam=st.sampled_from(EXAM_KEYS),
        learner=st.sampled_from(LEARNERS),
        status=st.sampled_from([*ALL_STATUSES, NOT_A_STATUS]),
        cascade=st.booleans(),
        raise_if_not_found=st.booleans(),
    )
    def update_status(
        self, exam: str, learner: int, status: str, cascade: bool, raise_if_not_found: bool
    ) -> None:
        self._update(exam, learner, status, cascade, raise_if_not_found)

    @precondition(lambda self: bool(self.expected))
    @rule(
        data=st.data(),
        status=st.sampled_from(ALL_STATUSES),
        cascade=st.booleans(),
    )
    def update_existing_attempt(self, data: st.DataObject, status: str, cascade: bool) -> None:
        """The same as update_status, on an attempt that exists (most interesting steps)."""
        exam, learner = data.draw(st.sampled_from(sorted(self.expected)), label="attempt")
        self._update(exam, learner, status, cascade, raise_if_not_found=True)

    def _update(
        self, exam: str, learner: int, status: str, cascade: bool, raise_if_not_found: bool
    ) -> None:
        exam_id, user_id = self.world.exam_ids[exam], self.world.user_ids[learner]

        def call() -> int | None:
            # The test's transaction never commits: run the after-commit effects (credit) here.
            with committed():
                return api.update_attempt_status(
                    exam_id,
                    user_id,
                    status,
                    raise_if_not_found=raise_if_not_found,
                    cascade_effects=cascade,
                )

        if status == NOT_A_STATUS:
            with pytest.raises(InvalidAttemptStatus):
                call()
            return
        before = self.expected.get((exam, learner))
        if before is None:
            if raise_if_not_found:
                with pytest.raises(StudentExamAttemptDoesNotExistsException):
                    call()
            else:
                assert call() is None
            return

        target = status
        if status == "timed_out":
            course_id = EXAMS[exam].course_id
            provider = api.get_proctoring_settings(api.get_provider_name_by_course_id(course_id))
            if not provider.get("ALLOW_TIMED_OUT_STATE", before == "created"):
                target = "submitted"
        if _illegal(before, target):
            event("update: illegal transition refused")
            with pytest.raises(ProctoredExamIllegalStatusTransition):
                call()
            return

        attempt_id = call()
        assert attempt_id == Attempt.objects.get(exam_id=exam_id, user_id=user_id).pk
        if target == before:
            event("update: same status again")
            return
        event(f"update: {'completed' if before in COMPLETED else 'other'} -> {target}")
        self.expected[(exam, learner)] = target
        if cascade and target == "declined":
            event("update: cascading decline")
            self._expect_cascade(exam, learner)
            self._check_cascade(exam, learner)

    def _expect_cascade(self, exam: str, learner: int) -> None:
        course_id = EXAMS[exam].course_id
        for other, spec in EXAMS.items():
            if other == exam or spec.course_id != course_id or not spec.cascade_target:
                continue
            if self.expected.get((other, learner)) not in COMPLETED:
                self.expected[(other, learner)] = "declined"

    def _check_cascade(self, exam: str, learner: int) -> None:
        """Right after a cascading decline: every exam it reaches has a completed attempt."""
        user_id = self.world.user_ids[learner]
        declined = Attempt.objects.get(exam_id=self.world.exam_ids[exam], user_id=user_id)
        assert declined.status == "declined"
        assert declined.taking_as_proctored is False
        assert declined.external_id is None
        course_id = EXAMS[exam].course_id
        for other, spec in EXAMS.items():
            if spec.course_id != course_id or not spec.cascade_target:
                continue
            statuses = list(
                Attempt.objects.filter(
                    exam_id=self.world.exam_ids[other], user_id=user_id, archived_at__isnull=True
                ).values_list("status", flat=True)
            )
            assert len(statuses) == 1, f"{other}: {statuses}"
            assert statuses[0] in COMPLETED, f"{other} left {statuses[0]} after a cascade"

    # Invariants ---------------------------------------------------------------------------

    @invariant()
    def database_matches_the_model_and_history(self) -> None:
        attempts = list(Attempt.objects.filter(user_id__in=self.world.user_ids).order_by("id"))
        history: dict[int, list[AttemptHistory]] = defaultdict(list)
        for row in AttemptHistory.objects.filter(attempt__in=attempts).order_by("id"):
            history[row.attempt_id].append(row)

        actual = {
            (self.exam_by_id[a.exam_id], self.learner_by_id[a.user_id]): a.status for a in attempts
        }
        assert actual == self.expected

        for attempt in attempts:
            rows = history[attempt.pk]
            self._check_replay(attempt, rows)
            self._check_no_way_back(rows)
            self._check_timestamps(attempt, rows)
            self._check_against_previous_step(attempt, rows)

    @invariant()
    def credit_calls_match_new_history(self) -> None:
        new_rows = list(
            AttemptHistory.objects.filter(id__gt=self.checked_history_id)
            .select_related("attempt__exam")
            .order_by("id")
        )
        if new_rows:
            self.checked_history_id = new_rows[-1].pk
        expected = Counter(
            CreditCall(
                row.attempt.user_id,
                row.attempt.exam.course_id,
                "proctored_exam",
                row.attempt.exam.content_id,
                CREDIT[row.to_status],
            )
            for row in new_rows
            if row.to_status in CREDIT
        )
        assert Counter(self.credit.take_calls()) == expected

    @staticmethod
    def _check_replay(attempt: Attempt, rows: list[AttemptHistory]) -> None:
        assert rows, f"attempt {attempt.pk} has no history"
        assert (rows[0].from_status, rows[0].to_status) == ("", "created")
        for previous, row in pairwise(rows):
            assert row.from_status == previous.to_status, [str(r) for r in rows]
            assert row.from_status != row.to_status, "a no-op was recorded"
            assert row.changed_at >= previous.changed_at
        assert rows[-1].to_status == attempt.status

    @staticmethod
    def _check_no_way_back(rows: list[AttemptHistory]) -> None:
        """No move from a completed status to an incomplete one or to error.

        ``expired`` and ``onboarding_reset`` are neither completed nor incomplete (DESIGN.md
        2.1, and the reference), so the rules let a completed attempt move on from them; that
        is the only way from a completed status back to an incomplete one or to error.
        """
        completed_since_expired = False
        for row in rows:
            assert not _illegal(row.from_status, row.to_status), str(row)
            if row.to_status in INCOMPLETE or row.to_status == "error":
                assert not completed_since_expired, [str(r) for r in rows]
            if row.to_status in ("expired", "onboarding_reset"):
                completed_since_expired = False
            elif row.to_status in COMPLETED:
                completed_since_expired = True

    @staticmethod
    def _check_timestamps(attempt: Attempt, rows: list[AttemptHistory]) -> None:
        starts = [row.changed_at for row in rows if row.to_status == "started"]
        submissions = [row.changed_at for row in rows if row.to_status == "submitted"]
        if starts:
            assert attempt.started_at == starts[0]
        else:
            assert attempt.started_at is None
        if submissions:
            assert attempt.completed_at == submissions[-1]
        else:
            assert attempt.completed_at is None

    def _check_against_previous_step(self, attempt: Attempt, rows: list[AttemptHistory]) -> None:
        history_ids = [row.pk for row in rows]
        seen = self.seen.get(attempt.pk)
        if seen is not None:
            assert history_ids[: len(seen.history_ids)] == seen.history_ids, "history rewritten"
            if seen.status in COMPLETED and attempt.status != seen.status:
                assert attempt.status not in INCOMPLETE, f"{seen.status} -> {attempt.status}"
                assert attempt.status != "error", f"{seen.status} -> error"
            if seen.started_at is not None:
                assert attempt.started_at == seen.started_at, "started_at changed"
        self.seen[attempt.pk] = Seen(attempt.status, attempt.started_at, history_ids)


@pytest.fixture
def world(learner, other_learner) -> World:
    exam_ids: dict[str, int] = {}
    for key, spec in EXAMS.items():
        exam_ids[key] = api.create_exam(
            spec.course_id,
            f"block-v1:{key}",
            key.replace("_", " ").title(),
            60,
            is_proctored=spec.is_proctored,
            is_practice_exam=spec.is_practice_exam,
            is_active=spec.is_active,
        )
    return World(exam_ids, (learner.pk, other_learner.pk))


def test_random_status_sequences_keep_the_attempt_invariants(world):
    run_state_machine_as_test(
        lambda: AttemptStateMachine(world),
        settings=settings(
            max_examples=80,
            stateful_step_count=30,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
