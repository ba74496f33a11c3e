"""The accounts domain: platform identities under races, API key parsing."""

import pytest

from proctoring.accounts import identities
from proctoring.accounts.claims import platform_claims_parse
from proctoring.accounts.identities import platform_user_sync
from proctoring.accounts.models import PlatformIdentity
from proctoring.accounts.services import api_key_authenticate, api_key_create
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _claims(**extra):
    return platform_claims_parse(payload={"sub": "s-1", **extra}, issuer="iss")


def test_an_identity_made_by_a_concurrent_request_is_used(monkeypatch):
    def racing(username):
        other = UserFactory(username="racer")
        PlatformIdentity.objects.create(issuer="iss", subject="s-1", user=other)
        return True  # free when checked: our insert fails, and the other request's identity wins

    monkeypatch.setattr(identities, "_username_is_free", racing)
    monkeypatch.setattr(identities, "username_candidates", lambda claims: ["racer"])
    user = platform_user_sync(claims=_claims(email="r@example.org"))
    assert user.username == "racer"
    assert user.email == "r@example.org"


def test_a_username_taken_meanwhile_falls_back_to_the_unique_name(monkeypatch):
    UserFactory(username="taken")
    monkeypatch.setattr(identities, "_username_is_free", lambda username: True)
    user = platform_user_sync(claims=_claims(preferred_username="taken"))
    assert user.username == f"taken-{identities.identity_hash('iss', 's-1')[:8]}"
    assert PlatformIdentity.objects.get().user == user


def test_unchanged_claims_cost_one_query(django_assert_num_queries):
    platform_user_sync(claims=_claims(email="a@example.org"))
    with django_assert_num_queries(1):
        platform_user_sync(claims=_claims(email="a@example.org"))


def test_api_keys_are_found_only_whole():
    api_key, raw_key = api_key_create(name="lms")
    assert api_key_authenticate(raw_key=raw_key) == api_key
    assert api_key_authenticate(raw_key=raw_key[:-1]) is None
    assert api_key_authenticate(raw_key=raw_key + "x") is None
    with pytest.raises(ValueError, match="name"):
        api_key_create(name="x" * 101)
