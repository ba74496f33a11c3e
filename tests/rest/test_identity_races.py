"""New platform users whose tokens claim the same username at the same moment.

The first request of each is answered as any other (never a 500): one user gets the name, the
others a name made unique by a short hash of their issuer and subject. The race runs with real
threads on PostgreSQL; the same clash, one request after the other, runs on both databases.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from rest_framework.test import APIClient

from proctoring.accounts import identities
from proctoring.accounts.claims import InvalidClaims, PlatformClaims, platform_claims_parse
from proctoring.accounts.identities import platform_user_sync
from proctoring.accounts.models import PlatformIdentity
from tests.conftest import on_postgresql
from tests.factories import UserFactory
from tests.rest.conftest import bearer, mint

ACTIVE = "/api/v1/attempts/active"
THREADS = 6
ROUNDS = 3
User = get_user_model()


def _first_requests(tokens: list[str]) -> list[Any]:
    """Each token's first request, all released together, each on its own connection."""
    barrier = threading.Barrier(len(tokens))
    results: list[Any] = [None] * len(tokens)

    def work(index: int, token: str) -> None:
        try:
            connection.ensure_connection()
            barrier.wait(timeout=30)
            response = APIClient().get(ACTIVE, **bearer(token))
            results[index] = (response.status_code, response.json())
        except BaseException as exc:  # reported to the test thread
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=item, daemon=True) for item in enumerate(tokens)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a request never finished"
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not on_postgresql(), reason="real concurrent inserts need PostgreSQL")
def test_new_users_claiming_one_username_at_once_all_get_in_with_distinct_names():
    for round_number in range(ROUNDS):
        wanted = f"zoe{round_number}"
        subjects = [f"lms-{round_number}-{index}" for index in range(THREADS)]
        results = _first_requests([mint(sub, preferred_username=wanted) for sub in subjects])
        assert [result[0] for result in results] == [200] * THREADS, results
        names = sorted(
            PlatformIdentity.objects.filter(subject__in=subjects).values_list(
                "user__username", flat=True
            )
        )
        assert len(names) == THREADS == len(set(names))
        assert names.count(wanted) == 1
        assert all(name == wanted or name.startswith(f"{wanted}-") for name in names)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not on_postgresql(), reason="real concurrent inserts need PostgreSQL")
def test_one_new_user_sending_its_first_requests_at_once_is_made_once():
    token = mint("lms-twin", preferred_username="twin", email="twin@example.org")
    results = _first_requests([token] * THREADS)
    assert [result[0] for result in results] == [200] * THREADS, results
    identity = PlatformIdentity.objects.select_related("user").get(subject="lms-twin")
    assert identity.user.username == "twin"
    assert User.objects.filter(username__startswith="twin").count() == 1


def _claims(sub: str, username: str) -> PlatformClaims:
    return platform_claims_parse(payload={"sub": sub, "preferred_username": username}, issuer="i")


@pytest.mark.django_db
def test_when_even_the_unique_names_are_taken_a_longer_hash_is_used(monkeypatch):
    first = platform_user_sync(claims=_claims("s-3", "kim"))
    monkeypatch.setattr(identities, "_username_is_free", lambda username: True)
    suffix = identities.identity_hash("i", "s-4")
    UserFactory(username=f"kim-{suffix[:8]}")
    user = platform_user_sync(claims=_claims("s-4", "kim"))
    assert first.username == "kim"
    assert user.username == f"kim-{suffix[:16]}"


@pytest.mark.django_db
def test_a_long_wanted_username_still_fits_the_column_with_its_suffix():
    UserFactory(username="x" * 150)
    user = platform_user_sync(claims=_claims("s-5", "x" * 150))
    assert len(user.username) <= 150
    assert user.username.startswith("x" * 100)


@pytest.mark.django_db
def test_when_every_derived_name_is_taken_the_token_is_refused_with_a_401(monkeypatch):
    monkeypatch.setattr(identities, "_username_is_free", lambda username: False)
    with pytest.raises(InvalidClaims, match="free"):
        platform_user_sync(claims=_claims("s-6", "ann"))
    response = APIClient().get(ACTIVE, **bearer(mint("s-6", preferred_username="ann")))
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_claims"
    assert not PlatformIdentity.objects.exists()
