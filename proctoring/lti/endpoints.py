"""The platform's LTI endpoints as absolute URLs, from the service's public base URL."""

from __future__ import annotations

from django.urls import reverse

from proctoring.lti.launches import PlatformUrls
from proctoring.lti.registration import PlatformEndpoints
from proctoring.lti.tools import platform_issuer


def _absolute(base: str, name: str) -> str:
    return base.rstrip("/") + reverse(name)


def platform_urls(base: str) -> PlatformUrls:
    return PlatformUrls(
        issuer=platform_issuer(base),
        start_assessment_url=_absolute(base, "web:lti-start-assessment"),
        acs_url=_absolute(base, "lti-acs"),
    )


def platform_endpoints(base: str) -> PlatformEndpoints:
    return PlatformEndpoints(
        issuer=platform_issuer(base),
        authorization_endpoint=_absolute(base, "web:lti-authorize"),
        token_endpoint=_absolute(base, "lti-token"),
        jwks_uri=_absolute(base, "lti-jwks"),
        registration_endpoint=_absolute(base, "lti-register"),
    )


def token_url(base: str) -> str:
    return _absolute(base, "lti-token")
