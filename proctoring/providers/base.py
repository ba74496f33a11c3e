"""What a proctoring provider is: the operations the service asks of it, and the plain values
that cross the boundary (frozen dataclasses: providers never see a model, so a vendor's quirks
stay in its own module and tests can swap a provider without a database).

A provider raises ``ProviderUnavailable`` when it cannot be reached or does not answer in time,
and ``ProviderError`` when it answers with an error or with something unusable; the interfaces
answer 503 and 502 for them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar


@dataclass(frozen=True)
class ExamSpec:
    """An exam as the provider is told of it (the reference's exam payload)."""

    exam_id: int
    course_id: str
    content_id: str
    name: str
    time_limit_mins: int | None
    is_proctored: bool
    is_practice: bool
    is_active: bool
    external_id: str | None = None
    rules: Mapping[str, Any] = field(default_factory=dict)
    rule_summary: str = ""


@dataclass(frozen=True)
class AttemptSpec:
    """A learner's attempt as the provider is told of it at creation.

    ``user_id`` is an obscured id (a digest of the user id and the provider's name), never the
    service's user id, so a vendor cannot link learners across services.
    """

    attempt_id: int
    attempt_code: str
    exam_external_id: str
    user_id: str
    full_name: str
    email: str
    time_limit_mins: int | None
    is_sample_attempt: bool
    lms_host: str = ""
    review_policy: str = ""


@dataclass(frozen=True)
class ProviderAttempt:
    """The provider's answer to an attempt's creation: its id for the attempt, or an
    onboarding status (``onboarding_missing`` and the others) instead."""

    external_id: str | None
    onboarding_status: str | None = None


@dataclass(frozen=True)
class Instructions:
    """What the learner is told before starting: the steps, where the software is, and, for a
    provider whose setup is a web page (an LTI tool's launch, the browser provider's consent),
    the address the learner continues to (absolute, or a path of this service)."""

    steps: tuple[str, ...] = ()
    download_url: str = ""
    setup_url: str = ""


@dataclass(frozen=True)
class Worker:
    """The vendor's JavaScript worker, which the learner's exam page runs: its start, end and
    ping hooks; the page pings every ``ping_interval`` seconds."""

    url: str
    ping_interval: int


@dataclass(frozen=True)
class OnboardingStatus:
    """One learner's onboarding status at the provider, for a course."""

    user_id: str
    status: str
    expiration_date: str | None = None


@dataclass(frozen=True)
class DashboardUser:
    """The staff member an instructor dashboard link is made for."""

    user_id: str
    full_name: str
    email: str


class Provider(ABC):
    """A proctoring provider, built once per alias from its options (``PROCTORING_BACKENDS``).

    ``OPTIONS`` names the options the class understands, ``REQUIRED`` those it cannot do
    without; other keys of the alias's entry are the per-provider settings of the service
    (``ALLOW_TIMED_OUT_STATE``...), which the provider ignores.
    """

    OPTIONS: ClassVar[frozenset[str]] = frozenset()
    REQUIRED: ClassVar[frozenset[str]] = frozenset()
    # False for a provider that does no proctoring (the null provider): nothing is sent.
    proctors: ClassVar[bool] = True

    def __init__(self, *, alias: str, options: Mapping[str, Any]) -> None:
        self.alias = alias
        self.options = dict(options)

    @classmethod
    def options_problems(cls, options: Mapping[str, Any]) -> list[str]:
        """What is wrong with these options (empty when they are fine)."""
        missing = sorted(name for name in cls.REQUIRED if not options.get(name))
        return [f"option {name} is required" for name in missing]

    # Exams.
    @abstractmethod
    def exam_register(self, exam: ExamSpec) -> str | None:
        """Create the exam at the provider, or update it when it has an ``external_id``;
        return the provider's id of the exam."""

    # Attempts.
    @abstractmethod
    def attempt_create(self, attempt: AttemptSpec) -> ProviderAttempt:
        """Register a new attempt; the answer may be an onboarding status instead of an id."""

    @abstractmethod
    def attempt_start(self, *, exam_external_id: str, external_id: str) -> None: ...

    @abstractmethod
    def attempt_submit(self, *, exam_external_id: str, external_id: str) -> None: ...

    @abstractmethod
    def attempt_error(self, *, exam_external_id: str, external_id: str) -> None: ...

    @abstractmethod
    def attempt_remove(self, *, exam_external_id: str, external_id: str) -> None: ...

    # The learner's page.
    @abstractmethod
    def instructions(
        self, *, exam_external_id: str | None, external_id: str | None
    ) -> Instructions:
        """The steps before starting, and the software's download link."""

    def worker(self) -> Worker | None:
        """The vendor's JavaScript worker, when it has one."""
        return None

    # Course staff, and the retirement of learners.
    @abstractmethod
    def onboarding_statuses(self, *, course_id: str) -> list[OnboardingStatus]: ...

    @abstractmethod
    def instructor_dashboard_url(
        self,
        *,
        course_id: str,
        user: DashboardUser,
        exam_external_id: str | None = None,
        attempt_external_id: str | None = None,
    ) -> str | None:
        """A link to the provider's dashboard for course staff, or None when it has none."""

    @abstractmethod
    def user_retire(self, *, user_id: str) -> bool:
        """Delete what the provider holds of the (obscured) user; True when it did."""


class LocalProvider(Provider):
    """A provider whose work happens in this service, with no vendor to tell (the ``null``
    provider, an LTI tool driving the attempt over LTI, the learner's browser): the calls a
    vendor would hear do nothing, it has no onboarding nor dashboard of its own, and it holds
    nothing of a retired learner elsewhere. Subclasses say how exams and attempts are named."""

    def attempt_start(self, *, exam_external_id: str, external_id: str) -> None:
        return None

    def attempt_submit(self, *, exam_external_id: str, external_id: str) -> None:
        return None

    def attempt_error(self, *, exam_external_id: str, external_id: str) -> None:
        return None

    def attempt_remove(self, *, exam_external_id: str, external_id: str) -> None:
        return None

    def instructions(
        self, *, exam_external_id: str | None, external_id: str | None
    ) -> Instructions:
        return Instructions()

    def onboarding_statuses(self, *, course_id: str) -> list[OnboardingStatus]:
        return []

    def instructor_dashboard_url(
        self,
        *,
        course_id: str,
        user: DashboardUser,
        exam_external_id: str | None = None,
        attempt_external_id: str | None = None,
    ) -> str | None:
        return None

    def user_retire(self, *, user_id: str) -> bool:
        return True
