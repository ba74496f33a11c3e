"""The launches of a proctored attempt at its tool (LTI Proctoring Services, platform side).

1. ``launch_begin``: the learner continues to the proctoring setup; a launch row is made with a
   one-time message hint, and the learner goes to the tool's OIDC login initiation.
2. ``launch_authorize``: the tool's authentication request comes back to the platform's
   authorization endpoint; every parameter is checked against the launch and the signed-in
   learner, the hint is used up, and the answer is an ``LtiStartProctoring`` (or
   ``LtiEndAssessment``) id_token for the tool's redirect URI.
3. ``assessment_start_verify``: the tool posts its ``LtiStartAssessment`` JWT; it is checked
   (signature, audience, expiry, type, version, deployment, nonce replay, session data, resource
   link, attempt number) and the launch gets a one-time landing token.
4. ``assessment_start_land``: the learner's browser lands with it; the attempt becomes ready,
   then started, through the attempts' actions.

Every step's state is in the database (models.py), so nothing depends on a cache. A refused
step changes nothing: the checks come before the writes, in one transaction.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import jwt
from django.db import IntegrityError, transaction

from proctoring.attempts import actions
from proctoring.attempts.models import Attempt
from proctoring.attempts.statuses import NOT_STARTED
from proctoring.core.clock import now
from proctoring.exams.models import Exam
from proctoring.exams.selectors import exam_provider_name
from proctoring.lti import messages as m
from proctoring.lti.errors import LtiConflict, LtiError, LtiForbidden, LtiReplay
from proctoring.lti.keys import token_sign
from proctoring.lti.models import LtiLaunch, LtiSeenValue, LtiTool
from proctoring.lti.tools import tool_get, tool_jwt_decode
from proctoring.providers.services import obscured_user_id

HINT_SECONDS = 10 * 60
SESSION_SECONDS = 4 * 3600
ID_TOKEN_SECONDS = 5 * 60
NONCE_KEEP_SECONDS = 24 * 3600
MAX_PARAM = 1000


@dataclass(frozen=True)
class PlatformUrls:
    """The platform's absolute URLs a message names (the interface builds them)."""

    issuer: str
    start_assessment_url: str
    acs_url: str


@dataclass(frozen=True)
class Authorization:
    """The authorization endpoint's answer: post ``id_token`` and ``state`` to the URI."""

    redirect_uri: str
    id_token: str
    state: str


def resource_link_id(exam: Exam) -> str:
    return f"exam-{exam.pk}"


def subject_of(*, user_id: int, exam: Exam) -> str:
    """The learner's stable pseudonymous id at the tool (the provider's obscured id)."""
    return obscured_user_id(user_id=user_id, alias=exam_provider_name(exam))


def _token() -> str:
    return secrets.token_urlsafe(32)


def launch_begin(*, attempt: Attempt, tool: LtiTool, issuer: str, kind: str) -> str:
    """Record a launch of the attempt and return the tool's OIDC login initiation URL."""
    exam = attempt.exam
    if kind == LtiLaunch.Kind.START and attempt.status not in NOT_STARTED:
        raise LtiConflict(f"The attempt is {attempt.status}: its proctoring cannot start now.")
    moment = now()
    launch = LtiLaunch.objects.create(
        kind=kind,
        tool=tool,
        attempt=attempt,
        user_id=attempt.user_id,
        subject=subject_of(user_id=attempt.user_id, exam=exam),
        resource_link_id=resource_link_id(exam),
        attempt_number=attempt.attempt_number,
        message_hint=_token(),
        hint_expires_at=moment + timedelta(seconds=HINT_SECONDS),
        created=moment,
    )
    query = {
        "iss": issuer,
        "login_hint": launch.subject,
        "target_link_uri": tool.launch_url,
        "lti_message_hint": launch.message_hint,
        "lti_deployment_id": tool.deployment_id,
        "client_id": tool.client_id,
    }
    separator = "&" if "?" in tool.login_url else "?"
    return f"{tool.login_url}{separator}{urlencode(query)}"


def _param(params: Mapping[str, Any], name: str) -> str:
    value = params.get(name)
    if not isinstance(value, str) or not value.strip():
        raise LtiError(f"The parameter {name} is required.")
    if len(value) > MAX_PARAM:
        raise LtiError(f"The parameter {name} is too long.")
    return value


def launch_authorize(
    *, params: Mapping[str, Any], user_id: int, urls: PlatformUrls
) -> Authorization:
    """Check the tool's authentication request, use up the hint, sign the id_token."""
    if "openid" not in _param(params, "scope").split():
        raise LtiError("The scope must include openid.")
    if _param(params, "response_type") != "id_token":
        raise LtiError("The response_type must be id_token.")
    response_mode = params.get("response_mode") or "form_post"
    if response_mode != "form_post":
        raise LtiError("The response_mode must be form_post.")
    tool = tool_get(_param(params, "client_id"))
    redirect_uri = _param(params, "redirect_uri")
    if redirect_uri not in tool.redirect_uris:
        raise LtiError("The redirect_uri is not one the tool registered.")
    state = _param(params, "state")
    nonce = _param(params, "nonce")
    hint = _param(params, "lti_message_hint")
    login_hint = _param(params, "login_hint")
    with transaction.atomic():
        launch = (
            LtiLaunch.objects.select_for_update()
            .select_related("attempt__exam__course")
            .filter(message_hint=hint)
            .first()
        )
        if launch is None:
            raise LtiError("The lti_message_hint is unknown.")
        if launch.tool_id != tool.pk:
            raise LtiError("The client_id is not the tool this launch is for.")
        if launch.hint_used_at is not None:
            raise LtiReplay("The lti_message_hint was already used.")
        moment = now()
        if launch.hint_expires_at <= moment:
            raise LtiError("The lti_message_hint has expired: start again from the exam page.")
        if launch.user_id != user_id or login_hint != launch.subject:
            raise LtiForbidden("The login_hint is not the signed-in learner.")
        claims = _message_claims(launch, tool, urls, nonce=nonce, moment_ts=int(moment.timestamp()))
        launch.hint_used_at = moment
        fields = ["hint_used_at"]
        if launch.kind == LtiLaunch.Kind.START:
            launch.session_data = claims[m.SESSION_DATA]
            launch.session_expires_at = moment + timedelta(seconds=SESSION_SECONDS)
            fields += ["session_data", "session_expires_at"]
        else:
            launch.end_assessment_sent_at = moment
            fields.append("end_assessment_sent_at")
        launch.save(update_fields=fields)
    return Authorization(redirect_uri=redirect_uri, id_token=token_sign(claims), state=state)


def _message_claims(
    launch: LtiLaunch, tool: LtiTool, urls: PlatformUrls, *, nonce: str, moment_ts: int
) -> dict[str, Any]:
    attempt = launch.attempt
    exam = attempt.exam
    claims: dict[str, Any] = {
        "iss": urls.issuer,
        "aud": tool.client_id,
        "azp": tool.client_id,
        "sub": launch.subject,
        "iat": moment_ts,
        "exp": moment_ts + ID_TOKEN_SECONDS,
        "nonce": nonce,
        m.CLAIM_VERSION: m.VERSION,
        m.DEPLOYMENT_ID: tool.deployment_id,
        m.TARGET_LINK_URI: tool.launch_url,
        m.RESOURCE_LINK: {"id": launch.resource_link_id, "title": exam.exam_name},
        m.ROLES: [m.ROLE_LEARNER],
        m.CONTEXT: {
            "id": exam.course_id,
            "label": exam.course_id,
            "title": exam.course.display_name or exam.course_id,
            "type": [m.CONTEXT_COURSE],
        },
        m.ATTEMPT_NUMBER: launch.attempt_number,
    }
    if launch.kind == LtiLaunch.Kind.START:
        claims.update(
            {
                m.MESSAGE_TYPE: m.START_PROCTORING,
                m.START_ASSESSMENT_URL: urls.start_assessment_url,
                m.SESSION_DATA: _token(),
                m.ACS: {"assessment_control_url": urls.acs_url, "actions": list(tool.actions)},
            }
        )
    else:
        claims[m.MESSAGE_TYPE] = m.END_ASSESSMENT
        if attempt.status == "error":
            reason = attempt.history.filter(to_status="error").order_by("-id").first()
            claims[m.ERRORS] = {
                "errors": {
                    "msg": "The attempt ended in error.",
                    "log": (reason.reason or reason.cause) if reason else "",
                }
            }
    return claims


def seen_value_record(*, tool: LtiTool, kind: str, value: str, seconds: int) -> None:
    """Record a one-time value; ``LtiReplay`` when the tool sent it before."""
    moment = now()
    LtiSeenValue.objects.filter(expires_at__lte=moment).delete()
    try:
        with transaction.atomic():
            LtiSeenValue.objects.create(
                tool=tool,
                kind=kind,
                value=value[:255],
                expires_at=moment + timedelta(seconds=seconds),
            )
    except IntegrityError as exc:
        raise LtiReplay(f"This {kind} was already used.") from exc


def assessment_start_verify(*, token: str, issuer: str, user_id: int | None) -> str:
    """Check the tool's ``LtiStartAssessment`` and return the one-time landing token.

    ``user_id`` is the signed-in user when the browser sent its session with the post (it
    may not: a cross-site post), who must then be the launch's learner; the landing checks
    the learner in any case.
    """
    if not isinstance(token, str) or not token:
        raise LtiError("The JWT is missing.")
    try:
        unverified = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError as exc:
        raise LtiError(f"The JWT is malformed: {exc}") from exc
    tool = tool_get(str(unverified.get("iss", "")))
    claims = tool_jwt_decode(tool, token, audience=issuer)
    if claims.get(m.MESSAGE_TYPE) != m.START_ASSESSMENT:
        raise LtiError(f"The message type must be {m.START_ASSESSMENT}.")
    if claims.get(m.CLAIM_VERSION) != m.VERSION:
        raise LtiError(f"The LTI version must be {m.VERSION}.")
    if claims.get(m.DEPLOYMENT_ID) != tool.deployment_id:
        raise LtiError("The deployment id is not the tool's.")
    nonce = claims.get("nonce")
    if not isinstance(nonce, str) or not nonce:
        raise LtiError("The nonce is required.")
    session_data = claims.get(m.SESSION_DATA)
    if not isinstance(session_data, str) or not session_data:
        raise LtiError("The session_data is required.")
    with transaction.atomic():
        launch = (
            LtiLaunch.objects.select_for_update()
            .filter(session_data=session_data, tool=tool, kind=LtiLaunch.Kind.START)
            .first()
        )
        if launch is None:
            raise LtiError("The session_data is not one this platform gave the tool.")
        moment = now()
        if launch.session_expires_at is None or launch.session_expires_at <= moment:
            raise LtiError("The session_data has expired: start again from the exam page.")
        link = claims.get(m.RESOURCE_LINK)
        if not isinstance(link, dict) or link.get("id") != launch.resource_link_id:
            raise LtiError("The resource link is not the launch's.")
        if claims.get(m.ATTEMPT_NUMBER) != launch.attempt_number:
            raise LtiError("The attempt number is not the launch's.")
        if user_id is not None and user_id != launch.user_id:
            raise LtiForbidden("This assessment is another learner's.")
        if launch.assessment_verified_at is not None:
            raise LtiReplay("The assessment of this launch was already started.")
        seen_value_record(tool=tool, kind="nonce", value=nonce, seconds=NONCE_KEEP_SECONDS)
        launch.landing_token = _token()
        launch.assessment_verified_at = moment
        launch.end_assessment_return = claims.get(m.END_ASSESSMENT_RETURN) is True
        launch.save(
            update_fields=["landing_token", "assessment_verified_at", "end_assessment_return"]
        )
    return launch.landing_token


def assessment_start_land(
    *, landing_token: str, user_id: int, guard: actions.AttemptGuard | None = None
) -> Attempt:
    """The learner lands: the attempt becomes ready (the landing used up with it), then starts
    behind the exam's gates (``guard``: its access rules, as a start from the exam page). A
    gate's refusal leaves it ready: the learner starts from the exam page once it passes (an
    access code typed there, say)."""
    with transaction.atomic():
        launch = (
            LtiLaunch.objects.select_for_update()
            .select_related("tool")
            .filter(landing_token=landing_token)
            .first()
            if landing_token
            else None
        )
        if launch is None:
            raise LtiError("This start of the assessment is unknown.")
        if launch.user_id != user_id:
            raise LtiForbidden("This assessment is another learner's.")
        if launch.assessment_started_at is not None:
            raise LtiReplay("This start of the assessment was already used.")
        cause = f"provider:{launch.tool.client_id}"
        actions.attempt_mark_ready(attempt_id=launch.attempt_id, cause=cause)
        launch.assessment_started_at = now()
        launch.save(update_fields=["assessment_started_at"])
    return actions.attempt_act(
        attempt_id=launch.attempt_id, action="start", actor_id=user_id, guard=guard
    )


def launch_for_end(*, attempt: Attempt) -> LtiLaunch | None:
    """The start launch of a completed attempt whose tool asked for ``LtiEndAssessment`` and
    has not had it yet, or None."""
    return (
        LtiLaunch.objects.select_related("tool")
        .filter(
            attempt=attempt,
            kind=LtiLaunch.Kind.START,
            end_assessment_return=True,
            assessment_started_at__isnull=False,
        )
        .exclude(
            attempt__lti_launches__kind=LtiLaunch.Kind.END,
            attempt__lti_launches__end_assessment_sent_at__isnull=False,
        )
        .order_by("-id")
        .first()
    )
