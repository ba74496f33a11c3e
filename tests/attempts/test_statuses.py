"""The attempt statuses: their properties (DESIGN.md 2.1) and which moves between them are legal.

The expectations here are written out by hand, independently of ``proctoring.attempts.statuses``,
so that a change to the status table shows up as a failing test.
"""

import itertools

import pytest

from proctoring import api
from proctoring.attempts import statuses
from proctoring.attempts.models import Attempt, AttemptHistory
from proctoring.attempts.statuses import AttemptStatus
from proctoring.exceptions import ProctoredExamIllegalStatusTransition
from proctoring.runtime import set_runtime_service
from tests.attempts import expected
from tests.conftest import committed

EXPECTED_INCOMPLETE = expected.INCOMPLETE
EXPECTED_COMPLETED = expected.COMPLETED
EXPECTED_CREDIT = expected.CREDIT
EXPECTED_EMAIL = expected.EMAIL
EXPECTED_CASCADES = expected.CASCADES
ALL_STATUSES = expected.ALL_STATUSES

PAIRS = list(itertools.product(ALL_STATUSES, ALL_STATUSES))
PAIR_IDS = [f"{a}->{b}" for a, b in PAIRS]


def expected_legal(from_status: str, to_status: str) -> bool:
    """The legality rule, restated: from a completed status there is no way back to an
    incomplete status, nor to ``error``; every other move is allowed."""
    return not expected.is_illegal(from_status, to_status)


# ---------------------------------------------------------------------------------------------
# The set of statuses and their properties
# ---------------------------------------------------------------------------------------------


def test_the_status_enumeration_holds_exactly_the_seventeen_statuses_of_the_design():
    """The enumeration names exactly the statuses of the DESIGN.md 2.1 table, no more."""
    assert sorted(s.value for s in AttemptStatus) == sorted(ALL_STATUSES)
    assert set(statuses.STATUS_TABLE) == set(AttemptStatus)


def test_the_hand_written_expectation_classifies_every_status_once_except_expired():
    """Sanity check of the expectation itself: each status is completed or incomplete, never
    both, and only ``expired`` is neither."""
    assert EXPECTED_COMPLETED.isdisjoint(EXPECTED_INCOMPLETE)
    assert set(ALL_STATUSES) - EXPECTED_COMPLETED - EXPECTED_INCOMPLETE == {
        "expired",
        "onboarding_reset",
    }


@pytest.mark.parametrize("status", ALL_STATUSES)
def test_each_status_is_completed_exactly_as_in_the_design_table(status):
    """``is_completed_status`` is true for the completed statuses of the table only."""
    assert statuses.is_completed_status(status) is (status in EXPECTED_COMPLETED)


@pytest.mark.parametrize("status", ALL_STATUSES)
def test_each_status_is_incomplete_exactly_as_in_the_design_table(status):
    """``is_incomplete_status`` is true for the five statuses before a hand-in only."""
    assert statuses.is_incomplete_status(status) is (status in EXPECTED_INCOMPLETE)


def test_expired_is_neither_completed_nor_incomplete():
    """``expired`` sits outside both groups, so it can be left and entered from anywhere."""
    assert not statuses.is_completed_status("expired")
    assert not statuses.is_incomplete_status("expired")
    assert "expired" not in statuses.COMPLETED_STATUSES
    assert "expired" not in statuses.INCOMPLETE_STATUSES


def test_the_completed_and_incomplete_sets_match_the_design_table():
    """The exported frozensets are the table's two columns."""
    assert {str(s) for s in statuses.COMPLETED_STATUSES} == EXPECTED_COMPLETED
    assert {str(s) for s in statuses.INCOMPLETE_STATUSES} == EXPECTED_INCOMPLETE


@pytest.mark.parametrize("status", ALL_STATUSES)
def test_each_status_maps_to_the_credit_requirement_status_of_the_design_table(status):
    """verified -> satisfied, submitted -> submitted, declined/rejected/error -> failed, and
    every other status sends no credit update at all."""
    assert statuses.credit_requirement_status(status) == EXPECTED_CREDIT.get(status)
    assert statuses.needs_credit_status_update(status) is (status in EXPECTED_CREDIT)


@pytest.mark.parametrize("status", ALL_STATUSES)
def test_only_submitted_verified_and_rejected_send_an_email(status):
    """The learner hears of a hand-in and of a review's verdict, nothing else."""
    assert statuses.needs_status_change_email(status) is (status in EXPECTED_EMAIL)


@pytest.mark.parametrize("status", ALL_STATUSES)
def test_only_declined_cascades_to_the_other_exams(status):
    """Declining is the one cascadable failure; rejected and error do not cascade."""
    assert statuses.is_a_cascadable_failure(status) is (status in EXPECTED_CASCADES)


@pytest.mark.parametrize("status", ALL_STATUSES)
def test_the_status_table_row_holds_the_same_properties(status):
    """Each row of ``STATUS_TABLE`` carries the table's five columns."""
    info = statuses.STATUS_TABLE[AttemptStatus(status)]
    assert info.completed is (status in EXPECTED_COMPLETED)
    assert info.incomplete is (status in EXPECTED_INCOMPLETE)
    assert info.credit_status == EXPECTED_CREDIT.get(status)
    assert info.email is (status in EXPECTED_EMAIL)
    assert info.cascades is (status in EXPECTED_CASCADES)


@pytest.mark.parametrize("status", ALL_STATUSES)
def test_parse_status_returns_the_member_named_by_its_value(status):
    """Every status name parses to its enumeration member."""
    assert statuses.parse_status(status) is AttemptStatus(status)


@pytest.mark.parametrize("bogus", ["", "bogus", "SUBMITTED", "Submitted", " submitted", "done"])
def test_an_unknown_name_has_no_status_and_no_property(bogus):
    """A string that names no status parses to None and has none of the properties."""
    assert statuses.parse_status(bogus) is None
    assert not statuses.is_completed_status(bogus)
    assert not statuses.is_incomplete_status(bogus)
    assert statuses.credit_requirement_status(bogus) is None
    assert not statuses.needs_credit_status_update(bogus)
    assert not statuses.needs_status_change_email(bogus)
    assert not statuses.is_a_cascadable_failure(bogus)


def test_every_status_has_a_human_readable_choice():
    """The model's choices list every status once, with a label."""
    values = [value for value, _label in statuses.CHOICES]
    assert sorted(values) == sorted(ALL_STATUSES)
    assert all(label for _value, label in statuses.CHOICES)


# ---------------------------------------------------------------------------------------------
# The legality matrix
# ---------------------------------------------------------------------------------------------


def test_the_matrix_has_exactly_two_kinds_of_illegal_moves():
    """Counting the expectation: 11 completed statuses times (5 incomplete + error) moves are
    illegal, the other 324 - 66 = 258 are legal."""
    illegal = [pair for pair in PAIRS if not expected_legal(*pair)]
    assert len(PAIRS) == 18 * 18
    assert len(illegal) == 11 * 6
    assert ("submitted", "created") in illegal
    assert ("error", "error") in illegal
    assert ("expired", "created") not in illegal
    assert ("started", "error") not in illegal


@pytest.mark.parametrize(("from_status", "to_status"), PAIRS, ids=PAIR_IDS)
def test_is_transition_legal_agrees_with_the_expected_matrix(from_status, to_status):
    """``is_transition_legal`` forbids completed -> incomplete and completed -> error only."""
    assert statuses.is_transition_legal(from_status, to_status) is expected_legal(
        from_status, to_status
    )


# ---------------------------------------------------------------------------------------------
# The matrix walked through api.update_attempt_status
# ---------------------------------------------------------------------------------------------


class RecordingCredit:
    """A credit service that records the calls it receives."""

    def __init__(self):
        self.calls = []

    def set_credit_requirement_status(self, **kwargs):
        self.calls.append(kwargs)

    def get_credit_state(self, user_id, course_key_or_id, return_course_name=False):
        return {"course_name": "Recorded Course"}


@pytest.fixture
def walk_settings(settings):
    """Time-outs kept as such, so the walk tests the legality rule alone."""
    settings.PROCTORING_SETTINGS = {"ALLOW_TIMED_OUT_STATE": True}
    settings.PROCTORING_BACKENDS = {"DEFAULT": "null", "null": {}}
    return settings


@pytest.mark.parametrize(("from_status", "to_status"), PAIRS, ids=PAIR_IDS)
def test_update_attempt_status_applies_legal_moves_and_refuses_illegal_ones_writing_nothing(
    walk_settings, exam, learner, from_status, to_status, django_capture_on_commit_callbacks
):
    """For every (from, to): a legal move stores ``to`` (with a history row when the status
    changes) and returns the attempt id; an illegal one raises
    ``ProctoredExamIllegalStatusTransition`` and changes no row, history, credit or email."""
    credit = RecordingCredit()
    set_runtime_service("credit", credit)
    attempt_id = api.create_exam_attempt(exam.pk, learner.pk, taking_as_proctored=True)
    Attempt.objects.filter(pk=attempt_id).update(status=from_status, external_id="session-1")
    before = Attempt.objects.get(pk=attempt_id)
    history_before = AttemptHistory.objects.filter(attempt_id=attempt_id).count()

    if expected_legal(from_status, to_status):
        with committed():  # credit follows the commit
            result = api.update_attempt_status(exam.pk, learner.pk, to_status)
        after = Attempt.objects.get(pk=attempt_id)
        assert result == attempt_id
        assert after.status == to_status
        rows = list(AttemptHistory.objects.filter(attempt_id=attempt_id).order_by("id"))
        if from_status == to_status:
            assert len(rows) == history_before
            assert after.modified == before.modified
            assert credit.calls == []
        else:
            assert len(rows) == history_before + 1
            assert (rows[-1].from_status, rows[-1].to_status) == (from_status, to_status)
            expected_calls = 1 if to_status in EXPECTED_CREDIT else 0
            assert len(credit.calls) == expected_calls
    else:
        with (
            django_capture_on_commit_callbacks() as callbacks,
            pytest.raises(ProctoredExamIllegalStatusTransition),
        ):
            api.update_attempt_status(exam.pk, learner.pk, to_status)
        after = Attempt.objects.get(pk=attempt_id)
        assert after.status == from_status
        assert after.modified == before.modified
        assert after.taking_as_proctored is True
        assert after.external_id == "session-1"
        assert after.started_at == before.started_at
        assert after.completed_at == before.completed_at
        assert AttemptHistory.objects.filter(attempt_id=attempt_id).count() == history_before
        assert credit.calls == []
        assert callbacks == []
