"""A provider for the web UI's tests: instructions, a download link and a JavaScript worker
from its options, and no network."""

from __future__ import annotations

from typing import ClassVar

from proctoring.exceptions import ProviderUnavailable
from proctoring.providers.base import AttemptSpec, Instructions, ProviderAttempt, Worker
from tests.providers.fakes import RecordingProvider

ALIAS = "webvendor"


class WebProvider(RecordingProvider):
    OPTIONS: ClassVar[frozenset[str]] = frozenset({"WORKER_URL", "PING_INTERVAL"})

    def instructions(
        self, *, exam_external_id: str | None, external_id: str | None
    ) -> Instructions:
        return Instructions(
            steps=("Close every other application.", "Run the Acme proctoring app."),
            download_url="https://vendor.example/download",
        )

    def worker(self) -> Worker | None:
        url = self.options.get("WORKER_URL")
        if not url:
            return None
        return Worker(url=str(url), ping_interval=int(self.options.get("PING_INTERVAL", 30)))


def vendor_entry(worker_url: str = "https://vendor.example/worker.js", ping: int = 30) -> dict:
    return {
        "CLASS": "tests.web.fakes.WebProvider",
        "OPTIONS": {"WORKER_URL": worker_url, "PING_INTERVAL": ping},
    }


class FlakyProvider(WebProvider):
    """Down (its attempt creation unavailable) while ``down`` is true."""

    down: ClassVar[bool] = True

    def attempt_create(self, attempt: AttemptSpec) -> ProviderAttempt:
        if FlakyProvider.down:
            raise ProviderUnavailable("The vendor did not answer in time.")
        return super().attempt_create(attempt)


class SetupPageProvider(WebProvider):
    """A provider whose setup is a web page the learner continues to (as an LTI tool's)."""

    def instructions(
        self, *, exam_external_id: str | None, external_id: str | None
    ) -> Instructions:
        return Instructions(setup_url=f"https://tool.example/setup/{external_id}")
