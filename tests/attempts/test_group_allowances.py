"""A group's value on an exam reaches the learners of that group in the exam's own course: the
group sub-select reads the membership by the course the outer query gives, with no join
through the exam and the course again."""

import re

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from proctoring.allowances.models import GroupAllowance, GroupMember
from proctoring.allowances.selectors import allowance_values
from proctoring.attempts.locks import attempt_lock, loaded_allowance_values
from proctoring.attempts.models import Attempt
from tests.factories import CourseFactory, ExamFactory, UserFactory

pytestmark = pytest.mark.django_db
DUE = "2030-01-01T00:00:00+00:00"


@pytest.fixture
def exam():
    exam = ExamFactory(course=CourseFactory())
    GroupAllowance.objects.create(exam=exam, group="room-a", key="due_date_extension", value=DUE)
    return exam


def test_a_member_of_the_group_in_the_exams_course_gets_its_value(exam):
    learner = UserFactory()
    GroupMember.objects.create(course=exam.course, group="room-a", user=learner)
    assert allowance_values(exam_id=exam.pk, user_id=learner.pk) == {"due_date_extension": DUE}


def test_the_same_group_name_in_another_course_gives_nothing(exam):
    learner, other_course = UserFactory(), CourseFactory()
    GroupMember.objects.create(course=other_course, group="room-a", user=learner)
    assert allowance_values(exam_id=exam.pk, user_id=learner.pk) == {}


def test_another_learner_of_the_group_does_not_lend_it(exam):
    member, outsider = UserFactory(), UserFactory()
    GroupMember.objects.create(course=exam.course, group="room-a", user=member)
    assert allowance_values(exam_id=exam.pk, user_id=outsider.pk) == {}


def test_the_start_lock_reads_the_groups_value_without_joining_the_exam_again(exam):
    learner = UserFactory()
    GroupMember.objects.create(course=exam.course, group="room-a", user=learner)
    attempt = Attempt.objects.create(exam=exam, user=learner, attempt_code="g-1")
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        locked = attempt_lock(attempt_id=attempt.pk, with_allowances=True)
    assert locked is not None
    assert loaded_allowance_values(locked) == {"due_date_extension": DUE}
    (sql,) = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT")]
    # The outer query joins the exam (and its course) once; no sub-select joins them again.
    for table in ("exams_exam", "courses_course"):
        assert len(re.findall(rf'(?:FROM|JOIN) "?{table}"?[ )]', sql)) == 1, (table, sql)
