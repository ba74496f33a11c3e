"""The aliases of PROCTORING_BACKENDS: their classes, their checks, ``proctoring providers``."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from proctoring.exceptions import ProviderError
from proctoring.providers.checks import providers_check
from proctoring.providers.null import NullProvider
from proctoring.providers.registry import provider_get
from proctoring.providers.rest import RestProvider

REST = "proctoring.providers.rest.RestProvider"
GOOD_OPTIONS = {"BASE_URL": "https://v.example", "CLIENT_ID": "a", "CLIENT_SECRET": "b"}
GOOD_REST = {"CLASS": REST, "OPTIONS": GOOD_OPTIONS}


def rest(**options):
    return {"CLASS": REST, "OPTIONS": {**GOOD_OPTIONS, **options}}


def ids(messages):
    return [message.id for message in messages]


def test_the_default_configuration_is_the_null_provider_and_passes(settings):
    settings.PROCTORING_BACKENDS = {"DEFAULT": "null", "null": {}}
    assert providers_check() == []
    provider = provider_get()
    assert isinstance(provider, NullProvider) and provider.alias == "null"
    assert provider.proctors is False


def test_an_alias_names_its_class_and_options(settings):
    settings.PROCTORING_BACKENDS = {"DEFAULT": "acme", "acme": rest(RETRIES=0)}
    provider = provider_get("acme")
    assert isinstance(provider, RestProvider)
    assert provider.base_url == "https://v.example" and provider.retries == 0
    assert provider_get("acme") is provider  # built once
    settings.PROCTORING_BACKENDS = {"DEFAULT": "acme", "acme": rest(RETRIES=1)}
    assert provider_get("acme") is not provider  # and again when its entry changes


def test_the_built_in_rest_alias_needs_no_class(settings):
    settings.PROCTORING_BACKENDS = {"DEFAULT": "rest", "rest": {"OPTIONS": GOOD_OPTIONS}}
    assert isinstance(provider_get(), RestProvider)
    assert providers_check() == []


def test_an_alias_with_only_the_services_settings_is_timed_only_with_a_warning(settings):
    """The per-provider settings of before (ALLOW_TIMED_OUT_STATE...) keep working."""
    settings.PROCTORING_BACKENDS = {
        "DEFAULT": "null",
        "null": {},
        "vendor": {"ALLOW_TIMED_OUT_STATE": True},
    }
    assert isinstance(provider_get("vendor"), NullProvider)
    assert ids(providers_check()) == ["proctoring.providers.W001"]


def test_an_unknown_alias_is_a_provider_error(settings):
    settings.PROCTORING_BACKENDS = {"DEFAULT": "null", "null": {}}
    with pytest.raises(ProviderError, match="'nobody' is not configured"):
        provider_get("nobody")


E002 = "proctoring.providers.E002"


@pytest.mark.parametrize(
    ("backends", "expected"),
    [
        ({"DEFAULT": "acme", "null": {}}, ["proctoring.providers.E001"]),
        ({"DEFAULT": "null", "x": {"CLASS": "no.such.Class"}}, [E002]),
        ({"DEFAULT": "null", "x": {"CLASS": "proctoring.settings.DEBUG"}}, [E002]),
        ({"DEFAULT": "null", "x": {"CLASS": REST}}, [E002] * 3),
        ({"DEFAULT": "null", "x": rest(WEBHOOK_SECRET="nope")}, [E002]),
        ({"DEFAULT": "null", "x": rest(WEBHOOK_SECRET="whsec_c2hvcnQ=")}, [E002]),
        ({"DEFAULT": "null", "x": rest(SERVICE_ACCOUNTS="svc")}, [E002]),
        ({"DEFAULT": "null", "x": rest(BASEURL="typo")}, [E002]),
        ({"DEFAULT": "null", "x": {"CLASS": REST, "OPTIONS": []}}, [E002]),
        ({"DEFAULT": "null", "x": "not an object"}, [E002]),
    ],
)
def test_the_system_checks_name_what_is_wrong(settings, backends, expected):
    settings.PROCTORING_BACKENDS = backends
    assert ids(providers_check()) == expected


def test_a_good_webhook_secret_passes(settings):
    from tests.providers.conftest import WEBHOOK_SECRET

    settings.PROCTORING_BACKENDS = {
        "DEFAULT": "null",
        "x": rest(WEBHOOK_SECRET=WEBHOOK_SECRET, SERVICE_ACCOUNTS=["svc-x"]),
    }
    assert providers_check() == []


def test_the_command_lists_aliases_classes_and_checks(settings, capsys):
    settings.PROCTORING_BACKENDS = {"DEFAULT": "acme", "null": {}, "acme": GOOD_REST}
    call_command("providers")
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        "null\tproctoring.providers.null.NullProvider\tok",
        f"acme (default)\t{REST}\tok",
    ]


def test_the_command_fails_when_an_alias_fails_its_checks(settings, capsys):
    settings.PROCTORING_BACKENDS = {"DEFAULT": "null", "null": {}, "bad": {"CLASS": REST}}
    with pytest.raises(CommandError, match="1 provider"):
        call_command("providers")
    out = capsys.readouterr().out
    assert f"bad\t{REST}\tFAIL: option BASE_URL is required" in out


def test_a_providers_class_and_options_are_not_the_services_settings(settings):
    """``get_proctoring_settings`` (the Python API) never hands out a provider's secrets."""
    from proctoring.api import get_proctoring_settings

    settings.PROCTORING_SETTINGS = {}
    settings.PROCTORING_BACKENDS = {
        "DEFAULT": "acme",
        "acme": {**rest(WEBHOOK_SECRET="whsec_x"), "ALLOW_TIMED_OUT_STATE": True},
    }
    assert get_proctoring_settings("acme") == {"ALLOW_TIMED_OUT_STATE": True}


def test_old_message_ids_are_pruned_and_recent_ones_kept(db, capsys):
    from datetime import timedelta

    from proctoring.core.clock import now
    from proctoring.providers.models import CallbackMessage

    two_hours_ago = now() - timedelta(hours=2)
    CallbackMessage.objects.create(alias="acme", message_id="old", received_at=two_hours_ago)
    CallbackMessage.objects.create(alias="acme", message_id="new", received_at=now())
    call_command("providers", "--prune-messages")
    assert capsys.readouterr().out == "Forgot 1 message id(s).\n"
    assert list(CallbackMessage.objects.values_list("message_id", flat=True)) == ["new"]
