"""`proctoring bench_browser`: every event sent is stored once, in a few statements a batch."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError


@pytest.mark.django_db(transaction=True)
def test_bench_browser_stores_every_event_and_reports_its_rate(tmp_path, settings):
    settings.DATA_DIR = tmp_path
    out = StringIO()
    call_command(
        "bench_browser",
        events=450,
        batch=100,
        learners=2,
        output=str(tmp_path / "b.json"),
        stdout=out,
    )
    report = json.loads(out.getvalue())
    assert (report["events"], report["batches"], report["snapshots"]) == (450, 5, 1)
    assert report["events_per_second"] > 0
    assert report["statements_per_batch"] < 15  # batched: not a statement per event
    assert json.loads((tmp_path / "b.json").read_text())["events"] == 450


def test_bench_browser_refuses_a_batch_over_the_limit():
    with pytest.raises(CommandError):
        call_command("bench_browser", events=10, batch=501, stdout=StringIO())
