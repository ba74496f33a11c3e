"""The platform's keys: the JWKS publishes public parts only, rotation changes the kid new
tokens carry while the retired key stays published for its grace period."""

from __future__ import annotations

from datetime import timedelta

import jwt
import pytest
from django.core.management import call_command
from django.urls import reverse

from proctoring.lti.keys import jwks, keys_prune, keys_rotate, token_sign
from proctoring.lti.models import LtiKey

PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi"}


def _kid(token: str) -> str:
    return jwt.get_unverified_header(token)["kid"]


@pytest.mark.django_db
def test_the_jwks_has_the_public_parts_of_the_next_and_active_keys_only(client):
    token_sign({"sub": "x"})  # the first use makes the keys
    published = client.get(reverse("lti-jwks")).json()["keys"]
    assert {k["kid"] for k in published} == set(LtiKey.objects.values_list("kid", flat=True))
    assert sorted(LtiKey.objects.values_list("state", flat=True)) == ["active", "next"]
    for key in published:
        assert not PRIVATE_MEMBERS & set(key)
        assert key["kty"] == "RSA" and key["alg"] == "RS256" and key["use"] == "sig"


@pytest.mark.django_db
def test_private_keys_are_stored_encrypted():
    token_sign({"sub": "x"})
    for key in LtiKey.objects.all():
        assert b"PRIVATE KEY" not in bytes(key.private_pem)


@pytest.mark.django_db
def test_rotation_signs_with_the_next_key_and_keeps_the_old_one_published(settings):
    before = token_sign({"sub": "x"})
    upcoming = LtiKey.objects.get(state="next").kid
    call_command("lti_keys", "rotate")
    after = token_sign({"sub": "x"})
    assert _kid(after) == upcoming != _kid(before)
    published = {k["kid"] for k in jwks()["keys"]}
    assert {_kid(before), _kid(after)} <= published
    assert LtiKey.objects.get(kid=_kid(before)).state == "retired"
    assert LtiKey.objects.filter(state="next").count() == 1

    # The old token still verifies with the published key.
    old = next(k for k in jwks()["keys"] if k["kid"] == _kid(before))
    public = jwt.PyJWK(old).key
    assert jwt.decode(before, public, algorithms=["RS256"])["sub"] == "x"


@pytest.mark.django_db
def test_a_retired_key_leaves_the_jwks_after_its_grace_period(settings):
    settings.LTI_KEY_GRACE_SECONDS = 60
    first = keys_rotate()
    keys_rotate()
    assert first.kid in {k["kid"] for k in jwks()["keys"]}
    LtiKey.objects.filter(pk=first.pk).update(
        retired_at=LtiKey.objects.get(pk=first.pk).retired_at - timedelta(seconds=61)
    )
    assert first.kid not in {k["kid"] for k in jwks()["keys"]}
    assert keys_prune() == 1
    assert not LtiKey.objects.filter(pk=first.pk).exists()


@pytest.mark.django_db
def test_the_keys_command_lists_the_keys(capsys):
    call_command("lti_keys", "rotate")
    call_command("lti_keys", "list")
    out = capsys.readouterr().out
    assert "active\tpublished" in out and "next\tpublished" in out
