"""The routes of the REST API v1, mounted at /api/v1/.

``course_id`` is the platform's id, of the grammar of ``proctoring.core.ids``: one segment, or
three separated by slashes (``edX/DemoX/Demo_Course``). It is matched as a path, so the routes
under a course come before the course itself.
"""

from django.urls import path, register_converter

from proctoring.core.ids import COURSE_ID_RESERVED_SEGMENTS, is_course_id
from proctoring.rest.v1 import (
    access,
    access_questions,
    access_windows,
    allowances,
    attempt_staff,
    attempts,
    courses,
    exams,
    onboarding,
    provider_callbacks,
    providers,
    retakes,
    reviews,
    users,
    webhooks,
)


class IdConverter:
    """A database id: at most 18 digits, so it always fits a 64-bit column."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


_SEGMENT = "[^/\x00]+"
_RESERVED = "|".join(COURSE_ID_RESERVED_SEGMENTS)


class CourseIdConverter:
    """The course id of the course resource itself: one segment, or three whose middle one is
    not a word of the routes under a course (so ``courses/A/exams/abc`` is no course and
    answers 404). Its characters are checked by the view: a ``PUT`` of an id outside the
    grammar (``proctoring.core.ids``) is a 400 ``invalid_course_id``."""

    regex = f"{_SEGMENT}(?:/(?!(?:{_RESERVED})/){_SEGMENT}/{_SEGMENT})?"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class KnownCourseIdConverter(CourseIdConverter):
    """The course id of the routes under a course: only an id of the grammar matches, so
    any other path is a 404."""

    def to_python(self, value: str) -> str:
        if not is_course_id(value):
            raise ValueError(value)
        return value


class NameConverter:
    """One path segment without NUL: a username or an allowance key."""

    regex = _SEGMENT

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(IdConverter, "id")
register_converter(CourseIdConverter, "course_id")
register_converter(KnownCourseIdConverter, "known_course_id")
register_converter(NameConverter, "name")

app_name = "v1"

C = "courses/<known_course_id:course_id>"

W = "webhooks/<id:subscription_id>"

urlpatterns = [
    # Attempts: the learner's own, then course staff's actions on one.
    path("attempts", attempts.AttemptCreateApi.as_view(), name="attempt-create"),
    path("attempts/active", attempts.AttemptActiveApi.as_view(), name="attempt-active"),
    path("attempts/<id:attempt_id>", attempts.AttemptDetailApi.as_view(), name="attempt-detail"),
    path(
        "attempts/<id:attempt_id>/start", attempts.AttemptStartApi.as_view(), name="attempt-start"
    ),
    path("attempts/<id:attempt_id>/stop", attempts.AttemptStopApi.as_view(), name="attempt-stop"),
    path(
        "attempts/<id:attempt_id>/submit",
        attempts.AttemptSubmitApi.as_view(),
        name="attempt-submit",
    ),
    path(
        "attempts/<id:attempt_id>/decline",
        attempts.AttemptDeclineApi.as_view(),
        name="attempt-decline",
    ),
    path(
        "attempts/<id:attempt_id>/error", attempts.AttemptErrorApi.as_view(), name="attempt-error"
    ),
    path(
        "attempts/<id:attempt_id>/review",
        attempts.AttemptReviewApi.as_view(),
        name="attempt-review",
    ),
    path(
        "attempts/<id:attempt_id>/reset", attempts.AttemptResetApi.as_view(), name="attempt-reset"
    ),
    path(
        "attempts/<id:attempt_id>/time",
        attempts.AttemptAddTimeApi.as_view(),
        name="attempt-add-time",
    ),
    path(
        "attempts/<id:attempt_id>/pause", attempts.AttemptPauseApi.as_view(), name="attempt-pause"
    ),
    path(
        "attempts/<id:attempt_id>/resume",
        attempts.AttemptResumeApi.as_view(),
        name="attempt-resume",
    ),
    path("attempts/<id:attempt_id>/end", attempt_staff.AttemptEndApi.as_view(), name="attempt-end"),
    path(
        "attempts/<id:attempt_id>/status",
        attempt_staff.AttemptSetStatusApi.as_view(),
        name="attempt-set-status",
    ),
    path(
        "attempts/<id:attempt_id>/timeline",
        reviews.AttemptTimelineApi.as_view(),
        name="attempt-timeline",
    ),
    path(
        "attempts/<id:attempt_id>/retake", retakes.AttemptRetakeApi.as_view(), name="attempt-retake"
    ),
    path(
        "attempts/<id:attempt_id>/resumable",
        retakes.AttemptResumableApi.as_view(),
        name="attempt-resumable",
    ),
    path(
        "attempts/<id:attempt_id>/continue",
        retakes.AttemptContinueApi.as_view(),
        name="attempt-continue",
    ),
    path(
        "attempts/<id:attempt_id>/provider",
        providers.AttemptProviderApi.as_view(),
        name="attempt-provider",
    ),
    path(
        "attempts/<id:attempt_id>/ping-missed",
        providers.AttemptPingMissedApi.as_view(),
        name="attempt-ping-missed",
    ),
    # Callbacks of proctoring providers (docs/providers.md).
    path(
        "providers/<name:alias>/attempts/<name:external_id>/ready",
        provider_callbacks.ReadyCallbackApi.as_view(),
        name="provider-callback-ready",
    ),
    path(
        "providers/<name:alias>/attempts/<name:external_id>/reviewed",
        provider_callbacks.ReviewedCallbackApi.as_view(),
        name="provider-callback-reviewed",
    ),
    path(
        "attempts/<id:attempt_id>/unlock-session",
        access_windows.SessionUnlockApi.as_view(),
        name="attempt-session-unlock",
    ),
    # Access rules (issue 15): the learner's side.
    path("exams/<id:exam_id>/seb-config", access.SebConfigApi.as_view(), name="exam-seb-config"),
    path(
        "exams/<id:exam_id>/content-access",
        access_questions.ContentAccessApi.as_view(),
        name="exam-content-access",
    ),
    path(
        "exams/<id:exam_id>/learner-settings",
        access_questions.LearnerSettingsApi.as_view(),
        name="exam-learner-settings",
    ),
    # Users: retirement of personal data (platforms).
    path("users/<name:username>/retire", users.UserRetireApi.as_view(), name="user-retire"),
    path("webhooks", webhooks.WebhookListCreateApi.as_view(), name="webhook-list"),
    path(
        "webhooks/<id:subscription_id>", webhooks.WebhookDetailApi.as_view(), name="webhook-detail"
    ),
    path(
        "webhooks/<id:subscription_id>/pause",
        webhooks.WebhookPauseApi.as_view(),
        name="webhook-pause",
    ),
    path(
        "webhooks/<id:subscription_id>/resume",
        webhooks.WebhookResumeApi.as_view(),
        name="webhook-resume",
    ),
    path(
        "webhooks/<id:subscription_id>/rotate-secret",
        webhooks.WebhookRotateSecretApi.as_view(),
        name="webhook-rotate-secret",
    ),
    path(
        "webhooks/<id:subscription_id>/replay",
        webhooks.WebhookReplayApi.as_view(),
        name="webhook-replay",
    ),
    path(
        "webhooks/<id:subscription_id>/deliveries",
        webhooks.WebhookDeliveryListApi.as_view(),
        name="webhook-delivery-list",
    ),
    path(
        "webhooks/<id:subscription_id>/deliveries/<id:delivery_id>/retry",
        webhooks.WebhookDeliveryRetryApi.as_view(),
        name="webhook-delivery-retry",
    ),
    path("events/backlog", webhooks.EventBacklogApi.as_view(), name="event-backlog"),
    # Under a course.
    path(f"{C}/roles", courses.CourseRoleListApi.as_view(), name="course-role-list"),
    path(f"{C}/roles/<name:username>", courses.CourseRoleApi.as_view(), name="course-role"),
    path(f"{C}/exams", exams.ExamListCreateApi.as_view(), name="exam-list"),
    path(f"{C}/exams/lookup", exams.ExamLookupApi.as_view(), name="exam-lookup"),
    path(f"{C}/exams/<id:exam_id>", exams.ExamDetailApi.as_view(), name="exam-detail"),
    path(
        f"{C}/exams/<id:exam_id>/provider-dashboard",
        providers.ExamProviderDashboardApi.as_view(),
        name="exam-provider-dashboard",
    ),
    *(
        path(
            f"{C}/exams/<id:exam_id>/allowances/<name:username>/{key}",
            view.as_view(),
            name="allowance-detail",
        )
        for key, view in allowances.ALLOWANCE_DETAIL_VIEWS.items()
    ),
    # Access rules (issue 15): course staff's and the platform's side.
    path(
        f"{C}/exams/summary",
        access_questions.CourseSummaryApi.as_view(),
        name="course-exam-summary",
    ),
    path(
        f"{C}/exams/register", access_questions.ExamRegistrationApi.as_view(), name="exam-register"
    ),
    path(
        f"{C}/exams/<id:exam_id>/extend",
        access_questions.ExamExtendApi.as_view(),
        name="exam-extend",
    ),
    path(f"{C}/exams/<id:exam_id>/access", access.ExamRulesApi.as_view(), name="exam-access"),
    path(
        f"{C}/exams/<id:exam_id>/windows/learners/<name:username>",
        access_windows.LearnerWindowApi.as_view(),
        name="learner-window",
    ),
    path(
        f"{C}/exams/<id:exam_id>/windows/groups/<name:group>",
        access_windows.GroupWindowApi.as_view(),
        name="group-window",
    ),
    path(
        f"{C}/exams/<id:exam_id>/release",
        access_windows.ExamReleaseApi.as_view(),
        name="exam-release",
    ),
    path(
        f"{C}/exams/<id:exam_id>/gate-log",
        access_windows.GateLogApi.as_view(),
        name="exam-gate-log",
    ),
    path(
        f"{C}/allowances/learners/<name:username>",
        access_questions.LearnerAccommodationsApi.as_view(),
        name="learner-accommodations",
    ),
    path(
        f"{C}/allowances/profiles/<name:username>",
        access_questions.CourseProfileApi.as_view(),
        name="course-profile",
    ),
    path(
        f"{C}/allowances/groups/<name:group>",
        access_windows.GroupMembersApi.as_view(),
        name="group-members",
    ),
    path(f"{C}/allowances", allowances.AllowanceListApi.as_view(), name="allowance-list"),
    path(f"{C}/allowances/bulk", allowances.AllowanceBulkGrantApi.as_view(), name="allowance-bulk"),
    path(f"{C}/attempts", attempts.CourseAttemptListApi.as_view(), name="course-attempt-list"),
    path(f"{C}/review-queue", reviews.CourseReviewQueueApi.as_view(), name="course-review-queue"),
    path(
        f"{C}/onboarding-statuses",
        onboarding.CourseOnboardingStatusListApi.as_view(),
        name="course-onboarding-statuses",
    ),
    path("courses/<course_id:course_id>", courses.CourseApi.as_view(), name="course"),
]
