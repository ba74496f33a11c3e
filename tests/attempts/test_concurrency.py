"""Real threads racing on attempts: the status machine stays consistent under concurrency.

Each test commits its data, then starts threads that wait at a barrier and call the Python API
at the same moment, each on its own database connection. Races are repeated over a few rounds
(fresh exams each time) to give the interleavings more chances to go wrong.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from itertools import pairwise
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection

from proctoring import api
from proctoring.attempts.models import Attempt, AttemptHistory
from proctoring.credit.models import CreditRequirementStatus
from proctoring.exceptions import (
    ProctoredExamIllegalStatusTransition,
    StudentExamAttemptAlreadyExistsException,
)
from proctoring.outbox.delivery import outbox_deliver
from proctoring.runtime import set_runtime_service
from tests.attempts import expected
from tests.attempts.fakes import CreditCall, RecordingCreditService


def _in_memory_sqlite() -> bool:
    database = settings.DATABASES["default"]
    return connection.vendor == "sqlite" and str(database["NAME"]).startswith(":memory:")


# On SQLite the threads must share a database file (see proctoring.settings): an in-memory
# database shared between connections locks whole tables and ignores the busy timeout.
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        _in_memory_sqlite(), reason="threads need a database file on SQLite, not :memory:"
    ),
]

THREADS = 8
ROUNDS = 4
JOIN_TIMEOUT = 120

INCOMPLETE = expected.INCOMPLETE
COMPLETED = expected.COMPLETED
CREDIT = expected.CREDIT
EMAIL_STATUSES = expected.EMAIL
COURSE_NAME = "Concurrency Course"


@pytest.fixture
def credit() -> RecordingCreditService:
    service = RecordingCreditService(course_name=COURSE_NAME)
    set_runtime_service("credit", service)
    return service


@dataclass
class Outcome:
    value: Any = None
    error: BaseException | None = None


def delivered(credit: RecordingCreditService) -> list[CreditCall]:
    """What the credit service has been told once the outbox delivered the committed events
    (the emails go out in the same pass)."""
    outbox_deliver()
    return credit.take_calls()


def race(calls: list[Callable[[], Any]]) -> list[Outcome]:
    """Run every call in its own thread, all released together by a barrier."""
    barrier = threading.Barrier(len(calls))
    outcomes = [Outcome() for _ in calls]

    def work(outcome: Outcome, call: Callable[[], Any]) -> None:
        try:
            connection.ensure_connection()  # connect first, so the calls start together
            barrier.wait(timeout=30)
            outcome.value = call()
        except BaseException as exc:  # reported to the test thread
            outcome.error = exc
        finally:
            connection.close()

    threads = [
        threading.Thread(target=work, args=(outcome, call), daemon=True)
        for outcome, call in zip(outcomes, calls, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=JOIN_TIMEOUT)
    assert not any(thread.is_alive() for thread in threads), "a thread never finished"
    return outcomes


def unexpected_errors(outcomes: list[Outcome], *allowed: type[BaseException]) -> list[str]:
    return [
        repr(outcome.error)
        for outcome in outcomes
        if outcome.error is not None and not isinstance(outcome.error, allowed)
    ]


def history_of(attempt: Attempt) -> list[AttemptHistory]:
    return list(AttemptHistory.objects.filter(attempt=attempt).order_by("id"))


def assert_history_replays(attempt: Attempt) -> list[AttemptHistory]:
    """The history starts with the creation, chains, is legal and ends at the status."""
    rows = history_of(attempt)
    trail = [str(row) for row in rows]
    assert rows, f"attempt {attempt.pk} has no history"
    assert (rows[0].from_status, rows[0].to_status) == ("", "created"), trail
    for previous, row in pairwise(rows):
        assert row.from_status == previous.to_status, trail
        assert row.from_status != row.to_status, trail
        assert not (
            row.from_status in COMPLETED
            and (row.to_status in INCOMPLETE or row.to_status == "error")
        ), trail
    assert rows[-1].to_status == attempt.status, trail
    starts = [row.changed_at for row in rows if row.to_status == "started"]
    submissions = [row.changed_at for row in rows if row.to_status == "submitted"]
    assert attempt.started_at == (starts[0] if starts else None), trail
    assert attempt.completed_at == (submissions[-1] if submissions else None), trail
    return rows


def expected_credit(rows: list[AttemptHistory]) -> Counter[CreditCall]:
    """The credit calls a list of history rows implies: one per change to a credit status."""
    return Counter(
        CreditCall(
            row.attempt.user_id,
            row.attempt.exam.course_id,
            "proctored_exam",
            row.attempt.exam.content_id,
            CREDIT[row.to_status],
        )
        for row in rows
        if row.to_status in CREDIT
    )


def new_exam(course_id: str, content_id: str, **kwargs: Any) -> int:
    return api.create_exam(course_id, content_id, content_id.title(), 60, **kwargs)


# (a) ---------------------------------------------------------------------------------------


def test_eight_concurrent_submissions_submit_once(learner, credit):
    for round_ in range(ROUNDS):
        exam_id = new_exam("course-v1:Org+Race+A", f"final-{round_}")
        attempt_id = api.create_exam_attempt(exam_id, learner.pk, taking_as_proctored=True)
        api.update_attempt_status(exam_id, learner.pk, "started")
        assert delivered(credit) == []
        mail.outbox.clear()

        outcomes = race(
            [
                partial(api.update_attempt_status, exam_id, learner.pk, "submitted")
                for _ in range(THREADS)
            ]
        )

        assert unexpected_errors(outcomes) == []
        assert [outcome.value for outcome in outcomes] == [attempt_id] * THREADS
        attempt = Attempt.objects.get(pk=attempt_id)
        assert attempt.status == "submitted"
        rows = assert_history_replays(attempt)
        assert [row.to_status for row in rows] == ["created", "started", "submitted"]
        assert delivered(credit) == [
            CreditCall(
                learner.pk, "course-v1:Org+Race+A", "proctored_exam", f"final-{round_}", "submitted"
            )
        ]
        # The email went out once, after the winner's commit, with the course name the credit
        # service gave.
        assert len(mail.outbox) == 1
        message = mail.outbox[0]
        assert message.to == [learner.email]
        assert f"final-{round_}".title() in message.subject
        assert COURSE_NAME in message.body
    assert credit.state_requests == [(learner.pk, "course-v1:Org+Race+A", True)] * ROUNDS


# (b) ---------------------------------------------------------------------------------------


def test_eight_concurrent_creations_make_one_attempt(learner, credit):
    for round_ in range(ROUNDS):
        exam_id = new_exam("course-v1:Org+Race+B", f"quiz-{round_}")

        outcomes = race(
            [partial(api.create_exam_attempt, exam_id, learner.pk) for _ in range(THREADS)]
        )

        winners = [outcome.value for outcome in outcomes if outcome.error is None]
        refused = [
            outcome.error
            for outcome in outcomes
            if isinstance(outcome.error, StudentExamAttemptAlreadyExistsException)
        ]
        assert unexpected_errors(outcomes, StudentExamAttemptAlreadyExistsException) == []
        assert len(winners) == 1
        assert len(refused) == THREADS - 1
        attempts = list(Attempt.objects.filter(exam_id=exam_id, user_id=learner.pk))
        assert [attempt.pk for attempt in attempts] == winners
        assert attempts[0].attempt_number == 1
        assert [row.to_status for row in assert_history_replays(attempts[0])] == ["created"]
    assert delivered(credit) == []


# (c) ---------------------------------------------------------------------------------------


@dataclass
class Course:
    course_id: str
    proctored: list[int]  # active, proctored, non-practice: what a cascade reaches
    practice: int
    timed: int
    inactive: int


def make_course(course_id: str, proctored_exams: int = 4) -> Course:
    return Course(
        course_id=course_id,
        proctored=[new_exam(course_id, f"exam-{i}") for i in range(proctored_exams)],
        practice=new_exam(course_id, "practice", is_practice_exam=True),
        timed=new_exam(course_id, "timed", is_proctored=False),
        inactive=new_exam(course_id, "inactive", is_active=False),
    )


def start_attempt(exam_id: int, user_id: int, taking_as_proctored: bool = True) -> int:
    attempt_id = api.create_exam_attempt(exam_id, user_id, taking_as_proctored=taking_as_proctored)
    api.update_attempt_status(exam_id, user_id, "started")
    return attempt_id


def assert_course_declined(course: Course, user_id: int, credit_calls: list[CreditCall]) -> None:
    """Every exam a cascade reaches has one declined attempt with a complete history.

    Each attempt was declined once, with one credit call; the attempt declined directly (not by
    the cascade) is no longer taken as proctored.
    """
    direct = 0
    for exam_id in course.proctored:
        attempts = list(Attempt.objects.filter(exam_id=exam_id, user_id=user_id))
        assert len(attempts) == 1, f"exam {exam_id}: {attempts}"
        attempt = attempts[0]
        assert attempt.status == "declined"
        rows = assert_history_replays(attempt)
        declines = [row for row in rows if row.to_status == "declined"]
        assert len(declines) == 1, [str(row) for row in rows]
        if declines[0].cause != "cascade":
            direct += 1
            assert attempt.taking_as_proctored is False
            assert attempt.external_id is None
        call = CreditCall(
            user_id, course.course_id, "proctored_exam", attempt.exam.content_id, "failed"
        )
        assert credit_calls.count(call) == 1, credit_calls
    assert direct >= 1


def assert_untouched(exam_id: int, user_id: int, status: str) -> None:
    attempt = Attempt.objects.get(exam_id=exam_id, user_id=user_id)
    assert attempt.status == status
    assert_history_replays(attempt)


def test_two_learners_decline_with_cascade_at_once(learner, other_learner, credit):
    for round_ in range(ROUNDS):
        course = make_course(f"course-v1:Org+Cascade+Two{round_}")
        first, second, *_ = course.proctored
        start_attempt(first, learner.pk)
        start_attempt(course.practice, learner.pk)
        start_attempt(course.inactive, learner.pk)
        api.create_exam_attempt(second, other_learner.pk, taking_as_proctored=True)
        start_attempt(first, other_learner.pk)
        start_attempt(course.timed, other_learner.pk, taking_as_proctored=False)
        delivered(credit)

        outcomes = race(
            [
                partial(api.update_attempt_status, first, learner.pk, "declined"),
                partial(api.update_attempt_status, second, other_learner.pk, "declined"),
            ]
        )

        assert unexpected_errors(outcomes) == []
        calls = delivered(credit)
        assert_course_declined(course, learner.pk, calls)
        assert_course_declined(course, other_learner.pk, calls)
        assert len(calls) == 2 * len(course.proctored)
        assert_untouched(course.practice, learner.pk, "started")
        assert_untouched(course.inactive, learner.pk, "started")
        assert_untouched(course.timed, other_learner.pk, "started")
    assert mail.outbox == []


def test_one_learner_declines_two_exams_at_once(learner, credit):
    for round_ in range(ROUNDS):
        course = make_course(f"course-v1:Org+Cascade+One{round_}")
        first, second, third, _ = course.proctored
        start_attempt(first, learner.pk)
        api.create_exam_attempt(second, learner.pk, taking_as_proctored=True)
        start_attempt(third, learner.pk)
        start_attempt(course.practice, learner.pk)
        delivered(credit)

        outcomes = race(
            [
                partial(api.update_attempt_status, first, learner.pk, "declined"),
                partial(api.update_attempt_status, third, learner.pk, "declined"),
            ]
        )

        assert unexpected_errors(outcomes) == []
        calls = delivered(credit)
        assert_course_declined(course, learner.pk, calls)
        assert len(calls) == len(course.proctored)
        assert_untouched(course.practice, learner.pk, "started")
    assert mail.outbox == []


def test_cascades_race_with_each_other_and_with_creations(learner, other_learner, credit):
    """Both learners decline two exams each while others create the missing attempts."""
    for round_ in range(ROUNDS):
        course = make_course(f"course-v1:Org+Cascade+Mix{round_}", proctored_exams=5)
        first, second, third, fourth, fifth = course.proctored
        for user_id in (learner.pk, other_learner.pk):
            start_attempt(first, user_id)
            start_attempt(second, user_id)
        delivered(credit)

        calls: list[Callable[[], Any]] = []
        for user_id in (learner.pk, other_learner.pk):
            calls += [
                partial(api.update_attempt_status, first, user_id, "declined"),
                partial(api.update_attempt_status, second, user_id, "declined"),
                partial(api.create_exam_attempt, third, user_id),
                partial(api.create_exam_attempt, fifth, user_id, taking_as_proctored=True),
            ]
        outcomes = race(calls)

        assert unexpected_errors(outcomes, StudentExamAttemptAlreadyExistsException) == []
        # The declines never fail; a creation fails only when a cascade created the attempt.
        declines = [outcomes[i] for i in (0, 1, 4, 5)]
        assert all(outcome.error is None for outcome in declines)
        calls_made = delivered(credit)
        for user_id in (learner.pk, other_learner.pk):
            assert_course_declined(course, user_id, calls_made)
            for exam_id in (third, fourth, fifth):
                rows = history_of(Attempt.objects.get(exam_id=exam_id, user_id=user_id))
                assert [row.to_status for row in rows] == ["created", "declined"]
            # Nobody created the fourth attempt but the cascade.
            assert history_of(Attempt.objects.get(exam_id=fourth, user_id=user_id))[0].cause == (
                "cascade"
            )
        assert len(calls_made) == 2 * len(course.proctored)


def test_cascades_race_with_submissions_using_the_local_credit_service(learner, other_learner):
    """The default credit service writes its rows after each status change's commit; the
    latest change wins whatever order the deliveries run in.

    Each learner declines one exam (cascading) while submitting another and creating a third.
    Whichever goes first, the submission wins on its exam (a submission may follow a decline,
    and the cascade skips a submitted attempt), and the credit records follow the statuses.
    """
    for round_ in range(ROUNDS):
        course = make_course(f"course-v1:Org+Cascade+Local{round_}")
        first, second, third, fourth = course.proctored
        for user_id in (learner.pk, other_learner.pk):
            start_attempt(first, user_id)
            start_attempt(second, user_id)

        calls: list[Callable[[], Any]] = []
        for user_id in (learner.pk, other_learner.pk):
            calls += [
                partial(api.update_attempt_status, first, user_id, "declined"),
                partial(api.update_attempt_status, second, user_id, "submitted"),
                partial(api.create_exam_attempt, third, user_id),
            ]
        outcomes = race(calls)

        assert unexpected_errors(outcomes, StudentExamAttemptAlreadyExistsException) == []
        assert [outcomes[i].error for i in (0, 1, 3, 4)] == [None] * 4
        for user_id in (learner.pk, other_learner.pk):
            expected = {
                first: "declined",
                second: "submitted",
                third: "declined",
                fourth: "declined",
            }
            for exam_id, status in expected.items():
                attempt = Attempt.objects.get(exam_id=exam_id, user_id=user_id)
                assert attempt.status == status
                rows = assert_history_replays(attempt)
                assert sum(row.to_status == status for row in rows) == 1
            outbox_deliver()
            recorded = dict(
                CreditRequirementStatus.objects.filter(
                    user_id=user_id, course_id=course.course_id
                ).values_list("req_name", "status")
            )
            assert recorded == {
                "exam-0": "failed",
                "exam-1": "submitted",
                "exam-2": "failed",
                "exam-3": "failed",
            }


# (d) ---------------------------------------------------------------------------------------


def test_a_mix_of_status_changes_on_one_attempt_stays_legal(learner, credit):
    moves = ["started", "submitted", "verified", "error"] * (THREADS // 4)
    for round_ in range(ROUNDS):
        exam_id = new_exam("course-v1:Org+Race+D", f"mixed-{round_}")
        attempt_id = start_attempt(exam_id, learner.pk)
        delivered(credit)
        mail.outbox.clear()
        before = AttemptHistory.objects.filter(attempt_id=attempt_id).count()

        outcomes = race(
            [partial(api.update_attempt_status, exam_id, learner.pk, move) for move in moves]
        )

        assert unexpected_errors(outcomes, ProctoredExamIllegalStatusTransition) == []
        for move, outcome in zip(moves, outcomes, strict=True):
            if outcome.error is None:
                assert outcome.value == attempt_id
            else:
                # Only a move back to incomplete or to error can be refused.
                assert move in {"started", "error"}, (move, outcome.error)
        attempt = Attempt.objects.get(pk=attempt_id)
        # Submissions and verdicts are always legal, and error cannot follow either of them.
        assert attempt.status in {"submitted", "verified"}
        raced = assert_history_replays(attempt)[before:]
        # Every change made one credit call and, for a status that needs one, one email (the
        # attempt is taken as proctored); refused and repeated moves made none.
        assert Counter(delivered(credit)) == expected_credit(raced)
        emails = [row for row in raced if row.to_status in EMAIL_STATUSES]
        assert len(mail.outbox) == len(emails) >= 1
        assert all(message.to == [learner.email] for message in mail.outbox)
