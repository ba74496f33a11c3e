"""Assessment control (LTI Proctoring Services' ACS): a tool acts on an attempt it proctors.

The request names the attempt as the tool knows it (the learner's ``sub``, the resource link,
the attempt number); only attempts launched at this tool are found (404 otherwise). Actions:

- ``pause`` / ``resume``: the attempt's clock stops and starts again (attempt_pause/resume);
- ``update``: ``extra_time`` is the total extra minutes the tool grants the attempt; the
  deadline moves by what it adds to the total granted before (attempt_add_time; the clock
  only ever gains time, so a smaller total is refused);
- ``flag``: an incident recorded for review (a provider event in the attempt's timeline,
  with its severity, time, reason), the status unchanged;
- ``terminate``: the attempt ends now, submitted, with the tool's reason in its history
  (attempt_end_by_staff): the learner's work is kept and the review, which sees the reason and
  the tool's incidents, decides; the ACS reports it ``terminated``.

The answer's status: ``none`` (not started), ``running``, ``paused``, ``terminated``,
``complete``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from proctoring.attempts.models import Attempt
from proctoring.attempts.staff_control import attempt_end_by_staff
from proctoring.attempts.statuses import NOT_STARTED, RUNNING_STATUSES
from proctoring.attempts.time_changes import attempt_add_time, attempt_pause, attempt_resume
from proctoring.core.clock import now
from proctoring.exams.selectors import exam_provider_name
from proctoring.exceptions import ProctoringError
from proctoring.lti.errors import LtiConflict, LtiError, LtiNotFound
from proctoring.lti.messages import ACS_ACTIONS
from proctoring.lti.models import LtiLaunch, LtiTool
from proctoring.providers.models import ProviderEvent
from proctoring.providers.services import provider_event_record

MAX_TEXT = 1000


@dataclass(frozen=True)
class AcsAnswer:
    status: str
    extra_time: int


def _text(body: Mapping[str, Any], name: str) -> str:
    value = body.get(name, "")
    if value is None:
        return ""
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise LtiError(f"{name} must be a string.")
    return str(value)[:MAX_TEXT]


def _subject(body: Mapping[str, Any]) -> str:
    user = body.get("user")
    sub = user.get("sub") if isinstance(user, dict) else user
    if not isinstance(sub, str) or not sub:
        raise LtiError("user must name the learner by its sub.")
    return sub


def _link_id(body: Mapping[str, Any]) -> str:
    link = body.get("resource_link")
    link_id = link.get("id") if isinstance(link, dict) else link
    if not isinstance(link_id, str) or not link_id:
        raise LtiError("resource_link must name the assessment by its id.")
    return link_id


def _attempt_number(body: Mapping[str, Any]) -> int:
    number = body.get("attempt_number")
    if isinstance(number, bool) or not isinstance(number, int) or number < 1:
        raise LtiError("attempt_number must be a positive integer.")
    return number


def acs_status(attempt: Attempt, launch: LtiLaunch) -> str:
    if launch.terminated_at is not None:
        return "terminated"
    if attempt.status in NOT_STARTED:
        return "none"
    if attempt.status in RUNNING_STATUSES:
        return "paused" if attempt.paused_at is not None else "running"
    return "complete"


def acs_act(*, tool: LtiTool, body: Any) -> AcsAnswer:
    """Apply one assessment-control request of ``tool``."""
    if not isinstance(body, dict):
        raise LtiError("The body must be a JSON object.")
    action = body.get("action")
    if action not in ACS_ACTIONS:
        raise LtiError(f"action must be one of {', '.join(ACS_ACTIONS)}.")
    if action not in tool.actions:
        raise LtiError(f"The action {action} is not one this platform advertised to the tool.")
    sub, link_id, number = _subject(body), _link_id(body), _attempt_number(body)
    reason = " ".join(p for p in (_text(body, "reason_code"), _text(body, "reason_msg")) if p)
    launch = (
        LtiLaunch.objects.select_related("attempt__exam__course")
        .filter(
            tool=tool,
            kind=LtiLaunch.Kind.START,
            subject=sub,
            resource_link_id=link_id,
            attempt_number=number,
            assessment_verified_at__isnull=False,
        )
        .order_by("-id")
        .first()
    )
    if launch is None:
        raise LtiNotFound("No attempt of this tool has this user, resource link and number.")
    attempt_id = launch.attempt_id
    why = f"LTI {action} by {tool.name}" + (f": {reason}" if reason else "")
    try:
        with transaction.atomic():
            attempt = _apply(action, body, launch, tool, why)
    except LtiError:
        raise
    except ProctoringError as exc:
        raise LtiConflict(exc.message) from exc
    attempt = Attempt.objects.get(pk=attempt_id)
    return AcsAnswer(status=acs_status(attempt, launch), extra_time=launch.extra_minutes)


def _apply(
    action: str, body: Mapping[str, Any], launch: LtiLaunch, tool: LtiTool, why: str
) -> Attempt:
    attempt_id = launch.attempt_id
    if action == "pause":
        return attempt_pause(attempt_id=attempt_id, actor_id=None, reason=why)
    if action == "resume":
        return attempt_resume(attempt_id=attempt_id, actor_id=None, reason=why)
    if action == "update":
        total = body.get("extra_time")
        if isinstance(total, bool) or not isinstance(total, int) or total < 0:
            raise LtiError("extra_time must be a whole number of minutes, 0 or more.")
        locked = LtiLaunch.objects.select_for_update().get(pk=launch.pk)
        if total < locked.extra_minutes:
            raise LtiError(
                f"extra_time is the total granted: it was {locked.extra_minutes}, and the "
                "clock cannot give time back."
            )
        added = total - locked.extra_minutes
        attempt = (
            attempt_add_time(attempt_id=attempt_id, minutes=added, actor_id=None, reason=why)
            if added
            else Attempt.objects.get(pk=attempt_id)
        )
        LtiLaunch.objects.filter(pk=launch.pk).update(extra_minutes=total)
        launch.extra_minutes = total
        return attempt
    if action == "flag":
        details = [why]
        for name in ("incident_time", "incident_severity"):
            if body.get(name) not in (None, ""):
                details.append(f"{name}={_text(body, name)}")
        attempt = Attempt.objects.select_related("exam__course").get(pk=attempt_id)
        provider_event_record(
            alias=exam_provider_name(attempt.exam),
            operation="lti_flag",
            outcome=ProviderEvent.Outcome.REPORTED,
            message="; ".join(details),
            exam_id=attempt.exam_id,
            attempt_id=attempt_id,
        )
        return attempt
    # terminate
    attempt = attempt_end_by_staff(attempt_id=attempt_id, actor_id=None, reason=why)
    moment = now()
    LtiLaunch.objects.filter(pk=launch.pk).update(terminated_at=moment)
    launch.terminated_at = moment
    return attempt
