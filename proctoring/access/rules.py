"""Services that set an exam's access rules, release an exam, and unlock a browser session."""

from __future__ import annotations

import ipaddress
import logging
import re
from datetime import datetime
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import transaction

from proctoring.access.models import (
    AttemptSession,
    ContentAfterSubmission,
    ExamRelease,
    ExamRules,
    GateLog,
    RetakePolicy,
)
from proctoring.access.windows import window_check
from proctoring.core.clock import now
from proctoring.exams.models import Exam
from proctoring.exceptions import InvalidAccessRules

log = logging.getLogger(__name__)

MAX_IP_RANGES = 100
MAX_LIST_ITEMS = 20
MIN_ACCESS_CODE = 4
MAX_ACCESS_CODE = 128
_HEX_KEY = re.compile(r"^[0-9a-fA-F]{64}\Z")
# An email address as the rules take it (the REST schema states the same pattern).
EMAIL_PATTERN = (
    r"^[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*\.[A-Za-z]{2,24}\Z"
)

# The fields a caller may set, besides ``access_code`` (stored hashed).
RULE_FIELDS = (
    "opens_at",
    "requires_release",
    "allowed_ip_ranges",
    "seb_config_key",
    "seb_browser_exam_keys",
    "seb_config_file",
    "max_attempts",
    "retake_policy",
    "one_session",
    "content_after_submission",
    "rules_text",
    "contacts",
    "escalation_email",
    "support_links",
)


def exam_rules_of(exam: Exam) -> ExamRules:
    """The exam's rules, or unsaved defaults (no gate) when it has none."""
    rules = ExamRules.objects.filter(exam=exam).first()
    return rules if rules is not None else ExamRules(exam=exam)


def _networks(ranges: Any) -> list[str]:
    if not isinstance(ranges, list) or len(ranges) > MAX_IP_RANGES:
        raise InvalidAccessRules(f"allowed_ip_ranges is a list of at most {MAX_IP_RANGES} CIDRs.")
    clean = []
    for item in ranges:
        try:
            clean.append(str(ipaddress.ip_network(str(item), strict=False)))
        except ValueError:
            raise InvalidAccessRules(
                f"{item!r} is not an IP network (e.g. 192.0.2.0/24 or 2001:db8::/32)."
            ) from None
    return clean


def _keys(keys: Any) -> list[str]:
    if not isinstance(keys, list) or len(keys) > MAX_LIST_ITEMS:
        raise InvalidAccessRules(f"seb_browser_exam_keys is a list of at most {MAX_LIST_ITEMS}.")
    for key in keys:
        if not isinstance(key, str) or not _HEX_KEY.match(key):
            raise InvalidAccessRules("A Safe Exam Browser key is 64 hexadecimal digits.")
    return [key.lower() for key in keys]


def _texts(name: str, items: Any) -> list[Any]:
    if not isinstance(items, list) or len(items) > MAX_LIST_ITEMS:
        raise InvalidAccessRules(f"{name} is a list of at most {MAX_LIST_ITEMS} items.")
    return items


def _clean(rules: ExamRules, changes: dict[str, Any]) -> dict[str, Any]:
    """The changes, checked and in their stored form."""
    clean = dict(changes)
    if "allowed_ip_ranges" in clean:
        clean["allowed_ip_ranges"] = _networks(clean["allowed_ip_ranges"])
    if "seb_browser_exam_keys" in clean:
        clean["seb_browser_exam_keys"] = _keys(clean["seb_browser_exam_keys"])
    if clean.get("seb_config_key"):
        clean["seb_config_key"] = _keys([clean["seb_config_key"]])[0]
    max_attempts = clean.get("max_attempts")
    if max_attempts is not None and (not isinstance(max_attempts, int) or max_attempts < 1):
        raise InvalidAccessRules("max_attempts is a whole number from 1, or null (no limit).")
    if "retake_policy" in clean and clean["retake_policy"] not in RetakePolicy.values:
        raise InvalidAccessRules(f"retake_policy is one of {', '.join(RetakePolicy.values)}.")
    after = clean.get("content_after_submission")
    if after is not None and after not in ContentAfterSubmission.values:
        raise InvalidAccessRules(
            f"content_after_submission is one of {', '.join(ContentAfterSubmission.values)}."
        )
    email = clean.get("escalation_email")
    if email and not (isinstance(email, str) and re.match(EMAIL_PATTERN, email)):
        raise InvalidAccessRules("escalation_email is not an email address.")
    for name in ("contacts", "support_links"):
        if name in clean:
            clean[name] = _texts(name, clean[name])
    opens_at: datetime | None = clean.get("opens_at", rules.opens_at)
    window_check(opens_at=opens_at, due_at=rules.exam.due_date)
    return clean


def exam_rules_set(
    *, exam: Exam, changes: dict[str, Any], access_code: Any = None, clear_access_code: bool = False
) -> ExamRules:
    """Change the exam's rules: the fields in ``changes`` (of ``RULE_FIELDS``); a new access
    code is stored hashed (``clear_access_code`` removes it: no code asked)."""
    unknown = sorted(set(changes) - set(RULE_FIELDS))
    if unknown:
        raise InvalidAccessRules(f"{unknown[0]!r} is not an access rule.")
    with transaction.atomic():
        rules, _ = ExamRules.objects.select_for_update().get_or_create(exam=exam)
        rules.exam = exam
        for name, value in _clean(rules, changes).items():
            setattr(rules, name, value)
        if access_code is not None:
            if not isinstance(access_code, str) or not (
                MIN_ACCESS_CODE <= len(access_code) <= MAX_ACCESS_CODE
            ):
                raise InvalidAccessRules(
                    f"An access code is {MIN_ACCESS_CODE} to {MAX_ACCESS_CODE} characters."
                )
            rules.access_code_hash = make_password(access_code)
        elif clear_access_code:
            rules.access_code_hash = ""
        rules.save()
    log.info("Access rules of exam %s: %s", exam.pk, sorted(changes))
    return rules


def exam_release(*, exam: Exam, group: str, actor_id: int | None) -> ExamRelease:
    """Staff's "start now" for a group of the course ("" for every learner): its learners
    may start the exam from now on (exams with ``requires_release``)."""
    release, _ = ExamRelease.objects.update_or_create(
        exam=exam, group=group.strip(), defaults={"released_at": now(), "released_by_id": actor_id}
    )
    log.info("Exam %s released for %s by %s", exam.pk, group or "everyone", actor_id)
    return release


def exam_release_withdraw(*, exam: Exam, group: str) -> bool:
    """Undo a release that no learner used yet; whether there was one."""
    deleted, _ = ExamRelease.objects.filter(exam=exam, group=group.strip()).delete()
    return bool(deleted)


def attempt_session_unlock(*, attempt_id: int, actor_id: int | None) -> bool:
    """Staff free a running attempt from its browser session: the next device to act on it
    gets it. Whether it was bound."""
    deleted, _ = AttemptSession.objects.filter(attempt_id=attempt_id).delete()
    log.info("Browser session of attempt %s unlocked by %s", attempt_id, actor_id)
    return bool(deleted)


def gate_logs_forget(user_id: int) -> None:
    """A retired learner's passes at the gates keep their outcome, not their address."""
    GateLog.objects.filter(user_id=user_id).update(ip=None)
