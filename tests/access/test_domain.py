"""The access rules' domain pieces on their own: windows at their boundaries, the request's
address behind proxies, the browser-session guard, the registration's window check, and the
query budgets of the platform's questions."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from rest_framework.request import Request

from proctoring.access.gates import AccessFacts, session_bind, session_guard
from proctoring.access.questions import content_access, learner_settings
from proctoring.access.registration import ExamSpec, course_exams_register
from proctoring.access.rules import exam_rules_set
from proctoring.access.windows import Window, learner_window, window_check
from proctoring.attempts.services import attempt_create
from proctoring.exceptions import InvalidAccessRules, InvalidWindow, SessionLocked
from proctoring.rest.v1.access import client_ip

OPENS = datetime(2030, 3, 30, 9, 0, tzinfo=UTC)
DUE = datetime(2030, 3, 31, 9, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)


def test_a_window_opens_at_its_opening_and_closes_at_its_due_date():
    window = Window(opens_at=OPENS, due_at=DUE)
    assert window.not_yet(OPENS - SECOND)
    assert window.is_open(OPENS)
    assert window.is_open(DUE - SECOND)
    assert window.closed(DUE)
    assert Window(opens_at=None, due_at=None).is_open(OPENS)


def test_a_window_compares_instants_not_wall_clocks():
    """Across a daylight saving change (Europe's, on 2030-03-31) and zones either side of UTC."""
    paris_summer = timezone(timedelta(hours=2))
    auckland = timezone(timedelta(hours=13))
    window = Window(opens_at=OPENS, due_at=DUE)
    assert window.not_yet(datetime(2030, 3, 30, 21, 59, 59, tzinfo=auckland))
    assert window.is_open(datetime(2030, 3, 30, 22, 0, tzinfo=auckland))
    assert window.closed(datetime(2030, 3, 31, 11, 0, tzinfo=paris_summer))
    assert window.is_open(datetime(2030, 3, 31, 10, 59, 59, tzinfo=paris_summer))


def test_learner_values_override_the_exams_window(exam):
    exam.due_date = DUE
    values = {"opens_at": "2030-03-30T05:00:00-04:00", "due_date_extension": "2030-04-01T00:00:00Z"}
    window = learner_window(exam=exam, exam_opens_at=OPENS, values=values)
    assert window.opens_at == OPENS
    assert window.due_at == datetime(2030, 4, 1, tzinfo=UTC)
    assert learner_window(exam=exam, exam_opens_at=OPENS, values={}) == Window(OPENS, DUE)


def test_an_inverted_or_zoneless_window_is_refused():
    with pytest.raises(InvalidWindow):
        window_check(opens_at=DUE, due_at=DUE)
    with pytest.raises(InvalidAccessRules):
        window_check(opens_at=datetime(2030, 1, 1), due_at=None)
    with pytest.raises(InvalidAccessRules):
        window_check(
            opens_at=None, due_at=datetime(9999, 12, 31, 23, tzinfo=timezone(-timedelta(hours=14)))
        )
    window_check(opens_at=DUE - SECOND, due_at=DUE)


def _request(**meta):
    return Request(RequestFactory().get("/", **meta))


def test_the_client_address_behind_trusted_proxies(settings):
    forwarded = {
        "REMOTE_ADDR": "172.16.0.1",
        "HTTP_X_FORWARDED_FOR": "6.6.6.6, 192.0.2.7, 10.0.0.2",
    }
    assert client_ip(_request(**forwarded)) == "172.16.0.1"
    settings.PROCTORING_TRUSTED_PROXY_COUNT = 2
    assert client_ip(_request(**forwarded)) == "192.0.2.7"
    settings.PROCTORING_TRUSTED_PROXY_COUNT = 4  # fewer entries than proxies: not trusted
    assert client_ip(_request(**forwarded)) == "172.16.0.1"


@pytest.mark.django_db
def test_the_session_guard_refuses_another_or_no_session(exam, learner):
    attempt = attempt_create(exam_id=exam.pk, user_id=learner.pk)
    session_bind(attempt=attempt, facts=AccessFacts(session_key="tab-1"))
    with pytest.raises(SessionLocked):
        session_bind(attempt=attempt, facts=AccessFacts(session_key="tab-2"))
    attempt.access_session_hash = attempt.browser_session.session_hash
    session_guard(facts=AccessFacts(session_key="tab-1")).check(attempt)
    with pytest.raises(SessionLocked):
        session_guard(facts=AccessFacts(session_key="")).check(attempt)


@pytest.mark.django_db
def test_registration_keeps_a_due_date_after_the_opening_time(exam):
    exam_rules_set(exam=exam, changes={"opens_at": OPENS})
    spec = ExamSpec(
        content_id=exam.content_id, exam_name="Midterm", time_limit_mins=90, due_date=OPENS
    )
    with pytest.raises(InvalidWindow):
        course_exams_register(course_id=exam.course_id, specs=[spec])
    exam.refresh_from_db()
    assert exam.due_date is None


@pytest.mark.django_db
def test_content_access_takes_at_most_three_statements(exam, learner):
    attempt_create(exam_id=exam.pk, user_id=learner.pk)
    with CaptureQueriesContext(connection) as queries:
        assert content_access(exam=exam, user_id=learner.pk).reason == "not_started"
    assert len(queries.captured_queries) <= 3


@pytest.mark.django_db
def test_learner_settings_take_two_statements(exam, learner):
    exam_rules_set(exam=exam, changes={"rules_text": "Open book."})
    with CaptureQueriesContext(connection) as queries:
        assert learner_settings(exam=exam, user_id=learner.pk)["rules_text"] == "Open book."
    assert len(queries.captured_queries) == 2


@pytest.mark.django_db
def test_retiring_a_learner_forgets_the_addresses_of_its_gate_passes(exam, learner):
    from proctoring.access.gates import access_check_start
    from proctoring.access.models import GateLog
    from proctoring.accounts.retirement import user_retire

    exam_rules_set(exam=exam, changes={"allowed_ip_ranges": ["10.0.0.0/8"]})
    with pytest.raises(Exception, match="network"):
        access_check_start(exam=exam, user_id=learner.pk, facts=AccessFacts(ip="192.0.2.7"))
    assert GateLog.objects.get().ip == "192.0.2.7"
    user_retire(username=learner.username)
    log = GateLog.objects.get()
    assert (log.ip, log.outcome) == (None, "ip_not_allowed")


@pytest.mark.django_db
def test_the_rules_service_checks_what_the_python_api_sends(exam):
    from proctoring.exceptions import InvalidAccessRules

    for changes in (
        {"allowed_ip_ranges": ["10.0.0.300/8"]},
        {"seb_browser_exam_keys": ["xyz"]},
        {"escalation_email": "nobody"},
        {"max_attempts": 0},
        {"retake_policy": "sometimes"},
        {"surprise": 1},
    ):
        with pytest.raises(InvalidAccessRules):
            exam_rules_set(exam=exam, changes=changes)
    rules = exam_rules_set(exam=exam, changes={"allowed_ip_ranges": ["10.1.2.3/8"]})
    assert rules.allowed_ip_ranges == ["10.0.0.0/8"]
