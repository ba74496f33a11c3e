"""The web UI's routes (docs/web.md), mounted at the site's root."""

from django.contrib.auth import views as auth_views
from django.urls import path, register_converter

from proctoring.rest.urls import KnownCourseIdConverter
from proctoring.web.views import browser, embed, learner, lti, public, staff, staff_reviews

register_converter(KnownCourseIdConverter, "web_course_id")

app_name = "web"

C = "staff/courses/<web_course_id:course_id>"

urlpatterns = [
    path("", public.home, name="home"),
    path("launch", public.launch, name="launch"),
    path(
        "signin",
        auth_views.LoginView.as_view(template_name="web/signin.html"),
        name="signin",
    ),
    path("signout", auth_views.LogoutView.as_view(), name="signout"),
    # The learner's exam page, its actions and the clock its timer follows.
    path("exams/<int:exam_id>", learner.exam_page, name="exam"),
    path("exams/<int:exam_id>/act", learner.exam_act, name="exam-act"),
    path("attempts/<int:attempt_id>/clock", learner.attempt_clock_json, name="attempt-clock"),
    path(
        "attempts/<int:attempt_id>/provider",
        learner.attempt_provider_steps,
        name="attempt-provider",
    ),
    path("attempts/<int:attempt_id>/ready", learner.attempt_ready_poll, name="attempt-ready"),
    path("embed/timer", embed.embed_timer, name="embed-timer"),
    # Browser proctoring: the consent and checks, the exam page's batches, staff's side.
    path("browser/setup/<str:external_id>", browser.browser_setup, name="browser-setup"),
    path("attempts/<int:attempt_id>/browser-events", browser.browser_events, name="browser-events"),
    path(
        "staff/exams/<int:exam_id>/browser", browser.browser_exam_settings, name="browser-settings"
    ),
    path(
        "staff/browser/snapshots/<int:snapshot_id>",
        browser.browser_snapshot,
        name="browser-snapshot",
    ),
    # LTI Proctoring Services, the learner's side (docs/lti.md).
    path("lti/launch/<str:external_id>", lti.launch, name="lti-launch"),
    path("lti/authorize", lti.authorize, name="lti-authorize"),
    path("lti/start-assessment", lti.start_assessment, name="lti-start-assessment"),
    path("lti/start-assessment/<str:token>", lti.landing, name="lti-landing"),
    path("lti/end-assessment/<int:attempt_id>", lti.end_assessment, name="lti-end"),
    # Course staff.
    path("staff/", staff.dashboard, name="staff"),
    path(f"{C}/exams", staff.course_exams, name="staff-exams"),
    path(f"{C}/exams/new", staff.exam_new, name="staff-exam-new"),
    path("staff/exams/<int:exam_id>/edit", staff.exam_edit, name="staff-exam-edit"),
    path(f"{C}/attempts", staff.course_attempts, name="staff-attempts"),
    path(f"{C}/attempts/bulk", staff.course_attempts_bulk, name="staff-attempts-bulk"),
    path(f"{C}/attempts.csv", staff.course_attempts_csv, name="staff-attempts-csv"),
    path("staff/attempts/<int:attempt_id>", staff.attempt_detail, name="staff-attempt"),
    path(
        "staff/attempts/<int:attempt_id>/<slug:action>",
        staff.attempt_action,
        name="staff-attempt-action",
    ),
    path(f"{C}/reviews", staff_reviews.review_queue, name="staff-reviews"),
    path(f"{C}/onboarding", staff_reviews.onboarding_statuses, name="staff-onboarding"),
    path(f"{C}/allowances", staff.course_allowances, name="staff-allowances"),
    path(f"{C}/allowances/csv", staff.course_allowances_csv, name="staff-allowances-csv"),
]
