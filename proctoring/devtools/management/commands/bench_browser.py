"""``proctoring bench_browser --events N --batch B --learners L``: how fast browser proctoring
takes in the exam pages' events (the goal of issue 13: at least 1,000 events a second, with
batching).

Sets up L learners' running attempts of a ``browser``-proctored exam (outside the measure),
then sends N events in batches of B through the ingest endpoint (Django's test client: the
middleware, the session, the JSON parsing, the checks and the writes; no network), the
learners in turn, and a camera snapshot of SNAPSHOT_BYTES in every tenth batch. Counts the
SQL statements. Prints JSON.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings

from proctoring.attempts import actions
from proctoring.browser.models import BrowserEvent, BrowserExamSettings, BrowserSession
from proctoring.courses.models import Course, CourseRole
from proctoring.devtools.management.commands.bench import (
    _database_version,
    _quiet_proctoring_log,
    bench_learners_create,
    write_report,
)
from proctoring.exams.models import Exam
from proctoring.providers import services as provider_services

SNAPSHOT_BYTES = 5_000  # what a 320x240 JPEG of Chromium's fake camera weighs (the browser test)
KINDS = ("heartbeat", "window_blur", "window_focus", "copy", "page_hidden", "page_visible")


class Command(BaseCommand):
    help = "Measure browser proctoring's ingest rate (events a second, statements a batch)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--events", type=int, default=20_000)
        parser.add_argument("--batch", type=int, default=200)
        parser.add_argument("--learners", type=int, default=20)
        parser.add_argument("--output")

    def handle(self, *args: Any, **options: Any) -> None:
        count, size, learners = options["events"], options["batch"], options["learners"]
        if count < 1 or not 1 <= size <= 500 or learners < 1:
            raise CommandError("--events >= 1, 1 <= --batch <= 500, --learners >= 1")
        with (
            _quiet_proctoring_log(True),
            override_settings(
                ALLOWED_HOSTS=["testserver"],
                PROCTORING_BROWSER_BATCHES_PER_MINUTE=1_000_000,
                STORAGES=_storages_in_data_dir(),
            ),
        ):
            clients, attempt_ids = self._setup(learners)
            document = self._measure(clients, attempt_ids, count, size)
        write_report(document, output=options["output"], stdout=self.stdout)

    def _setup(self, learners: int) -> tuple[list[Client], list[int]]:
        prefix = f"bb{uuid.uuid4().hex[:8]}"
        course = Course.objects.create(course_id=f"course-v1:{prefix}+B+1", provider="browser")
        exam = Exam.objects.create(
            course=course, content_id="bench", exam_name="Bench", time_limit_mins=600
        )
        BrowserExamSettings.objects.create(exam=exam, heartbeat_gap_seconds=3600)
        clients, attempt_ids = [], []
        for user_id in bench_learners_create(prefix=prefix, count=learners):
            CourseRole.objects.create(user_id=user_id, course=course, role=CourseRole.Role.LEARNER)
            attempt = provider_services.attempt_create_for_learner(
                exam_id=exam.pk, user_id=user_id, taking_as_proctored=True
            )
            BrowserSession.objects.filter(attempt_id=attempt.pk).update(consent_version="bench")
            actions.attempt_mark_ready(attempt_id=attempt.pk, cause="bench")
            actions.attempt_act(attempt_id=attempt.pk, action="start", actor_id=user_id)
            client = Client()
            client.force_login(get_user_model().objects.get(pk=user_id))
            clients.append(client)
            attempt_ids.append(attempt.pk)
        return clients, attempt_ids

    def _measure(
        self, clients: list[Client], attempt_ids: list[int], count: int, size: int
    ) -> dict[str, Any]:
        image = (
            "data:image/jpeg;base64,"
            + base64.b64encode(b"\xff\xd8\xff\xe0" + b"\x00" * (SNAPSHOT_BYTES - 4)).decode()
        )
        bodies: list[str] = []
        sent = 0
        while sent < count:
            n = min(size, count - sent)
            now_ms = int(time.time() * 1000)
            events = [
                {"id": f"b{sent + i}", "type": KINDS[i % len(KINDS)], "at": now_ms, "data": {}}
                for i in range(n)
            ]
            snapshots = []
            if len(bodies) % 10 == 0:
                snapshots = [{"id": f"s{sent}", "kind": "camera", "at": now_ms, "image": image}]
            bodies.append(json.dumps({"events": events, "snapshots": snapshots}))
            sent += n
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            for index, body in enumerate(bodies):
                learner = index % len(clients)
                response = clients[learner].post(
                    f"/attempts/{attempt_ids[learner]}/browser-events",
                    data=body,
                    content_type="application/json",
                )
                if response.status_code != 200:
                    raise CommandError(
                        f"Batch {index}: {response.status_code} {response.content!r}"
                    )
        seconds = time.perf_counter() - started
        stored = BrowserEvent.objects.filter(attempt_id__in=attempt_ids).count()
        if stored != count:
            raise CommandError(f"{stored} events stored for {count} sent.")
        statements = len(queries.captured_queries)
        return {
            "benchmark": "browser_ingest",
            "database": {"vendor": connection.vendor, "version": _database_version()},
            "events": count,
            "batch_size": size,
            "batches": len(bodies),
            "learners": len(clients),
            "snapshots": (len(bodies) + 9) // 10,
            "seconds": round(seconds, 3),
            "events_per_second": round(count / seconds, 1),
            "batches_per_second": round(len(bodies) / seconds, 1),
            "statements": statements,
            "statements_per_batch": round(statements / len(bodies), 2),
            "goal_events_per_second": 1000,
            "notes": [
                "Through the endpoint in process (Django's test client): middleware, session, "
                "JSON, the batch's checks, the session row's lock, one INSERT of the events.",
                f"Every tenth batch carries a {SNAPSHOT_BYTES}-byte camera snapshot, written to "
                "the file system storage.",
            ],
        }


def _storages_in_data_dir() -> dict[str, Any]:
    from django.conf import settings

    return {
        **settings.STORAGES,
        "browser_snapshots": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(settings.DATA_DIR / "bench-snapshots")},
        },
    }
