"""``proctoring serve``: gunicorn with production defaults (docs/operations.md#serving).

Every default can be changed by a flag or an environment variable; ``--dry-run`` prints the
gunicorn command instead of running it.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from proctoring.env import env_bool, env_int, env_str

GUNICORN_CONFIG = "python:proctoring.ops.gunicorn_conf"


def default_workers() -> int:
    """gunicorn's advice: two workers per CPU, plus one."""
    return 2 * (os.cpu_count() or 1) + 1


@dataclass(frozen=True)
class ServeOptions:
    bind: str
    workers: int
    threads: int
    timeout: int
    forwarded_allow_ips: str
    access_log: bool

    @classmethod
    def from_environment(cls) -> ServeOptions:
        return cls(
            bind=env_str("PROCTORING_BIND", "0.0.0.0:8000"),
            workers=env_int("PROCTORING_WEB_WORKERS", default_workers(), minimum=1),
            threads=env_int("PROCTORING_WEB_THREADS", 4, minimum=1),
            timeout=env_int("PROCTORING_WEB_TIMEOUT", 30, minimum=1),
            forwarded_allow_ips=env_str("PROCTORING_FORWARDED_ALLOW_IPS", "127.0.0.1,::1"),
            access_log=env_bool("PROCTORING_ACCESS_LOG", True),
        )


def gunicorn_argv(options: ServeOptions) -> list[str]:
    """The gunicorn command line of these options."""
    argv = [
        sys.executable, "-m", "gunicorn", "proctoring.wsgi:application",
        "--config", GUNICORN_CONFIG,
        "--bind", options.bind,
        "--worker-class", "gthread",
        "--workers", str(options.workers),
        "--threads", str(options.threads),
        "--timeout", str(options.timeout),
        "--graceful-timeout", str(options.timeout),
        "--keep-alive", "5",
        "--max-requests", "10000",
        "--max-requests-jitter", "1000",
        "--forwarded-allow-ips", options.forwarded_allow_ips,
        "--error-logfile", "-",
    ]  # fmt: skip
    if options.access_log:
        argv += ["--access-logfile", "-"]
    return argv


def metrics_directory() -> Path:
    """PROMETHEUS_MULTIPROC_DIR, or a folder of the data folder; emptied of the files of a
    previous run (prometheus_client's multiprocess mode needs a clean folder at start)."""
    folder = Path(os.environ.get("PROMETHEUS_MULTIPROC_DIR") or settings.DATA_DIR / "prometheus")
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        stale.unlink()
    return folder


def serve_environment() -> dict[str, str]:
    """The environment gunicorn runs in: the multiprocess metrics' folder set."""
    return {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(metrics_directory())}
