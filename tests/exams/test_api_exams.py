"""The exam functions of proctoring.api: create, update, read, list."""

from datetime import UTC, datetime

import pytest

from proctoring import api
from proctoring.exceptions import (
    InvalidExamData,
    ProctoredExamAlreadyExists,
    ProctoredExamNotFoundException,
)

pytestmark = pytest.mark.django_db

COURSE = "course-v1:edX+DemoX+Demo"


def test_create_exam_returns_id_and_stores_every_field():
    due = datetime(2030, 1, 1, tzinfo=UTC)
    exam_id = api.create_exam(
        COURSE,
        "content-1",
        "Final",
        90,
        due_date=due,
        is_proctored=False,
        is_practice_exam=False,
        external_id="ext-1",
        is_active=True,
        hide_after_due=True,
        backend="null",
    )
    assert api.get_exam_by_id(exam_id) == {
        "id": exam_id,
        "course_id": COURSE,
        "content_id": "content-1",
        "external_id": "ext-1",
        "exam_name": "Final",
        "time_limit_mins": 90,
        "due_date": due,
        "is_proctored": False,
        "is_practice_exam": False,
        "is_active": True,
        "hide_after_due": True,
        "backend": "null",
    }


def test_create_exam_defaults_follow_the_reference():
    exam = api.get_exam_by_id(api.create_exam(COURSE, "c", "Midterm", 60))
    assert exam["is_proctored"] is True
    assert exam["is_practice_exam"] is False
    assert exam["is_active"] is True
    assert exam["hide_after_due"] is False
    assert exam["due_date"] is None
    assert exam["external_id"] is None


def test_create_exam_twice_for_one_content_raises_already_exists():
    api.create_exam(COURSE, "c", "Midterm", 60)
    with pytest.raises(ProctoredExamAlreadyExists, match="content_id='c'"):
        api.create_exam(COURSE, "c", "Another name", 30)


def test_same_content_id_in_another_course_is_a_different_exam():
    first = api.create_exam(COURSE, "c", "Midterm", 60)
    second = api.create_exam("edX/Other/Run", "c", "Midterm", 60)
    assert first != second


@pytest.mark.parametrize("bad", [-1, "90", 1.5, True])
def test_create_exam_rejects_a_bad_time_limit(bad):
    with pytest.raises(InvalidExamData):
        api.create_exam(COURSE, "c", "Midterm", bad)


def test_create_exam_rejects_a_naive_due_date():
    with pytest.raises(InvalidExamData):
        api.create_exam(COURSE, "c", "Midterm", 60, due_date=datetime(2030, 1, 1))


def test_update_exam_changes_only_what_is_passed():
    exam_id = api.create_exam(COURSE, "c", "Midterm", 60, external_id="x")
    assert api.update_exam(exam_id, exam_name="Renamed", is_active=False) == exam_id
    exam = api.get_exam_by_id(exam_id)
    assert exam["exam_name"] == "Renamed"
    assert exam["is_active"] is False
    assert exam["time_limit_mins"] == 60
    assert exam["external_id"] == "x"
    assert exam["is_proctored"] is True


def test_update_exam_keeps_the_due_date_unless_passed_and_clears_it_with_none():
    due = datetime(2030, 1, 1, tzinfo=UTC)
    exam_id = api.create_exam(COURSE, "c", "Midterm", 60, due_date=due)
    api.update_exam(exam_id, exam_name="Renamed")
    assert api.get_exam_by_id(exam_id)["due_date"] == due
    api.update_exam(exam_id, due_date=None)
    assert api.get_exam_by_id(exam_id)["due_date"] is None


def test_update_exam_sets_every_updatable_field():
    exam_id = api.create_exam(COURSE, "c", "Midterm", 60)
    due = datetime(2031, 5, 1, tzinfo=UTC)
    api.update_exam(
        exam_id,
        time_limit_mins=30,
        due_date=due,
        is_proctored=False,
        is_practice_exam=True,
        external_id="y",
        hide_after_due=True,
        backend="mock",
    )
    exam = api.get_exam_by_id(exam_id)
    assert (exam["time_limit_mins"], exam["due_date"], exam["is_proctored"]) == (30, due, False)
    assert (exam["is_practice_exam"], exam["external_id"]) == (True, "y")
    assert (exam["hide_after_due"], exam["backend"]) == (True, "mock")


@pytest.mark.parametrize("unknown", [999999, "999999", "abc", None, -3])
def test_update_exam_of_unknown_id_raises_not_found(unknown):
    with pytest.raises(ProctoredExamNotFoundException):
        api.update_exam(unknown, exam_name="x")


@pytest.mark.parametrize("unknown", [999999, "abc", None])
def test_get_exam_by_id_of_unknown_id_raises_not_found(unknown):
    with pytest.raises(ProctoredExamNotFoundException):
        api.get_exam_by_id(unknown)


def test_get_exam_by_content_id_finds_the_exam_or_raises():
    exam_id = api.create_exam(COURSE, "c", "Midterm", 60)
    assert api.get_exam_by_content_id(COURSE, "c")["id"] == exam_id
    with pytest.raises(ProctoredExamNotFoundException):
        api.get_exam_by_content_id(COURSE, "other")


def test_get_all_exams_for_course_lists_the_course_only_and_filters_active():
    first = api.create_exam(COURSE, "a", "A", 60)
    second = api.create_exam(COURSE, "b", "B", 60, is_active=False)
    api.create_exam("other-course", "a", "A", 60)
    assert [e["id"] for e in api.get_all_exams_for_course(COURSE)] == [first, second]
    assert [e["id"] for e in api.get_all_exams_for_course(COURSE, active_only=True)] == [first]


def test_get_practice_proctored_exams_for_course_returns_active_proctored_practice_only():
    api.create_exam(COURSE, "proctored", "P", 60)
    practice = api.create_exam(COURSE, "practice", "Practice", 60, is_practice_exam=True)
    api.create_exam(COURSE, "inactive", "Practice", 60, is_practice_exam=True, is_active=False)
    api.create_exam(COURSE, "timed", "T", 60, is_proctored=False, is_practice_exam=True)
    result = api.get_practice_proctored_exams_for_course(COURSE)
    assert [e["id"] for e in result] == [practice]


def test_get_exam_by_id_takes_at_most_two_queries(django_assert_max_num_queries):
    exam_id = api.create_exam(COURSE, "c", "Midterm", 60)
    with django_assert_max_num_queries(2):
        api.get_exam_by_id(exam_id)
