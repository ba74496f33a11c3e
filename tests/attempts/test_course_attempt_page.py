"""``api.get_course_attempt_page``: the staff list of a course's attempts, one page, in two
statements."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from proctoring import api
from proctoring.attempts.selectors import ATTEMPT_FIELDS
from tests.factories import ExamFactory, UserFactory

pytestmark = pytest.mark.django_db
CONTROL = ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE", "ROLLBACK")


@pytest.fixture
def attempts(course):
    exams = [ExamFactory(course=course, content_id=f"c{n}") for n in range(2)]
    learners = [UserFactory(username=f"page-learner-{n}") for n in range(3)]
    ids = [api.create_exam_attempt(e.pk, u.pk) for e in exams for u in learners]
    api.update_attempt_status(exams[0].pk, learners[0].pk, "started")
    ExamFactory(content_id="elsewhere")  # another course's exam
    return exams, learners, ids


def test_a_page_newest_first_with_exam_and_learner(course, attempts):
    exams, learners, ids = attempts
    page = api.get_course_attempt_page(course.course_id, page_size=4)
    assert page["count"] == 6
    assert [row["id"] for row in page["results"]] == sorted(ids, reverse=True)[:4]
    second = api.get_course_attempt_page(course.course_id, page=2, page_size=4)
    assert [row["id"] for row in second["results"]] == sorted(ids, reverse=True)[4:]
    row = next(r for r in page["results"] + second["results"] if r["id"] == ids[0])
    assert row["status"] == "started" and row["started_at"] is not None
    assert (row["exam_name"], row["content_id"]) == (exams[0].exam_name, "c0")
    assert (row["username"], row["email"]) == ("page-learner-0", learners[0].email)
    assert set(ATTEMPT_FIELDS) <= set(row)


def test_filters(course, attempts):
    exams, learners, _ids = attempts
    by_exam = api.get_course_attempt_page(course.course_id, exam_id=exams[1].pk)
    assert by_exam["count"] == 3
    assert api.get_course_attempt_page(course.course_id, status="started")["count"] == 1
    found = api.get_course_attempt_page(course.course_id, search="PAGE-LEARNER-1")
    assert {row["user_id"] for row in found["results"]} == {learners[1].pk}
    assert api.get_course_attempt_page(course.course_id, exam_id="x") == {
        "count": 0,
        "results": [],
    }
    assert api.get_course_attempt_page("course-v1:No+Such+Course")["count"] == 0


def test_two_statements_whatever_the_page(course, attempts):
    with CaptureQueriesContext(connection) as queries:
        api.get_course_attempt_page(course.course_id, page=2, page_size=2)
    data = [q for q in queries.captured_queries if not q["sql"].startswith(CONTROL)]
    assert len(data) == 2


@pytest.mark.parametrize(
    "arguments", [{"page": 0}, {"page": True}, {"page_size": 0}, {"page_size": 201}]
)
def test_bad_pages_are_refused(course, arguments):
    with pytest.raises(ValueError):
        api.get_course_attempt_page(course.course_id, **arguments)


def test_the_compiled_page_is_the_orms(course, attempts):
    """A search is built by the ORM at each call; a page without one runs SQL compiled once
    per set of filters: the same rows, and nothing compiled again at the next page."""
    from proctoring.attempts import page_read

    for page in (1, 2):
        by_orm = api.get_course_attempt_page(
            course.course_id, search="page-learner", page=page, page_size=4
        )
        compiled = api.get_course_attempt_page(course.course_id, page=page, page_size=4)
        assert compiled == by_orm
    shapes = dict(page_read._pages)
    api.get_course_attempt_page(course.course_id, page=2, page_size=3)
    assert page_read._pages == shapes
    past = api.get_course_attempt_page(course.course_id, page=9, page_size=4)
    assert past == {"count": 6, "results": []}
