"""Status emails to learners (effects.py sends them, from the events, after the commit)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from proctoring.runtime import credit_service

log = logging.getLogger(__name__)

TEMPLATE_DIR = "proctoring/emails"


@dataclass(frozen=True)
class StatusEmail:
    """What a status email needs, taken when the status changed."""

    attempt_id: int
    user_id: int
    username: str
    email: str
    course_id: str
    exam_name: str
    status: str


def attempt_status_email_send(message: StatusEmail) -> bool:
    """Render and send one status email; False when the learner has no address."""
    if not message.email:
        log.warning("No email for user %s; status email not sent", message.user_id)
        return False
    credit_state = credit_service().get_credit_state(
        message.user_id, message.course_id, return_course_name=True
    )
    context = {
        "username": message.username,
        "course_name": (credit_state or {}).get("course_name") or "your course",
        "exam_name": message.exam_name,
        "status": message.status,
        "platform_name": settings.PROCTORING_PLATFORM_NAME,
    }
    subject = " ".join(render_to_string(f"{TEMPLATE_DIR}/status_subject.txt", context).split())
    body = render_to_string(f"{TEMPLATE_DIR}/status_body.txt", context)
    html = render_to_string(f"{TEMPLATE_DIR}/status_body.html", context)
    email = EmailMultiAlternatives(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.email],
    )
    email.attach_alternative(html, "text/html")
    email.send()
    log.info("Sent %s status email for attempt %s", message.status, message.attempt_id)
    return True
