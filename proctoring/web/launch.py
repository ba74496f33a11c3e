"""The platform launch: a learner's or staff member's browser arrives with a short-lived
platform JWT (signed like the API's tokens) that names the user and the exam; a valid token,
used once, opens a session.

The token's claims: those of the API's tokens (``sub``, ``exp``, ``iss``, ``aud``,
``preferred_username``, ``email``, ``course_roles``, ...), plus ``jti`` (unique; the token
is refused the second time), ``iat`` (``exp`` at most ``LAUNCH_MAX_AGE_SECONDS`` after it),
the exam (``exam_id``, or ``course_id`` and ``content_id``) and optionally ``return_url``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlparse

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import IntegrityError, transaction
from rest_framework.exceptions import AuthenticationFailed

from proctoring.accounts.claims import InvalidClaims, has_control_characters, platform_claims_parse
from proctoring.accounts.identities import platform_user_sync
from proctoring.core.clock import now
from proctoring.core.ids import as_id
from proctoring.exams.models import Exam
from proctoring.exams.selectors import exam_get, exam_get_by_content_id
from proctoring.exceptions import ProctoredExamNotFoundException
from proctoring.rest.authentication import platform_token_decode
from proctoring.web.models import UsedLaunchToken

LAUNCH_MAX_AGE_SECONDS = 300
JTI_MAX_LENGTH = 255
RETURN_URL_MAX_LENGTH = 2000


class LaunchRefused(Exception):
    """A launch token that opens no session: why, with a stable code and an HTTP status."""

    def __init__(self, message: str, code: str, status: int = 403) -> None:
        super().__init__(message)
        self.message, self.code, self.status = message, code, status


@dataclass(frozen=True)
class Launch:
    user: AbstractUser
    exam: Exam
    return_url: str


def _claims(token: str) -> dict[str, Any]:
    try:
        return platform_token_decode(token)
    except AuthenticationFailed as exc:
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else "invalid_token"
        raise LaunchRefused(str(exc.detail), code) from exc


def _check_lifetime(claims: dict[str, Any]) -> None:
    issued, expires = claims.get("iat"), claims["exp"]  # exp: required by the decoding
    if not isinstance(issued, int | float) or isinstance(issued, bool):
        raise LaunchRefused("A launch token needs its issue time (iat).", "invalid_claims")
    if float(expires) - issued > LAUNCH_MAX_AGE_SECONDS:
        raise LaunchRefused(
            f"A launch token may be valid for at most {LAUNCH_MAX_AGE_SECONDS} seconds.",
            "token_too_long_lived",
        )


def _jti(claims: dict[str, Any]) -> str:
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti or len(jti) > JTI_MAX_LENGTH:
        raise LaunchRefused(
            f"A launch token needs a unique id (jti) of at most {JTI_MAX_LENGTH} characters.",
            "invalid_claims",
        )
    return jti


def _exam(claims: dict[str, Any]) -> Exam:
    exam_id, course_id, content_id = (
        claims.get("exam_id"),
        claims.get("course_id"),
        claims.get("content_id"),
    )
    try:
        if exam_id is not None:
            pk = as_id(exam_id)
            if pk is None:
                raise LaunchRefused(
                    "The exam_id claim must be an exam's id.", "invalid_claims", 400
                )
            return exam_get(exam_id=pk)
        if isinstance(course_id, str) and isinstance(content_id, str):
            return exam_get_by_content_id(course_id=course_id, content_id=content_id)
    except ProctoredExamNotFoundException as exc:
        raise LaunchRefused(exc.message, exc.code, 404) from exc
    raise LaunchRefused(
        "A launch token names its exam: exam_id, or course_id and content_id.", "invalid_claims"
    )


def return_url_clean(value: Any) -> str:
    """An http(s) address to send the learner back to, or "" when there is none."""
    if value is None or value == "":
        return ""
    parsed = urlparse(value) if isinstance(value, str) else None
    if (
        parsed is None
        or parsed.scheme not in ("http", "https")
        or not parsed.netloc
        or len(value) > RETURN_URL_MAX_LENGTH
        or has_control_characters(value)
    ):
        raise LaunchRefused("The return_url claim must be an http(s) address.", "invalid_claims")
    return str(value)


def _use_once(*, issuer: str, jti: str, expires: float) -> None:
    moment = now()
    # Tokens past their expiry are refused by their signature check: their ids can go.
    leeway = timedelta(seconds=settings.PROCTORING_JWT_LEEWAY_SECONDS)
    UsedLaunchToken.objects.filter(expires_at__lt=moment - leeway).delete()
    try:
        with transaction.atomic():
            UsedLaunchToken.objects.create(
                issuer=issuer,
                jti=jti,
                expires_at=datetime.fromtimestamp(expires, tz=UTC),
                used_at=moment,
            )
    except IntegrityError:
        raise LaunchRefused("This launch token was used already.", "token_replayed") from None


def launch_verify(*, token: Any) -> Launch:
    """The user and exam of a valid, unused launch token; the token is used up."""
    if not isinstance(token, str) or not token:
        raise LaunchRefused("The launch has no token.", "missing_token", 400)
    claims = _claims(token)
    _check_lifetime(claims)
    jti = _jti(claims)
    exam = _exam(claims)
    return_url = return_url_clean(claims.get("return_url"))
    issuer = settings.PROCTORING_JWT_ISSUER or ""
    with transaction.atomic():
        _use_once(issuer=issuer, jti=jti, expires=float(claims["exp"]))
        try:
            user = platform_user_sync(claims=platform_claims_parse(payload=claims, issuer=issuer))
        except InvalidClaims as exc:
            raise LaunchRefused(str(exc), "invalid_claims") from exc
    if not user.is_active:
        raise LaunchRefused("This user is inactive.", "user_inactive")
    return Launch(user=user, exam=exam, return_url=return_url)
