"""Registering a course's exams twice at once (issue 15, item 4): real threads on their own
connections; each exam is created once and the two answers add up."""

import pytest
from django.conf import settings
from django.db import connection

from proctoring.access.registration import ExamSpec, course_exams_register
from proctoring.exams.models import Exam
from tests.attempts.threads import run_together


def _in_memory_sqlite() -> bool:
    database = settings.DATABASES["default"]
    return connection.vendor == "sqlite" and str(database["NAME"]).startswith(":memory:")


pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        _in_memory_sqlite(), reason="threads need a database file on SQLite, not :memory:"
    ),
]

COURSE = "course-v1:Race+R1+2030"
SPECS = [
    ExamSpec(content_id=f"exam-{n}", exam_name=f"Exam {n}", time_limit_mins=30) for n in range(20)
]


@pytest.mark.parametrize("copies", [2, 4])
def test_concurrent_registrations_create_each_exam_once(copies):
    results = run_together(lambda: course_exams_register(course_id=COURSE, specs=SPECS), copies)
    assert Exam.objects.filter(course_id=COURSE).count() == len(SPECS)
    created = sorted(c for result in results for c in result.created)
    assert created == sorted(spec.content_id for spec in SPECS)
    for result in results:
        assert sorted(result.created + result.unchanged) == sorted(s.content_id for s in SPECS)
        assert result.updated == result.deactivated == []
    # And once more, alone: nothing changes.
    again = course_exams_register(course_id=COURSE, specs=SPECS)
    assert again.created == again.updated == again.deactivated == []
