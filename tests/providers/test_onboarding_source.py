"""The providers' onboarding statuses behind the attempts app's port: what the course's
vendor knows decides a new proctored attempt's onboarding status."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from proctoring.attempts.onboarding import onboarding_block
from proctoring.attempts.ports import OnboardingStatus, onboarding_source
from proctoring.attempts.statuses import AttemptStatus
from proctoring.providers.models import ProviderEvent
from proctoring.providers.onboarding import ProvidersOnboarding
from proctoring.providers.services import obscured_user_id
from tests.factories import CourseFactory, ExamFactory, UserFactory
from tests.providers.conftest import ALIAS, COURSE_ID


def vendor_knows(simulator, user, status):
    simulator.state.onboarding_statuses.append(
        {"user_id": obscured_user_id(user_id=user.pk, alias=ALIAS), "status": status}
    )


def test_the_providers_app_registers_its_onboarding_source():
    assert isinstance(onboarding_source(), ProvidersOnboarding)


def test_the_vendor_statuses_of_the_course_map_to_ours(simulator, vendor_course):
    learners = [UserFactory(username=f"o{n}") for n in range(4)]
    for user, status in zip(
        learners, ["verified", "submitted", "rejected", "expired"], strict=True
    ):
        vendor_knows(simulator, user, status)
    stranger = UserFactory(username="stranger")
    simulator.state.onboarding_statuses.append({"user_id": "someone-else", "status": "verified"})
    known = ProvidersOnboarding().onboarding_statuses(
        course_id=COURSE_ID, user_ids=[user.pk for user in [*learners, stranger]]
    )
    assert known == {
        learners[0].pk: OnboardingStatus.VERIFIED,
        learners[1].pk: OnboardingStatus.PENDING,
        learners[2].pk: OnboardingStatus.FAILED,
        learners[3].pk: OnboardingStatus.EXPIRED,
    }


def test_a_learner_the_vendor_failed_gets_an_onboarding_failed_attempt(
    simulator, proctored_exam, enrolled_learner
):
    vendor_knows(simulator, enrolled_learner, "rejected")
    assert onboarding_block(exam=proctored_exam, user_id=enrolled_learner.pk) == (
        AttemptStatus.ONBOARDING_FAILED
    )
    simulator.state.onboarding_statuses.clear()
    vendor_knows(simulator, enrolled_learner, "verified")
    assert onboarding_block(exam=proctored_exam, user_id=enrolled_learner.pk) is None


def test_a_vendor_down_knows_nothing_and_the_failure_is_recorded(
    simulator, vendor_course, enrolled_learner
):
    simulator.state.mode = "down"
    known = ProvidersOnboarding().onboarding_statuses(
        course_id=COURSE_ID, user_ids=[enrolled_learner.pk]
    )
    assert known == {}
    event = ProviderEvent.objects.get(operation="onboarding_statuses")
    assert (event.alias, event.outcome) == (ALIAS, "error")


@pytest.mark.django_db
def test_with_no_provider_that_proctors_nobody_is_asked(settings):
    settings.PROCTORING_BACKENDS = {"DEFAULT": "null", "null": {}}
    course = CourseFactory(course_id="course-v1:Plain+Timed+1")
    exam = ExamFactory(course=course)
    user = UserFactory(username="plain")
    with CaptureQueriesContext(connection) as queries:
        assert (
            ProvidersOnboarding().onboarding_statuses(
                course_id=course.course_id, user_ids=[user.pk]
            )
            == {}
        )
    assert len(queries) == 0
    assert onboarding_block(exam=exam, user_id=user.pk) is None
