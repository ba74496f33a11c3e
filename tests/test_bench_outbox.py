"""`proctoring bench_outbox`: every event reaches the receiver, in a few statements a batch."""

import json
from io import StringIO

import pytest
from django.core.management import call_command


@pytest.mark.django_db(transaction=True)
def test_bench_outbox_delivers_every_event_and_reports_its_rate(tmp_path):
    out = StringIO()
    call_command("bench_outbox", events=120, output=str(tmp_path / "o.json"), stdout=out)
    report = json.loads(out.getvalue())
    assert report["events"] == report["received"] == 120
    assert report["events_per_second"] > 0
    assert report["statements_per_event"] < 0.5  # batched: not a statement or more per event
