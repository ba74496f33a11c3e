"""Which provider a course uses, and the settings in force for it."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from proctoring.courses.models import Course

# The keys of a provider's entry that configure the provider itself (proctoring/providers).
PROVIDER_KEYS = frozenset({"CLASS", "OPTIONS"})


def default_provider_name() -> str:
    return str(settings.PROCTORING_BACKENDS["DEFAULT"])


def get_provider_name_by_course_id(course_id: str) -> str:
    """The course's provider, or the default provider when the course names none."""
    provider = Course.objects.filter(course_id=course_id).values_list("provider", flat=True).first()
    return provider or default_provider_name()


def get_proctoring_settings(provider_name: str | None) -> dict[str, Any]:
    """The settings in force for a provider.

    The global ``PROCTORING_SETTINGS`` come first; the provider's own entry in
    ``PROCTORING_BACKENDS`` overrides them key by key. The entry's ``CLASS`` and ``OPTIONS``
    (the provider's class and its options, secrets included: docs/providers.md) are no
    settings and stay out.
    """
    merged: dict[str, Any] = dict(settings.PROCTORING_SETTINGS)
    own = settings.PROCTORING_BACKENDS.get(provider_name or default_provider_name(), {})
    if isinstance(own, dict):
        merged.update({key: value for key, value in own.items() if key not in PROVIDER_KEYS})
    return merged


def course_provider_settings(course: Course) -> dict[str, Any]:
    """The settings in force for the course's provider (the default one when it names none)."""
    return get_proctoring_settings(course.provider or default_provider_name())
