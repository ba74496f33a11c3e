"""Retirement: a learner's personal data goes (names, email, username, identity links, API
keys), their attempts, history and credit statuses stay; by command, by REST (platforms and
global staff only) and by the retention command."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from proctoring.accounts.claims import platform_claims_parse
from proctoring.accounts.identities import platform_user_sync
from proctoring.accounts.models import ApiKey, PlatformIdentity
from proctoring.accounts.retirement import RETIRED_PREFIX, retired_username, user_retire
from proctoring.accounts.services import api_key_create
from proctoring.attempts.models import Attempt, AttemptHistory
from proctoring.attempts.services import attempt_create, attempt_update_status
from proctoring.credit.models import CreditRequirementStatus
from proctoring.exceptions import UserNotFoundException
from tests.conftest import committed
from tests.factories import CourseRoleFactory, UserFactory
from tests.rest.conftest import client_for

RETIRED = re.compile(rf"^{RETIRED_PREFIX}[0-9a-f]{{32}}$")
User = get_user_model()


def platform_learner(username: str = "alice"):
    claims = platform_claims_parse(
        payload={"sub": f"sub-{username}", "preferred_username": username, "email": "a@x.org",
                 "name": "Alice Liddell"},
        issuer="https://lms.example.org",
    )  # fmt: skip
    return platform_user_sync(claims=claims), claims


def submitted_attempt(exam, user) -> Attempt:
    attempt_create(exam_id=exam.pk, user_id=user.pk)
    attempt_update_status(exam_id=exam.pk, user_id=user.pk, to_status="started")
    attempt_update_status(exam_id=exam.pk, user_id=user.pk, to_status="submitted")
    return Attempt.objects.get(exam=exam, user=user)


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_retiring_removes_the_personal_data_and_keeps_attempts_history_and_credit(
    exam, django_capture_on_commit_callbacks
):
    user, _ = platform_learner()
    user.last_name = "Liddell"
    user.save()
    with committed():
        attempt = submitted_attempt(exam, user)
    history = list(AttemptHistory.objects.filter(attempt=attempt).values_list("to_status"))
    retirement = user_retire(username="alice")
    user.refresh_from_db()
    assert RETIRED.match(user.username)
    assert retirement.username == user.username
    assert (user.first_name, user.last_name, user.email) == ("", "", "")
    assert not user.is_active
    assert not user.has_usable_password()
    assert retirement.platform_identities_removed == 1
    assert not PlatformIdentity.objects.filter(user=user).exists()
    kept = Attempt.objects.get(pk=attempt.pk)
    assert (kept.status, kept.user_id) == ("submitted", user.pk)
    assert list(AttemptHistory.objects.filter(attempt=attempt).values_list("to_status")) == history
    assert CreditRequirementStatus.objects.get(user=user).status == "submitted"


@pytest.mark.django_db
def test_the_retired_username_cannot_be_traced_back_without_the_secret_key(settings):
    UserFactory(username="alice")
    first = retired_username("alice")
    settings.SECRET_KEY = "another-secret-key-of-the-same-service-elsewhere-0123456789"
    assert retired_username("alice") != first
    assert "alice" not in first


@pytest.mark.django_db
def test_a_later_token_of_the_same_platform_user_makes_a_new_unrelated_user():
    user, claims = platform_learner()
    user_retire(username="alice")
    newcomer = platform_user_sync(claims=claims)
    assert newcomer.pk != user.pk
    assert newcomer.username == "alice"


@pytest.mark.django_db
def test_retiring_revokes_the_users_api_keys():
    api_key, _ = api_key_create(name="lms")
    retirement = user_retire(username=api_key.user.username)
    assert retirement.api_keys_revoked == 1
    assert ApiKey.objects.get(pk=api_key.pk).revoked_at is not None


@pytest.mark.django_db
def test_retiring_again_by_the_old_or_new_username_changes_nothing():
    UserFactory(username="alice")
    first = user_retire(username="alice")
    again = user_retire(username="alice")
    by_new_name = user_retire(username=first.username)
    assert again.already_retired and by_new_name.already_retired
    assert again.username == by_new_name.username == first.username
    assert again.user_id == first.user_id


@pytest.mark.django_db
def test_a_reused_username_retired_twice_gives_two_distinct_retired_users():
    first = user_retire(username=UserFactory(username="alice").username)
    second = user_retire(username=UserFactory(username="alice").username)
    assert not second.already_retired
    assert first.username != second.username
    assert User.objects.filter(username__startswith=RETIRED_PREFIX).count() == 2


@pytest.mark.django_db
def test_retiring_an_unknown_user_raises_not_found():
    with pytest.raises(UserNotFoundException):
        user_retire(username="nobody")


@pytest.mark.django_db
def test_the_retire_user_command_retires_and_says_so():
    UserFactory(username="alice")
    output = run("retire_user", "alice")
    assert re.match(rf"^Retired user \d+ as {RETIRED_PREFIX}[0-9a-f]{{32}}: ", output)
    assert "Already retired" in run("retire_user", "alice")
    with pytest.raises(CommandError, match="There is no user 'nobody'"):
        run("retire_user", "nobody")


# --- REST -------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["service", "global_staff"])
def test_platforms_and_global_staff_retire_a_learner_over_rest(world, persona):
    response = client_for(world, persona).post("/api/v1/users/alice/retire")
    assert response.status_code == 200, response.content
    body = response.json()
    assert RETIRED.match(body["username"])
    assert body["user_id"] == world.learner.pk
    assert body["already_retired"] is False
    world.learner.refresh_from_db()
    assert world.learner.email == ""
    assert Attempt.objects.filter(pk=world.attempt.pk).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("persona", "status"),
    [("anonymous", 401), ("learner", 403), ("other_learner", 403), ("staff", 403)],
)
def test_learners_and_course_staff_cannot_retire_anyone(world, persona, status):
    response = client_for(world, persona).post("/api/v1/users/alice/retire")
    assert response.status_code == status
    assert {"detail", "code"} <= set(response.json())
    world.learner.refresh_from_db()
    assert world.learner.username == "alice"


@pytest.mark.django_db
def test_retiring_an_unknown_user_over_rest_is_404_in_the_error_shape(world):
    response = client_for(world, "service").post("/api/v1/users/nobody/retire")
    assert response.status_code == 404
    assert response.json()["code"] == "user_not_found"


# --- Retention ----------------------------------------------------------------------------------


@pytest.fixture
def old_and_recent(exam, clock, course):
    """alice: a submitted attempt 100 days ago; bob: one 10 days ago; carol: started 100 days
    ago and still running; dave: course staff who took the exam 100 days ago."""
    alice, bob, carol, dave = (UserFactory(username=n) for n in ("alice", "bob", "carol", "dave"))
    CourseRoleFactory(user=dave, course=course, role="staff")
    submitted_attempt(exam, alice)
    submitted_attempt(exam, dave)
    attempt_create(exam_id=exam.pk, user_id=carol.pk)
    attempt_update_status(exam_id=exam.pk, user_id=carol.pk, to_status="started")
    clock.advance(days=90)
    submitted_attempt(exam, bob)
    clock.advance(days=10)


@pytest.mark.django_db
def test_anonymize_attempts_retires_learners_whose_attempts_all_ended_long_ago(
    old_and_recent, settings
):
    settings.PROCTORING_RETENTION_DAYS = 30
    output = run("anonymize_attempts")
    assert output.strip() == "Retired 1 learner(s) whose attempts all ended more than 30 days ago."
    remaining = set(User.objects.exclude(username__startswith=RETIRED_PREFIX).values_list(
        "username", flat=True))  # fmt: skip
    assert remaining == {"bob", "carol", "dave"}
    retired = User.objects.get(username__startswith=RETIRED_PREFIX)
    assert Attempt.objects.get(user=retired).status == "submitted"


@pytest.mark.django_db
def test_anonymize_attempts_days_overrides_the_setting_and_dry_run_changes_nothing(
    old_and_recent, settings
):
    settings.PROCTORING_RETENTION_DAYS = 0
    assert run("anonymize_attempts", "--days", "5", "--dry-run").splitlines() == [
        "alice",
        "bob",
        "2 learner(s) would be retired.",
    ]
    assert not User.objects.filter(username__startswith=RETIRED_PREFIX).exists()


@pytest.mark.django_db
def test_anonymize_attempts_refuses_to_run_when_retention_is_off(settings):
    settings.PROCTORING_RETENTION_DAYS = 0
    with pytest.raises(CommandError, match="Retention is off"):
        run("anonymize_attempts")
