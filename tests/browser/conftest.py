"""Fixtures of the browser tests: one headless Chromium (Debian package, driven by
Playwright) per module, and fresh pages on the real app over the session index, each
watched: a CSP violation or an uncaught script error fails the test."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.kit import CHROMIUM, DESKTOP


@pytest.fixture(scope="module")
def browser():
    """A headless Chromium, skipped with the reason when it or Playwright is missing."""
    if not Path(CHROMIUM).exists():
        pytest.skip("browser test skipped: Debian 'chromium' is not installed "
                    "(apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="browser test skipped: pip install playwright")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
            "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync"])
        yield browser
        browser.close()


@pytest.fixture()
def open_page(browser, live_server):
    """Factory of fresh pages (own storage) on the app; fails on CSP violations and script
    errors."""
    contexts, problems = [], []

    def open_(viewport=DESKTOP, locale="fr-FR", **options):
        context = browser.new_context(viewport=viewport, locale=locale,
                                      reduced_motion="reduce", **options)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda e: problems.append(f"script error: {e}"))
        page.on("console", lambda m: problems.append(m.text)
                if "Content Security Policy" in m.text or "CSP violation" in m.text else None)
        page.add_init_script("document.addEventListener('securitypolicyviolation', "
                             "e => console.error('CSP violation ' + e.violatedDirective))")
        page.goto(live_server + "/")
        return page

    yield open_
    for context in contexts:
        context.close()
    assert not problems, problems


@pytest.fixture()
def page(open_page):
    return open_page()
