"""The staff list of a course's attempts: filters, search, pages, constant queries."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from proctoring.attempts.models import Attempt
from proctoring.attempts.selectors import user_search_filter
from tests.factories import ExamFactory, UserFactory
from tests.rest.conftest import COURSE_ID, bearer, client_for, mint

pytestmark = pytest.mark.django_db
LIST = f"/api/v1/courses/{COURSE_ID}/attempts"


def _add_attempts(world, count, status="created"):
    users = [
        UserFactory(username=f"learner{i:03d}", email=f"L{i:03d}@Example.org") for i in range(count)
    ]
    Attempt.objects.bulk_create(
        Attempt(exam=world.exam, user=user, status=status, attempt_code=f"code-{user.pk}")
        for user in users
    )
    return users


def test_the_list_filters_by_exam_status_and_search(world):
    _add_attempts(world, 3, status="submitted")
    other_exam = ExamFactory(course=world.course)
    Attempt.objects.create(exam=other_exam, user=world.other_learner, status="verified")
    Attempt.objects.create(exam=world.other_exam, user=world.other_learner)  # another course
    client = client_for(world, "staff")
    assert client.get(LIST).json()["count"] == 5
    assert client.get(LIST, {"exam_id": other_exam.pk}).json()["count"] == 1
    assert client.get(LIST, {"status": "submitted"}).json()["count"] == 3
    assert client.get(LIST, {"search": "ALI"}).json()["count"] == 1
    assert client.get(LIST, {"search": "l001"}).json()["count"] == 1  # the email, any case
    assert client.get(LIST, {"search": "learner"}).json()["count"] == 3
    assert client.get(LIST, {"search": "nobody"}).json()["count"] == 0
    assert client.get(LIST, {"status": "flying"}).status_code == 400
    row = client.get(LIST, {"search": "alice"}).json()["results"][0]
    assert row["username"] == "alice"
    assert row["exam_name"] == "Midterm"


def test_archived_attempts_are_listed_on_request(world):
    Attempt.objects.filter(pk=world.attempt.pk).update(archived_at=timezone.now())
    client = client_for(world, "staff")
    assert client.get(LIST).json()["count"] == 0
    assert client.get(LIST, {"include_archived": "true"}).json()["count"] == 1


def test_the_list_is_paginated_newest_first(world):
    _add_attempts(world, 7)
    client = client_for(world, "staff")
    first = client.get(LIST, {"page_size": 3}).json()
    assert first["count"] == 8
    assert len(first["results"]) == 3
    assert first["next"] is not None and first["previous"] is None
    ids = [row["id"] for row in first["results"]]
    assert ids == sorted(ids, reverse=True)
    last = client.get(LIST, {"page_size": 3, "page": 3}).json()
    assert len(last["results"]) == 2


@pytest.mark.parametrize(("attempts", "page_size"), [(5, 5), (60, 50), (60, 200)])
def test_a_page_costs_the_same_queries_whatever_its_size_and_the_course_size(
    world, django_assert_num_queries, attempts, page_size
):
    _add_attempts(world, attempts)
    token = mint("carol-1", preferred_username="carol-jwt", course_roles={COURSE_ID: "staff"})
    client = client_for(world, "anonymous")
    client.get(LIST, **bearer(token))  # first sight of the user, and of its course role
    # count and page: the token's user and its role were kept by the first request (auth_cache)
    with django_assert_num_queries(2):
        response = client.get(LIST, {"page_size": page_size, "search": "l"}, **bearer(token))
    assert response.status_code == 200
    assert len(response.json()["results"]) == min(page_size, attempts)


def _plan(queryset):
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {sql}", params)
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return " ".join(str(row) for row in cursor.fetchall())


def test_the_user_search_uses_the_case_insensitive_indexes(world):
    plan = _plan(get_user_model().objects.filter(user_search_filter("Ali")).only("id"))
    assert "accounts_user_username_ci" in plan
    assert "accounts_user_email_ci" in plan


def test_a_pages_rows_are_those_of_the_serializer(world):
    from proctoring.rest.v1.attempts import AttemptListItem, attempt_list_item

    _add_attempts(world, 3)
    archived = Attempt.objects.order_by("id").first()
    archived.archived_at = archived.created
    archived.save()
    rows = list(Attempt.objects.select_related("exam", "user").order_by("id"))
    assert len(rows) >= 4 and any(row.archived_at for row in rows)
    for row in rows:
        expected = dict(AttemptListItem(row).data)
        assert attempt_list_item(row) == expected
        assert list(attempt_list_item(row)) == list(expected)
