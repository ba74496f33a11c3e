"""The gates of an exam: what a learner's start must pass, checked in one call.

The interfaces (REST, the Python API) gather the request's facts (address, headers, the code
typed) and call ``access_check_start`` before the one transition: a refusal raises the gate's
own error, with a message for the learner, before anything is created or started. Every pass
at the gates of an exam with rules, and every refusal, is logged (``GateLog``) for staff.

The order: the window, the release, the attempt limit, the address, the browser, the access
code (last, so that a code is not counted against the rate limit when another gate refuses),
and the browser session.

A learner's start of an attempt it has already created passes the gates on the locked attempt
(``start_guard``): the attempt's locking statement loads the exam's rules, the learner's
window and release with it, so the gates read nothing more (issue 9), and a refusal is logged
once the start's transaction has rolled back.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, timedelta

from django.contrib.auth.hashers import check_password
from django.db.models import Exists, F, OuterRef, Q, Subquery
from django.utils.crypto import constant_time_compare

from proctoring.access.models import AttemptSession, ExamRelease, ExamRules, GateLog, RetakePolicy
from proctoring.access.windows import OPENS_AT, learner_window
from proctoring.allowances.models import GroupMember
from proctoring.allowances.selectors import allowance_value_expression, allowance_values
from proctoring.attempts.actions import AttemptGuard
from proctoring.attempts.locks import loaded_allowance_values
from proctoring.attempts.models import Attempt
from proctoring.core.clock import now
from proctoring.exams.models import Exam
from proctoring.exceptions import (
    AccessCodeInvalid,
    AccessCodeRateLimited,
    AccessCodeRequired,
    AttemptLimitReached,
    ExamNotOpen,
    ExamNotReleased,
    ExamPastDue,
    IpNotAllowed,
    ProctoringError,
    SafeExamBrowserRequired,
    SessionLocked,
)

log = logging.getLogger(__name__)

# Wrong access codes a learner may type on one exam within the period, before waiting.
CODE_ATTEMPTS = 5
CODE_PERIOD = timedelta(minutes=15)


@dataclass(frozen=True)
class AccessFacts:
    """What the request tells the gates: the client's address (after trusted proxies), the
    URL it asked for and Safe Exam Browser's hash headers, the code the learner typed, the
    browser session's key."""

    ip: str | None = None
    url: str = ""
    seb_config_key_hash: str = ""
    seb_request_hash: str = ""
    access_code: str | None = None
    session_key: str = ""


@dataclass
class _Pass:
    exam: Exam
    user_id: int
    rules: ExamRules | None
    facts: AccessFacts
    attempt: Attempt | None
    creating: bool
    gates: list[str] = field(default_factory=list)
    # Loaded with the locked attempt (``start_guard``), else read by the gates themselves.
    values: Mapping[str, str] | None = None  # the learner's allowance values
    released: bool | None = None  # released for everyone or for one of the learner's groups
    locked: bool = False  # the attempt is locked, its browser session loaded with it
    outcome: str | None = None  # PASSED or the refusal's code, once the gates have run


def seb_hash(url: str, key: str) -> str:
    """Safe Exam Browser's hash of a request: SHA-256 of the URL then the key, in hex."""
    return hashlib.sha256((url + key).encode()).hexdigest()


def session_hash(session_key: str) -> str:
    return hashlib.sha256(session_key.encode()).hexdigest()


def _window(state: _Pass) -> None:
    state.gates.append("window")
    opens_at = state.rules.opens_at if state.rules else None
    values = state.values
    if values is None:
        values = allowance_values(exam_id=state.exam.pk, user_id=state.user_id)
    window = learner_window(exam=state.exam, exam_opens_at=opens_at, values=values)
    moment = now()
    if window.not_yet(moment) and window.opens_at is not None:
        raise ExamNotOpen(
            f"This exam opens at {window.opens_at.astimezone(UTC).isoformat()} (UTC); "
            "come back then."
        )
    if window.closed(moment) and window.due_at is not None:
        raise ExamPastDue(
            f"This exam was due at {window.due_at.astimezone(UTC).isoformat()} (UTC); it can no "
            "longer be started."
        )


def _release(state: _Pass, rules: ExamRules) -> None:
    if not rules.requires_release:
        return
    state.gates.append("release")
    if state.released is not None:
        if not state.released:
            raise ExamNotReleased()
        return
    groups = GroupMember.objects.filter(course_id=state.exam.course_id, user_id=state.user_id)
    released = ExamRelease.objects.filter(
        Q(group="") | Q(group__in=groups.values("group")), exam=state.exam
    )
    if not released.exists():
        raise ExamNotReleased()


def _attempt_limit(state: _Pass, rules: ExamRules) -> None:
    limit = 1 if rules.retake_policy == RetakePolicy.NONE else rules.max_attempts
    if limit is None or not state.creating:
        return
    state.gates.append("attempts")
    used = Attempt.objects.filter(exam=state.exam, user_id=state.user_id).count()
    if used >= limit:
        raise AttemptLimitReached(
            f"You have used your {limit} attempt{'s' if limit > 1 else ''} at this exam."
        )


def _ip(state: _Pass, rules: ExamRules) -> None:
    if not rules.allowed_ip_ranges:
        return
    state.gates.append("ip")
    try:
        address = ipaddress.ip_address(state.facts.ip or "")
    except ValueError:
        raise IpNotAllowed() from None
    if not any(address in ipaddress.ip_network(net) for net in rules.allowed_ip_ranges):
        raise IpNotAllowed()


def _seb(state: _Pass, rules: ExamRules) -> None:
    if not rules.seb_config_key and not rules.seb_browser_exam_keys:
        return
    state.gates.append("seb")
    facts = state.facts
    url = facts.url.split("#", 1)[0]
    if rules.seb_config_key and constant_time_compare(
        facts.seb_config_key_hash.lower(), seb_hash(url, rules.seb_config_key)
    ):
        return
    for key in rules.seb_browser_exam_keys:
        if constant_time_compare(facts.seb_request_hash.lower(), seb_hash(url, key)):
            return
    raise SafeExamBrowserRequired()


def _access_code(state: _Pass, rules: ExamRules) -> None:
    if not rules.access_code_hash:
        return
    state.gates.append("access_code")
    if not state.facts.access_code:
        raise AccessCodeRequired()
    wrong = GateLog.objects.filter(
        exam=state.exam,
        user_id=state.user_id,
        outcome=AccessCodeInvalid.code,
        at__gt=now() - CODE_PERIOD,
    ).count()
    if wrong >= CODE_ATTEMPTS:
        raise AccessCodeRateLimited()
    # Django's hashers compare in constant time.
    if not check_password(state.facts.access_code, rules.access_code_hash):
        raise AccessCodeInvalid()


def _session(state: _Pass, rules: ExamRules) -> None:
    if not rules.one_session:
        return
    state.gates.append("session")
    if not state.facts.session_key:
        raise SessionLocked(
            "This exam is taken in one browser: your browser sent no session (the "
            "X-Exam-Session header)."
        )
    if state.attempt is not None and state.locked:
        _session_bind_locked(attempt=state.attempt, facts=state.facts)
    elif state.attempt is not None:
        session_bind(attempt=state.attempt, facts=state.facts)


GATES: tuple[Callable[[_Pass, ExamRules], None], ...] = (
    _release,
    _attempt_limit,
    _ip,
    _seb,
    _access_code,
    _session,
)


def access_check_start(
    *,
    exam: Exam,
    user_id: int,
    facts: AccessFacts,
    attempt: Attempt | None = None,
    creating: bool = False,
) -> ExamRules | None:
    """Check every gate of the exam for the learner's start (``creating``: of a new attempt;
    ``attempt``: of this one, which a one-session exam binds to the browser). Raise the first
    gate's refusal; return the exam's rules (None when it has none)."""
    rules = ExamRules.objects.filter(exam=exam).first()
    state = _Pass(exam, user_id, rules, facts, attempt, creating)
    try:
        _run(state)
    finally:
        if state.outcome is not None and (state.rules is not None or state.outcome != PASSED):
            _log(state, state.outcome)
    return rules


PASSED = GateLog.PASSED


def _run(state: _Pass) -> None:
    """Every gate in order; ``state.outcome`` says how it went (the refusal is raised)."""
    try:
        _window(state)
        if state.rules is not None:
            for gate in GATES:
                gate(state, state.rules)
    except ProctoringError as refusal:
        state.outcome = refusal.code
        raise
    state.outcome = PASSED


def access_check_create(*, exam: Exam, user_id: int, facts: AccessFacts) -> ExamRules | None:
    """Before a learner creates an attempt it does not start yet: the attempt limit only (the
    other gates wait for the start)."""
    rules = ExamRules.objects.filter(exam=exam).first()
    if rules is None:
        return None
    state = _Pass(exam, user_id, rules, facts, None, creating=True)
    try:
        _attempt_limit(state, rules)
    except ProctoringError as refusal:
        _log(state, refusal.code)
        raise
    if state.gates:
        _log(state, GateLog.PASSED)
    return rules


def _log(state: _Pass, outcome: str) -> None:
    GateLog.objects.create(
        exam=state.exam,
        user_id=state.user_id,
        attempt_id=state.attempt.pk if state.attempt is not None else None,
        outcome=outcome,
        gates=state.gates,
        ip=_valid_ip(state.facts.ip),
        at=now(),
    )
    if outcome != GateLog.PASSED:
        log.info("User %s refused at exam %s: %s", state.user_id, state.exam.pk, outcome)


def _valid_ip(ip: str | None) -> str | None:
    try:
        return str(ipaddress.ip_address(ip or ""))
    except ValueError:
        return None


def session_bind(*, attempt: Attempt, facts: AccessFacts) -> None:
    """Bind the attempt to the browser session, or refuse another one (``SessionLocked``)."""
    digest = session_hash(facts.session_key)
    bound, created = AttemptSession.objects.get_or_create(
        attempt=attempt, defaults={"session_hash": digest, "bound_at": now()}
    )
    if not created and not constant_time_compare(bound.session_hash, digest):
        raise SessionLocked()


def _session_bind_locked(*, attempt: Attempt, facts: AccessFacts) -> None:
    """``session_bind`` for an attempt locked with its session's hash (``start_guard``):
    the lock keeps any other request of this attempt out, so no read is needed."""
    digest = session_hash(facts.session_key)
    bound = getattr(attempt, SESSION_ANNOTATION, None)
    if bound is None:
        AttemptSession.objects.create(attempt=attempt, session_hash=digest, bound_at=now())
        setattr(attempt, SESSION_ANNOTATION, digest)
    elif not constant_time_compare(bound, digest):
        raise SessionLocked()


def start_guard(*, facts: AccessFacts) -> AttemptGuard:
    """A learner's start of its attempt passes the exam's gates on the locked attempt (when
    it has never started; its browser session's check else), with everything the gates read
    loaded by the locking statement: the exam's rules (joined), the learner's opening time
    and release (sub-selects) and its time allowances. With no rules, a start costs no
    statement more than the start itself.

    A pass at the gates of an exam with rules is logged in the start's transaction; a
    refusal rolls the start back and is logged after it (``settle``), as is a pass whose
    start was refused after the gates."""
    digest = session_hash(facts.session_key or "")
    passes: list[_Pass] = []

    def check(attempt: Attempt) -> None:
        if attempt.started_at is not None:
            _session_check(attempt, digest)
            return
        exam = attempt.exam
        values = dict(loaded_allowance_values(attempt) or {})
        opens_at = getattr(attempt, OPENS_AT_ANNOTATION, None)
        if opens_at is not None:
            values[OPENS_AT] = opens_at
        state = _Pass(
            exam,
            attempt.user_id,
            getattr(exam, "access_rules", None),  # joined by the lock: None when it has none
            facts,
            attempt,
            creating=False,
            values=values,
            released=bool(getattr(attempt, RELEASED_ANNOTATION)),
            locked=True,
        )
        passes.append(state)
        _run(state)
        if state.rules is not None:
            _log(state, PASSED)

    def settle(committed: bool) -> None:
        for state in passes:
            if state.outcome is None or (state.outcome == PASSED and state.rules is None):
                continue
            if state.outcome != PASSED or not committed:  # not in a committed transaction
                _log(state, state.outcome)

    return AttemptGuard(
        annotations=_START_ANNOTATIONS,
        check=check,
        related=START_RELATED,
        settle=settle,
        deferred=START_DEFERRED,
    )


def _session_check(attempt: Attempt, digest: str) -> None:
    bound = getattr(attempt, SESSION_ANNOTATION, None)
    if bound is not None and not constant_time_compare(bound, digest):
        raise SessionLocked()


def session_guard(*, facts: AccessFacts) -> AttemptGuard:
    """A learner's action on an attempt bound to a browser session must come from it: the
    binding is read by the action's own locking statement (no statement more)."""
    digest = session_hash(facts.session_key or "")
    return AttemptGuard(
        annotations=_SESSION_ANNOTATIONS, check=lambda attempt: _session_check(attempt, digest)
    )


SESSION_ANNOTATION = "access_session_hash"
# One object for every guard: the lock compiles its SQL once per annotations' object
# (attempts/lock_sql.py).
_SESSION_ANNOTATIONS = {
    SESSION_ANNOTATION: Subquery(
        AttemptSession.objects.filter(attempt_id=OuterRef("pk")).values("session_hash")[:1]
    )
}

OPENS_AT_ANNOTATION = "access_opens_at"
RELEASED_ANNOTATION = "access_released"
# What the gates of a start read, loaded by the start's locking statement: the exam's rules
# (a LEFT JOIN), the learner's opening time (its own, its group's or its course profile's)
# and whether the exam is released for everyone or for one of the learner's groups of its
# course. One object, for the same reason as the session's.
START_RELATED = ("exam__access_rules",)
# The rules' fields no gate reads (texts for the learner, the SEB file): left out of the lock.
START_DEFERRED = tuple(
    f"exam__access_rules__{name}"
    for name in (
        "created",
        "modified",
        "seb_config_file",
        "content_after_submission",
        "rules_text",
        "contacts",
        "escalation_email",
        "support_links",
    )
)
_START_ANNOTATIONS = {
    **_SESSION_ANNOTATIONS,
    OPENS_AT_ANNOTATION: allowance_value_expression(
        OPENS_AT,
        exam=OuterRef("exam_id"),
        user=OuterRef("user_id"),
        course=OuterRef("exam__course_id"),
    ),
    # The member row is joined, not sub-selected (allowances/selectors.py says why).
    RELEASED_ANNOTATION: Exists(
        ExamRelease.objects.filter(exam_id=OuterRef("exam_id")).filter(
            Q(group="")
            | Q(
                exam__course__group_members__user_id=OuterRef("user_id"),
                exam__course__group_members__group=F("group"),
            )
        )
    ),
}
