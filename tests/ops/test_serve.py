"""``proctoring serve`` (gunicorn with production defaults) and the production settings, which
pass ``proctoring check --deploy`` behind HTTPS."""

from __future__ import annotations

import json
import os
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from proctoring.ops import serve

ROOT = Path(__file__).resolve().parents[2]
PROCTORING = str(Path(sys.executable).parent / "proctoring")


def _environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    base = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "SECRET_KEY", "DJANGO_SETTINGS_MODULE", "DEBUG"}
        and not key.startswith(("PROCTORING_", "PROMETHEUS_"))
    }
    return {**base, "PROCTORING_DATA_DIR": str(tmp_path), **extra}


def _run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PROCTORING, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def test_production_settings_behind_https_pass_check_deploy_without_warnings(tmp_path):
    env = _environment(
        tmp_path, DEBUG="false", SECRET_KEY=secrets.token_urlsafe(60), PROCTORING_HTTPS="true"
    )
    result = _run("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_without_https_check_deploy_warns_about_the_redirect_hsts_and_cookies(tmp_path):
    """The HTTPS settings are what the previous test needs: off, the deploy check warns."""
    env = _environment(tmp_path, DEBUG="false", SECRET_KEY=secrets.token_urlsafe(60))
    result = _run("check", "--deploy", env=env)
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in result.stdout + result.stderr


def test_serve_runs_gunicorn_with_the_documented_defaults(monkeypatch):
    for name in ("PROCTORING_BIND", "PROCTORING_WEB_WORKERS", "PROCTORING_WEB_THREADS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 3)
    out = StringIO()
    call_command("serve", "--dry-run", stdout=out)
    argv = shlex.split(out.getvalue())
    assert argv[:4] == [sys.executable, "-m", "gunicorn", "proctoring.wsgi:application"]
    options = dict(zip(argv[4::2], argv[5::2], strict=False))
    assert options["--config"] == "python:proctoring.ops.gunicorn_conf"
    assert options["--bind"] == "0.0.0.0:8000"
    assert options["--workers"] == "7"  # 2 x CPUs + 1
    assert options["--threads"] == "4"
    assert options["--worker-class"] == "gthread"
    assert options["--timeout"] == "30"
    assert options["--forwarded-allow-ips"] == "127.0.0.1,::1"
    assert options["--access-logfile"] == "-"


def test_serve_takes_its_defaults_from_the_environment_and_flags(monkeypatch):
    monkeypatch.setenv("PROCTORING_WEB_WORKERS", "3")
    monkeypatch.setenv("PROCTORING_FORWARDED_ALLOW_IPS", "10.0.0.5")
    out = StringIO()
    call_command("serve", "--dry-run", "--threads", "8", "--no-access-log", stdout=out)
    argv = shlex.split(out.getvalue())
    assert argv[argv.index("--workers") + 1] == "3"
    assert argv[argv.index("--threads") + 1] == "8"
    assert argv[argv.index("--forwarded-allow-ips") + 1] == "10.0.0.5"
    assert "--access-logfile" not in argv


def test_serve_refuses_zero_workers():
    with pytest.raises(CommandError, match="--workers must be at least 1"):
        call_command("serve", "--dry-run", "--workers", "0")


def test_the_metrics_folder_is_emptied_of_a_previous_run(tmp_path, monkeypatch):
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "metrics"))
    (tmp_path / "metrics").mkdir()
    (tmp_path / "metrics" / "counter_123.db").write_bytes(b"old")
    assert serve.serve_environment()["PROMETHEUS_MULTIPROC_DIR"] == str(tmp_path / "metrics")
    assert list((tmp_path / "metrics").iterdir()) == []


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _get(url: str, **headers: str) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.read()


def _wait_until_up(url: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, "the server stopped"
        try:
            _get(url)
            return
        except OSError:
            time.sleep(0.3)
    raise AssertionError("the server did not answer within 60 s")


def test_serve_answers_with_json_access_lines_and_metrics_shared_by_its_workers(tmp_path):
    """Two workers: every request is in the scrape whichever worker answers it, and gunicorn's
    access line is JSON with the request id."""
    env = _environment(
        tmp_path,
        DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3",
        ALLOWED_HOSTS="127.0.0.1",
        PROCTORING_JOBS="off",
        PROCTORING_METRICS_TOKEN="scrape-me",
    )
    assert _run("migrate", "-v0", env=env).returncode == 0
    base = f"http://127.0.0.1:{_free_port()}"
    process = subprocess.Popen(
        [PROCTORING, "serve", "--bind", base.removeprefix("http://"), "--workers", "2"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_until_up(f"{base}/health/live", process)
        for number in range(8):
            _get(f"{base}/health/live", **{"X-Request-ID": f"probe-{number}"})
        status, body = _get(f"{base}/metrics", Authorization="Bearer scrape-me")
    finally:
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=60)
    assert status == 200
    count = (
        'django_http_requests_latency_seconds_by_view_method_count{method="GET",view="health-live"}'
    )
    [line] = [line for line in body.decode().splitlines() if line.startswith(count)]
    assert float(line.split()[-1]) >= 9  # the 8 probes and the first one
    assert list((tmp_path / "prometheus").glob("histogram_*.db")), "not in multiprocess mode"
    access = [json.loads(line) for line in stdout.splitlines() if '"gunicorn.access"' in line]
    probe = next(line for line in access if line["request_id"] == "probe-3")
    assert probe["status"] == 200
    assert probe["path"] == "/health/live"
    assert '"Booting worker with pid' in stderr
