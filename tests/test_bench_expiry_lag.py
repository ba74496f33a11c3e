"""The expiry lag bench: a real runner times out attempts due within seconds, and the command
reports how late."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command


@pytest.mark.django_db(transaction=True)
def test_bench_expiry_lag_reports_the_lag_of_attempts_due_within_a_second(settings, tmp_path):
    """40 attempts due within half a second, no grace: all timed out, the lag under a second
    and reported as max, p99 and p50, in the output file too."""
    settings.PROCTORING_SUBMIT_GRACE_SECONDS = 0
    out = StringIO()
    output = tmp_path / "lag.json"
    call_command(
        "bench_expiry_lag",
        attempts=40,
        lead=0.5,
        spread=0.5,
        timeout=10,
        output=str(output),
        stdout=out,
    )
    document = json.loads(out.getvalue())
    assert json.loads(output.read_text(encoding="utf-8")) == document
    assert document["attempts"] == 40
    assert 1 <= document["job_runs_that_timed_out"] <= 40
    assert 0 <= document["lag_p50_seconds"] <= document["lag_p99_seconds"]
    assert document["lag_p99_seconds"] <= document["lag_max_seconds"] < 1


@pytest.mark.django_db
def test_bench_expiry_lag_refuses_sizes_below_one():
    with pytest.raises(CommandError, match="at least 1"):
        call_command("bench_expiry_lag", attempts=0, stdout=StringIO())
