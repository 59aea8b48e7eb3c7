"""Fixtures the browser tests share (tests/test_browser*.py): the app served by ``streamlit run`` and Chromium,
one of each per test module.  A browser test module calls ``browser_support.playwright_or_skip()`` at its top."""

import pytest

import browser_support as bs


@pytest.fixture(scope="module")
def app_url():
    """The URL of ``streamlit run app.py`` on a free port, for the module's tests."""
    server = bs.AppServer(bs.REPO / "app.py", cwd=bs.REPO)
    try:
        server.start(timeout=90)
        yield server.url
    finally:
        server.stop()


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium through Playwright, for the module's tests."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = bs.launch_chromium(playwright)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def context(browser):
    """A browser context (1600 × 1000, generous timeouts) shared by the module's tests."""
    context = bs.new_context(browser)
    yield context
    context.close()
