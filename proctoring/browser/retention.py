"""How long browser proctoring keeps what it saw: snapshots are deleted (files and rows) after
``PROCTORING_BROWSER_RETENTION_DAYS`` (``proctoring browser_purge``), and everything of a
learner (events, snapshots, flags, their consent's checks) when the learner is retired."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction

from proctoring.browser.models import BrowserEvent, BrowserSession, BrowserSnapshot, Irregularity
from proctoring.browser.services import snapshot_storage
from proctoring.core.clock import now


def _delete_files(paths: list[str]) -> None:
    storage = snapshot_storage()
    for path in paths:
        storage.delete(path)


def browser_snapshots_purge(*, days: int, batch_size: int = 500) -> int:
    """Delete the snapshots received more than ``days`` days ago, their files then their rows,
    a batch at a time; how many were deleted."""
    cutoff = now() - timedelta(days=days)
    deleted = 0
    while True:
        rows = list(
            BrowserSnapshot.objects.filter(received_at__lt=cutoff).values_list("id", "path")[
                :batch_size
            ]
        )
        if not rows:
            return deleted
        _delete_files([path for _, path in rows])
        BrowserSnapshot.objects.filter(id__in=[pk for pk, _ in rows]).delete()
        deleted += len(rows)


def browser_data_forget_user(user_id: int) -> None:
    """Retirement (a listener of accounts.retirement, inside its transaction): the learner's
    events, snapshots and flags go; the files once the retirement has committed."""
    snapshots = BrowserSnapshot.objects.filter(attempt__user_id=user_id)
    paths = list(snapshots.values_list("path", flat=True))
    snapshots.delete()
    BrowserEvent.objects.filter(attempt__user_id=user_id).delete()
    Irregularity.objects.filter(attempt__user_id=user_id).delete()
    BrowserSession.objects.filter(attempt__user_id=user_id).update(checks={}, consent_text="")
    transaction.on_commit(lambda: _delete_files(paths))
