"""docs/attempt-lifecycle.md is what the status table says."""

from pathlib import Path

from proctoring.devtools.lifecycle import lifecycle_markdown

DOC = Path(__file__).resolve().parent.parent / "docs" / "attempt-lifecycle.md"


def test_lifecycle_page_is_generated_from_the_current_table():
    assert DOC.read_text() == lifecycle_markdown(), (
        "regenerate it: proctoring lifecycle_doc > docs/attempt-lifecycle.md"
    )


def test_lifecycle_page_lists_the_illegal_moves_of_a_completed_status():
    row = next(
        line
        for line in lifecycle_markdown().splitlines()
        if line.startswith("| verified |") and "started" in line
    )
    assert "created" in row and "error" in row and "rejected" not in row


def test_lifecycle_page_shows_the_actions_and_the_time_out_rule_from_the_tables():
    page = lifecycle_markdown().splitlines()
    assert "| submit | submitted | ready_to_submit, started |" in page
    assert "| verify | verified | rejected, second_review_required, submitted, verified |" in page
    assert "| created | timed_out | timed_out | submitted |" in page
    assert "| started | submitted | timed_out | submitted |" in page
