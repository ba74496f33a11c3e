"""proctoring.models: the reference's model-level names over our models.

``test_get_practice_proctored_exams_for_course`` is the reference's test, body as written.
"""

from datetime import UTC, datetime

import pytest
from django.db import connection

from proctoring import api
from proctoring.attempts import statuses
from proctoring.attempts.models import Attempt
from proctoring.attempts.statuses import AttemptStatus
from proctoring.courses.models import Course
from proctoring.exams.models import Exam
from proctoring.models import (
    ProctoredExam,
    ProctoredExamStudentAttempt,
    ProctoredExamStudentAttemptStatus,
)
from tests.attempts import expected
from tests.factories import ExamFactory, UserFactory
from tests.seed_compat import SeedTestCase


class ProctoredExamModelTests(SeedTestCase):
    # The reference's test, as written (hence no reformatting).
    # fmt: off
    def test_get_practice_proctored_exams_for_course(self):
        """
        Test get_practice_proctored_exams_for_course method returns only active
        practice proctored exams.
        """
        course_id = 'test_course'
        # create proctored exam
        ProctoredExam.objects.create(
            course_id=course_id,
            content_id='test_content_1',
            exam_name='Test Exam',
            external_id='123aXqe3',
            time_limit_mins=90,
            is_active=True,
            is_proctored=True,
        )
        # create practice proctored exam
        ProctoredExam.objects.create(
            course_id=course_id,
            content_id='test_content_2',
            exam_name='Test Exam',
            external_id='123aXqe3',
            time_limit_mins=90,
            is_active=True,
            is_proctored=True,
            is_practice_exam=True,
        )
        practice_proctored_exams = ProctoredExam.objects.filter(
            course_id=course_id,
            is_active=True,
            is_proctored=True,
            is_practice_exam=True
        )

        self.assertQuerysetEqual(
            ProctoredExam.get_practice_proctored_exams_for_course(course_id),
            [repr(exam) for exam in practice_proctored_exams]
        )
    # fmt: on

    def test_the_compat_assertion_compares_reprs_in_order(self):
        course_id = "course-v1:Org+Order+Run"
        first = ProctoredExam.objects.create(course_id=course_id, content_id="a", exam_name="A")
        second = ProctoredExam.objects.create(course_id=course_id, content_id="b", exam_name="B")
        exams = ProctoredExam.get_all_exams_for_course(course_id)
        self.assertQuerysetEqual(exams, [repr(first), repr(second)])
        with self.assertRaises(AssertionError):
            self.assertQuerysetEqual(exams, [repr(second), repr(first)])
        self.assertQuerysetEqual(exams, [repr(second), repr(first)], ordered=False)
        self.assertQuerysetEqual(exams, [first.pk, second.pk], transform=lambda exam: exam.pk)


class ProctoredExamTests(SeedTestCase):
    def test_objects_create_with_a_new_course_id_string_creates_the_course(self):
        self.assertFalse(Course.objects.filter(course_id="brand-new-course").exists())
        exam = ProctoredExam.objects.create(
            course_id="brand-new-course", content_id="c", exam_name="E", time_limit_mins=30
        )
        self.assertIsInstance(exam, ProctoredExam)
        self.assertEqual(Course.objects.get(course_id="brand-new-course").exams.get().pk, exam.pk)
        # A second exam of the same course reuses the row.
        ProctoredExam.objects.create(course_id="brand-new-course", content_id="d", exam_name="F")
        self.assertEqual(Course.objects.filter(course_id="brand-new-course").count(), 1)

    def test_objects_create_accepts_a_course_string_too(self):
        exam = ProctoredExam.objects.create(course="string-course", content_id="c", exam_name="E")
        self.assertEqual(Exam.objects.get(pk=exam.pk).course_id, "string-course")

    def test_proxy_shares_rows_with_exam_and_needs_no_table(self):
        exam = ExamFactory(content_id="x")
        self.assertTrue(ProctoredExam._meta.proxy)
        self.assertEqual(ProctoredExam._meta.db_table, Exam._meta.db_table)
        self.assertEqual(ProctoredExam._meta.app_label, "exams")
        self.assertEqual(ProctoredExam.objects.get(pk=exam.pk).content_id, "x")

    def test_get_exam_by_id(self):
        exam = ExamFactory()
        found = ProctoredExam.get_exam_by_id(exam.pk)
        self.assertIsInstance(found, ProctoredExam)
        self.assertEqual(found.pk, exam.pk)
        self.assertEqual(ProctoredExam.get_exam_by_id(str(exam.pk)).pk, exam.pk)
        for unknown in (exam.pk + 1000, 0, -1, "abc", None, True, 2**70):
            with self.subTest(unknown=unknown):
                self.assertIsNone(ProctoredExam.get_exam_by_id(unknown))

    def test_get_exam_by_content_id(self):
        exam = ExamFactory(content_id="midterm")
        self.assertEqual(
            ProctoredExam.get_exam_by_content_id(exam.course_id, "midterm").pk, exam.pk
        )
        self.assertIsNone(ProctoredExam.get_exam_by_content_id(exam.course_id, "final"))
        self.assertIsNone(ProctoredExam.get_exam_by_content_id("other-course", "midterm"))

    def test_get_all_exams_for_course(self):
        course_id = "course-v1:Org+All+Run"
        active = api.create_exam(course_id, "a", "A", 60)
        inactive = api.create_exam(course_id, "b", "B", 60, is_active=False)
        api.create_exam("another-course", "a", "A", 60)
        all_exams = ProctoredExam.get_all_exams_for_course(course_id)
        self.assertEqual([exam.pk for exam in all_exams], [active, inactive])
        self.assertEqual(
            [exam.pk for exam in ProctoredExam.get_all_exams_for_course(course_id, True)],
            [active],
        )
        self.assertEqual(
            [
                exam.pk
                for exam in ProctoredExam.get_all_exams_for_course(course_id, active_only=True)
            ],
            [active],
        )
        self.assertEqual(list(ProctoredExam.get_all_exams_for_course("no-such-course")), [])

    def test_get_practice_proctored_exams_for_course_leaves_out_the_others(self):
        course_id = "course-v1:Org+Practice+Run"
        practice = api.create_exam(course_id, "p", "P", 60, True, True)
        api.create_exam(course_id, "proctored", "X", 60, True, False)
        api.create_exam(course_id, "timed", "T", 60, False, True)
        api.create_exam(course_id, "inactive", "I", 60, True, True, None, False)
        self.assertEqual(
            [exam.pk for exam in ProctoredExam.get_practice_proctored_exams_for_course(course_id)],
            [practice],
        )


class ProctoredExamStudentAttemptTests(SeedTestCase):
    def setUp(self):
        self.exam = ExamFactory(content_id="midterm")
        self.user = UserFactory()

    def test_get_exam_attempt_is_the_current_attempt(self):
        manager = ProctoredExamStudentAttempt.objects
        self.assertIsNone(manager.get_exam_attempt(self.exam.pk, self.user.pk))
        archived = Attempt.objects.create(
            exam=self.exam, user=self.user, attempt_number=1, archived_at=datetime.now(UTC)
        )
        self.assertIsNone(manager.get_exam_attempt(self.exam.pk, self.user.pk))
        current = Attempt.objects.create(exam=self.exam, user=self.user, attempt_number=2)
        found = manager.get_exam_attempt(self.exam.pk, self.user.pk)
        self.assertIsInstance(found, ProctoredExamStudentAttempt)
        self.assertEqual(found.pk, current.pk)
        self.assertNotEqual(found.pk, archived.pk)
        other_user = UserFactory()
        self.assertIsNone(manager.get_exam_attempt(self.exam.pk, other_user.pk))
        self.assertIsNone(manager.get_exam_attempt(self.exam.pk + 1000, self.user.pk))
        self.assertIsNone(manager.get_exam_attempt("abc", self.user.pk))

    def test_get_exam_attempt_by_id(self):
        manager = ProctoredExamStudentAttempt.objects
        attempt = Attempt.objects.create(exam=self.exam, user=self.user)
        found = manager.get_exam_attempt_by_id(attempt.pk)
        self.assertEqual(found.pk, attempt.pk)
        self.assertEqual(manager.get_exam_attempt_by_id(str(attempt.pk)).pk, attempt.pk)
        for unknown in (attempt.pk + 1000, 0, "abc", None):
            with self.subTest(unknown=unknown):
                self.assertIsNone(manager.get_exam_attempt_by_id(unknown))

    def test_proctored_exam_is_the_attempts_exam(self):
        attempt = Attempt.objects.create(exam=self.exam, user=self.user)
        found = ProctoredExamStudentAttempt.objects.get_exam_attempt_by_id(attempt.pk)
        self.assertEqual(found.proctored_exam.pk, self.exam.pk)
        self.assertEqual(found.proctored_exam.course_id, self.exam.course_id)
        self.assertEqual(found.proctored_exam.content_id, "midterm")

    def test_proxy_shares_rows_with_attempt(self):
        self.assertTrue(ProctoredExamStudentAttempt._meta.proxy)
        self.assertEqual(ProctoredExamStudentAttempt._meta.app_label, "attempts")
        self.assertEqual(ProctoredExamStudentAttempt._meta.db_table, Attempt._meta.db_table)


STATUS_NAMES = expected.ALL_STATUSES  # the tests' own hand-written oracle
PREDICATES = [
    "is_completed_status",
    "is_incomplete_status",
    "is_a_cascadable_failure",
    "needs_credit_status_update",
    "needs_status_change_email",
]


@pytest.mark.parametrize("name", STATUS_NAMES)
def test_status_names_are_the_lowercase_strings(name):
    value = getattr(ProctoredExamStudentAttemptStatus, name)
    assert type(value) is str
    assert value == name == AttemptStatus(name).value


def test_every_status_has_its_name():
    assert sorted(STATUS_NAMES) == sorted(status.value for status in AttemptStatus)


@pytest.mark.parametrize("predicate", PREDICATES)
@pytest.mark.parametrize("status", [*STATUS_NAMES, "no_such_status", ""])
def test_status_predicates_agree_with_the_status_table(predicate, status):
    ours = getattr(ProctoredExamStudentAttemptStatus, predicate)
    # Callable on the class (as the reference does), and on an instance.
    assert ours(status) is getattr(statuses, predicate)(status)
    assert ProctoredExamStudentAttemptStatus().__getattribute__(predicate)(status) is ours(status)


def test_status_predicates_on_known_cases():
    s = ProctoredExamStudentAttemptStatus
    assert s.is_completed_status(s.submitted) and not s.is_completed_status(s.started)
    assert s.is_incomplete_status(s.started) and not s.is_incomplete_status(s.verified)
    assert s.is_a_cascadable_failure(s.declined)
    assert s.needs_credit_status_update(s.verified) and not s.needs_credit_status_update(s.created)
    assert s.needs_status_change_email(s.rejected) and not s.needs_status_change_email(s.error)


@pytest.mark.django_db
def test_proxies_need_no_table():
    tables = connection.introspection.table_names()
    assert Exam._meta.db_table in tables
    assert "exams_proctoredexam" not in tables
    assert "attempts_proctoredexamstudentattempt" not in tables
