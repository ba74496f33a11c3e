"""Load a demo course with exams, users and attempts; safe to run again."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from proctoring import api
from proctoring.attempts.selectors import attempt_get_current
from proctoring.courses.models import CourseRole
from proctoring.courses.services import course_role_grant, course_update_or_create
from proctoring.exams.models import Exam

DEMO_COURSE_ID = "course-v1:DemoX+Proctoring+2026"
DEMO_EXAMS = [
    # content_id, name, minutes, proctored, practice
    ("block-v1:DemoX+Proctoring+2026+type@sequential+block@midterm", "Midterm", 90, True, False),
    ("block-v1:DemoX+Proctoring+2026+type@sequential+block@final", "Final exam", 120, True, False),
    ("block-v1:DemoX+Proctoring+2026+type@sequential+block@practice", "Practice", 30, True, True),
    # Short, so a newcomer sees a deadline pass in the browser (docs/web.md).
    ("block-v1:DemoX+Proctoring+2026+type@sequential+block@quiz", "Timed quiz", 5, False, False),
]
DEMO_USERS = [
    # username, role in the course (None: global staff superuser)
    ("admin", None),
    ("staff", CourseRole.Role.STAFF),
    ("learner", CourseRole.Role.LEARNER),
    ("learner2", CourseRole.Role.LEARNER),
]


class Command(BaseCommand):
    help = "Load a demo course with exams, users and attempts (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--password", default="demo", help="password of every demo user (default: demo)"
        )

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        password: str = options["password"]
        course_update_or_create(
            course_id=DEMO_COURSE_ID, display_name="Demo Course: Proctored Exams", provider="null"
        )
        exam_ids = []
        for content_id, name, minutes, proctored, practice in DEMO_EXAMS:
            exam = Exam.objects.filter(course_id=DEMO_COURSE_ID, content_id=content_id).first()
            exam_ids.append(
                exam.pk
                if exam
                else api.create_exam(
                    DEMO_COURSE_ID,
                    content_id,
                    name,
                    minutes,
                    is_proctored=proctored,
                    is_practice_exam=practice,
                )
            )
        user_model = get_user_model()
        users = {}
        for username, role in DEMO_USERS:
            user, created = user_model.objects.get_or_create(
                username=username, defaults={"email": f"{username}@example.org"}
            )
            if created:
                user.set_password(password)
                user.is_staff = user.is_superuser = role is None
                user.save()
            if role is not None:
                course_role_grant(user_id=user.pk, course_id=DEMO_COURSE_ID, role=role)
            users[username] = user

        # learner2 is in the middle of the midterm and has submitted the practice exam.
        learner2 = users["learner2"].pk
        for exam_id, statuses in (
            (exam_ids[0], ["started"]),
            (exam_ids[2], ["started", "submitted"]),
        ):
            if attempt_get_current(exam_id=exam_id, user_id=learner2) is None:
                api.create_exam_attempt(exam_id, learner2, taking_as_proctored=True)
                for status in statuses:
                    api.update_attempt_status(exam_id, learner2, status, cause="demo data")

        self.stdout.write(
            f"Demo course {DEMO_COURSE_ID} with {len(exam_ids)} exams; users "
            + ", ".join(name for name, _ in DEMO_USERS)
            + f" (password: {password!r}). Sign in at /signin: as staff (course staff), as "
            "learner (takes the exams), as admin (global staff, and the admin at /admin/)."
        )
