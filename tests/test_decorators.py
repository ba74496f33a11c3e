"""require_course_or_global_staff on plain Django function views."""

import json

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse, JsonResponse
from django.test import RequestFactory

from proctoring.attempts.models import Attempt
from proctoring.courses.models import CourseRole
from proctoring.courses.services import course_role_grant
from proctoring.decorators import require_course_or_global_staff
from proctoring.runtime import set_runtime_service
from tests.factories import CourseFactory, ExamFactory, UserFactory

pytestmark = pytest.mark.django_db

COULD_NOT = {"detail": "could not determine the course_id"}
NOT_STAFF = {"detail": "Must be a Staff User to Perform this request."}


@require_course_or_global_staff
def view(request, *args, **kwargs):
    """Echoes what reached it, so the tests see the view ran with its arguments."""
    return JsonResponse({"ran": True, "args": list(args), "kwargs": kwargs})


def body(response):
    return json.loads(response.content)


def ran(response):
    return response.status_code == 200 and body(response)["ran"] is True


@pytest.fixture
def rf():
    return RequestFactory()


@pytest.fixture
def course_staff(exam):
    user = UserFactory(username="staffer")
    course_role_grant(user_id=user.pk, course_id=exam.course_id, role=CourseRole.Role.STAFF)
    return user


@pytest.fixture
def instructor(exam):
    user = UserFactory(username="teacher")
    course_role_grant(user_id=user.pk, course_id=exam.course_id, role=CourseRole.Role.INSTRUCTOR)
    return user


@pytest.fixture
def enrolled_learner(exam, learner):
    course_role_grant(user_id=learner.pk, course_id=exam.course_id, role=CourseRole.Role.LEARNER)
    return learner


@pytest.fixture
def global_staff(db):
    return UserFactory(username="root", is_staff=True)


@pytest.fixture
def other_course_exam(db):
    return ExamFactory(course=CourseFactory(course_id="course-v1:Other+X+Run"), content_id="x")


@pytest.fixture
def attempt(exam, learner):
    return Attempt.objects.create(exam=exam, user=learner)


def get(rf, user, path="/"):
    request = rf.get(path)
    request.user = user
    return request


def post_json(rf, user, data, method="post"):
    request = getattr(rf, method)("/", data=json.dumps(data), content_type="application/json")
    request.user = user
    return request


def post_form(rf, user, data):
    request = rf.post("/", data=data)
    request.user = user
    return request


# --- global staff ------------------------------------------------------------------------------


def test_global_staff_pass_without_any_course(rf, global_staff):
    response = view(get(rf, global_staff))
    assert ran(response)


def test_global_staff_pass_even_for_unknown_ids(rf, global_staff):
    """The reference lets global staff through before looking anything up."""
    assert ran(view(get(rf, global_staff), attempt_id=999_999))
    assert ran(view(post_json(rf, global_staff, {"exam_id": 999_999})))


def test_global_staff_do_not_consult_the_instructor_service(rf, global_staff, exam):
    class Refuses:
        def is_course_staff(self, user, course_id):
            raise AssertionError("must not be asked")

    set_runtime_service("instructor", Refuses())
    assert ran(view(get(rf, global_staff), course_id=exam.course_id))


# --- course_id from the URL --------------------------------------------------------------------


@pytest.mark.parametrize("who", ["course_staff", "instructor"])
def test_course_staff_pass_on_their_course(rf, request, exam, who):
    user = request.getfixturevalue(who)
    response = view(get(rf, user), course_id=exam.course_id)
    assert ran(response)
    assert body(response)["kwargs"] == {"course_id": exam.course_id}


def test_positional_args_and_kwargs_reach_the_view(rf, course_staff, exam):
    response = view(get(rf, course_staff), "extra", course_id=exam.course_id, other=1)
    assert body(response) == {
        "ran": True,
        "args": ["extra"],
        "kwargs": {"course_id": exam.course_id, "other": 1},
    }


def test_learner_of_the_course_is_refused(rf, enrolled_learner, exam):
    response = view(get(rf, enrolled_learner), course_id=exam.course_id)
    assert response.status_code == 403
    assert response["Content-Type"] == "application/json"
    assert body(response) == NOT_STAFF


def test_course_staff_of_another_course_is_refused(rf, course_staff, other_course_exam):
    response = view(get(rf, course_staff), course_id=other_course_exam.course_id)
    assert (response.status_code, body(response)) == (403, NOT_STAFF)


def test_anonymous_user_is_refused(rf, exam):
    response = view(get(rf, AnonymousUser()), course_id=exam.course_id)
    assert (response.status_code, body(response)) == (403, NOT_STAFF)


def test_url_course_id_wins_over_the_body_exam(rf, course_staff, exam, other_course_exam):
    """course_id from the URL is used even when the body names an exam of another course."""
    request = post_json(rf, course_staff, {"exam_id": other_course_exam.pk})
    response = view(request, course_id=exam.course_id)
    assert ran(response)


# --- course from the exam_id of the body -------------------------------------------------------


def test_json_body_exam_id_gives_the_course(rf, course_staff, exam, other_course_exam):
    assert ran(view(post_json(rf, course_staff, {"exam_id": exam.pk})))
    assert ran(view(post_json(rf, course_staff, {"exam_id": str(exam.pk)})))
    refused = view(post_json(rf, course_staff, {"exam_id": other_course_exam.pk}))
    assert (refused.status_code, body(refused)) == (403, NOT_STAFF)


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_json_body_exam_id_for_other_methods(rf, course_staff, exam, method):
    assert ran(view(post_json(rf, course_staff, {"exam_id": exam.pk}, method=method)))


def test_form_body_exam_id_gives_the_course(rf, course_staff, exam, other_course_exam):
    assert ran(view(post_form(rf, course_staff, {"exam_id": exam.pk})))
    refused = view(post_form(rf, course_staff, {"exam_id": other_course_exam.pk}))
    assert (refused.status_code, body(refused)) == (403, NOT_STAFF)


def test_urlencoded_put_body_exam_id_gives_the_course(rf, course_staff, exam):
    request = rf.put(
        "/", data=f"exam_id={exam.pk}", content_type="application/x-www-form-urlencoded"
    )
    request.user = course_staff
    assert ran(view(request))


def test_the_view_can_still_read_the_body(rf, course_staff, exam):
    @require_course_or_global_staff
    def echo(request, **kwargs):
        return JsonResponse(json.loads(request.body))

    response = echo(post_json(rf, course_staff, {"exam_id": exam.pk, "note": "kept"}))
    assert body(response) == {"exam_id": exam.pk, "note": "kept"}


def test_form_body_stays_readable_by_the_view(rf, course_staff, exam):
    @require_course_or_global_staff
    def echo(request, **kwargs):
        return HttpResponse(request.POST["note"])

    response = echo(post_form(rf, course_staff, {"exam_id": exam.pk, "note": "kept"}))
    assert response.content == b"kept"


@pytest.mark.parametrize("unknown", [999_999, "999999", "abc", 0, -3, [1], {"id": 1}, True])
def test_unknown_exam_is_404(rf, course_staff, exam, unknown):
    response = view(post_json(rf, course_staff, {"exam_id": unknown}))
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert set(body(response)) == {"detail"}
    assert "exam" in body(response)["detail"]


def test_unknown_exam_in_a_form_is_404(rf, course_staff):
    response = view(post_form(rf, course_staff, {"exam_id": "nope"}))
    assert response.status_code == 404


def test_body_exam_id_wins_over_the_url_attempt(rf, course_staff, other_course_exam, attempt):
    """The reference looks at exam_id before attempt_id."""
    request = post_json(rf, course_staff, {"exam_id": other_course_exam.pk})
    response = view(request, attempt_id=attempt.pk)
    assert (response.status_code, body(response)) == (403, NOT_STAFF)


# --- course from the attempt_id of the URL -----------------------------------------------------


def test_attempt_id_gives_the_course(rf, course_staff, attempt):
    response = view(get(rf, course_staff), attempt_id=attempt.pk)
    assert ran(response)
    assert body(response)["kwargs"] == {"attempt_id": attempt.pk}


def test_attempt_of_another_course_is_refused(rf, course_staff, other_course_exam, learner):
    other = Attempt.objects.create(exam=other_course_exam, user=learner)
    response = view(get(rf, course_staff), attempt_id=other.pk)
    assert (response.status_code, body(response)) == (403, NOT_STAFF)


def test_the_learner_of_the_attempt_is_not_staff(rf, enrolled_learner, attempt):
    response = view(get(rf, enrolled_learner), attempt_id=attempt.pk)
    assert (response.status_code, body(response)) == (403, NOT_STAFF)


@pytest.mark.parametrize("unknown", [999_999, "999999", "abc", 0])
def test_unknown_attempt_is_404(rf, course_staff, unknown):
    response = view(get(rf, course_staff), attempt_id=unknown)
    assert response.status_code == 404
    assert set(body(response)) == {"detail"}
    assert "attempt" in body(response)["detail"]


# --- no course ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make_request",
    [
        lambda rf, user: get(rf, user),
        lambda rf, user: get(rf, user, "/?exam_id=1"),  # a query string is not the body
        lambda rf, user: post_json(rf, user, {"other": 1}),
        lambda rf, user: post_json(rf, user, [1, 2]),
        lambda rf, user: post_json(rf, user, {"exam_id": None}),
        lambda rf, user: post_form(rf, user, {"other": "1"}),
    ],
    ids=["get", "query-string", "json-no-exam", "json-list", "json-null", "form-no-exam"],
)
def test_no_course_is_403(rf, course_staff, make_request):
    response = view(make_request(rf, course_staff))
    assert response.status_code == 403
    assert body(response) == COULD_NOT


def test_malformed_json_body_is_no_course(rf, course_staff):
    request = rf.post("/", data=b"{not json", content_type="application/json")
    request.user = course_staff
    response = view(request)
    assert (response.status_code, body(response)) == (403, COULD_NOT)


def test_no_course_is_403_for_anonymous_too(rf):
    response = view(get(rf, AnonymousUser()))
    assert (response.status_code, body(response)) == (403, COULD_NOT)


# --- the instructor runtime service decides ----------------------------------------------------


def test_the_instructor_service_decides(rf, learner, exam, attempt):
    asked = []

    class Everyone:
        def is_course_staff(self, user, course_id):
            asked.append((user.pk, course_id))
            return True

    set_runtime_service("instructor", Everyone())
    assert ran(view(get(rf, learner), course_id="any-course"))
    assert ran(view(post_json(rf, learner, {"exam_id": exam.pk})))
    assert ran(view(get(rf, learner), attempt_id=attempt.pk))
    assert asked == [
        (learner.pk, "any-course"),
        (learner.pk, exam.course_id),
        (learner.pk, exam.course_id),
    ]


def test_wraps_keeps_the_views_name():
    assert view.__name__ == "view"
    assert "Echoes" in view.__doc__
