"""Telling course staff that a review needs them, by email: a consumer of the review events,
delivered by the outbox after the commit like the learners' status emails.

Staff are told when a provider's review comes back ``suspicious`` (whatever the exam's policy
made of it), when an attempt needs a second review, and when a review was flagged because it
could not apply. One email per such review, to the staff and instructors of the course.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.conf import settings
from django.core.mail import EmailMessage

from proctoring.attempts.statuses import AttemptStatus
from proctoring.core.events import REVIEW_ATTENTION_NEEDED, REVIEW_RECORDED, DomainEvent
from proctoring.courses.selectors import course_staff_emails
from proctoring.reviews.types import ReviewStatus

log = logging.getLogger(__name__)

STAFF_EMAIL_EVENT_TYPES = (REVIEW_ATTENTION_NEEDED, REVIEW_RECORDED)


def _needs_staff(event: DomainEvent) -> bool:
    """A call for attention; or a suspicious verdict that did not already make one (a
    suspicious review sent to a second review has its ``review.attention_needed`` event)."""
    if event.type == REVIEW_ATTENTION_NEEDED:
        return True
    data = event.payload
    return (
        event.type == REVIEW_RECORDED
        and data.get("provider_review_status") == ReviewStatus.SUSPICIOUS
        and data.get("review_status") != AttemptStatus.SECOND_REVIEW_REQUIRED
    )


def _why(event: DomainEvent) -> str:
    data = event.payload
    if data.get("flagged"):
        return f"a review arrived that could not apply ({data.get('reason', 'flagged')})"
    if data.get("review_status") == AttemptStatus.SECOND_REVIEW_REQUIRED:
        return "the attempt needs a second review"
    return f"the provider's review is suspicious; the attempt is {data.get('review_status')}"


def staff_attention_consume(events: Sequence[DomainEvent]) -> None:
    """Email each course's staff about the reviews that need them. A message that fails is
    logged, not sent twice (as the learners' status emails)."""
    wanted = [event for event in events if _needs_staff(event)]
    if not wanted:
        return
    recipients = course_staff_emails(course_ids=[event.course_id for event in wanted])
    for event in wanted:
        to = recipients.get(event.course_id)
        if not to:
            log.warning("Course %s has no staff email; review not announced", event.course_id)
            continue
        try:
            _send(event, to)
        except Exception:
            log.exception("The staff email about attempt %s failed", event.attempt_id)


def _send(event: DomainEvent, to: list[str]) -> None:
    data = event.payload
    subject = (
        f"[{settings.PROCTORING_PLATFORM_NAME}] Review needed: attempt {data['attempt_id']} "
        f"in {event.course_id}"
    )
    body = (
        f"Attempt {data['attempt_id']} (exam {data['exam_id']}, {data['content_id']}, "
        f"learner {data['user_id']}) needs your attention: {_why(event)}.\n\n"
        f"See the course's review queue and the attempt's timeline in the proctoring service."
    )
    EmailMessage(subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, bcc=to).send()
    log.info("Told %s staff of %s about attempt %s", len(to), event.course_id, event.attempt_id)
