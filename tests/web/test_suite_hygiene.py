"""What the browser tests (tests/web/browser, collected before this file) leave behind."""

import os


def test_the_browser_tests_leave_django_async_safety_on():
    """They turn it off while Playwright runs; the rest of the suite (and the subprocesses it
    starts, such as ``check --deploy``) must have it back."""
    assert "DJANGO_ALLOW_ASYNC_UNSAFE" not in os.environ
