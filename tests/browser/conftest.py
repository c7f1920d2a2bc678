"""Browser tests: Playwright's sync API driving Debian's Chromium against live_server.

Playwright's sync API runs an event loop in the test thread, which makes Django refuse
database calls from it unless this is set. Only the browser tests set it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "artifacts" / "screenshots"


@pytest.fixture(scope="session")
def chromium():
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (make debs-test installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu",
                  "--disable-background-networking", "--disable-component-update"],
        )
        yield browser
        browser.close()


@pytest.fixture
def browser_context(chromium):
    # bypass_csp: axe-core is injected as a script tag, which the page's CSP would block.
    context = chromium.new_context(
        bypass_csp=True, viewport={"width": 1280, "height": 900}, locale="en-GB"
    )
    yield context
    context.close()


@pytest.fixture
def page(browser_context):
    page = browser_context.new_page()
    # Generous: the first request of a live server compiles templates and loads
    # translations, which takes seconds on a busy 2-core machine.
    page.set_default_timeout(45_000)
    return page


@pytest.fixture(autouse=True)
def _fresh_cache(transactional_db):
    """The cache lives in a table that flushing between tests leaves alone. allauth
    keeps each one-time code it accepted there for 30 seconds, and on SQLite a user
    made by the next test gets the same id again, so a second sign-in within the same
    30 seconds would be refused as a replayed code."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
