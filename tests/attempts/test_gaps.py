"""Behaviours that mutation testing found unpinned (/work/shared/TEST-GAPS.md), pinned through
the stable entry points only: ``proctoring.api``, the management commands, the settings and the
models. Nothing here imports the internals of ``proctoring.attempts`` (services, timekeeping,
statuses...), so the tests survive their refactoring.
"""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from proctoring import api
from proctoring.attempts.models import Attempt, AttemptTimeChange
from proctoring.credit.models import CreditRequirementStatus
from proctoring.outbox.delivery import outbox_deliver
from tests.attempts.conftest import GRACE, T0
from tests.factories import CourseFactory, ExamFactory, UserFactory
from tests.write_shapes import change_statements, joined

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _plain_settings(settings, grace):
    """No global proctoring settings, the null provider as default, the grace period pinned,
    whatever the environment says."""
    settings.PROCTORING_SETTINGS = {}
    settings.PROCTORING_BACKENDS = {"DEFAULT": "null", "null": {}}


def start(exam, user, *, taking_as_proctored: bool = False) -> Attempt:
    """The learner's attempt on the exam, created and started through the Python API."""
    attempt_id = api.create_exam_attempt(exam.pk, user.pk, taking_as_proctored=taking_as_proctored)
    api.update_attempt_status(exam.pk, user.pk, "started")
    return Attempt.objects.get(pk=attempt_id)


def fresh(attempt: Attempt) -> Attempt:
    return Attempt.objects.get(pk=attempt.pk)


def run(command: str, *args: str) -> str:
    out = StringIO()
    call_command(command, *args, stdout=out)
    return out.getvalue()


# ---------------------------------------------------------------------------------------------
# Gap 1: a decline cascades by default
# ---------------------------------------------------------------------------------------------


def test_a_decline_through_the_api_without_cascade_effects_declines_the_other_exams(
    course, exam, learner, other_learner
):
    """``update_attempt_status(exam, user, "declined")`` with no ``cascade_effects`` argument
    cascades: the learner's other active, proctored, non-practice exams of the course end
    declined (an existing attempt moves, a missing one is created declined); practice,
    inactive and timed exams, completed attempts, other courses and other learners stay."""
    final = ExamFactory(course=course, content_id="final")
    quiz = ExamFactory(course=course, content_id="quiz")
    done = ExamFactory(course=course, content_id="done")
    practice = ExamFactory(course=course, content_id="practice", is_practice_exam=True)
    inactive = ExamFactory(course=course, content_id="inactive", is_active=False)
    timed = ExamFactory(course=course, content_id="timed", is_proctored=False)
    elsewhere = ExamFactory(course=CourseFactory(course_id="course-v1:Else+X+Run"))

    api.create_exam_attempt(exam.pk, learner.pk, taking_as_proctored=True)
    started_final = start(final, learner)
    submitted = start(done, learner)
    api.update_attempt_status(done.pk, learner.pk, "submitted")
    spared = [start(e, learner) for e in (practice, inactive, timed, elsewhere)]
    bobs = start(final, other_learner)

    api.update_attempt_status(exam.pk, learner.pk, "declined")

    assert api.get_exam_attempt(exam.pk, learner.pk)["status"] == "declined"
    assert fresh(started_final).status == "declined"
    assert api.get_exam_attempt(quiz.pk, learner.pk)["status"] == "declined"
    assert fresh(submitted).status == "submitted"
    assert [fresh(a).status for a in spared] == ["started"] * 4
    assert fresh(bobs).status == "started"
    assert Attempt.objects.filter(user=learner).count() == 8  # one new: the quiz's


# ---------------------------------------------------------------------------------------------
# Gap 2: the course's provider, falling back to the default, decides the time-out
# ---------------------------------------------------------------------------------------------


def _overdue_in_courses(learner, clock, providers: dict[str, str]) -> dict[str, Attempt]:
    """One started attempt of the learner per course (named by its provider), all overdue."""
    attempts = {}
    for name, provider in providers.items():
        course = CourseFactory(course_id=f"course-v1:Org+{name}+Run", provider=provider)
        attempts[name] = start(ExamFactory(course=course), learner)
    clock.advance(minutes=90, seconds=GRACE + 1)
    return attempts


def test_the_expiry_job_times_out_where_the_courses_provider_allows_it(settings, learner, clock):
    """Default provider ``null`` (no setting), provider ``vendor`` allowing ``timed_out``: the
    vendor course's attempt ends timed_out at its deadline, the course without provider and
    the course naming ``null`` end submitted."""
    settings.PROCTORING_BACKENDS = {
        "DEFAULT": "null",
        "null": {},
        "vendor": {"ALLOW_TIMED_OUT_STATE": True},
    }
    attempts = _overdue_in_courses(
        learner, clock, {"vendor": "vendor", "blank": "", "null": "null"}
    )
    assert run("expire_attempts").strip() == "Expired 3 attempt(s)."
    stored = {name: fresh(attempt) for name, attempt in attempts.items()}
    assert {name: a.status for name, a in stored.items()} == {
        "vendor": "timed_out",
        "blank": "submitted",
        "null": "submitted",
    }
    for name, attempt in attempts.items():
        assert stored[name].completed_at == attempt.deadline_at == T0 + timedelta(minutes=90)


def test_the_expiry_job_falls_back_to_the_default_provider_for_a_course_without_one(
    settings, learner, clock
):
    """Default provider ``vendor`` allowing ``timed_out``, ``null`` refusing it: the course
    without provider times out, the course naming ``null`` is submitted."""
    settings.PROCTORING_BACKENDS = {
        "DEFAULT": "vendor",
        "null": {"ALLOW_TIMED_OUT_STATE": False},
        "vendor": {"ALLOW_TIMED_OUT_STATE": True},
    }
    attempts = _overdue_in_courses(learner, clock, {"blank": "", "null": "null"})
    assert run("expire_attempts").strip() == "Expired 2 attempt(s)."
    assert fresh(attempts["blank"]).status == "timed_out"
    assert fresh(attempts["null"]).status == "submitted"


# ---------------------------------------------------------------------------------------------
# Gap 3: adding the smallest legal time
# ---------------------------------------------------------------------------------------------


def test_attempt_add_time_of_one_minute_moves_the_deadline_by_exactly_60_seconds(
    exam, learner, clock
):
    """1 minute is the smallest legal value: accepted, the deadline moves by 60 s and the time
    change records 60 s."""
    attempt = start(exam, learner)
    before = attempt.deadline_at
    output = run("attempt_add_time", str(attempt.pk), "1")
    after = fresh(attempt).deadline_at
    assert after - before == timedelta(seconds=60)
    assert output.strip() == f"Attempt {attempt.pk}: new deadline {after:%Y-%m-%d %H:%M:%S} UTC."
    [change] = AttemptTimeChange.objects.filter(attempt=attempt)
    assert (change.kind, change.seconds) == ("add_time", 60)
    assert (change.deadline_before, change.deadline_after) == (before, after)


def test_attempt_add_time_of_zero_minutes_is_refused(exam, learner, clock):
    """0 minutes, just below the smallest legal value: refused, nothing changes."""
    attempt = start(exam, learner)
    with pytest.raises(CommandError, match="minutes must be a whole number from 1 to 1440"):
        run("attempt_add_time", str(attempt.pk), "0")
    assert fresh(attempt).deadline_at == attempt.deadline_at
    assert not AttemptTimeChange.objects.exists()


# ---------------------------------------------------------------------------------------------
# Gap 4: the expiry job goes through several batches
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("batch_size", "overdue"),
    [(2, 5), (2, 4), (2, 2), (1, 3), (3, 7)],
    ids=["2-of-5", "2-of-4", "2-of-2", "1-of-3", "3-of-7"],
)
def test_the_expiry_job_goes_through_as_many_batches_as_it_needs(
    settings, exam, clock, batch_size, overdue
):
    """With ``PROCTORING_EXPIRY_BATCH_SIZE`` smaller than the number of overdue attempts (a
    multiple of it or not), one run of the job expires them all, and no attempt still in
    time."""
    settings.PROCTORING_EXPIRY_BATCH_SIZE = batch_size
    attempts = [start(exam, UserFactory(username=f"batch{n}")) for n in range(overdue)]
    clock.advance(minutes=30)
    in_time = start(exam, UserFactory(username="in-time"))
    clock.set(T0 + timedelta(minutes=90, seconds=GRACE + 1))
    assert run("expire_attempts").strip() == f"Expired {overdue} attempt(s)."
    for attempt in attempts:
        stored = fresh(attempt)
        assert (stored.status, stored.completed_at) == ("submitted", attempt.deadline_at)
    assert fresh(in_time).status == "started"
    assert run("expire_attempts").strip() == "Expired 0 attempt(s)."


# ---------------------------------------------------------------------------------------------
# Gap 6: a model change without its migration fails the suite
# ---------------------------------------------------------------------------------------------


def test_the_models_need_no_new_migration():
    """``makemigrations --check --dry-run`` finds nothing to do: a change of a model (the
    status labels of ``Attempt.status`` included) must come with its migration."""
    out = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=StringIO())
    except SystemExit as exc:  # --check exits 1 when a migration is missing
        pytest.fail(f"makemigrations --check exited {exc.code}:\n{out.getvalue()}")
    assert out.getvalue().strip() == "No changes detected"


# ---------------------------------------------------------------------------------------------
# Gap 7: the absolute query count of the cascade
# ---------------------------------------------------------------------------------------------

# Statements of a cascading decline over 10 other exams: the test transaction's SAVEPOINT and
# RELEASE; the cascade's locks (one statement); the attempt (locked, with its exam and course);
# the other exams; their attempts (locked); [without attempts: the INSERT of the new ones and
# their reading back]; then one UPDATE of the ten, the declined attempt's own UPDATE, the
# history rows and the events (the outbox): one statement on PostgreSQL (the ten's values in
# arrays), four on SQLite (tests/write_shapes.py: the ten's UPDATE and the change's three).
# The credit rows follow after the commit, from the outbox.
CASCADE_QUERIES = {"new-attempts": 8, "existing": 6}


@pytest.mark.parametrize("with_attempts", [False, True], ids=["new-attempts", "existing"])
def test_a_cascading_decline_over_ten_exams_takes_a_fixed_number_of_queries(
    learner, clock, django_assert_num_queries, with_attempts
):
    """Declining one exam of a course with 10 other proctored exams takes exactly the pinned
    number of statements; all 10 end declined, with a failed credit row each."""
    course = CourseFactory(course_id="course-v1:Org+Cascade+Run")
    exam = ExamFactory(course=course, content_id="main")
    others = [ExamFactory(course=course, content_id=f"other-{n}") for n in range(10)]
    if with_attempts:
        for other in others:
            start(other, learner)
    start(exam, learner)
    key = "existing" if with_attempts else "new-attempts"
    ten_updated = 0 if joined() else 1  # in the change's statement on PostgreSQL
    with django_assert_num_queries(CASCADE_QUERIES[key] + ten_updated + change_statements()):
        api.update_attempt_status(exam.pk, learner.pk, "declined")
    outbox_deliver()
    statuses = Attempt.objects.filter(exam__in=others, user=learner, archived_at__isnull=True)
    assert sorted(statuses.values_list("status", flat=True)) == ["declined"] * 10
    failed = CreditRequirementStatus.objects.filter(user=learner, status="failed")
    assert failed.count() == 11
