"""``proctoring.api.update_attempt_status`` rule by rule (DESIGN.md 2.1, rules 1-10), and the
functions that create and read attempts.

Each group of tests is named after the rule it pins down; every test would fail if its rule were
dropped from the service.
"""

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from proctoring import api
from proctoring.attempts.models import Attempt, AttemptHistory
from proctoring.attempts.transition import CAUSE_CASCADE
from proctoring.credit.models import CreditRequirementStatus
from proctoring.exceptions import (
    InvalidAttemptStatus,
    ProctoredExamIllegalStatusTransition,
    ProctoredExamNotFoundException,
    StudentExamAttemptAlreadyExistsException,
    StudentExamAttemptDoesNotExistsException,
    UserNotFoundException,
)
from proctoring.outbox.delivery import outbox_deliver
from proctoring.runtime import set_runtime_service
from tests.conftest import committed
from tests.factories import CourseFactory, ExamFactory, UserFactory

pytestmark = pytest.mark.django_db

COURSE_ID = "course-v1:edX+DemoX+Demo"


# ---------------------------------------------------------------------------------------------
# Helpers and fixtures
# ---------------------------------------------------------------------------------------------


class RecordingCredit:
    """A credit service that records every call; it has no batch method, so the service under
    test must call ``set_credit_requirement_status`` once per update."""

    def __init__(self, course_name="Recorded Course Name"):
        self.course_name = course_name
        self.calls = []
        self.state_calls = []

    def set_credit_requirement_status(self, *args, **kwargs):
        assert not args, "set_credit_requirement_status must be called with keywords"
        self.calls.append(kwargs)

    def remove_credit_requirement_status(self, *args, **kwargs):
        raise AssertionError("no credit requirement status should be removed")

    def get_credit_state(self, *args, **kwargs):
        self.state_calls.append((args, kwargs))
        return {"is_credit_course": True, "course_name": self.course_name}


class FailingCredit(RecordingCredit):
    """A credit service whose update fails."""

    def set_credit_requirement_status(self, *args, **kwargs):
        raise RuntimeError("credit service down")


class Clock:
    """A clock the tests move by hand."""

    def __init__(self):
        self.current = datetime(2030, 3, 1, 9, 0, tzinfo=UTC)

    def __call__(self):
        return self.current

    def advance(self, **delta):
        self.current += timedelta(**delta)
        return self.current


@pytest.fixture(autouse=True)
def _plain_proctoring_settings(settings):
    """No global proctoring settings and the null provider as default, whatever the env says."""
    settings.PROCTORING_SETTINGS = {}
    settings.PROCTORING_BACKENDS = {"DEFAULT": "null", "null": {}}
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def credit():
    fake = RecordingCredit()
    set_runtime_service("credit", fake)
    return fake


@pytest.fixture
def clock(monkeypatch):
    fake = Clock()
    monkeypatch.setattr(timezone, "now", fake)
    return fake


def make_attempt(exam, user, status=None, taking_as_proctored=True, **fields):
    """The learner's attempt on the exam, created through the API and put in ``status``."""
    attempt_id = api.create_exam_attempt(exam.pk, user.pk, taking_as_proctored=taking_as_proctored)
    changes = dict(fields)
    if status is not None:
        changes["status"] = status
    if changes:
        Attempt.objects.filter(pk=attempt_id).update(**changes)
    return Attempt.objects.get(pk=attempt_id)


def fresh(attempt):
    return Attempt.objects.get(pk=attempt.pk)


def history(attempt):
    return [
        (row.from_status, row.to_status)
        for row in AttemptHistory.objects.filter(attempt_id=attempt.pk).order_by("id")
    ]


def move(exam, user, *path, **kwargs):
    """Walk the attempt through ``path`` with the API; the last call's result."""
    result = None
    for status in path:
        result = api.update_attempt_status(exam.pk, user.pk, status, **kwargs)
    return result


# ---------------------------------------------------------------------------------------------
# Rule 1: the attempt (and its exam) must exist
# ---------------------------------------------------------------------------------------------


def test_updating_a_learner_without_an_attempt_raises_attempt_does_not_exist(exam, learner):
    """With no attempt on the exam, the update raises and creates nothing."""
    with pytest.raises(StudentExamAttemptDoesNotExistsException):
        api.update_attempt_status(exam.pk, learner.pk, "started")
    assert not Attempt.objects.exists()


def test_a_missing_attempt_returns_none_when_raise_if_not_found_is_false(exam, learner, credit):
    """``raise_if_not_found=False`` turns the error into a None result with no side effect."""
    assert api.update_attempt_status(exam.pk, learner.pk, "declined", raise_if_not_found=False) is (
        None
    )
    assert not Attempt.objects.exists()
    assert not AttemptHistory.objects.exists()
    assert credit.calls == []


def test_another_learners_attempt_is_not_the_learners_attempt(exam, learner, other_learner):
    """The attempt is looked up for this user on this exam only."""
    make_attempt(exam, other_learner)
    with pytest.raises(StudentExamAttemptDoesNotExistsException):
        api.update_attempt_status(exam.pk, learner.pk, "started")
    assert Attempt.objects.get().status == "created"


def test_an_attempt_on_another_exam_is_not_the_attempt_on_this_exam(course, exam, learner):
    """An attempt of the learner on a sibling exam does not satisfy the lookup."""
    sibling = ExamFactory(course=course, content_id="final")
    make_attempt(sibling, learner)
    with pytest.raises(StudentExamAttemptDoesNotExistsException):
        api.update_attempt_status(exam.pk, learner.pk, "started")


def test_an_archived_attempt_is_not_the_current_attempt(exam, learner):
    """Only the current (not archived) attempt can change status."""
    make_attempt(exam, learner, archived_at=datetime(2029, 1, 1, tzinfo=UTC))
    with pytest.raises(StudentExamAttemptDoesNotExistsException):
        api.update_attempt_status(exam.pk, learner.pk, "started")
    assert api.update_attempt_status(exam.pk, learner.pk, "started", False) is None


@pytest.mark.parametrize("unknown_user", [987654, "987654", "not-a-user", None, 0, -1])
def test_an_unknown_or_malformed_user_id_has_no_attempt(exam, learner, unknown_user):
    """A user id naming nobody raises attempt-does-not-exist, or returns None on request."""
    make_attempt(exam, learner)
    with pytest.raises(StudentExamAttemptDoesNotExistsException):
        api.update_attempt_status(exam.pk, unknown_user, "started")
    assert api.update_attempt_status(exam.pk, unknown_user, "started", False) is None
    assert Attempt.objects.get().status == "created"


@pytest.mark.parametrize("raise_if_not_found", [True, False])
@pytest.mark.parametrize("unknown_exam", [987654, "987654", "abc", None, 0, -5, 1.5])
def test_an_unknown_exam_raises_exam_not_found_even_when_not_raising_for_attempts(
    learner, unknown_exam, raise_if_not_found
):
    """An exam id naming no exam raises ``ProctoredExamNotFoundException`` whatever
    ``raise_if_not_found`` says (as the reference's ``get_exam_by_id`` does)."""
    with pytest.raises(ProctoredExamNotFoundException):
        api.update_attempt_status(
            unknown_exam, learner.pk, "started", raise_if_not_found=raise_if_not_found
        )


def test_the_exam_and_user_ids_may_be_given_as_digit_strings(exam, learner):
    """Ids arrive from URLs as strings; ``"12"`` names exam 12."""
    attempt = make_attempt(exam, learner)
    assert api.update_attempt_status(str(exam.pk), str(learner.pk), "started") == attempt.pk
    assert fresh(attempt).status == "started"


# ---------------------------------------------------------------------------------------------
# Rule 2: timed_out, and the provider settings that decide it
# ---------------------------------------------------------------------------------------------


def test_timed_out_is_kept_by_default_when_the_attempt_is_still_created(exam, learner):
    """Without any setting, an attempt that never started may time out."""
    attempt = make_attempt(exam, learner)
    api.update_attempt_status(exam.pk, learner.pk, "timed_out")
    assert fresh(attempt).status == "timed_out"
    assert history(attempt)[-1] == ("created", "timed_out")


@pytest.mark.parametrize(
    "from_status", ["download_software_clicked", "ready_to_start", "started", "ready_to_submit"]
)
def test_timed_out_becomes_submitted_by_default_once_the_attempt_left_created(
    django_capture_on_commit_callbacks, exam, learner, credit, clock, from_status
):
    """Without any setting, a time-out of a begun attempt counts as a hand-in: the attempt is
    submitted, gets its completion time, the history says submitted and credit hears
    ``submitted``."""
    attempt = make_attempt(exam, learner, status=from_status)
    with committed():
        assert api.update_attempt_status(exam.pk, learner.pk, "timed_out") == attempt.pk
    attempt = fresh(attempt)
    assert attempt.status == "submitted"
    assert attempt.completed_at == clock.current
    assert history(attempt)[-1] == (from_status, "submitted")
    assert [call["status"] for call in credit.calls] == ["submitted"]


def test_timed_out_on_an_already_submitted_attempt_is_a_no_op_by_default(exam, learner, credit):
    """The time-out becomes ``submitted``, which the attempt already is: nothing happens."""
    attempt = make_attempt(exam, learner, status="submitted")
    assert api.update_attempt_status(exam.pk, learner.pk, "timed_out") == attempt.pk
    assert fresh(attempt).status == "submitted"
    assert history(attempt) == [("", "created")]
    assert credit.calls == []


def test_global_allow_timed_out_state_true_keeps_timed_out_from_started(settings, exam, learner):
    """``PROCTORING_SETTINGS['ALLOW_TIMED_OUT_STATE'] = True`` lets a started attempt time out."""
    settings.PROCTORING_SETTINGS = {"ALLOW_TIMED_OUT_STATE": True}
    attempt = make_attempt(exam, learner, status="started")
    api.update_attempt_status(exam.pk, learner.pk, "timed_out")
    assert fresh(attempt).status == "timed_out"
    assert fresh(attempt).completed_at is None


def test_global_allow_timed_out_state_false_submits_even_a_created_attempt(settings, exam, learner):
    """``ALLOW_TIMED_OUT_STATE = False`` turns every time-out into a hand-in, from created too."""
    settings.PROCTORING_SETTINGS = {"ALLOW_TIMED_OUT_STATE": False}
    attempt = make_attempt(exam, learner)
    api.update_attempt_status(exam.pk, learner.pk, "timed_out")
    assert fresh(attempt).status == "submitted"


@pytest.mark.parametrize(
    ("global_allows", "provider_allows", "from_status", "expected"),
    [
        (False, True, "started", "timed_out"),
        (False, True, "created", "timed_out"),
        (True, False, "started", "submitted"),
        (True, False, "created", "submitted"),
    ],
)
def test_the_courses_provider_entry_overrides_the_global_setting(
    settings, learner, global_allows, provider_allows, from_status, expected
):
    """The provider named by the course's ``provider`` field has the last word on
    ``ALLOW_TIMED_OUT_STATE``, against the global ``PROCTORING_SETTINGS``."""
    settings.PROCTORING_SETTINGS = {"ALLOW_TIMED_OUT_STATE": global_allows}
    settings.PROCTORING_BACKENDS = {
        "DEFAULT": "null",
        "null": {"ALLOW_TIMED_OUT_STATE": global_allows},
        "vendor": {"ALLOW_TIMED_OUT_STATE": provider_allows},
    }
    course = CourseFactory(course_id="course-v1:Org+Vendor+Run", provider="vendor")
    exam = ExamFactory(course=course)
    attempt = make_attempt(exam, learner, status=from_status)
    api.update_attempt_status(exam.pk, learner.pk, "timed_out")
    assert fresh(attempt).status == expected


@pytest.mark.parametrize(
    ("default_allows", "from_status", "expected"),
    [(True, "started", "timed_out"), (False, "created", "submitted")],
)
def test_a_course_without_provider_uses_the_default_providers_entry(
    settings, learner, default_allows, from_status, expected
):
    """When the course names no provider, ``PROCTORING_BACKENDS['DEFAULT']`` names the
    provider whose entry overrides the global setting."""
    settings.PROCTORING_SETTINGS = {"ALLOW_TIMED_OUT_STATE": not default_allows}
    settings.PROCTORING_BACKENDS = {
        "DEFAULT": "vendor",
        "null": {"ALLOW_TIMED_OUT_STATE": not default_allows},
        "vendor": {"ALLOW_TIMED_OUT_STATE": default_allows},
    }
    course = CourseFactory(course_id="course-v1:Org+NoProvider+Run", provider="")
    exam = ExamFactory(course=course)
    attempt = make_attempt(exam, learner, status=from_status)
    api.update_attempt_status(exam.pk, learner.pk, "timed_out")
    assert fresh(attempt).status == expected


def test_a_provider_entry_without_the_key_leaves_the_global_setting_in_force(settings, learner):
    """The provider's entry overrides key by key: without the key, the global value counts."""
    settings.PROCTORING_SETTINGS = {"ALLOW_TIMED_OUT_STATE": True}
    settings.PROCTORING_BACKENDS = {"DEFAULT": "null", "null": {}, "vendor": {"OTHER": 1}}
    course = CourseFactory(course_id="course-v1:Org+Keyless+Run", provider="vendor")
    exam = ExamFactory(course=course)
    attempt = make_attempt(exam, learner, status="started")
    api.update_attempt_status(exam.pk, learner.pk, "timed_out")
    assert fresh(attempt).status == "timed_out"


def test_another_providers_entry_does_not_apply_to_the_course(settings, learner):
    """Only the course's own provider's entry counts, not any other provider's entry."""
    settings.PROCTORING_BACKENDS = {
        "DEFAULT": "null",
        "null": {},
        "vendor": {"ALLOW_TIMED_OUT_STATE": True},
    }
    course = CourseFactory(course_id="course-v1:Org+Null+Run", provider="null")
    exam = ExamFactory(course=course, backend="vendor")
    attempt = make_attempt(exam, learner, status="started")
    api.update_attempt_status(exam.pk, learner.pk, "timed_out")
    # Neither the other provider's entry nor the exam's ``backend`` field decides.
    assert fresh(attempt).status == "submitted"


# ---------------------------------------------------------------------------------------------
# Rule 3: illegal moves
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("from_status", "to_status"),
    [
        ("submitted", "started"),
        ("verified", "created"),
        ("declined", "ready_to_start"),
        ("rejected", "download_software_clicked"),
        ("timed_out", "ready_to_submit"),
        ("onboarding_failed", "started"),
        ("submitted", "error"),
        ("verified", "error"),
        ("second_review_required", "error"),
        ("error", "error"),
        ("error", "started"),
    ],
)
def test_a_move_back_from_a_completed_status_raises_and_writes_nothing(
    exam, learner, credit, clock, django_capture_on_commit_callbacks, from_status, to_status
):
    """Completed -> incomplete and completed -> error raise
    ``ProctoredExamIllegalStatusTransition``; the attempt, its history, credit and email are
    left alone."""
    attempt = make_attempt(exam, learner, status=from_status)
    before = fresh(attempt)
    clock.advance(minutes=5)
    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(ProctoredExamIllegalStatusTransition, match=from_status),
    ):
        api.update_attempt_status(exam.pk, learner.pk, to_status)
    after = fresh(attempt)
    assert after.status == from_status
    assert after.modified == before.modified
    assert (after.started_at, after.completed_at) == (before.started_at, before.completed_at)
    assert history(attempt) == [("", "created")]
    assert credit.calls == []
    assert callbacks == []


@pytest.mark.parametrize(
    ("from_status", "to_status"),
    [
        ("expired", "started"),
        ("expired", "created"),
        ("expired", "error"),
        ("submitted", "expired"),
        ("started", "error"),
        ("rejected", "verified"),
        ("verified", "rejected"),
        ("error", "declined"),
        ("submitted", "second_review_required"),
    ],
)
def test_moves_the_rule_does_not_forbid_are_applied(exam, learner, from_status, to_status):
    """Moves out of ``expired``, into ``expired``, between completed statuses and from an
    incomplete status to error all go through."""
    attempt = make_attempt(exam, learner, status=from_status)
    assert api.update_attempt_status(exam.pk, learner.pk, to_status) == attempt.pk
    assert fresh(attempt).status == to_status


# ---------------------------------------------------------------------------------------------
# Rule 4: the same status again is a no-op
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "status", ["created", "started", "submitted", "verified", "rejected", "declined", "expired"]
)
def test_moving_to_the_current_status_changes_nothing_and_returns_the_id(
    exam, learner, credit, clock, django_capture_on_commit_callbacks, status
):
    """No history row, no credit call, no email, no new ``modified``; the attempt id back."""
    attempt = make_attempt(exam, learner, status=status, external_id="session-1")
    before = fresh(attempt)
    clock.advance(hours=1)
    with committed() as callbacks:
        assert api.update_attempt_status(exam.pk, learner.pk, status) == attempt.pk
    after = fresh(attempt)
    assert after.status == status
    assert after.modified == before.modified
    assert (after.started_at, after.completed_at) == (before.started_at, before.completed_at)
    assert (after.taking_as_proctored, after.external_id) == (True, "session-1")
    assert history(attempt) == [("", "created")]
    assert credit.calls == []
    assert callbacks == []
    assert mail.outbox == []


def test_declining_an_already_declined_attempt_does_not_cascade(course, exam, learner):
    """The no-op comes before the cascade: the other exams stay untouched."""
    other = ExamFactory(course=course, content_id="final")
    make_attempt(exam, learner, status="declined")
    api.update_attempt_status(exam.pk, learner.pk, "declined")
    assert not Attempt.objects.filter(exam=other).exists()


# ---------------------------------------------------------------------------------------------
# Rule 5: the status is saved and the history records the change
# ---------------------------------------------------------------------------------------------


def test_the_new_status_is_saved_and_modified_moves(exam, learner, clock):
    """The row holds the new status and its ``modified`` is the moment of the change."""
    attempt = make_attempt(exam, learner)
    moment = clock.advance(minutes=3)
    api.update_attempt_status(exam.pk, learner.pk, "ready_to_start")
    attempt = fresh(attempt)
    assert attempt.status == "ready_to_start"
    assert attempt.modified == moment


def test_each_change_writes_one_history_row_with_from_to_actor_and_cause(
    exam, learner, other_learner, clock
):
    """The row says from which status, to which, when, who acted and why."""
    attempt = make_attempt(exam, learner)
    moment = clock.advance(minutes=7)
    api.update_attempt_status(
        exam.pk, learner.pk, "started", actor_id=other_learner.pk, cause="learner started"
    )
    row = AttemptHistory.objects.filter(attempt_id=attempt.pk).order_by("id").last()
    assert (row.from_status, row.to_status) == ("created", "started")
    assert row.actor_id == other_learner.pk
    assert row.cause == "learner started"
    assert row.changed_at == moment


def test_a_change_without_actor_or_cause_records_neither(exam, learner):
    """The default actor is nobody and the default cause is empty."""
    attempt = make_attempt(exam, learner)
    api.update_attempt_status(exam.pk, learner.pk, "started")
    row = AttemptHistory.objects.filter(attempt_id=attempt.pk).order_by("id").last()
    assert (row.actor_id, row.cause) == (None, "")


def test_the_history_replays_to_the_current_status(exam, learner):
    """Read in order, every row starts where the previous one ended, from the creation to
    the status the attempt holds now."""
    attempt = make_attempt(exam, learner)
    move(
        exam,
        learner,
        "download_software_clicked",
        "ready_to_start",
        "started",
        "started",
        "ready_to_submit",
        "submitted",
        "second_review_required",
        "verified",
    )
    rows = history(attempt)
    assert rows == [
        ("", "created"),
        ("created", "download_software_clicked"),
        ("download_software_clicked", "ready_to_start"),
        ("ready_to_start", "started"),
        ("started", "ready_to_submit"),
        ("ready_to_submit", "submitted"),
        ("submitted", "second_review_required"),
        ("second_review_required", "verified"),
    ]
    state = ""
    for from_status, to_status in rows:
        assert from_status == state
        state = to_status
    assert state == fresh(attempt).status


# ---------------------------------------------------------------------------------------------
# Rule 6: credit
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("from_status", "to_status", "requirement_status"),
    [
        ("started", "submitted", "submitted"),
        ("submitted", "verified", "satisfied"),
        ("second_review_required", "verified", "satisfied"),
        ("submitted", "rejected", "failed"),
        ("created", "declined", "failed"),
        ("started", "error", "failed"),
    ],
)
def test_credit_statuses_call_the_credit_service_once_with_the_exact_arguments(
    django_capture_on_commit_callbacks,
    exam,
    learner,
    credit,
    from_status,
    to_status,
    requirement_status,
):
    """The credit service gets ``set_credit_requirement_status(user_id=...,
    course_key_or_id=course id, req_namespace='proctored_exam', req_name=content id,
    status=...)`` with verified -> satisfied, submitted -> submitted, others -> failed."""
    make_attempt(exam, learner, status=from_status)
    with committed():
        api.update_attempt_status(exam.pk, learner.pk, to_status)
    assert credit.calls == [
        {
            "user_id": learner.pk,
            "course_key_or_id": COURSE_ID,
            "req_namespace": "proctored_exam",
            "req_name": "midterm",
            "status": requirement_status,
        }
    ]


@pytest.mark.parametrize(
    ("from_status", "to_status"),
    [
        ("created", "download_software_clicked"),
        ("created", "ready_to_start"),
        ("created", "started"),
        ("started", "ready_to_submit"),
        ("submitted", "second_review_required"),
        ("created", "timed_out"),
        ("started", "expired"),
        ("created", "onboarding_missing"),
        ("created", "onboarding_pending"),
        ("created", "onboarding_failed"),
        ("created", "onboarding_expired"),
    ],
)
def test_statuses_without_credit_meaning_do_not_call_the_credit_service(
    exam, learner, credit, from_status, to_status
):
    """Only declined, submitted, verified, rejected and error reach the credit service."""
    attempt = make_attempt(exam, learner, status=from_status)
    api.update_attempt_status(exam.pk, learner.pk, to_status)
    assert fresh(attempt).status == to_status
    assert credit.calls == []


def test_the_local_credit_service_records_the_requirement_status(
    django_capture_on_commit_callbacks, exam, learner
):
    """With no credit service installed, the local default keeps one row per requirement and
    updates it as the attempt moves on."""
    make_attempt(exam, learner, status="started")
    with committed():
        api.update_attempt_status(exam.pk, learner.pk, "submitted")
    row = CreditRequirementStatus.objects.get()
    assert (row.user_id, row.course_id, row.req_namespace, row.req_name, row.status) == (
        learner.pk,
        COURSE_ID,
        "proctored_exam",
        "midterm",
        "submitted",
    )
    with committed():
        api.update_attempt_status(exam.pk, learner.pk, "verified")
    assert list(CreditRequirementStatus.objects.values_list("req_name", "status")) == [
        ("midterm", "satisfied")
    ]


def test_the_local_credit_service_records_failed_for_a_rejection(
    django_capture_on_commit_callbacks, exam, learner
):
    """A rejection reports the requirement as failed."""
    make_attempt(exam, learner, status="submitted")
    with committed():
        api.update_attempt_status(exam.pk, learner.pk, "rejected")
    assert CreditRequirementStatus.objects.get().status == "failed"


def test_a_failing_credit_service_does_not_undo_the_committed_change(
    exam, learner, caplog, django_capture_on_commit_callbacks
):
    """Credit is told after the commit (no external call inside a status transaction): when
    the credit service fails, the change and its history stay, and the failure is logged."""
    set_runtime_service("credit", FailingCredit())
    attempt = make_attempt(exam, learner, status="started")
    with committed():
        assert api.update_attempt_status(exam.pk, learner.pk, "submitted") == attempt.pk
    attempt = fresh(attempt)
    assert attempt.status == "submitted"
    assert history(attempt) == [("", "created"), ("started", "submitted")]
    assert "The credit consumer failed" in caplog.text


def test_no_credit_update_leaves_inside_the_status_transaction(
    exam, learner, credit, django_capture_on_commit_callbacks
):
    """The credit service hears of a change only once its transaction commits, from the
    outbox."""
    make_attempt(exam, learner, status="started")
    with django_capture_on_commit_callbacks(execute=False):
        api.update_attempt_status(exam.pk, learner.pk, "submitted")
    assert credit.calls == []
    outbox_deliver()
    assert [call["status"] for call in credit.calls] == ["submitted"]


# ---------------------------------------------------------------------------------------------
# Rule 7: the cascade of a decline
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def course_exams(course, exam):
    """The exams of the demo course besides ``exam``, and one exam of another course."""
    other_course = CourseFactory(course_id="course-v1:edX+Other+Run", display_name="Other")
    return {
        "untaken": ExamFactory(course=course, content_id="untaken"),
        "started": ExamFactory(course=course, content_id="started"),
        "expired": ExamFactory(course=course, content_id="expired"),
        "submitted": ExamFactory(course=course, content_id="submitted"),
        "verified": ExamFactory(course=course, content_id="verified"),
        "practice": ExamFactory(course=course, content_id="practice", is_practice_exam=True),
        "inactive": ExamFactory(course=course, content_id="inactive", is_active=False),
        "timed": ExamFactory(course=course, content_id="timed", is_proctored=False),
        "other_course": ExamFactory(course=other_course, content_id="midterm"),
        "other_course_final": ExamFactory(course=other_course, content_id="final"),
    }


@pytest.fixture
def cascade_scene(exam, learner, other_learner, course_exams):
    """The learner is about to decline ``exam``; some other exams already have attempts."""
    own = make_attempt(exam, learner, status="started", external_id="session-own")
    others = {
        "started": make_attempt(
            course_exams["started"], learner, status="started", external_id="session-2"
        ),
        "expired": make_attempt(course_exams["expired"], learner, status="expired"),
        "submitted": make_attempt(course_exams["submitted"], learner, status="submitted"),
        "verified": make_attempt(course_exams["verified"], learner, status="verified"),
        "practice": make_attempt(course_exams["practice"], learner, status="started"),
        "inactive": make_attempt(course_exams["inactive"], learner, status="started"),
        "timed": make_attempt(course_exams["timed"], learner, status="started"),
        "other_course": make_attempt(course_exams["other_course"], learner, status="started"),
        "other_course_final": make_attempt(
            course_exams["other_course_final"], learner, status="created"
        ),
        "other_learner": make_attempt(course_exams["started"], other_learner, status="started"),
    }
    return own, others


def test_declining_declines_the_learners_other_proctored_exams_of_the_course(
    exam, learner, course_exams, cascade_scene
):
    """Every other active, proctored, non-practice exam of the course ends declined."""
    own, others = cascade_scene
    api.update_attempt_status(exam.pk, learner.pk, "declined")
    assert fresh(own).status == "declined"
    assert fresh(others["started"]).status == "declined"
    assert fresh(others["expired"]).status == "declined"
    untaken = Attempt.objects.get(exam=course_exams["untaken"], user=learner)
    assert untaken.status == "declined"


def test_the_cascade_creates_a_non_proctored_attempt_where_none_exists(
    exam, learner, course_exams, cascade_scene
):
    """An exam the learner never opened gets a new attempt, not taken as proctored, whose
    history shows its creation then its decline."""
    api.update_attempt_status(exam.pk, learner.pk, "declined")
    created = Attempt.objects.get(exam=course_exams["untaken"], user=learner)
    assert created.taking_as_proctored is False
    assert created.is_sample_attempt is False
    assert created.attempt_number == 1
    assert created.archived_at is None
    assert len(created.attempt_code) >= 32
    assert history(created) == [("", "created"), ("created", "declined")]


def test_the_cascade_leaves_completed_attempts_alone(exam, learner, cascade_scene):
    """Already submitted or verified attempts keep their status and history."""
    _own, others = cascade_scene
    api.update_attempt_status(exam.pk, learner.pk, "declined")
    assert fresh(others["submitted"]).status == "submitted"
    assert fresh(others["verified"]).status == "verified"
    assert history(others["submitted"]) == [("", "created")]
    assert history(others["verified"]) == [("", "created")]


def test_the_cascade_spares_practice_inactive_and_timed_exams(
    exam, learner, course_exams, cascade_scene
):
    """Practice, inactive and timed exams are outside the cascade, with or without attempt."""
    _own, others = cascade_scene
    api.update_attempt_status(exam.pk, learner.pk, "declined")
    for name in ("practice", "inactive", "timed"):
        assert fresh(others[name]).status == "started", name
        assert Attempt.objects.filter(exam=course_exams[name], user=learner).count() == 1


def test_the_cascade_spares_exams_without_attempt_that_are_not_in_its_scope(exam, learner, course):
    """No attempt is created on practice, inactive, timed exams or another course's exams."""
    spared = [
        ExamFactory(course=course, content_id="p", is_practice_exam=True),
        ExamFactory(course=course, content_id="i", is_active=False),
        ExamFactory(course=course, content_id="t", is_proctored=False),
        ExamFactory(course=CourseFactory(course_id="course-v1:X+Y+Z"), content_id="midterm"),
        ExamFactory(course=CourseFactory(course_id="course-v1:X+Y+Z"), content_id="final"),
    ]
    make_attempt(exam, learner)
    api.update_attempt_status(exam.pk, learner.pk, "declined")
    assert not Attempt.objects.filter(exam__in=spared).exists()


def test_the_cascade_spares_other_courses_and_other_learners(exam, learner, cascade_scene):
    """The same content id in another course, and another learner's attempts, are untouched."""
    _own, others = cascade_scene
    api.update_attempt_status(exam.pk, learner.pk, "declined")
    assert fresh(others["other_course"]).status == "started"
    assert fresh(others["other_course_final"]).status == "created"
    assert fresh(others["other_learner"]).status == "started"
    assert Attempt.objects.filter(user=others["other_learner"].user).count() == 1


def test_a_cascading_decline_clears_taking_as_proctored_and_external_id_of_its_attempt(
    exam, learner, cascade_scene
):
    """The declined attempt is no longer proctored and forgets its provider session."""
    own, _others = cascade_scene
    api.update_attempt_status(exam.pk, learner.pk, "declined")
    own = fresh(own)
    assert own.taking_as_proctored is False
    assert own.external_id is None


def test_cascaded_attempts_keep_their_taking_as_proctored_and_external_id(
    exam, learner, cascade_scene
):
    """Attempts declined by the cascade are declined with ``cascade_effects=False``, which
    clears nothing."""
    _own, others = cascade_scene
    api.update_attempt_status(exam.pk, learner.pk, "declined")
    cascaded = fresh(others["started"])
    assert cascaded.status == "declined"
    assert cascaded.taking_as_proctored is True
    assert cascaded.external_id == "session-2"


def test_a_decline_without_cascade_effects_declines_only_its_attempt_and_clears_nothing(
    django_capture_on_commit_callbacks, exam, learner, course_exams, cascade_scene, credit
):
    """``cascade_effects=False`` declines the one attempt: no other attempt moves or is
    created, and its own proctoring fields stay."""
    own, others = cascade_scene
    with committed():
        api.update_attempt_status(exam.pk, learner.pk, "declined", cascade_effects=False)
    own = fresh(own)
    assert own.status == "declined"
    assert (own.taking_as_proctored, own.external_id) == (True, "session-own")
    assert fresh(others["started"]).status == "started"
    assert fresh(others["expired"]).status == "expired"
    assert not Attempt.objects.filter(exam=course_exams["untaken"]).exists()
    assert [call["req_name"] for call in credit.calls] == ["midterm"]


def test_a_rejection_does_not_cascade(
    django_capture_on_commit_callbacks, exam, learner, course_exams, cascade_scene, credit
):
    """Only declines cascade: a rejected review leaves the other exams and the attempt's
    proctoring fields as they were."""
    own, others = cascade_scene
    Attempt.objects.filter(pk=own.pk).update(status="submitted")
    with committed():
        api.update_attempt_status(exam.pk, learner.pk, "rejected")
    own = fresh(own)
    assert own.status == "rejected"
    assert (own.taking_as_proctored, own.external_id) == (True, "session-own")
    assert fresh(others["started"]).status == "started"
    assert not Attempt.objects.filter(exam=course_exams["untaken"]).exists()
    assert [call["req_name"] for call in credit.calls] == ["midterm"]


@pytest.mark.parametrize("status", ["error", "timed_out", "submitted", "expired"])
def test_other_failures_do_not_cascade(exam, learner, course_exams, cascade_scene, status):
    """Error, time-out, hand-in and expiry stay on their own attempt."""
    _own, others = cascade_scene
    api.update_attempt_status(exam.pk, learner.pk, status)
    assert fresh(others["started"]).status == "started"
    assert not Attempt.objects.filter(exam=course_exams["untaken"]).exists()


def test_the_cascade_reports_failed_credit_for_every_declined_exam_only(
    django_capture_on_commit_callbacks, exam, learner, cascade_scene, credit
):
    """Each attempt declined (the learner's own and the cascaded ones) reports ``failed`` to
    credit; the spared exams report nothing."""
    with committed():
        api.update_attempt_status(exam.pk, learner.pk, "declined")
    assert sorted(
        (call["req_name"], call["status"], call["user_id"], call["course_key_or_id"])
        for call in credit.calls
    ) == [
        ("expired", "failed", learner.pk, COURSE_ID),
        ("midterm", "failed", learner.pk, COURSE_ID),
        ("started", "failed", learner.pk, COURSE_ID),
        ("untaken", "failed", learner.pk, COURSE_ID),
    ]
    assert all(call["req_namespace"] == "proctored_exam" for call in credit.calls)


def test_the_cascade_writes_failed_rows_with_the_local_credit_service(
    django_capture_on_commit_callbacks, exam, learner, cascade_scene
):
    """The local default credit service records the cascaded failures too."""
    with committed():
        api.update_attempt_status(exam.pk, learner.pk, "declined")
    assert sorted(
        CreditRequirementStatus.objects.filter(user=learner).values_list("req_name", "status")
    ) == [
        ("expired", "failed"),
        ("midterm", "failed"),
        ("started", "failed"),
        ("untaken", "failed"),
    ]


def test_the_cascade_history_names_the_cascade_and_the_actor(
    exam, learner, other_learner, cascade_scene, clock
):
    """Cascaded rows record the decline, the same actor and moment, and the cascade cause."""
    _own, others = cascade_scene
    moment = clock.advance(minutes=1)
    api.update_attempt_status(
        exam.pk, learner.pk, "declined", actor_id=other_learner.pk, cause="learner declined"
    )
    own_row = AttemptHistory.objects.filter(attempt__exam=exam).order_by("id").last()
    assert (own_row.to_status, own_row.cause) == ("declined", "learner declined")
    row = AttemptHistory.objects.filter(attempt_id=others["expired"].pk).order_by("id").last()
    assert (row.from_status, row.to_status) == ("expired", "declined")
    assert (row.actor_id, row.cause, row.changed_at) == (other_learner.pk, CAUSE_CASCADE, moment)
    created = Attempt.objects.get(exam__content_id="untaken", user=learner)
    assert [
        (r.from_status, r.to_status, r.actor_id, r.cause, r.changed_at)
        for r in AttemptHistory.objects.filter(attempt=created).order_by("id")
    ] == [
        ("", "created", other_learner.pk, CAUSE_CASCADE, moment),
        ("created", "declined", other_learner.pk, CAUSE_CASCADE, moment),
    ]


def test_declining_a_practice_exam_also_cascades_to_the_real_proctored_exams(
    course, learner, course_exams
):
    """As in the reference, any decline cascades, even from a practice exam."""
    make_attempt(course_exams["practice"], learner)
    api.update_attempt_status(course_exams["practice"].pk, learner.pk, "declined")
    assert Attempt.objects.get(exam=course_exams["untaken"], user=learner).status == "declined"
    assert not Attempt.objects.filter(exam=course_exams["inactive"]).exists()


def test_the_cascade_gives_an_archived_exam_a_new_attempt_with_the_next_number(
    course, exam, learner
):
    """A reset (archived) attempt is not current: the cascade creates attempt number 2 and
    leaves the archived one as it was."""
    other = ExamFactory(course=course, content_id="final")
    archived = make_attempt(
        other, learner, status="started", archived_at=datetime(2029, 1, 1, tzinfo=UTC)
    )
    make_attempt(exam, learner)
    api.update_attempt_status(exam.pk, learner.pk, "declined")
    assert fresh(archived).status == "started"
    current = Attempt.objects.get(exam=other, user=learner, archived_at__isnull=True)
    assert (current.attempt_number, current.status) == (2, "declined")


def test_the_cascade_sends_no_email(
    exam, learner, cascade_scene, django_capture_on_commit_callbacks
):
    """Declines, cascaded or not, do not write to the learner."""
    with committed():
        api.update_attempt_status(exam.pk, learner.pk, "declined")
    assert mail.outbox == []


# ---------------------------------------------------------------------------------------------
# Rule 8: timestamps
# ---------------------------------------------------------------------------------------------


def test_submitting_sets_completed_at_each_time_the_status_is_entered(exam, learner, clock):
    """``completed_at`` is the moment of the latest move into ``submitted``."""
    attempt = make_attempt(exam, learner, status="started")
    first = clock.advance(minutes=30)
    api.update_attempt_status(exam.pk, learner.pk, "submitted")
    assert fresh(attempt).completed_at == first
    clock.advance(minutes=10)
    api.update_attempt_status(exam.pk, learner.pk, "second_review_required")
    assert fresh(attempt).completed_at == first
    second = clock.advance(minutes=10)
    api.update_attempt_status(exam.pk, learner.pk, "submitted")
    assert fresh(attempt).completed_at == second


@pytest.mark.parametrize("status", ["verified", "rejected", "declined", "error", "timed_out"])
def test_other_completed_statuses_do_not_set_completed_at(exam, learner, status):
    """Only ``submitted`` stamps the completion time."""
    attempt = make_attempt(exam, learner, status="started")
    if status == "timed_out":
        Attempt.objects.filter(pk=attempt.pk).update(status="created")
    api.update_attempt_status(exam.pk, learner.pk, status)
    attempt = fresh(attempt)
    assert attempt.status == status
    assert attempt.completed_at is None


def test_the_first_start_sets_started_at_and_a_later_start_does_not_move_it(exam, learner, clock):
    """``started_at`` is the moment of the first move into ``started``."""
    attempt = make_attempt(exam, learner)
    assert attempt.started_at is None
    clock.advance(minutes=1)
    api.update_attempt_status(exam.pk, learner.pk, "ready_to_start")
    assert fresh(attempt).started_at is None
    first = clock.advance(minutes=1)
    api.update_attempt_status(exam.pk, learner.pk, "started")
    assert fresh(attempt).started_at == first
    clock.advance(minutes=20)
    api.update_attempt_status(exam.pk, learner.pk, "ready_to_submit")
    clock.advance(minutes=1)
    api.update_attempt_status(exam.pk, learner.pk, "started")
    attempt = fresh(attempt)
    assert attempt.status == "started"
    assert attempt.started_at == first
    assert attempt.completed_at is None


# ---------------------------------------------------------------------------------------------
# Rule 9: the status email
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("from_status", "to_status", "subject_part"),
    [
        ("started", "submitted", "review in progress"),
        ("submitted", "verified", "passed"),
        ("submitted", "rejected", "not passed"),
    ],
)
def test_submitted_verified_and_rejected_email_the_proctored_learner(
    exam, learner, django_capture_on_commit_callbacks, from_status, to_status, subject_part
):
    """One email to the learner, naming the exam and the course's display name."""
    make_attempt(exam, learner, status=from_status)
    with committed():
        api.update_attempt_status(exam.pk, learner.pk, to_status)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["alice@example.org"]
    assert "Midterm" in message.subject
    assert subject_part in message.subject
    assert "Midterm" in message.body
    assert "Demo Course" in message.body
    html = message.alternatives[0][0]
    assert "Midterm" in html
    assert "Demo Course" in html


def test_a_timed_out_attempt_counted_as_submitted_emails_the_learner(
    exam, learner, django_capture_on_commit_callbacks
):
    """The email follows the status actually stored."""
    make_attempt(exam, learner, status="started")
    with committed():
        api.update_attempt_status(exam.pk, learner.pk, "timed_out")
    assert len(mail.outbox) == 1
    assert "review in progress" in mail.outbox[0].subject


@pytest.mark.parametrize(
    ("from_status", "to_status"),
    [
        ("created", "started"),
        ("started", "ready_to_submit"),
        ("started", "declined"),
        ("started", "error"),
        ("submitted", "second_review_required"),
        ("created", "timed_out"),
        ("started", "expired"),
        ("created", "onboarding_failed"),
    ],
)
def test_other_statuses_send_no_email(
    exam, learner, django_capture_on_commit_callbacks, from_status, to_status
):
    """Only submitted, verified and rejected write to the learner."""
    make_attempt(exam, learner, status=from_status)
    with committed():
        api.update_attempt_status(exam.pk, learner.pk, to_status)
    assert mail.outbox == []


def test_an_attempt_not_taken_as_proctored_gets_no_email(
    exam, learner, django_capture_on_commit_callbacks
):
    """A learner who took the exam without proctoring hears nothing of the review."""
    make_attempt(exam, learner, status="started", taking_as_proctored=False)
    with committed():
        move(exam, learner, "submitted", "verified")
    assert mail.outbox == []


def test_a_practice_exam_attempt_gets_no_email(course, learner, django_capture_on_commit_callbacks):
    """Sample attempts (practice exams) never email, proctored or not."""
    practice = ExamFactory(course=course, content_id="practice", is_practice_exam=True)
    attempt = make_attempt(practice, learner, status="started")
    assert attempt.is_sample_attempt is True
    with committed():
        move(practice, learner, "submitted", "verified")
    assert fresh(attempt).status == "verified"
    assert mail.outbox == []


def test_the_email_waits_for_the_commit(exam, learner, django_capture_on_commit_callbacks):
    """Nothing is sent inside the transaction; the email leaves once it commits, from the
    outbox."""
    make_attempt(exam, learner, status="started")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        api.update_attempt_status(exam.pk, learner.pk, "submitted")
    assert mail.outbox == []
    assert len(callbacks) == 1
    callbacks[0]()
    outbox_deliver()
    assert len(mail.outbox) == 1


def test_no_email_is_sent_when_the_transaction_rolls_back(
    exam, learner, django_capture_on_commit_callbacks
):
    """A change rolled back by the caller leaves no email behind, and no status change."""
    attempt = make_attempt(exam, learner, status="started")
    with (
        committed() as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        api.update_attempt_status(exam.pk, learner.pk, "submitted")
        raise RuntimeError("caller fails after the update")
    assert callbacks == []
    assert mail.outbox == []
    assert fresh(attempt).status == "started"


def test_the_course_name_comes_from_the_credit_services_credit_state(
    exam, learner, credit, django_capture_on_commit_callbacks
):
    """The email asks ``get_credit_state(user_id, course_id, return_course_name=True)`` and
    uses the name it returns."""
    credit.course_name = "Advanced Proctoring 101"
    make_attempt(exam, learner, status="started")
    with committed():
        api.update_attempt_status(exam.pk, learner.pk, "submitted")
    assert len(credit.state_calls) == 1
    args, kwargs = credit.state_calls[0]
    named = dict(zip(("user_id", "course_key_or_id"), args, strict=False)) | kwargs
    assert named.get("user_id") == learner.pk
    assert named.get("course_key_or_id", named.get("course_id")) == COURSE_ID
    assert named.get("return_course_name") is True
    assert "Advanced Proctoring 101" in mail.outbox[0].body
    assert "Demo Course" not in mail.outbox[0].body


def test_a_template_override_changes_the_email_text(
    settings, tmp_path, exam, learner, django_capture_on_commit_callbacks
):
    """Templates in ``TEMPLATES[0]['DIRS']`` win over the built-in ones."""
    folder = tmp_path / "proctoring" / "emails"
    folder.mkdir(parents=True)
    (folder / "status_subject.txt").write_text("Custom news about {{ exam_name }}\n")
    (folder / "status_body.txt").write_text(
        "Custom body: {{ exam_name }} of {{ course_name }} is {{ status }}.\n"
    )
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [str(tmp_path)]}]
    make_attempt(exam, learner, status="started")
    with committed():
        api.update_attempt_status(exam.pk, learner.pk, "submitted")
    message = mail.outbox[0]
    assert message.subject == "Custom news about Midterm"
    assert message.body == "Custom body: Midterm of Demo Course is submitted.\n"


def test_a_learner_without_an_email_address_gets_no_email_but_the_status_changes(
    exam, django_capture_on_commit_callbacks
):
    """No address, no email; the change itself is not affected."""
    nomail = UserFactory(username="nomail", email="")
    attempt = make_attempt(exam, nomail, status="started")
    with committed():
        api.update_attempt_status(exam.pk, nomail.pk, "submitted")
    assert mail.outbox == []
    assert fresh(attempt).status == "submitted"


# ---------------------------------------------------------------------------------------------
# Unknown status names
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("bogus", ["bogus", "", "SUBMITTED", "submitted ", None, 5, ["started"]])
def test_an_unknown_status_raises_invalid_attempt_status_and_writes_nothing(
    exam, learner, credit, clock, bogus
):
    """A value that names no status is refused before anything is written."""
    attempt = make_attempt(exam, learner, status="started")
    before = fresh(attempt)
    clock.advance(minutes=1)
    with pytest.raises(InvalidAttemptStatus):
        api.update_attempt_status(exam.pk, learner.pk, bogus)
    after = fresh(attempt)
    assert (after.status, after.modified) == ("started", before.modified)
    assert history(attempt) == [("", "created")]
    assert credit.calls == []


# ---------------------------------------------------------------------------------------------
# Rule 10 and creating attempts
# ---------------------------------------------------------------------------------------------


def test_update_attempt_status_returns_the_attempt_id(exam, learner):
    """The result is the id of the attempt that changed."""
    attempt = make_attempt(exam, learner)
    assert api.update_attempt_status(exam.pk, learner.pk, "started") == attempt.pk


def test_create_exam_attempt_returns_the_id_of_a_created_attempt(exam, learner):
    """The new attempt is ``created``, current, number 1, and its history starts with it."""
    attempt_id = api.create_exam_attempt(exam.pk, learner.pk, taking_as_proctored=True)
    attempt = Attempt.objects.get(pk=attempt_id)
    assert (attempt.exam_id, attempt.user_id) == (exam.pk, learner.pk)
    assert attempt.status == "created"
    assert attempt.taking_as_proctored is True
    assert attempt.is_sample_attempt is False
    assert attempt.attempt_number == 1
    assert (attempt.started_at, attempt.completed_at, attempt.archived_at) == (None, None, None)
    assert history(attempt) == [("", "created")]


def test_create_exam_attempt_is_not_proctored_by_default(exam, learner):
    """``taking_as_proctored`` defaults to False."""
    attempt = Attempt.objects.get(pk=api.create_exam_attempt(exam.pk, learner.pk))
    assert attempt.taking_as_proctored is False


def test_attempt_codes_are_long_and_unique(course, learner, other_learner):
    """Every attempt gets its own unguessable code."""
    exams = [ExamFactory(course=course, content_id=f"exam-{n}") for n in range(5)]
    codes = [
        Attempt.objects.get(pk=api.create_exam_attempt(e.pk, user.pk)).attempt_code
        for e in exams
        for user in (learner, other_learner)
    ]
    assert len(set(codes)) == len(codes) == 10
    assert all(len(code) >= 32 for code in codes)


def test_an_attempt_on_a_practice_exam_is_a_sample_attempt(course, learner):
    """Practice exams make sample attempts."""
    practice = ExamFactory(course=course, content_id="practice", is_practice_exam=True)
    attempt_id = api.create_exam_attempt(practice.pk, learner.pk, taking_as_proctored=True)
    assert Attempt.objects.get(pk=attempt_id).is_sample_attempt is True


def test_a_second_attempt_on_the_same_exam_raises_already_exists(exam, learner, other_learner):
    """One current attempt per learner and exam; other learners are not affected."""
    first = api.create_exam_attempt(exam.pk, learner.pk)
    with pytest.raises(StudentExamAttemptAlreadyExistsException):
        api.create_exam_attempt(exam.pk, learner.pk)
    assert list(Attempt.objects.filter(user=learner).values_list("pk", flat=True)) == [first]
    assert api.create_exam_attempt(exam.pk, other_learner.pk) != first


@pytest.mark.parametrize("unknown_exam", [987654, "abc", None, 0])
def test_create_exam_attempt_on_an_unknown_exam_raises_exam_not_found(learner, unknown_exam):
    """No exam, no attempt."""
    with pytest.raises(ProctoredExamNotFoundException):
        api.create_exam_attempt(unknown_exam, learner.pk)
    assert not Attempt.objects.exists()


@pytest.mark.parametrize("unknown_user", [987654, "abc", None, -1])
def test_create_exam_attempt_for_an_unknown_user_raises_user_not_found(exam, unknown_user):
    """No user, no attempt."""
    with pytest.raises(UserNotFoundException):
        api.create_exam_attempt(exam.pk, unknown_user)
    assert not Attempt.objects.exists()


# ---------------------------------------------------------------------------------------------
# Reading attempts
# ---------------------------------------------------------------------------------------------

ATTEMPT_KEYS = {
    "id",
    "exam_id",
    "user_id",
    "status",
    "attempt_code",
    "external_id",
    "taking_as_proctored",
    "is_sample_attempt",
    "started_at",
    "completed_at",
    "attempt_number",
    "archived_at",
    "created",
    "modified",
    "proctored_exam",
}


def test_get_exam_attempt_returns_the_current_attempt_as_a_dict(exam, learner):
    """The dict has the attempt's fields and its exam as ``proctored_exam``."""
    attempt = make_attempt(exam, learner, status="started", external_id="session-9")
    data = api.get_exam_attempt(exam.pk, learner.pk)
    assert set(data) == ATTEMPT_KEYS
    assert data["id"] == attempt.pk
    assert (data["exam_id"], data["user_id"]) == (exam.pk, learner.pk)
    assert (data["status"], data["external_id"]) == ("started", "session-9")
    assert data["attempt_code"] == attempt.attempt_code
    assert data["taking_as_proctored"] is True
    assert data["proctored_exam"]["id"] == exam.pk
    assert data["proctored_exam"]["content_id"] == "midterm"
    assert data["proctored_exam"]["course_id"] == COURSE_ID


def test_get_exam_attempt_returns_none_without_a_current_attempt(exam, learner, other_learner):
    """None for a learner without attempt, for an archived attempt, and for bad ids."""
    make_attempt(exam, other_learner)
    assert api.get_exam_attempt(exam.pk, learner.pk) is None
    make_attempt(exam, learner, archived_at=datetime(2029, 1, 1, tzinfo=UTC))
    assert api.get_exam_attempt(exam.pk, learner.pk) is None
    assert api.get_exam_attempt(987654, other_learner.pk) is None
    assert api.get_exam_attempt("abc", other_learner.pk) is None
    assert api.get_exam_attempt(exam.pk, None) is None


def test_get_exam_attempt_by_id_finds_the_attempt_or_returns_none(exam, learner):
    """The attempt by its id; None for unknown or malformed ids."""
    attempt = make_attempt(exam, learner)
    data = api.get_exam_attempt_by_id(attempt.pk)
    assert set(data) == ATTEMPT_KEYS
    assert data["id"] == attempt.pk
    assert api.get_exam_attempt_by_id(str(attempt.pk))["id"] == attempt.pk
    for bad in (987654, "987654", "abc", "1.5", None, -1, 0, True, 1.0, "\u0661"):
        assert api.get_exam_attempt_by_id(bad) is None, bad


def test_get_exam_attempt_by_code_finds_the_attempt_or_returns_none(exam, learner):
    """The attempt by its code; None for an unknown code or a value that is no code."""
    attempt = make_attempt(exam, learner)
    data = api.get_exam_attempt_by_code(attempt.attempt_code)
    assert set(data) == ATTEMPT_KEYS
    assert data["id"] == attempt.pk
    for bad in ("NOPE", "", attempt.attempt_code[:-1], None, 123, [attempt.attempt_code]):
        assert api.get_exam_attempt_by_code(bad) is None, bad


# ---------------------------------------------------------------------------------------------
# Query budgets
# ---------------------------------------------------------------------------------------------


def test_get_exam_attempt_takes_at_most_two_queries(exam, learner, django_assert_max_num_queries):
    """The attempt and its exam are read together."""
    make_attempt(exam, learner)
    with django_assert_max_num_queries(2):
        data = api.get_exam_attempt(exam.pk, learner.pk)
        assert data["proctored_exam"]["exam_name"] == "Midterm"


def _decline_in_course_with(learner, other_exams, with_attempts):
    """Queries used by a cascading decline in a fresh course with ``other_exams`` exams."""
    course = CourseFactory(course_id=f"course-v1:Org+Cascade{other_exams}{with_attempts}+Run")
    exam = ExamFactory(course=course, content_id="main")
    others = [ExamFactory(course=course, content_id=f"other-{n}") for n in range(other_exams)]
    if with_attempts:
        for other in others:
            make_attempt(other, learner, status="started")
    make_attempt(exam, learner, status="started")
    with CaptureQueriesContext(connection) as queries:
        api.update_attempt_status(exam.pk, learner.pk, "declined")
    outbox_deliver()  # the credit updates follow the commit
    statuses = Attempt.objects.filter(exam__in=others, user=learner).values_list(
        "status", flat=True
    )
    assert list(statuses) == ["declined"] * other_exams
    return len(queries.captured_queries)


@pytest.mark.parametrize("with_attempts", [False, True], ids=["new-attempts", "existing"])
def test_the_cascade_takes_as_many_queries_for_ten_exams_as_for_three(learner, with_attempts):
    """The cascade works in bulk: its query count does not grow with the number of exams."""
    three = _decline_in_course_with(learner, 3, with_attempts)
    ten = _decline_in_course_with(learner, 10, with_attempts)
    assert ten == three


def test_the_cascade_takes_as_many_queries_with_a_recording_credit_service(learner, credit):
    """Also with a credit service that has no batch method, the database work is constant."""
    three = _decline_in_course_with(learner, 3, False)
    ten = _decline_in_course_with(learner, 10, False)
    assert ten == three
    assert len(credit.calls) == (1 + 3) + (1 + 10)
