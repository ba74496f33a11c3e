"""Course staff's review queue (filters, pages, constant statements, verdicts from it), the
learners' onboarding statuses, and bulk actions on the selected attempts."""

from __future__ import annotations

import pytest

from proctoring.attempts import actions
from proctoring.attempts.models import Attempt
from proctoring.attempts.services import attempt_create
from proctoring.attempts.statuses import AttemptStatus
from proctoring.attempts.transition import Move, attempts_transition
from proctoring.reviews.models import Review, ReviewPolicy
from proctoring.reviews.services import review_record
from proctoring.reviews.types import ReviewReport, ReviewStatus
from tests.factories import CourseRoleFactory, ExamFactory, UserFactory
from tests.web.conftest import COURSE_ID

pytestmark = pytest.mark.django_db

QUEUE = f"/staff/courses/{COURSE_ID}/reviews"
ATTEMPTS = f"/staff/courses/{COURSE_ID}/attempts"


@pytest.fixture
def staff_client(client, world):
    client.force_login(world.staff)
    return client


def _started(world, user=None, exam=None) -> Attempt:
    return actions.attempt_create_for_learner(
        exam_id=(exam or world.exam).pk,
        user_id=(user or world.learner).pk,
        taking_as_proctored=True,
        start=True,
    )


def _submitted(world, user=None, exam=None) -> Attempt:
    attempt = _started(world, user, exam)
    return actions.attempt_act(attempt_id=attempt.pk, action="submit", actor_id=attempt.user_id)


def _learner(world):
    user = UserFactory()
    CourseRoleFactory(user=user, course=world.course, role="learner")
    return user


# The review queue.


def test_the_queue_lists_submitted_proctored_attempts_with_filters(staff_client, world):
    mine = _submitted(world)
    final = ExamFactory(course=world.course, exam_name="Final")
    other = _submitted(world, world.other_learner, final)
    _started(world, _learner(world))  # running: not in the queue
    page = staff_client.get(QUEUE).content.decode()
    assert "2 attempts to review" in page
    assert f'data-queue-attempt="{mine.pk}"' in page and f'data-queue-attempt="{other.pk}"' in page
    page = staff_client.get(QUEUE, {"exam": final.pk}).content.decode()
    assert "1 attempt to review" in page and f'data-queue-attempt="{other.pk}"' in page
    page = staff_client.get(QUEUE, {"status": "second_review_required"}).content.decode()
    assert "Nothing to review." in page
    page = staff_client.get(QUEUE, {"flagged": "1"}).content.decode()
    assert "Nothing to review." in page
    # Unknown filter values are ignored, not a 500.
    assert staff_client.get(QUEUE, {"exam": "x", "status": "nope", "page": "z"}).status_code == 200


def test_the_queue_costs_six_statements_whatever_its_length(
    staff_client, world, django_assert_max_num_queries
):
    _submitted(world)
    with django_assert_max_num_queries(6):
        assert staff_client.get(QUEUE).status_code == 200
    for _ in range(27):
        _submitted(world, _learner(world))
    with django_assert_max_num_queries(6):
        page = staff_client.get(QUEUE, {"page": 2})
    assert "Page 2 of 2" in page.content.decode()


def test_a_verdict_from_the_queue_goes_through_review_by_staff_and_comes_back(staff_client, world):
    attempt = _submitted(world)
    response = staff_client.post(
        f"/staff/attempts/{attempt.pk}/review",
        {"verdict": "rejected", "reason": "a phone on the desk", "next": f"{QUEUE}?exam="},
    )
    assert response.status_code == 302 and response["Location"] == f"{QUEUE}?exam="
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.REJECTED
    review = Review.objects.get(attempt=attempt)
    assert review.reason == "a phone on the desk" and review.reviewer_user_id == world.staff.pk
    assert "Nothing to review." in staff_client.get(QUEUE).content.decode()


def test_a_verdict_never_redirects_off_the_site(staff_client, world):
    attempt = _submitted(world)
    response = staff_client.post(
        f"/staff/attempts/{attempt.pk}/review",
        {"verdict": "verified", "next": "https://evil.example/staff/"},
    )
    assert response["Location"] == f"/staff/attempts/{attempt.pk}"


def test_only_course_staff_see_the_queue_and_onboarding(client, world):
    client.force_login(world.learner)
    assert client.get(QUEUE).status_code == 403
    assert client.get(f"/staff/courses/{COURSE_ID}/onboarding").status_code == 403


# Onboarding statuses.


def test_the_onboarding_page_lists_each_learners_status(staff_client, world):
    onboarding = ExamFactory(course=world.course, exam_name="Onboarding", is_onboarding=True)
    attempt = attempt_create(exam_id=onboarding.pk, user_id=world.learner.pk)
    for status in (AttemptStatus.STARTED, AttemptStatus.SUBMITTED, AttemptStatus.VERIFIED):
        attempts_transition(attempts=[attempt], move=Move(status, actor_id=None))
    page = staff_client.get(f"/staff/courses/{COURSE_ID}/onboarding").content.decode()
    assert "learner" in page and "otherlearner" in page
    assert page.count("data-onboarding-status>verified<") == 1
    assert page.count("data-onboarding-status>missing<") == 1


# Bulk actions on the attempts page.


def test_bulk_add_time_and_end_the_selected_attempts(staff_client, world):
    one, two = _started(world), _started(world, world.other_learner)
    page = staff_client.get(ATTEMPTS).content.decode()
    assert f'name="attempt" value="{one.pk}"' in page
    deadline = one.deadline_at
    response = staff_client.post(
        f"{ATTEMPTS}/bulk",
        {"action": "add_time", "attempt": [one.pk, two.pk], "minutes": 5, "reason": "network"},
    )
    assert response.status_code == 302
    one.refresh_from_db()
    assert (one.deadline_at - deadline).total_seconds() == 300
    staff_client.post(f"{ATTEMPTS}/bulk", {"action": "end", "attempt": [one.pk], "reason": "fire"})
    one.refresh_from_db()
    two.refresh_from_db()
    assert one.status == AttemptStatus.SUBMITTED and two.status == AttemptStatus.STARTED


def test_bulk_refusals_are_told_and_do_not_stop_the_others(staff_client, world):
    done = _submitted(world)
    running = _started(world, world.other_learner)
    other_exam = ExamFactory()
    outsider = UserFactory()
    CourseRoleFactory(user=outsider, course=other_exam.course, role="learner")
    elsewhere = _started(world, outsider, other_exam)
    response = staff_client.post(
        f"{ATTEMPTS}/bulk",
        {"action": "end", "attempt": [done.pk, running.pk, elsewhere.pk], "reason": "fire"},
        follow=True,
    )
    page = response.content.decode()
    assert "1 attempts changed." in page
    assert f"#{done.pk}:" in page and f"#{elsewhere.pk}: not an attempt of this course" in page
    running.refresh_from_db()
    elsewhere.refresh_from_db()
    assert running.status == AttemptStatus.SUBMITTED
    assert elsewhere.status == AttemptStatus.STARTED


def test_bulk_without_a_reason_to_end_or_minutes_to_add_changes_nothing(staff_client, world):
    attempt = _started(world)
    no_minutes = staff_client.post(
        f"{ATTEMPTS}/bulk", {"action": "add_time", "attempt": [attempt.pk]}
    )
    assert no_minutes.status_code == 400
    staff_client.post(f"{ATTEMPTS}/bulk", {"action": "end", "attempt": [attempt.pk]}, follow=True)
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.STARTED
    nothing = staff_client.post(f"{ATTEMPTS}/bulk", {"action": "end", "reason": "x"})
    assert nothing.status_code == 400


def test_bulk_of_another_courses_attempts_is_refused(client, world):
    attempt = _started(world)
    stranger = UserFactory()
    CourseRoleFactory(user=stranger, role="staff")
    client.force_login(stranger)
    response = client.post(
        f"{ATTEMPTS}/bulk", {"action": "end", "attempt": [attempt.pk], "reason": "x"}
    )
    assert response.status_code == 403
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.STARTED


# An exam's review policy in the exam form.


def test_the_exam_form_sets_the_review_policy_which_the_reviews_follow(staff_client, world):
    url = f"/staff/exams/{world.exam.pk}/edit"
    assert 'name="on_violation"' in staff_client.get(url).content.decode()
    response = staff_client.post(
        url,
        {
            "exam_name": "Midterm",
            "content_id": "midterm",
            "time_limit_mins": 60,
            "is_proctored": "on",
            "is_active": "on",
            "review_policy_text": "Notes on paper are allowed.",
            "on_violation": "second_review_required",
            "on_suspicious": "verified",
        },
    )
    assert response.status_code == 302
    policy = ReviewPolicy.objects.get(exam=world.exam)
    assert policy.text == "Notes on paper are allowed."
    assert (policy.on_violation, policy.on_suspicious) == ("second_review_required", "verified")
    page = staff_client.get(url).content.decode()
    assert "Notes on paper are allowed." in page
    assert '<option value="verified" selected>' in page
    # A provider's suspicious review now verifies the attempt (reviews/services.py reads it).
    attempt = _submitted(world)
    report = ReviewReport(
        provider="null", status=ReviewStatus.SUSPICIOUS, raw={"status": "suspicious"}
    )
    review_record(report=report, attempt_id=attempt.pk)
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.VERIFIED


def test_a_bad_policy_outcome_is_a_form_error(staff_client, world):
    url = f"/staff/exams/{world.exam.pk}/edit"
    response = staff_client.post(
        url, {"exam_name": "Midterm", "content_id": "midterm", "on_violation": "erased"}
    )
    assert response.status_code == 200 and "erased" in response.content.decode()
    assert not ReviewPolicy.objects.filter(exam=world.exam).exists()
