"""HTTP hardening of the served app (uvicorn): the page's CSP in a browser,
keep-alive after a 500."""

from __future__ import annotations

from pathlib import Path

import pytest


def test_the_page_raises_no_csp_violation_in_a_browser(live_server):
    """The staff page under its CSP in headless Chromium: ask, open a citation, browse the
    document; the browser reports no blocked resource or script."""
    import shutil

    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).exists():
        pytest.skip("Debian 'chromium' is not installed")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=[
            "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run"])
        try:
            page = browser.new_page()
            messages: list[str] = []
            page.on("console", lambda m: messages.append(m.text))
            page.add_init_script("document.addEventListener('securitypolicyviolation', "
                                 "e => console.error('CSP violation ' + e.violatedDirective))")
            response = page.goto(live_server + "/")
            assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
            page.fill("#question", "Dans quelle ville la Secrétaire générale adjointe a-t-elle "
                                   "mené des consultations avec l'OTSC en novembre 2018 ?")
            page.click("#submit")
            page.wait_for_selector("#answer:not([hidden]) .marker", timeout=30_000)
            page.click(".marker >> nth=0")
            page.wait_for_selector("#passage:not([hidden]) mark")
            page.click("#open-document")
            page.wait_for_selector(".para.current")
            assert page.evaluate("getComputedStyle(document.body).margin") == "0px"  # CSS on
            assert not [m for m in messages if "Content Security Policy" in m
                        or "CSP violation" in m], messages
        finally:
            browser.close()


def test_a_500_leaves_the_keep_alive_connection_usable(live_server, pipeline, monkeypatch):
    import httpx

    def broken(*args, **kwargs):
        raise RuntimeError("simulated failure")

    monkeypatch.setattr(pipeline, "ask", broken)
    with httpx.Client(base_url=live_server, timeout=30) as client:
        first = client.post("/v1/ask", json={"question": "OSCE ?"})
        second = client.post("/v1/ask", json={"question": "OSCE ?"})
        monkeypatch.undo()
        third = client.post("/v1/ask", json={"question": "Quel est le rôle de l’OSCE ?"})
    assert first.status_code == second.status_code == 500
    assert first.json()["error"]["code"] == "internal_error"
    assert first.headers.get("connection", "").lower() != "close"
    assert third.status_code == 200
