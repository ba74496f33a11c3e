"""create_exam and update_exam take the reference's positional order; our extras are keywords."""

from datetime import UTC, datetime

import pytest

from proctoring import api

pytestmark = pytest.mark.django_db

COURSE = "course-v1:edX+DemoX+Demo"
DUE = datetime(2030, 1, 1, tzinfo=UTC)


def fields(exam_id, *names):
    exam = api.get_exam_by_id(exam_id)
    return tuple(exam[name] for name in names)


def test_create_exam_with_the_seeds_five_positionals():
    exam_id = api.create_exam(COURSE, "c", "Timed exam", 60, False)
    assert fields(exam_id, "time_limit_mins", "is_proctored", "is_practice_exam") == (
        60,
        False,
        False,
    )
    assert fields(exam_id, "due_date", "is_active") == (None, True)


def test_create_exam_with_all_eight_of_the_seeds_positionals():
    exam_id = api.create_exam(COURSE, "c", "Practice", 30, True, True, "ext-1", False)
    assert api.get_exam_by_id(exam_id) == {
        "id": exam_id,
        "course_id": COURSE,
        "content_id": "c",
        "external_id": "ext-1",
        "exam_name": "Practice",
        "time_limit_mins": 30,
        "due_date": None,
        "is_proctored": True,
        "is_practice_exam": True,
        "is_active": False,
        "hide_after_due": False,
        "backend": None,
    }


def test_create_exam_takes_our_extras_as_keywords_after_the_seeds_positionals():
    exam_id = api.create_exam(
        COURSE,
        "c",
        "Final",
        90,
        True,
        False,
        None,
        True,
        due_date=DUE,
        hide_after_due=True,
        backend="null",
    )
    assert fields(exam_id, "due_date", "hide_after_due", "backend") == (DUE, True, "null")


@pytest.mark.parametrize(
    "extra", [DUE, True, "null"], ids=["due_date", "hide_after_due", "backend"]
)
def test_create_exam_refuses_a_ninth_positional(extra):
    with pytest.raises(TypeError):
        api.create_exam(COURSE, "c", "Final", 90, True, False, None, True, extra)
    assert api.get_all_exams_for_course(COURSE) == []


def test_update_exam_with_the_seeds_four_positionals():
    exam_id = api.create_exam(COURSE, "c", "Midterm", 60, due_date=DUE)
    assert api.update_exam(exam_id, "Renamed", 30, False) == exam_id
    assert fields(exam_id, "exam_name", "time_limit_mins", "is_proctored") == (
        "Renamed",
        30,
        False,
    )
    # What was not passed is unchanged, the due date included.
    assert fields(exam_id, "due_date", "is_practice_exam", "is_active") == (DUE, False, True)


def test_update_exam_with_all_seven_of_the_seeds_positionals():
    exam_id = api.create_exam(COURSE, "c", "Midterm", 60)
    api.update_exam(exam_id, "Practice", 15, True, True, "ext-2", False)
    assert fields(
        exam_id,
        "exam_name",
        "time_limit_mins",
        "is_proctored",
        "is_practice_exam",
        "external_id",
        "is_active",
    ) == ("Practice", 15, True, True, "ext-2", False)


def test_update_exam_none_positionals_leave_fields_alone():
    exam_id = api.create_exam(COURSE, "c", "Midterm", 60, False, False, "ext", True)
    api.update_exam(exam_id, None, None, None, None, None, False)
    assert fields(exam_id, "exam_name", "time_limit_mins", "is_proctored", "external_id") == (
        "Midterm",
        60,
        False,
        "ext",
    )
    assert fields(exam_id, "is_active") == (False,)


def test_update_exam_takes_our_extras_as_keywords():
    exam_id = api.create_exam(COURSE, "c", "Midterm", 60)
    api.update_exam(exam_id, "Final", due_date=DUE, hide_after_due=True, backend="mock")
    assert fields(exam_id, "exam_name", "due_date", "hide_after_due", "backend") == (
        "Final",
        DUE,
        True,
        "mock",
    )
    api.update_exam(exam_id, due_date=None)
    assert fields(exam_id, "due_date") == (None,)


@pytest.mark.parametrize(
    "extra", [DUE, True, "null"], ids=["due_date", "hide_after_due", "backend"]
)
def test_update_exam_refuses_an_eighth_positional(extra):
    exam_id = api.create_exam(COURSE, "c", "Midterm", 60)
    with pytest.raises(TypeError):
        api.update_exam(exam_id, "x", 1, False, True, "e", False, extra)
    assert fields(exam_id, "exam_name", "time_limit_mins") == ("Midterm", 60)
