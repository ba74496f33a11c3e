"""gunicorn's configuration file for ``proctoring serve`` (``--config python:...``).

JSON log lines (the access log and gunicorn's own), and the cleanup of a dead worker's live
gauges in prometheus_client's multiprocess mode. It runs in gunicorn's master process, which
never loads Django: nothing here imports the service's apps.
"""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, datetime
from typing import Any

from gunicorn.glogging import Logger  # type: ignore[import-untyped]

logger_class = "proctoring.ops.gunicorn_conf.JsonLogger"


class JsonFormatter(logging.Formatter):
    """One JSON object a line, with the same keys as the service's own lines."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "event": record.getMessage(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "timestamp": datetime.fromtimestamp(record.created, UTC)
            .isoformat()
            .replace("+00:00", "Z"),
        }
        data.update(getattr(record, "fields", None) or {})
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, default=str)


class JsonLogger(Logger):
    """gunicorn's logger with JSON lines; the access line has named fields."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(JsonFormatter())

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> None:
        if not self.access_log_enabled:
            return
        status = resp.status.split(None, 1)[0] if isinstance(resp.status, str) else resp.status
        headers = {name.lower(): value for name, value in (resp.headers or [])}
        fields = {
            "remote_addr": environ.get("REMOTE_ADDR"),
            "method": environ.get("REQUEST_METHOD"),
            "path": environ.get("PATH_INFO"),
            "status": int(status) if str(status).isdigit() else status,
            "bytes": getattr(resp, "sent", None),
            "duration_ms": round(request_time.total_seconds() * 1000, 3),
            "user_agent": environ.get("HTTP_USER_AGENT"),
            "request_id": headers.get("x-request-id"),
        }
        self.access_log.info("access", extra={"fields": fields})


def child_exit(server: Any, worker: Any) -> None:
    """A worker ended: its live gauges leave the multiprocess metrics."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]
