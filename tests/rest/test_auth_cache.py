"""What authentication keeps a few seconds (proctoring/rest/auth_cache.py), and its bound.

The cache's clock is moved, not waited for: ``later(seconds)``.
"""

import time

import pytest
from django.contrib.auth import get_user_model
from rest_framework.request import Request
from rest_framework.test import APIClient, APIRequestFactory

from proctoring.accounts.models import ApiKey, PlatformIdentity
from proctoring.accounts.services import api_key_revoke
from proctoring.courses.models import CourseRole
from proctoring.courses.services import course_role_grant
from proctoring.rest import auth_cache as auth_cache_module
from proctoring.rest.auth_cache import AuthCache, auth_cache, secret_key
from proctoring.rest.authentication import JWTAuthentication
from tests.rest.conftest import COURSE_ID, bearer, mint

pytestmark = pytest.mark.django_db
User = get_user_model()
ACTIVE = "/api/v1/attempts/active"
LIST = f"/api/v1/courses/{COURSE_ID}/attempts"
BOUND = 5  # PROCTORING_AUTH_CACHE_SECONDS' default


@pytest.fixture
def later(monkeypatch):
    """Move the cache's clock forward by some seconds."""
    offset = [0.0]
    monkeypatch.setattr(auth_cache_module, "clock", lambda: time.monotonic() + offset[0])

    def move(seconds):
        offset[0] += seconds

    return move


def _get(path, token):
    return APIClient().get(path, **bearer(token))


def test_the_bound_is_5_seconds_by_default(settings):
    assert settings.PROCTORING_AUTH_CACHE_SECONDS == BOUND


def test_a_verified_token_costs_no_query_for_the_bound(db, later, django_assert_num_queries):
    token = mint("alice-1", preferred_username="alice")
    assert _get(ACTIVE, token).status_code == 200  # first sight: the user is made
    with django_assert_num_queries(1):  # the running attempt only
        assert _get(ACTIVE, token).status_code == 200
    later(BOUND + 0.1)
    with django_assert_num_queries(2):  # the identity and its user again, then the attempt
        assert _get(ACTIVE, token).status_code == 200


def test_a_user_saved_inactive_is_refused_at_once(db):
    token = mint("alice-1", preferred_username="alice")
    assert _get(ACTIVE, token).status_code == 200
    user = User.objects.get(username="alice")
    user.is_active = False
    user.save()
    response = _get(ACTIVE, token)
    assert response.status_code == 401
    assert response.json()["code"] == "user_inactive"


def test_a_user_made_inactive_behind_the_caches_back_is_refused_within_the_bound(db, later):
    token = mint("alice-1", preferred_username="alice")
    assert _get(ACTIVE, token).status_code == 200
    User.objects.filter(username="alice").update(is_active=False)  # no signal: no invalidation
    later(BOUND - 0.5)
    assert _get(ACTIVE, token).status_code == 200  # the documented staleness
    later(0.6)
    assert _get(ACTIVE, token).status_code == 401


def test_a_cached_token_is_never_kept_past_its_own_expiry(db, settings, later):
    settings.PROCTORING_JWT_LEEWAY_SECONDS = 0
    short = mint("alice-1", preferred_username="alice", exp=int(time.time()) + 2)
    long = mint("bob-1", preferred_username="bob")
    assert _get(ACTIVE, short).status_code == 200
    assert _get(ACTIVE, long).status_code == 200
    later(3)
    assert auth_cache.get(secret_key("jwt", short)) is None
    assert auth_cache.get(secret_key("jwt", long)) is not None


def test_a_revoked_api_key_is_refused_at_once(world):
    header = {"HTTP_AUTHORIZATION": f"Api-Key {world.service_key}"}
    assert APIClient().get(LIST, **header).status_code == 200
    assert api_key_revoke(prefix=ApiKey.objects.get().prefix)
    response = APIClient().get(LIST, **header)
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_api_key"


def test_a_key_revoked_behind_the_caches_back_is_refused_within_the_bound(world, later):
    header = {"HTTP_AUTHORIZATION": f"Api-Key {world.service_key}"}
    assert APIClient().get(LIST, **header).status_code == 200
    ApiKey.objects.update(revoked_at="2026-01-01T00:00:00Z")
    assert APIClient().get(LIST, **header).status_code == 200  # the documented staleness
    later(BOUND + 0.1)
    assert APIClient().get(LIST, **header).status_code == 401


def test_a_course_role_granted_or_revoked_shows_at_once(world):
    token = mint("dave-1", preferred_username="dave")
    assert _get(LIST, token).status_code == 403
    dave = PlatformIdentity.objects.get(subject="dave-1").user
    course_role_grant(user_id=dave.pk, course_id=COURSE_ID, role="staff")
    assert _get(LIST, token).status_code == 200
    CourseRole.objects.filter(user_id=dave.pk).delete()
    assert _get(LIST, token).status_code == 403


def test_a_role_changed_behind_the_caches_back_shows_within_the_bound(world, later):
    token = mint("dave-1", preferred_username="dave", course_roles={COURSE_ID: "staff"})
    assert _get(LIST, token).status_code == 200
    CourseRole.objects.filter(course_id=COURSE_ID, role="staff").update(role="learner")
    later(BOUND - 0.5)
    assert _get(LIST, token).status_code == 200  # the documented staleness
    later(0.6)
    assert _get(LIST, token).status_code == 403


def test_a_staff_flag_given_by_a_new_token_shows_at_once(world):
    plain = mint("dave-1", preferred_username="dave")
    assert _get(LIST, plain).status_code == 403
    admin = mint("dave-1", preferred_username="dave", administrator=True)
    assert _get(LIST, admin).status_code == 200  # another token: verified and synced anew


def test_0_seconds_turns_the_cache_off(db, settings, django_assert_num_queries):
    settings.PROCTORING_AUTH_CACHE_SECONDS = 0
    token = mint("alice-1", preferred_username="alice")
    assert _get(ACTIVE, token).status_code == 200
    with django_assert_num_queries(2):
        assert _get(ACTIVE, token).status_code == 200
    assert len(auth_cache) == 0


def test_the_cache_keeps_at_most_its_size_the_least_recently_used_going_first(settings):
    settings.PROCTORING_AUTH_CACHE_SIZE = 2
    cache = AuthCache()
    cache.put("a", 1, user_id=1)
    cache.put("b", 2, user_id=2)
    assert cache.get("a") == 1  # "b" is now the least recently used
    cache.put("c", 3, user_id=1)
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (1, None, 3)
    cache.forget_user(1)
    assert len(cache) == 0


def test_a_request_gets_its_own_copy_of_a_cached_user(db):
    token = mint("alice-1", preferred_username="alice")
    request = APIRequestFactory().get(ACTIVE, **bearer(token))
    first, _ = JWTAuthentication().authenticate(Request(request))
    second, _ = JWTAuthentication().authenticate(Request(request))
    cached_user, _ = auth_cache.get(secret_key("jwt", token))
    assert first.pk == second.pk == cached_user.pk
    assert len({id(first), id(second), id(cached_user)}) == 3
