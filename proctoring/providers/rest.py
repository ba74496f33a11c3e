"""The ``rest`` provider: the reference's REST backend contract, as vendors implement it.

Every request is authenticated with an OAuth2 client-credentials token from the vendor's
``/oauth2/access_token``, kept until it expires. Every call has a timeout; the idempotent ones
(``GET``, ``DELETE``, and the ``PATCH`` that sets an attempt's status to an absolute value) are
tried again with exponential backoff when the vendor cannot be reached, times out or answers
502, 503 or 504. A ``POST`` is sent once: a retried creation could create twice. The contract,
both directions, is described in docs/providers.md.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlsplit

import jwt
import requests

from proctoring.exceptions import ProviderError, ProviderUnavailable
from proctoring.providers.base import (
    AttemptSpec,
    DashboardUser,
    ExamSpec,
    Instructions,
    OnboardingStatus,
    Provider,
    ProviderAttempt,
    Worker,
)

log = logging.getLogger(__name__)

ONBOARDING_STATUSES = frozenset(
    {"onboarding_missing", "onboarding_pending", "onboarding_failed", "onboarding_expired"}
)
RETRIED_METHODS = frozenset({"GET", "DELETE", "PATCH", "PUT"})
UNAVAILABLE_STATUSES = frozenset({502, 503, 504})
TOKEN_MARGIN_SECONDS = 30  # a token this close to its expiry is fetched again
DEFAULTS: dict[str, Any] = {
    "TIMEOUT_SECONDS": 10,
    "RETRIES": 2,
    "BACKOFF_SECONDS": 0.5,
    "PING_INTERVAL": 60,
    "DASHBOARD_TOKEN_SECONDS": 60,
}


class _Token:
    """The vendor's access token, shared by the threads of the process until it expires."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.header = ""
        self.expires_at = 0.0

    def clear(self) -> None:
        with self.lock:
            self.header, self.expires_at = "", 0.0


class RestProvider(Provider):
    OPTIONS = frozenset(
        {"BASE_URL", "CLIENT_ID", "CLIENT_SECRET", "WORKER_URL", *DEFAULTS, "TOKEN_URL"}
    )
    REQUIRED = frozenset({"BASE_URL", "CLIENT_ID", "CLIENT_SECRET"})

    def __init__(self, *, alias: str, options: Mapping[str, Any]) -> None:
        super().__init__(alias=alias, options={**DEFAULTS, **options})
        self.base_url = str(self.options.get("BASE_URL", "")).rstrip("/")
        self.client_id = str(self.options.get("CLIENT_ID", ""))
        self.client_secret = str(self.options.get("CLIENT_SECRET", ""))
        self.timeout = float(self.options["TIMEOUT_SECONDS"])
        self.retries = int(self.options["RETRIES"])
        self.backoff = float(self.options["BACKOFF_SECONDS"])
        token_url = self.options.get("TOKEN_URL") or f"{self.base_url}/oauth2/access_token"
        self.token_url = str(token_url)
        self.session = requests.Session()
        self._token = _Token()

    @classmethod
    def options_problems(cls, options: Mapping[str, Any]) -> list[str]:
        problems = super().options_problems(options)
        for name in ("BASE_URL", "TOKEN_URL", "WORKER_URL"):
            url = options.get(name)
            if url and (not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https")):
                problems.append(f"option {name} must be an http or https URL")
        for name in ("TIMEOUT_SECONDS", "BACKOFF_SECONDS", "PING_INTERVAL", "RETRIES"):
            value = options.get(name, DEFAULTS[name])
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                problems.append(f"option {name} must be a number, not negative")
        if options.get("TIMEOUT_SECONDS") == 0:
            problems.append("option TIMEOUT_SECONDS must be more than 0")
        return problems

    # The HTTP exchange.

    def _auth_header(self) -> str:
        with self._token.lock:
            if self._token.header and time.monotonic() < self._token.expires_at:
                return self._token.header
            try:
                data = self._send(
                    "POST",
                    self.token_url,
                    retried=True,  # asking for a token changes nothing at the vendor
                    data={
                        "grant_type": "client_credentials",
                        "client_id": self.client_id,
                        "client_secret": self.client_secret,
                        "token_type": "jwt",
                    },
                )
            except _Unauthorized as exc:
                raise ProviderError(
                    f"The proctoring provider {self.alias} refused our client credentials."
                ) from exc
            token = data.get("access_token") if isinstance(data, dict) else None
            if not isinstance(token, str) or not token:
                raise ProviderError(f"The provider {self.alias} gave no access token.")
            expires_in = data.get("expires_in", 300)
            lifetime = float(expires_in) if isinstance(expires_in, int | float) else 300.0
            kind = str(data.get("token_type") or "JWT")
            self._token.header = f"{'JWT' if kind.lower() == 'jwt' else kind} {token}"
            self._token.expires_at = time.monotonic() + max(0.0, lifetime - TOKEN_MARGIN_SECONDS)
            return self._token.header

    def _send(
        self,
        method: str,
        url: str,
        *,
        retried: bool,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> Any:
        """One call, tried again with backoff when ``retried``; its JSON answer."""
        tries = 1 + (self.retries if retried else 0)
        for attempt in range(tries):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1))
            try:
                response = self.session.request(
                    method, url, headers=headers, timeout=self.timeout, **kwargs
                )
            except requests.RequestException as exc:
                failure: Exception = ProviderUnavailable(
                    f"The proctoring provider {self.alias} cannot be reached "
                    f"({type(exc).__name__}); try again in a few minutes."
                )
                log.warning("%s %s to %s failed: %s", method, url, self.alias, exc)
                continue
            if response.status_code in UNAVAILABLE_STATUSES:
                failure = ProviderUnavailable(
                    f"The proctoring provider {self.alias} is unavailable "
                    f"(HTTP {response.status_code}); try again in a few minutes."
                )
                continue
            return self._answer(method, url, response)
        raise failure

    def _answer(self, method: str, url: str, response: requests.Response) -> Any:
        if response.status_code == 401:
            raise _Unauthorized()
        if not 200 <= response.status_code < 300:
            log.warning("%s %s: HTTP %s %s", method, url, response.status_code, response.text[:200])
            raise ProviderError(
                f"The proctoring provider {self.alias} refused the request "
                f"(HTTP {response.status_code})."
            )
        if not response.content:
            return {}
        try:
            return response.json()
        except ValueError as exc:
            raise ProviderError(
                f"The proctoring provider {self.alias} answered with something that is not JSON."
            ) from exc

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        """An authenticated call to the API; a refused token is fetched again once."""
        url = f"{self.base_url}{path}"
        retried = method in RETRIED_METHODS
        for _ in range(2):
            headers = {"Authorization": self._auth_header(), "Accept": "application/json"}
            try:
                return self._send(method, url, retried=retried, headers=headers, **kwargs)
            except _Unauthorized:
                self._token.clear()
        raise ProviderError(f"The proctoring provider {self.alias} refused our credentials.")

    # Exams.

    def exam_register(self, exam: ExamSpec) -> str | None:
        path = "/api/v1/exam/"
        if exam.external_id:
            path = f"/api/v1/exam/{quote(exam.external_id, safe='')}/"
        data = self._call("POST", path, json=_exam_body(exam, self.alias))
        external_id = data.get("id") if isinstance(data, dict) else None
        if external_id in (None, ""):
            raise ProviderError(f"The proctoring provider {self.alias} gave the exam no id.")
        return str(external_id)

    # Attempts.

    def attempt_create(self, attempt: AttemptSpec) -> ProviderAttempt:
        body = {
            "status": "created",
            "user_id": attempt.user_id,
            "user_name": attempt.full_name,
            "full_name": attempt.full_name,
            "email": attempt.email,
            "lms_host": attempt.lms_host,
            "time_limit_mins": attempt.time_limit_mins,
            "is_sample_attempt": attempt.is_sample_attempt,
        }
        if attempt.review_policy:
            body["review_policy"] = attempt.review_policy
        exam = quote(attempt.exam_external_id, safe="")
        data = self._call("POST", f"/api/v1/exam/{exam}/attempt/", json=body)
        if not isinstance(data, dict):
            raise ProviderError(f"The proctoring provider {self.alias} sent no attempt.")
        status = data.get("status")
        if status in ONBOARDING_STATUSES:
            return ProviderAttempt(external_id=None, onboarding_status=str(status))
        external_id = data.get("id")
        if external_id in (None, ""):
            raise ProviderError(f"The proctoring provider {self.alias} gave the attempt no id.")
        return ProviderAttempt(external_id=str(external_id))

    def _attempt_path(self, exam_external_id: str, external_id: str) -> str:
        return (
            f"/api/v1/exam/{quote(exam_external_id, safe='')}/attempt/"
            f"{quote(external_id, safe='')}/"
        )

    def _attempt_status(self, exam_external_id: str, external_id: str, status: str) -> None:
        path = self._attempt_path(exam_external_id, external_id)
        self._call("PATCH", path, json={"status": status})

    def attempt_start(self, *, exam_external_id: str, external_id: str) -> None:
        self._attempt_status(exam_external_id, external_id, "started")

    def attempt_submit(self, *, exam_external_id: str, external_id: str) -> None:
        self._attempt_status(exam_external_id, external_id, "submitted")

    def attempt_error(self, *, exam_external_id: str, external_id: str) -> None:
        self._attempt_status(exam_external_id, external_id, "error")

    def attempt_remove(self, *, exam_external_id: str, external_id: str) -> None:
        self._call("DELETE", self._attempt_path(exam_external_id, external_id))

    # The learner's page.

    def instructions(
        self, *, exam_external_id: str | None, external_id: str | None
    ) -> Instructions:
        if exam_external_id and external_id:
            data = self._call("GET", self._attempt_path(exam_external_id, external_id))
        else:
            data = self._call("GET", "/api/v1/config/")
        if not isinstance(data, dict):
            return Instructions()
        steps = data.get("instructions") or []
        download_url = data.get("download_url") or ""
        return Instructions(
            steps=tuple(str(step) for step in steps if isinstance(step, str)),
            download_url=str(download_url),
        )

    def worker(self) -> Worker | None:
        url = self.options.get("WORKER_URL")
        if not url:
            return None
        return Worker(url=str(url), ping_interval=int(self.options["PING_INTERVAL"]))

    # Course staff, and retirement.

    def onboarding_statuses(self, *, course_id: str) -> list[OnboardingStatus]:
        path = f"/api/v1/courses/{quote(course_id, safe=':+@')}/onboarding_statuses"
        data = self._call("GET", path)
        rows = data.get("results", []) if isinstance(data, dict) else data
        if not isinstance(rows, list):
            raise ProviderError(f"The proctoring provider {self.alias} sent no onboarding list.")
        return [
            OnboardingStatus(
                user_id=str(row.get("user_id", "")),
                status=str(row.get("status", "")),
                expiration_date=row.get("expiration_date"),
            )
            for row in rows
            if isinstance(row, dict)
        ]

    def instructor_dashboard_url(
        self,
        *,
        course_id: str,
        user: DashboardUser,
        exam_external_id: str | None = None,
        attempt_external_id: str | None = None,
    ) -> str | None:
        claims: dict[str, Any] = {
            "course_id": course_id,
            "user": {"id": user.user_id, "full_name": user.full_name, "email": user.email},
            "iss": self.client_id,
            "jti": uuid.uuid4().hex,
            "exp": int(time.time()) + int(self.options["DASHBOARD_TOKEN_SECONDS"]),
        }
        if exam_external_id:
            claims["exam_id"] = exam_external_id
            if attempt_external_id:
                claims["attempt_id"] = attempt_external_id
        token = jwt.encode(claims, self.client_secret, algorithm="HS256")
        return f"{self.base_url}/api/v1/instructor/{quote(self.client_id, safe='')}/?jwt={token}"

    def user_retire(self, *, user_id: str) -> bool:
        return self._call("DELETE", f"/api/v1/user/{quote(user_id, safe='')}/") is True


class _Unauthorized(Exception):
    """The vendor refused the token (HTTP 401): it may have expired early."""


def _exam_body(exam: ExamSpec, alias: str) -> dict[str, Any]:
    """The reference's exam payload (its field names, and the documented short ones)."""
    return {
        "id": exam.exam_id,
        "course_id": exam.course_id,
        "content_id": exam.content_id,
        "exam_name": exam.name,
        "name": exam.name,
        "time_limit_mins": exam.time_limit_mins,
        "is_proctored": exam.is_proctored,
        "is_practice_exam": exam.is_practice,
        "is_practice": exam.is_practice,
        "is_active": exam.is_active,
        "external_id": exam.external_id,
        "backend": alias,
        "rules": dict(exam.rules),
        "rule_summary": exam.rule_summary,
    }
