"""What the service tells providers, and when: exams registered, attempts created with the
provider's answer stored, events of the learner's page; every call recorded (ProviderEvent).

Provider calls never run inside a transaction holding an attempt's row lock: the attempt is
created (and committed) first, the provider is asked, then its answer is stored through the
attempts services (an id: one guarded UPDATE; an onboarding status: the one transition). A
provider that fails or times out leaves the attempt ``created`` without ``external_id``, the
error recorded; asking to create the attempt again asks the provider again.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import urlencode, urlsplit, urlunsplit

from django.conf import settings

from proctoring.attempts import actions
from proctoring.attempts.models import Attempt
from proctoring.attempts.selectors import attempt_get_current
from proctoring.attempts.services import attempt_set_external_id
from proctoring.attempts.statuses import NOT_STARTED, AttemptStatus
from proctoring.attempts.timeline import TimelineEntry
from proctoring.core.clock import now
from proctoring.exams.models import Exam
from proctoring.exams.selectors import exam_provider_name
from proctoring.exams.services import exam_set_provider_ids
from proctoring.exceptions import (
    ProctoringError,
    ProviderUnavailable,
    StudentExamAttemptAlreadyExistsException,
)
from proctoring.providers.base import AttemptSpec, ExamSpec, Provider, Worker
from proctoring.providers.models import ProviderEvent
from proctoring.providers.registry import provider_get
from proctoring.reviews.policies import review_policy_get

log = logging.getLogger(__name__)

T = TypeVar("T")
CAUSE_PROVIDER = "provider"


def obscured_user_id(*, user_id: int, alias: str) -> str:
    """The learner's id as a provider sees it: a keyed digest of the user id and the alias,
    so two providers cannot match their learners, and the id cannot be guessed back. It
    depends on ``SECRET_KEY``: rotating the key gives learners new ids at the providers."""
    message = f"{alias}:{user_id}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def provider_event_record(
    *,
    alias: str,
    operation: str,
    outcome: str,
    message: str = "",
    exam_id: int | None = None,
    attempt_id: int | None = None,
) -> ProviderEvent:
    return ProviderEvent.objects.create(
        alias=alias,
        operation=operation,
        outcome=outcome,
        message=message[:2000],
        exam_id=exam_id,
        attempt_id=attempt_id,
        created=now(),
    )


def provider_call(
    provider: Provider,
    operation: str,
    call: Callable[[], T],
    *,
    exam_id: int | None = None,
    attempt_id: int | None = None,
) -> T:
    """Make one call to the provider and record its outcome; a failure is raised again."""
    record = {"alias": provider.alias, "operation": operation}
    try:
        result = call()
    except ProviderUnavailable as exc:
        provider_event_record(
            **record,
            outcome=ProviderEvent.Outcome.UNAVAILABLE,
            message=exc.message,
            exam_id=exam_id,
            attempt_id=attempt_id,
        )
        raise
    except ProctoringError as exc:
        provider_event_record(
            **record,
            outcome=ProviderEvent.Outcome.ERROR,
            message=exc.message,
            exam_id=exam_id,
            attempt_id=attempt_id,
        )
        raise
    provider_event_record(
        **record, outcome=ProviderEvent.Outcome.OK, exam_id=exam_id, attempt_id=attempt_id
    )
    return result


def provider_of_exam(exam: Exam) -> Provider:
    """The provider proctoring the exam: the one it was registered with, else its course's,
    else the default (``exam_provider_name``; reads ``exam.course``)."""
    return provider_get(exam_provider_name(exam))


# Exams.


def exam_spec(exam: Exam) -> ExamSpec:
    return ExamSpec(
        exam_id=exam.pk,
        course_id=exam.course_id,
        content_id=exam.content_id,
        name=exam.exam_name,
        time_limit_mins=exam.time_limit_mins,
        is_proctored=exam.is_proctored,
        is_practice=exam.is_practice_exam,
        is_active=exam.is_active,
        external_id=exam.external_id,
    )


def exam_register(*, exam: Exam, provider: Provider) -> str | None:
    """Create or update the proctored exam at the provider; store its id and the alias."""
    external_id = provider_call(
        provider, "exam_register", lambda: provider.exam_register(exam_spec(exam)), exam_id=exam.pk
    )
    if external_id != exam.external_id or exam.backend != provider.alias:
        exam_set_provider_ids(exam_id=exam.pk, external_id=external_id, backend=provider.alias)
        exam.external_id, exam.backend = external_id, provider.alias
    return external_id


# Attempts.


def _proctoring_provider(exam: Exam) -> Provider | None:
    """The provider that proctors the exam's attempts, or None for a timed-only one."""
    if not exam.is_proctored:
        return None
    provider = provider_of_exam(exam)
    return provider if provider.proctors else None


def _attempt_spec(attempt: Attempt, provider: Provider, exam_external_id: str) -> AttemptSpec:
    """What the provider is told of a new attempt, the exam's review policy included: the
    rules its reviewers apply, as the reference's REST backend sends them with each attempt
    (empty when the exam has none)."""
    user = attempt.user
    policy = review_policy_get(exam_id=attempt.exam_id)
    return AttemptSpec(
        attempt_id=attempt.pk,
        attempt_code=attempt.attempt_code,
        exam_external_id=exam_external_id,
        user_id=obscured_user_id(user_id=user.pk, alias=provider.alias),
        full_name=user.get_full_name() or user.get_username(),
        email=user.email,
        time_limit_mins=attempt.exam.time_limit_mins,
        is_sample_attempt=attempt.is_sample_attempt,
        lms_host=settings.PROCTORING_PUBLIC_URL,
        review_policy=policy.text if policy is not None else "",
    )


def attempt_needs_registration(attempt: Attempt) -> bool:
    return (
        attempt.taking_as_proctored
        and not attempt.external_id
        and attempt.archived_at is None
        and attempt.status == AttemptStatus.CREATED
    )


def attempt_register(*, attempt: Attempt) -> Attempt:
    """Register a proctored attempt with its course's provider (outside any transaction):
    the attempt gets the provider's id, or the onboarding status the provider answered.
    A timed-only provider, or an attempt not taken as proctored, is left as it is."""
    if not attempt_needs_registration(attempt):
        return attempt
    exam = attempt.exam
    provider = _proctoring_provider(exam)
    if provider is None:
        return attempt
    exam_external_id = exam.external_id or exam_register(exam=exam, provider=provider)
    if not exam_external_id:
        return attempt
    spec = _attempt_spec(attempt, provider, exam_external_id)
    answer = provider_call(
        provider,
        "attempt_create",
        lambda: provider.attempt_create(spec),
        exam_id=exam.pk,
        attempt_id=attempt.pk,
    )
    cause = f"{CAUSE_PROVIDER}:{provider.alias}"
    if answer.onboarding_status:
        return actions.attempt_set_onboarding_status(
            attempt_id=attempt.pk, status=answer.onboarding_status, cause=cause
        )
    if answer.external_id and attempt_set_external_id(
        attempt_id=attempt.pk, external_id=answer.external_id
    ):
        attempt.external_id = answer.external_id
    return attempt


def exam_proctored_by_provider(exam: Exam) -> bool:
    """Whether a provider proctors the exam's attempts: its steps (instructions, software,
    its ``ready``) come before the learner's start. No statement: the exam's course loaded."""
    return _proctoring_provider(exam) is not None


def exam_provider_worker(exam: Exam) -> Worker | None:
    """The JavaScript worker of the provider that proctors the exam, if it has one (from its
    configuration: no call, no statement)."""
    provider = _proctoring_provider(exam)
    return provider.worker() if provider is not None else None


def _uses_provider(exam_id: int) -> bool:
    exam = Exam.objects.select_related("course").filter(pk=exam_id).first()
    return exam is not None and _proctoring_provider(exam) is not None


def attempt_create_for_learner(
    *, exam_id: int, user_id: int, taking_as_proctored: bool = False, start: bool = False
) -> Attempt:
    """The learner's attempt, registered with the provider when it is taken as proctored.

    With a proctoring provider, the creation commits before the provider is asked and the
    start (when asked) comes after its answer. Asking again for an attempt whose registration
    failed asks the provider again, instead of answering that the attempt exists.
    """
    if not (taking_as_proctored and _uses_provider(exam_id)):
        return actions.attempt_create_for_learner(
            exam_id=exam_id, user_id=user_id, taking_as_proctored=taking_as_proctored, start=start
        )
    try:
        attempt = actions.attempt_create_for_learner(
            exam_id=exam_id, user_id=user_id, taking_as_proctored=True
        )
    except StudentExamAttemptAlreadyExistsException:
        existing = attempt_get_current(exam_id=exam_id, user_id=user_id)
        if existing is None or not attempt_needs_registration(existing):
            raise
        attempt = existing
    attempt = attempt_register(attempt=attempt)
    if start and attempt.status in NOT_STARTED:
        attempt = actions.attempt_act(attempt_id=attempt.pk, action="start", actor_id=user_id)
    return attempt


# The learner's page.


@dataclass(frozen=True)
class ProviderInfo:
    """What the learner's page needs from the attempt's provider."""

    alias: str
    proctored: bool
    external_id: str | None
    instructions: tuple[str, ...]
    download_url: str
    worker: Worker | None
    setup_url: str = ""


def _with_attempt(url: str, external_id: str | None) -> str:
    """The download link with ``attempt={external_id}`` in its query (the contract's)."""
    if not url or not external_id:
        return url
    parts = urlsplit(url)
    query = "&".join(q for q in (parts.query, urlencode({"attempt": external_id})) if q)
    return urlunsplit(parts._replace(query=query))


def attempt_provider_info(*, attempt: Attempt) -> ProviderInfo:
    """The provider's instructions, download link and worker for the attempt's page."""
    exam = attempt.exam
    provider = provider_of_exam(exam)
    if not (provider.proctors and attempt.taking_as_proctored):
        return ProviderInfo(provider.alias, False, None, (), "", None)
    instructions = provider_call(
        provider,
        "instructions",
        lambda: provider.instructions(
            exam_external_id=exam.external_id, external_id=attempt.external_id
        ),
        exam_id=exam.pk,
        attempt_id=attempt.pk,
    )
    return ProviderInfo(
        alias=provider.alias,
        proctored=True,
        external_id=attempt.external_id,
        instructions=instructions.steps,
        download_url=_with_attempt(instructions.download_url, attempt.external_id),
        worker=provider.worker(),
        setup_url=instructions.setup_url,
    )


def attempt_ping_missed(*, attempt: Attempt, detail: str) -> ProviderEvent:
    """The learner's page reports that the vendor's worker missed a ping: recorded as a
    provider event of the attempt, which its review and timeline see."""
    return provider_event_record(
        alias=exam_provider_name(attempt.exam),
        operation="ping_missed",
        outcome=ProviderEvent.Outcome.REPORTED,
        message=detail,
        exam_id=attempt.exam_id,
        attempt_id=attempt.pk,
    )


def user_retire_at_providers(*, user_id: int) -> dict[str, bool]:
    """Ask each provider that proctored one of the user's attempts to delete what it holds of
    the user (by the id it knows, ``obscured_user_id``); the answer per alias, False for a
    provider that failed (its error recorded). As the reference does, after the service's own
    retirement."""
    exams = Exam.objects.select_related("course").filter(
        attempts__user_id=user_id, attempts__taking_as_proctored=True
    )
    aliases = sorted({exam_provider_name(exam) for exam in exams.distinct()})
    results: dict[str, bool] = {}
    for alias in aliases:
        try:
            provider = provider_get(alias)
            if provider.proctors:
                results[alias] = _user_retire(provider, user_id)
        except ProctoringError:
            results[alias] = False
    return results


def _user_retire(provider: Provider, user_id: int) -> bool:
    obscured = obscured_user_id(user_id=user_id, alias=provider.alias)
    return provider_call(provider, "user_retire", lambda: provider.user_retire(user_id=obscured))


def timeline_provider_entries(attempt_id: int) -> list[TimelineEntry]:
    """The attempt's exchanges with its provider, for its timeline (one statement): the
    calls made, the callbacks received, the pings the browser missed."""
    rows = ProviderEvent.objects.filter(attempt_id=attempt_id).order_by("id")
    return [
        TimelineEntry(
            at=row.created,
            source="provider",
            kind=row.operation,
            data={"provider": row.alias, "outcome": row.outcome, "message": row.message},
            order=row.pk,
        )
        for row in rows
    ]
