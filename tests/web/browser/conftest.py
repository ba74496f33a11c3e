"""Browser tests: Debian's Chromium (no browser download) driven by Playwright, against
pytest-django's live server; one browser for the whole session.

They run on SQLite (one run of ``make test``): what they check is the pages and the browser's
behaviour, which the database does not change; every service they call is tested on both.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from playwright.sync_api import Browser, Page, sync_playwright
from pytest_django.live_server_helper import LiveServer

CHROMIUM = os.environ.get("PROCTORING_CHROMIUM", "/usr/bin/chromium")

ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/web/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(autouse=True)
def _on_sqlite_only(request: pytest.FixtureRequest) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("browser tests run once, in the SQLite run of make test")


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """One Chromium for the browser tests, closed after them.

    While Playwright's sync API runs, its event loop counts as running in the main thread, and
    Django refuses the tests' own (synchronous) database calls there unless told that they are
    safe: they are, so this package says so, and says it no longer once Playwright has stopped
    (a package fixture, not pytest-playwright's session one, so that the rest of the suite
    keeps Django's check).
    """
    before = os.environ.get(ASYNC_UNSAFE)
    os.environ[ASYNC_UNSAFE] = "true"
    try:
        with sync_playwright() as playwright:
            # A fake camera that needs no permission prompt: browser proctoring's snapshots.
            args = [
                "--no-sandbox",
                "--use-fake-device-for-media-stream",
                "--use-fake-ui-for-media-stream",
            ]
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=args)
            yield chromium
            chromium.close()
    finally:
        if before is None:
            os.environ.pop(ASYNC_UNSAFE, None)
        else:
            os.environ[ASYNC_UNSAFE] = before


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()
    yield context.new_page()
    context.close()


def _free_port(first: int = 8500, last: int = 8599) -> int:
    for port in range(first, last + 1):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("No free port in 8500-8599 for the live server.")


@pytest.fixture(scope="session")
def live_server(request: pytest.FixtureRequest) -> Iterator[LiveServer]:
    """pytest-django's live server, on a free port of 8500-8599 (the browser tests' range)."""
    server = LiveServer(f"127.0.0.1:{_free_port()}")
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _fast_poll(settings: Any) -> None:
    settings.PROCTORING_WEB_POLL_SECONDS = 1


def sign_in(context: Any, live_server: LiveServer, user: Any) -> None:
    """Give the browser context a session of ``user`` (as signing in would)."""
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    context.add_cookies(
        [
            {
                "name": django_settings.SESSION_COOKIE_NAME,
                "value": session.session_key,
                "url": live_server.url,
            }
        ]
    )


def remaining_seconds(page: Any) -> int:
    """The seconds the page's timer shows."""
    text = page.locator("[role=timer]").inner_text()
    hours, minutes, seconds = (int(part) for part in text.split(":"))
    return hours * 3600 + minutes * 60 + seconds
