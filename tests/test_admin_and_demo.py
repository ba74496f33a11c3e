"""The admin lists every model without N+1 queries; history is read-only; demo data loads."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from proctoring import api
from proctoring.allowances.models import Allowance
from proctoring.attempts.models import Attempt, AttemptHistory
from proctoring.courses.models import CourseRole
from proctoring.devtools.management.commands.load_demo_data import DEMO_COURSE_ID
from proctoring.exams.models import Exam
from tests.factories import CourseFactory, ExamFactory, UserFactory

pytestmark = pytest.mark.django_db

ADMIN_LISTS = [
    "admin:courses_course_changelist",
    "admin:courses_courserole_changelist",
    "admin:exams_exam_changelist",
    "admin:attempts_attempt_changelist",
    "admin:attempts_attempthistory_changelist",
    "admin:attempts_attempttimechange_changelist",
    "admin:allowances_allowance_changelist",
    "admin:credit_creditrequirementstatus_changelist",
    "admin:outbox_event_changelist",
    "admin:outbox_subscription_changelist",
    "admin:outbox_delivery_changelist",
    "admin:providers_providerevent_changelist",
    "admin:providers_callbackmessage_changelist",
    "admin:access_examrules_changelist",
    "admin:access_examrelease_changelist",
    "admin:access_gatelog_changelist",
]


@pytest.fixture
def superuser_client(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def make_attempts(count):
    course = CourseFactory()
    for _ in range(count):
        exam = ExamFactory(course=course)
        user = UserFactory()
        CourseRole.objects.create(user=user, course=course, role="learner")
        api.create_exam_attempt(exam.pk, user.pk, taking_as_proctored=True)
        api.update_attempt_status(exam.pk, user.pk, "started")
        api.update_attempt_status(exam.pk, user.pk, "submitted")
        _access_rows(exam, user)


def _access_rows(exam, user):
    """An exam's rules, a release and a gate pass, for the access rules' admin lists."""
    from proctoring.access.models import ExamRelease, ExamRules, GateLog
    from proctoring.core.clock import now

    ExamRules.objects.create(exam=exam, max_attempts=2)
    ExamRelease.objects.create(exam=exam, group="", released_at=now(), released_by=user)
    GateLog.objects.create(exam=exam, user=user, outcome="passed", gates=["window"], at=now())


def count_queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("name", ADMIN_LISTS)
def test_admin_list_pages_do_not_grow_with_the_rows(superuser_client, name):
    make_attempts(2)
    few = count_queries(superuser_client, reverse(name))
    make_attempts(8)
    many = count_queries(superuser_client, reverse(name))
    assert many == few


def test_attempt_history_cannot_be_edited_or_deleted_in_the_admin(superuser_client):
    make_attempts(1)
    row = AttemptHistory.objects.first()
    change = reverse("admin:attempts_attempthistory_change", args=[row.pk])
    response = superuser_client.post(change, {"to_status": "verified"})
    assert response.status_code == 403
    delete = reverse("admin:attempts_attempthistory_delete", args=[row.pk])
    assert superuser_client.post(delete, {"post": "yes"}).status_code == 403
    assert AttemptHistory.objects.get(pk=row.pk).to_status == row.to_status


def test_attempt_status_is_read_only_in_the_admin(superuser_client):
    make_attempts(1)
    attempt = Attempt.objects.get()
    page = superuser_client.get(reverse("admin:attempts_attempt_change", args=[attempt.pk]))
    assert page.status_code == 200
    assert b'name="status"' not in page.content


def test_exams_cannot_be_deleted_in_the_admin(superuser_client):
    exam = ExamFactory()
    response = superuser_client.post(
        reverse("admin:exams_exam_delete", args=[exam.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
    assert Exam.objects.filter(pk=exam.pk).exists()


def test_demo_data_loads_twice_without_duplicates():
    call_command("load_demo_data")
    call_command("load_demo_data")
    assert Exam.objects.filter(course_id=DEMO_COURSE_ID).count() == 4
    assert CourseRole.objects.filter(course_id=DEMO_COURSE_ID, role="staff").count() == 1
    learner2 = Attempt.objects.filter(user__username="learner2").order_by("id")
    assert [a.status for a in learner2] == ["started", "submitted"]
    admin = UserFactory._meta.model.objects.get(username="admin")
    assert admin.is_superuser and admin.check_password("demo")


def test_an_allowance_saved_in_the_admin_is_checked_and_moves_a_running_deadline(
    superuser_client,
):
    """The admin goes through the allowance services, as the API does."""
    exam = ExamFactory(time_limit_mins=60)
    learner = UserFactory()
    api.create_exam_attempt(exam.pk, learner.pk)
    api.update_attempt_status(exam.pk, learner.pk, "started")
    before = Attempt.objects.get().deadline_at
    add = reverse("admin:allowances_allowance_add")
    form = {"exam": exam.pk, "user": learner.pk, "key": "additional_time_granted"}
    refused = superuser_client.post(add, {**form, "value": "lots"})
    assert refused.status_code == 200
    assert b"whole number of minutes" in refused.content
    assert not Allowance.objects.exists()
    saved = superuser_client.post(add, {**form, "value": "15"})
    assert saved.status_code == 302
    assert Allowance.objects.get().value == "15"
    assert (Attempt.objects.get().deadline_at - before).total_seconds() == 15 * 60
    allowance = Allowance.objects.get()
    delete = reverse("admin:allowances_allowance_delete", args=[allowance.pk])
    assert superuser_client.post(delete, {"post": "yes"}).status_code == 302
    assert not Allowance.objects.exists()
    assert Attempt.objects.get().deadline_at == before
