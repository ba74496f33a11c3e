"""Browser proctoring's writes: an exam's settings, an attempt's session and consent, the
batches of the exam page (with the heartbeat gaps they reveal), and the close at submission
(the last gap, the flags, the summary, the automatic review of a clean attempt).

A batch locks its attempt's session row: batches of one attempt are taken one at a time (so
the rate window and the gap are exact), those of different attempts in parallel. A batch is
a handful of statements whatever its size (the lock, the exam's settings, one INSERT of its
events, the session's UPDATE; its snapshots one INSERT each).
"""

from __future__ import annotations

import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages
from django.db import transaction

from proctoring.attempts import actions
from proctoring.attempts.models import Attempt
from proctoring.attempts.statuses import NOT_STARTED, RUNNING_STATUSES, AttemptStatus
from proctoring.browser import config
from proctoring.browser.errors import (
    AttemptEnded,
    AttemptNotRunning,
    BatchRateLimited,
    ConsentInvalid,
)
from proctoring.browser.flags import (
    HEARTBEAT_GAP,
    Flag,
    Observed,
    RuleSettings,
    flags_evaluate,
    flags_summary,
)
from proctoring.browser.ingest import Batch
from proctoring.browser.models import (
    BrowserEvent,
    BrowserExamSettings,
    BrowserSession,
    BrowserSnapshot,
    Irregularity,
)
from proctoring.core.clock import now
from proctoring.exams.selectors import exam_provider_name
from proctoring.exceptions import StudentExamAttemptDoesNotExistsException
from proctoring.reviews.services import review_record
from proctoring.reviews.types import ReviewReport, ReviewStatus

log = logging.getLogger(__name__)

RATE_WINDOW = timedelta(minutes=1)
AUTOMATIC_REVIEWER = "automatic (browser proctoring: no irregularity)"
SETTING_FIELDS = tuple(
    f.name
    for f in BrowserExamSettings._meta.get_fields()
    if f.concrete and f.name not in ("id", "exam", "modified")
)


def snapshot_storage() -> Storage:
    return storages[config.SNAPSHOT_STORAGE]


# Settings.


def browser_settings_for_exam(*, exam_id: int) -> BrowserExamSettings:
    """The exam's settings: its row, else one (unsaved) of the defaults."""
    found = BrowserExamSettings.objects.filter(exam_id=exam_id).first()
    if found is not None:
        return found
    defaults = {k: v for k, v in config.exam_defaults().items() if k in SETTING_FIELDS}
    return BrowserExamSettings(exam_id=exam_id, **defaults)


def browser_settings_set(*, exam_id: int, values: dict[str, Any]) -> BrowserExamSettings:
    unknown = set(values) - set(SETTING_FIELDS)
    if unknown:
        raise ConsentInvalid(f"Unknown settings: {', '.join(sorted(unknown))}.")
    current = browser_settings_for_exam(exam_id=exam_id)
    for name, value in values.items():
        setattr(current, name, value)
    current.full_clean(exclude=["exam"])
    current.save()
    return current


def rule_settings(exam_settings: BrowserExamSettings) -> RuleSettings:
    return RuleSettings(
        fullscreen_required=exam_settings.fullscreen_required,
        camera_required=exam_settings.camera_required,
        camera_snapshots=exam_settings.camera_snapshots,
        snapshot_interval_seconds=exam_settings.snapshot_interval_seconds,
        away_seconds_limit=exam_settings.away_seconds_limit,
        heartbeat_gap_seconds=exam_settings.heartbeat_gap_seconds,
    )


# The session and the consent.


def browser_session_open(*, attempt_id: int) -> str:
    """The attempt's session (made once), and the external id the provider answers with."""
    session = BrowserSession.objects.filter(attempt_id=attempt_id).first()
    if session is None:
        session, _ = BrowserSession.objects.get_or_create(
            attempt_id=attempt_id,
            defaults={"external_id": f"browser-{secrets.token_urlsafe(24)}"},
        )
    return session.external_id


def browser_consent_record(
    *, session: BrowserSession, text: str, checks: dict[str, bool]
) -> Attempt:
    """The learner agreed to ``text`` and the setup page's checks passed: record both (time,
    text version) and report the attempt ready through the one path providers use."""
    attempt = session.attempt
    if attempt.status not in NOT_STARTED or attempt.archived_at is not None:
        raise AttemptNotRunning("This attempt is past its setup: there is nothing to agree to.")
    exam_settings = browser_settings_for_exam(exam_id=attempt.exam_id)
    if exam_settings.camera_required and not checks.get("camera"):
        raise ConsentInvalid("The exam needs a camera, and the check found none you allowed.")
    if exam_settings.fullscreen_required and not checks.get("fullscreen"):
        raise ConsentInvalid("The exam needs full screen, and this browser cannot do it.")
    BrowserSession.objects.filter(pk=session.pk).update(
        consented_at=now(), consent_version=config.CONSENT_VERSION, consent_text=text, checks=checks
    )
    alias = exam_provider_name(attempt.exam)
    return actions.attempt_mark_ready(attempt_id=attempt.pk, cause=f"provider:{alias}:consent")


# Ingest.


@dataclass(frozen=True)
class IngestResult:
    events: int  # events of the batch (those sent before counted too: a retry is no error)
    snapshots_saved: int  # snapshots new to the attempt
    gap_seconds: int | None  # the heartbeat gap this batch closed, if any


def _lock_session(*, attempt_id: int, user_id: int | None) -> BrowserSession:
    session = (
        BrowserSession.objects.select_for_update(of=("self",))
        .select_related("attempt")
        .filter(attempt_id=attempt_id)
        .first()
    )
    if session is None or (user_id is not None and session.attempt.user_id != user_id):
        raise StudentExamAttemptDoesNotExistsException(
            f"There is no browser-proctored attempt {attempt_id} of yours."
        )
    return session


def _check_running(attempt: Attempt) -> None:
    if attempt.archived_at is not None or (
        attempt.status not in RUNNING_STATUSES and attempt.status not in NOT_STARTED
    ):
        raise AttemptEnded()
    if attempt.status not in RUNNING_STATUSES:
        raise AttemptNotRunning()


def _gap_event(attempt: Attempt, last: datetime, moment: datetime) -> BrowserEvent:
    seconds = int((moment - last).total_seconds())
    return BrowserEvent(
        attempt=attempt,
        client_id=f"server-gap-{int(last.timestamp() * 1000)}",
        kind=HEARTBEAT_GAP,
        occurred_at=last,
        received_at=moment,
        data={"seconds": seconds, "until": moment.isoformat()},
    )


def browser_ingest(*, attempt_id: int, user_id: int | None, batch: Batch) -> IngestResult:
    """Keep a batch of the learner's running attempt: its events (once each: the page's ids
    are unique per attempt), its snapshots (files through the storage API, then their rows),
    and the heartbeat gap since the page was last heard from, when longer than the exam's
    threshold. Refused once the attempt has ended (410), before it runs (409), and past the
    per-minute batch limit (429); a refused batch leaves no trace."""
    moment = now()
    saved: list[str] = []
    storage = snapshot_storage()
    try:
        with transaction.atomic():
            session = _lock_session(attempt_id=attempt_id, user_id=user_id)
            attempt = session.attempt
            _check_running(attempt)
            limit = config.ingest_limits().batches_per_minute
            window = session.window_started_at
            if window is None or moment - window >= RATE_WINDOW:
                session.window_started_at, session.window_batches = moment, 0
            if session.window_batches >= limit:
                raise BatchRateLimited(f"At most {limit} batches a minute for one attempt.")
            session.window_batches += 1
            threshold = browser_settings_for_exam(exam_id=attempt.exam_id).heartbeat_gap_seconds
            last = session.last_seen_at or attempt.started_at or moment
            rows = [
                BrowserEvent(
                    attempt=attempt,
                    client_id=event.client_id,
                    kind=event.kind,
                    occurred_at=min(max(event.at, attempt.started_at or event.at), moment),
                    received_at=moment,
                    data=event.data,
                )
                for event in batch.events
            ]
            gap = None
            if (moment - last).total_seconds() > threshold:
                rows.append(_gap_event(attempt, last, moment))
                gap = int((moment - last).total_seconds())
            if rows:
                BrowserEvent.objects.bulk_create(rows, ignore_conflicts=True)
            new_snapshots = _snapshots_new(attempt, batch, moment, storage, saved)
            session.last_seen_at = moment
            session.save(update_fields=["window_started_at", "window_batches", "last_seen_at"])
    except BaseException:
        for name in saved:
            storage.delete(name)
        raise
    return IngestResult(len(batch.events), new_snapshots, gap)


def _snapshots_new(
    attempt: Attempt, batch: Batch, moment: datetime, storage: Storage, saved: list[str]
) -> int:
    if not batch.snapshots:
        return 0
    ids = [snapshot.client_id for snapshot in batch.snapshots]
    known = set(
        BrowserSnapshot.objects.filter(attempt=attempt, client_id__in=ids).values_list(
            "client_id", flat=True
        )
    )
    count = 0
    for snapshot in batch.snapshots:
        if snapshot.client_id in known:
            continue
        extension = "png" if snapshot.content_type == "image/png" else "jpg"
        name = storage.save(
            f"attempts/{attempt.pk}/{uuid.uuid4().hex}.{extension}", ContentFile(snapshot.content)
        )
        saved.append(name)
        BrowserSnapshot.objects.create(
            attempt=attempt,
            client_id=snapshot.client_id,
            kind=snapshot.kind,
            taken_at=min(max(snapshot.at, attempt.started_at or snapshot.at), moment),
            received_at=moment,
            path=name,
            size=len(snapshot.content),
            content_type=snapshot.content_type,
        )
        count += 1
    return count


# The close, at submission.


def browser_flags_for(
    attempt: Attempt, exam_settings: BrowserExamSettings, end: datetime | None
) -> tuple[list[Flag], int, int]:
    """The attempt's flags as its events stand now, with its event and camera-snapshot counts."""
    events = [
        Observed(kind, at, data, pk)
        for pk, kind, at, data in BrowserEvent.objects.filter(attempt=attempt)
        .order_by("occurred_at", "id")
        .values_list("id", "kind", "occurred_at", "data")
    ]
    cameras = BrowserSnapshot.objects.filter(
        attempt=attempt, kind=BrowserSnapshot.Kind.CAMERA
    ).count()
    flags = flags_evaluate(
        events=events,
        rules=rule_settings(exam_settings),
        camera_snapshots=cameras,
        started_at=attempt.started_at,
        ended_at=end,
    )
    return flags, len(events), cameras


def browser_attempt_close(*, external_id: str) -> dict[str, Any] | None:
    """The attempt was submitted: record the heartbeat gap up to its end, turn its events into
    flags (Irregularity rows) and a summary, and, when there is no flag and the exam allows it,
    verify it by an automatic review (a provider review by ``browser``, its reviewer saying
    so). Done once; None for an unknown external id."""
    with transaction.atomic():
        session = (
            BrowserSession.objects.select_for_update(of=("self",))
            .select_related("attempt__exam__course")
            .filter(external_id=external_id)
            .first()
        )
        if session is None:
            return None
        attempt = session.attempt
        if session.closed_at is not None:
            return dict(session.summary)
        exam_settings = browser_settings_for_exam(exam_id=attempt.exam_id)
        end = attempt.completed_at or now()
        last = session.last_seen_at or attempt.started_at
        threshold = exam_settings.heartbeat_gap_seconds
        if last is not None and (end - last).total_seconds() > threshold:
            gap = _gap_event(attempt, last, end)
            BrowserEvent.objects.bulk_create([gap], ignore_conflicts=True)
        flags, events, snapshots = browser_flags_for(attempt, exam_settings, end)
        Irregularity.objects.filter(attempt=attempt).delete()
        Irregularity.objects.bulk_create(
            Irregularity(
                attempt=attempt,
                rule=flag.rule,
                severity=flag.severity,
                detail=flag.detail[:255],
                at=flag.at,
                event_id=flag.event_id,
            )
            for flag in flags
        )
        summary = flags_summary(flags, events=events, snapshots=snapshots)
        session.summary, session.closed_at = summary, now()
        session.save(update_fields=["summary", "closed_at"])
    clean = not flags and attempt.status == AttemptStatus.SUBMITTED
    if clean and exam_settings.auto_review_when_clean:
        alias = exam_provider_name(attempt.exam)
        report = ReviewReport(
            provider=alias,
            status=ReviewStatus.PASSED,
            reviewer=AUTOMATIC_REVIEWER,
            raw={"automatic": True, "summary": summary},
        )
        review_record(report=report, attempt_id=attempt.pk)
        log.info("Attempt %s verified automatically: no irregularity", attempt.pk)
    return summary
