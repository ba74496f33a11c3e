"""Course staff are emailed when a review needs them: suspicious, a second review, flagged."""

import pytest
from django.core import mail

from proctoring import api
from proctoring.attempts.models import Attempt
from proctoring.reviews.models import ReviewPolicy
from proctoring.reviews.services import review_by_staff, review_record
from proctoring.reviews.types import ReviewReport, ReviewStatus
from tests.conftest import committed
from tests.factories import CourseRoleFactory, UserFactory

PROVIDER = "null"


@pytest.fixture
def staff(course):
    carol = UserFactory(username="carol", email="carol@example.org")
    dave = UserFactory(username="dave", email="dave@example.org")
    CourseRoleFactory(user=carol, course=course, role="staff")
    CourseRoleFactory(user=dave, course=course, role="instructor")
    CourseRoleFactory(user=UserFactory(username="nomail", email=""), course=course, role="staff")
    return [carol, dave]


@pytest.fixture
def submitted(exam, learner):
    with committed():  # the submission's own email is sent before the tests look
        attempt_id = api.create_exam_attempt(exam.pk, learner.pk, taking_as_proctored=True)
        Attempt.objects.filter(pk=attempt_id).update(external_id="EXT-1")
        api.update_attempt_status(exam.pk, learner.pk, "started")
        api.update_attempt_status(exam.pk, learner.pk, "submitted")
    return Attempt.objects.get(pk=attempt_id)


def _review(status, n=0, **fields):
    with committed():
        mail.outbox.clear()
        review_record(
            external_id="EXT-1",
            report=ReviewReport(
                provider=PROVIDER, status=ReviewStatus(status), raw={"s": status, "n": n}, **fields
            ),
        )


def _staff_mail():
    return [message for message in mail.outbox if message.bcc]


@pytest.mark.django_db
def test_a_suspicious_review_emails_the_course_staff_once(staff, submitted):
    _review("suspicious")
    [message] = _staff_mail()
    assert sorted(message.bcc) == ["carol@example.org", "dave@example.org"]
    assert message.to == []
    assert f"attempt {submitted.pk}" in message.subject
    assert "suspicious" in message.body and "rejected" in message.body


@pytest.mark.django_db
def test_a_passed_review_tells_staff_nothing(staff, submitted):
    _review("passed")
    assert _staff_mail() == []
    assert [m.to for m in mail.outbox] == [["alice@example.org"]]  # the learner's own email


@pytest.mark.django_db
def test_a_second_review_emails_the_staff(staff, submitted):
    _review("not_reviewed")
    [message] = _staff_mail()
    assert "second review" in message.body


@pytest.mark.django_db
def test_a_suspicious_review_sent_to_a_second_review_is_one_email(staff, submitted, exam):
    ReviewPolicy.objects.create(exam=exam, on_suspicious="second_review_required")
    _review("suspicious")
    assert len(_staff_mail()) == 1


@pytest.mark.django_db
def test_a_flagged_review_emails_the_staff(staff, submitted):
    _review("passed")
    _review("violation", n=1)
    [message] = _staff_mail()
    assert "could not apply" in message.body
    assert Attempt.objects.get(pk=submitted.pk).status == "verified"


@pytest.mark.django_db
def test_a_staff_second_review_is_announced_too(staff, submitted):
    with committed():
        review_by_staff(attempt_id=submitted.pk, verdict="second_review_required", actor_id=None)
    assert len(_staff_mail()) == 1


@pytest.mark.django_db
def test_a_course_without_staff_addresses_sends_nothing(submitted, caplog):
    _review("suspicious")
    assert _staff_mail() == []
    assert "no staff email" in caplog.text


@pytest.mark.django_db
def test_an_upgraded_deployment_does_not_email_staff_about_old_reviews(staff, submitted):
    """The migration that adds the consumer starts it after the events already recorded."""
    from importlib import import_module

    from django.apps import apps

    from proctoring.outbox.delivery import outbox_deliver
    from proctoring.outbox.models import Event, Subscription

    Subscription.objects.filter(kind="internal", name="staff_email").delete()
    review_record(
        external_id="EXT-1",
        report=ReviewReport(provider=PROVIDER, status=ReviewStatus.SUSPICIOUS, raw={"old": 1}),
    )
    migration = import_module("proctoring.outbox.migrations.0002_staff_email_consumer")
    migration.staff_email_from_now(apps, None)
    row = Subscription.objects.get(kind="internal", name="staff_email")
    assert row.cursor == Event.objects.latest("id").id
    mail.outbox.clear()
    outbox_deliver()
    assert _staff_mail() == []
