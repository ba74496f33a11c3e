"""Onboarding: the course's onboarding exam, a learner's onboarding status (its own attempts or
the provider's word), the onboarding_* statuses at creation, and staff's list."""

from datetime import timedelta

import pytest

from proctoring.attempts.models import Attempt, AttemptHistory
from proctoring.attempts.onboarding import onboarding_status_of_attempt
from proctoring.attempts.ports import OnboardingStatus, onboarding_source, onboarding_source_set
from proctoring.core.clock import now
from tests.factories import CourseRoleFactory, ExamFactory, UserFactory
from tests.rest.conftest import COURSE_ID, bearer, client_for, mint

pytestmark = pytest.mark.django_db
LIST = f"/api/v1/courses/{COURSE_ID}/onboarding-statuses"


@pytest.fixture(autouse=True)
def _no_provider():
    """The tests set their own source; the registered one is back afterwards."""
    registered = onboarding_source()
    onboarding_source_set(None)
    yield
    onboarding_source_set(registered)


@pytest.fixture
def onboarding_exam(world):
    return ExamFactory(
        course=world.course, content_id="onboarding", is_practice_exam=True, is_onboarding=True
    )


def _onboarded(exam, user, status, *, days_ago=0):
    attempt = Attempt.objects.create(
        exam=exam, user=user, status=status, taking_as_proctored=True, is_sample_attempt=True
    )
    Attempt.objects.filter(pk=attempt.pk).update(modified=now() - timedelta(days=days_ago))
    return attempt


def _create_proctored(world, exam=None, **body):
    """The learner's attempt on the (real, proctored) exam, created anew."""
    Attempt.objects.filter(exam=exam or world.exam, user=world.learner).delete()
    return client_for(world, "learner").post(
        "/api/v1/attempts",
        {"exam_id": (exam or world.exam).pk, "taking_as_proctored": True, **body},
        format="json",
    )


@pytest.mark.parametrize(
    ("status", "days_ago", "expected"),
    [
        (None, 0, "missing"),
        ("created", 0, "missing"),
        ("started", 0, "missing"),
        ("onboarding_reset", 0, "missing"),
        ("submitted", 0, "pending"),
        ("second_review_required", 0, "pending"),
        ("rejected", 0, "failed"),
        ("error", 0, "failed"),
        ("verified", 0, "verified"),
        ("verified", 30, "verified"),
        ("verified", 31, "expired"),
    ],
)
def test_the_onboarding_status_of_the_latest_onboarding_attempt(
    settings, status, days_ago, expected
):
    settings.PROCTORING_ONBOARDING_VALIDITY_DAYS = 30
    moment = now()
    found = onboarding_status_of_attempt(
        status=status, verified_at=moment - timedelta(days=days_ago), moment=moment
    )
    assert found == expected


def test_a_validity_of_0_days_never_expires(settings):
    settings.PROCTORING_ONBOARDING_VALIDITY_DAYS = 0
    moment = now()
    old = moment - timedelta(days=10_000)
    assert onboarding_status_of_attempt(status="verified", verified_at=old, moment=moment) == (
        "verified"
    )


def test_an_onboarding_exam_is_a_proctored_practice_exam(world):
    client = client_for(world, "staff")
    exams = f"/api/v1/courses/{COURSE_ID}/exams"
    body = {"content_id": "onb", "exam_name": "Onboarding", "time_limit_mins": 10}
    created = client.post(
        exams, {**body, "is_onboarding": True, "is_proctored": False}, format="json"
    ).json()
    assert (created["is_onboarding"], created["is_proctored"], created["is_practice_exam"]) == (
        True,
        True,
        True,
    )
    exam_url = f"{exams}/{created['id']}"
    real = client.patch(exam_url, {"is_practice_exam": False}, format="json").json()
    assert (real["is_onboarding"], real["is_practice_exam"]) == (False, False)
    again = client.patch(exam_url, {"is_onboarding": True}, format="json").json()
    assert (again["is_onboarding"], again["is_practice_exam"]) == (True, True)
    renamed = client.patch(exam_url, {"exam_name": "Onboard"}, format="json").json()
    assert renamed["is_onboarding"] is True


@pytest.mark.usefixtures("onboarding_exam")
def test_a_learner_never_onboarded_gets_onboarding_missing_and_no_clock(world):
    response = _create_proctored(world, start=True)
    assert response.status_code == 201
    body = response.json()
    assert (body["status"], body["started_at"]) == ("onboarding_missing", None)
    history = list(
        AttemptHistory.objects.filter(attempt_id=body["id"]).values_list("to_status", "cause")
    )
    assert history == [("created", "learner:create"), ("onboarding_missing", "onboarding")]


@pytest.mark.parametrize(
    ("status", "days_ago", "expected"),
    [
        ("submitted", 0, "onboarding_pending"),
        ("rejected", 0, "onboarding_failed"),
        ("verified", 1000, "onboarding_expired"),
        ("verified", 3, "started"),
    ],
)
def test_the_learners_onboarding_decides_the_proctored_attempt(
    world, onboarding_exam, status, days_ago, expected
):
    _onboarded(onboarding_exam, world.learner, status, days_ago=days_ago)
    assert _create_proctored(world, start=True).json()["status"] == expected


@pytest.mark.usefixtures("onboarding_exam")
def test_timed_practice_and_course_without_onboarding_are_not_blocked(world, onboarding_exam):
    client = client_for(world, "learner")
    Attempt.objects.filter(pk=world.attempt.pk).delete()
    timed = client.post("/api/v1/attempts", {"exam_id": world.exam.pk}, format="json")
    assert timed.json()["status"] == "created"
    practice = ExamFactory(course=world.course, is_practice_exam=True)
    taken = client.post(
        "/api/v1/attempts", {"exam_id": practice.pk, "taking_as_proctored": True}, format="json"
    )
    assert taken.json()["status"] == "created"
    onboarding = client.post(
        "/api/v1/attempts",
        {"exam_id": onboarding_exam.pk, "taking_as_proctored": True},
        format="json",
    )
    assert onboarding.json()["status"] == "created"  # the onboarding exam itself


def test_without_an_onboarding_exam_nothing_is_asked(world):
    assert _create_proctored(world).json()["status"] == "created"


class FakeProvider:
    def __init__(self, statuses):
        self.statuses = statuses
        self.calls = []

    def onboarding_statuses(self, *, course_id, user_ids):
        self.calls.append((course_id, list(user_ids)))
        return {uid: s for uid, s in self.statuses.items() if uid in user_ids}


def test_the_providers_word_comes_first(world, onboarding_exam):
    _onboarded(onboarding_exam, world.learner, "verified")
    provider = FakeProvider({world.learner.pk: OnboardingStatus.FAILED})
    onboarding_source_set(provider)
    assert _create_proctored(world).json()["status"] == "onboarding_failed"
    assert provider.calls == [(COURSE_ID, [world.learner.pk])]


def test_a_provider_may_ask_for_onboarding_without_an_onboarding_exam(world):
    onboarding_source_set(FakeProvider({world.learner.pk: OnboardingStatus.PENDING}))
    assert _create_proctored(world).json()["status"] == "onboarding_pending"
    onboarding_source_set(FakeProvider({world.learner.pk: OnboardingStatus.VERIFIED}))
    assert _create_proctored(world).json()["status"] == "created"


def test_staff_list_the_onboarding_statuses_of_their_learners(world, onboarding_exam):
    verified = _onboarded(onboarding_exam, world.learner, "verified")
    zed = UserFactory(username="zed", email="zed@example.org")
    CourseRoleFactory(user=zed, course=world.course, role="learner")
    onboarding_source_set(FakeProvider({zed.pk: OnboardingStatus.EXPIRED}))
    body = client_for(world, "staff").get(LIST).json()
    assert body["count"] == 3  # the learners only, not the staff
    rows = {row["username"]: row for row in body["results"]}
    assert [row["username"] for row in body["results"]] == ["alice", "bob", "zed"]
    assert (rows["alice"]["onboarding_status"], rows["alice"]["source"]) == (
        "verified",
        "attempts",
    )
    assert rows["alice"]["onboarding_attempt_id"] == verified.pk
    assert rows["alice"]["onboarding_attempt_status"] == "verified"
    assert (rows["bob"]["onboarding_status"], rows["bob"]["onboarding_attempt_id"]) == (
        "missing",
        None,
    )
    assert (rows["zed"]["onboarding_status"], rows["zed"]["source"]) == ("expired", "provider")
    assert client_for(world, "other_staff").get(LIST).status_code == 403
    assert client_for(world, "staff").get(LIST, {"page_size": 0}).status_code == 400


@pytest.mark.parametrize(("learners", "page_size"), [(3, 3), (40, 10), (40, 50)])
def test_a_page_of_onboarding_statuses_costs_2_statements(
    world, onboarding_exam, django_assert_num_queries, learners, page_size
):
    for i in range(learners):
        user = UserFactory(username=f"o{i:03d}")
        CourseRoleFactory(user=user, course=world.course, role="learner")
        if i % 2:
            _onboarded(onboarding_exam, user, "submitted")
    token = mint("carol-1", preferred_username="carol-jwt", course_roles={COURSE_ID: "staff"})
    client = client_for(world, "anonymous")
    client.get(LIST, **bearer(token))
    # count, page (each with its latest onboarding attempt): the identity and the course role
    # were read by the first request and are kept 5 s (rest/auth_cache.py)
    with django_assert_num_queries(2):
        response = client.get(LIST, {"page_size": page_size}, **bearer(token))
    assert len(response.json()["results"]) == min(page_size, learners + 2)
