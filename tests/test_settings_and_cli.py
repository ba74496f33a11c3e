"""Settings come from the environment; the ``proctoring`` command wraps Django's commands."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROCTORING = str(Path(sys.executable).parent / "proctoring")


def run_proctoring(*args, env=None, cwd=None):
    base = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "SECRET_KEY"}}
    base.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run(
        [PROCTORING, *args],
        env={**base, **(env or {})},
        cwd=cwd or ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_proctoring_command_defaults_to_our_settings_and_runs_django_commands(tmp_path):
    result = run_proctoring("check", env={"PROCTORING_DATA_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_secret_key_is_generated_once_and_kept_in_the_data_folder(tmp_path):
    code = "from django.conf import settings; print(settings.SECRET_KEY)"
    env = {"PROCTORING_DATA_DIR": str(tmp_path)}
    first = run_proctoring("shell", "-c", code, env=env)
    second = run_proctoring("shell", "-c", code, env=env)
    assert first.returncode == 0, first.stderr
    key = (tmp_path / "secret_key").read_text()
    assert len(key) >= 50
    assert first.stdout.strip().endswith(key)
    assert second.stdout.strip().endswith(key)
    assert oct((tmp_path / "secret_key").stat().st_mode & 0o777) == "0o600"


def test_default_database_is_a_sqlite_file_in_the_data_folder(tmp_path):
    code = "from django.conf import settings; print(settings.DATABASES['default']['NAME'])"
    result = run_proctoring("shell", "-c", code, env={"PROCTORING_DATA_DIR": str(tmp_path)})
    assert result.stdout.strip().endswith(str(tmp_path / "db.sqlite3"))


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DATABASE_URL": "mysql://root@localhost/x"}, "must point to SQLite or PostgreSQL"),
        ({"DATABASE_URL": "nonsense"}, "DATABASE_URL is not a valid database URL"),
        ({"DEBUG": "perhaps"}, "DEBUG must be a boolean"),
        ({"EMAIL_PORT": "smtp"}, "EMAIL_PORT must be an integer"),
        ({"PROCTORING_BACKENDS": '{"null": {}}'}, "must name its default provider"),
        ({"PROCTORING_SETTINGS": "[]"}, "PROCTORING_SETTINGS must be a JSON object"),
        ({"PROCTORING_LOG_FORMAT": "xml"}, "PROCTORING_LOG_FORMAT must be json or console"),
    ],
)
def test_bad_configuration_fails_loudly_at_startup(tmp_path, env, message):
    result = run_proctoring("check", env={"PROCTORING_DATA_DIR": str(tmp_path), **env})
    assert result.returncode != 0
    assert message in result.stderr
