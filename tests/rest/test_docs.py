"""The curl examples of docs/integration.md, run in order against a live server."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from tests.rest.conftest import JWT_AUDIENCE, JWT_ISSUER, JWT_SECRET

DOC = Path(__file__).resolve().parents[2] / "docs" / "integration.md"
BLOCK = re.compile(r"^```(\w*)\n(.*?)^```$", re.S | re.M)
MARK = "@@block@@"


def _blocks(language):
    return [body for lang, body in BLOCK.findall(DOC.read_text()) if lang == language]


def _database_url():
    """The URL of the test database, for the ``proctoring`` command the examples run."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    user, host, port = settings["USER"], settings["HOST"] or "127.0.0.1", settings["PORT"] or 5432
    password = f":{settings['PASSWORD']}" if settings["PASSWORD"] else ""
    return f"postgres://{user}{password}@{host}:{port}/{settings['NAME']}"


@pytest.mark.skipif(
    not (shutil.which("curl") and shutil.which("jq") and shutil.which("bash")),
    reason="the examples need bash, curl and jq",
)
def test_the_documented_curl_examples_work_against_a_live_server(live_server, settings):
    settings.PROCTORING_JWT_SECRET = JWT_SECRET
    settings.PROCTORING_JWT_ISSUER = JWT_ISSUER
    settings.PROCTORING_JWT_AUDIENCE = JWT_AUDIENCE
    blocks = _blocks("sh")
    assert len(blocks) >= 8
    script = "set -euo pipefail\n" + "".join(
        f"printf '\\n%s\\n' {MARK}\n{block}" for block in blocks
    )
    env = {
        **os.environ,
        "BASE": live_server.url,
        "PROCTORING_JWT_SECRET": JWT_SECRET,
        "PROCTORING_JWT_ISSUER": JWT_ISSUER,
        "PROCTORING_JWT_AUDIENCE": JWT_AUDIENCE,
        "DATABASE_URL": _database_url(),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    done = subprocess.run(
        ["bash", "-c", script], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr
    outputs = done.stdout.split(f"\n{MARK}\n")[1:]
    assert len(outputs) == len(blocks)
    by_block = dict(zip(blocks, outputs, strict=True))

    def output_of(fragment):
        (found,) = [out for block, out in by_block.items() if fragment in block]
        return found.strip().splitlines()

    assert output_of('echo "attempt')[-1].startswith("attempt ")
    poll = json.loads("".join(output_of("jq '{status, time_remaining_seconds")[:-1]))
    assert poll["status"] == "started"
    assert 0 < poll["time_remaining_seconds"] <= 3600
    assert output_of("/stop")[-1] == "submitted"
    assert output_of("status=submitted") == ["1"]
    bulk = output_of("allowances/bulk")[-2:]
    assert [json.loads(line)["ok"] for line in bulk] == [True, False]
    review, reset = output_of("/reset")
    assert review == "verified"
    assert reset.startswith("20")
    exam_line = output_of('echo "exam')[-1]
    assert exam_line.startswith("exam ")
    assert output_of("exams/lookup") == [exam_line.split()[1], '"2030-06-30T23:59:00Z"']
    error = json.loads(output_of('"strat": true')[0])
    (documented,) = _blocks("json")
    assert error == json.loads(documented)
