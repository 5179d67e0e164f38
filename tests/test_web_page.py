"""The staff page in a real headless Chromium (Debian package, driven by Playwright): ask,
click a citation, see the highlighted sentence; the not-found state; document browsing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason="browser test skipped: Debian 'chromium' is not installed (apt-get install chromium)")


@pytest.fixture(scope="module")
def browser():
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
def page(browser, live_server):
    page = browser.new_page(viewport={"width": 1100, "height": 900}, locale="fr-FR")
    page.goto(live_server + "/")
    yield page
    page.close()


def test_ask_click_citation_and_see_the_highlighted_sentence(page):
    page.fill("#question", "Dans quelle ville la Secrétaire générale adjointe a-t-elle mené "
                           "des consultations avec l'OTSC en novembre 2018 ?")
    page.click("#submit")
    page.wait_for_selector("#answer:not([hidden]) .marker", timeout=30_000)
    assert "Moscou" in page.inner_text("#answer-text")
    assert "A/75/345-S/2020/898, par. 40" in page.inner_text("#sources")
    page.click(".marker >> nth=0")
    page.wait_for_selector("#passage:not([hidden]) mark")
    assert page.inner_text("#passage-ref") == "A/75/345-S/2020/898, par. 40"
    assert "Moscou" in page.inner_text("#passage-text mark")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "web_answer.png"), full_page=True)
    page.click("#open-document")
    page.wait_for_selector(".para.current")
    assert page.inner_text(".para.current").startswith("par. 40")


def test_a_list_answer_shows_one_item_a_line(page):
    page.fill("#question", "Quels objectifs le débat public organisé par le Viet Nam en avril "
                           "2021 viserait-il ?")
    page.click("#submit")
    page.wait_for_selector("#answer:not([hidden]) .marker", timeout=30_000)
    lines = [line for line in page.inner_text("#answer-text").split("\n") if line.strip()]
    assert sum(line.startswith("- ") for line in lines) >= 4, lines
    assert page.locator("#answer-text .marker").count() >= 4
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "web_list_answer.png"), full_page=True)


def test_not_found_state_and_language_switch(page):
    page.click("#lang")
    assert page.inner_text("#submit") == "Ask"
    page.fill("#question", "How much did the European Union give to the CARICOM resilience fund?")
    page.click("#submit")
    page.wait_for_selector("#not-found:not([hidden])", timeout=30_000)
    assert page.inner_text("#not-found").startswith("Not found in the documents.")
    assert page.inner_text("#sources-title") == "Closest passages"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "web_not_found.png"), full_page=True)


def test_loading_state_is_shown_while_waiting(page):
    held = []
    page.route("**/v1/ask", lambda route: held.append(route))  # hold it while we look
    page.fill("#question", "Quel est le rôle de l'OSCE ?")
    page.click("#submit")
    page.wait_for_function("document.getElementById('status').classList.contains('loading')")
    assert page.is_disabled("#submit")
    page.wait_for_function("true")
    assert held, "the request was not intercepted"
    held[0].continue_()
    page.wait_for_selector("#answer:not([hidden])", timeout=30_000)
    assert not page.is_disabled("#submit")


def test_browse_documents(page):
    page.click("#browse")
    page.wait_for_selector("#document-list li")
    page.click("#document-list li >> text=S/2021/297")
    page.wait_for_selector(".para")
    assert "par. 6" in page.inner_text("#paragraphs")
