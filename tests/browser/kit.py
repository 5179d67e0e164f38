"""What the browser tests share: the questions they ask, the page sizes, and helpers to ask,
wait, check contrast and run axe-core; the walk through the page's states."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
SHOTS = ARTIFACTS / "screenshots"
AXE = Path(__file__).resolve().parents[1] / "vendor" / "axe.min.js"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}

Q_MOSCOW = ("Dans quelle ville la Secrétaire générale adjointe a-t-elle mené des consultations "
            "avec l'OTSC en novembre 2018 ?")
Q_FOLLOW = "Et en avril 2019 ?"
Q_LIST = "Quels objectifs le débat public organisé par le Viet Nam en avril 2021 viserait-il ?"
Q_TWO_DOCS = ("Quelles menaces figurent à la fois parmi les défis recensés lors de la séance du "
              "Conseil de 2003 et parmi les menaces évoquées dans le document russe de 2016 ?")
Q_TITLES = "De quand date la lettre de la Fédération de Russie sur l’OTSC, l’OCS et la CEI ?"
Q_NONE = "Qui a signé la lettre du 25 mars 2021 ?"  # abstains; closest: a signature, a title
Q_NEAR = "Quel est le budget annuel de l’OTSC ?"  # named in the corpus, no amount: abstains
Q_WEATHER = "Quel temps fera-t-il demain à Genève ?"  # Geneva is never named: abstains
Q_NONE_EN = "How much did the European Union give to the CARICOM resilience fund?"
SG_REPORT = "A/75/345-S/2020/898"
RAW_LABELS = re.compile(r"\bbullet\b|\btitle \d|§\s?\d|, signature\b|\bnote \d")

# contrast ratio of an element's text over the backgrounds it is painted on (WCAG 2 formula)
CONTRAST_JS = """(e) => {
  const parse = (c) => {
    const p = c.match(/rgba?\\(([^)]+)\\)/)[1].split(/[\\s,\\/]+/).filter(Boolean).map(Number);
    return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
  };
  const over = (top, bottom) => ({ r: top.r * top.a + bottom.r * (1 - top.a),
    g: top.g * top.a + bottom.g * (1 - top.a), b: top.b * top.a + bottom.b * (1 - top.a), a: 1 });
  const lum = ({ r, g, b }) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const chain = [];
  for (let x = e; x; x = x.parentElement) chain.unshift(x);
  let bg = { r: 255, g: 255, b: 255, a: 1 };
  for (const x of chain) bg = over(parse(getComputedStyle(x).backgroundColor), bg);
  const fg = over(parse(getComputedStyle(e).color), bg);
  const [hi, lo] = [lum(fg), lum(bg)].sort((a, b) => b - a);
  return (hi + 0.05) / (lo + 0.05);
}"""

# visible interactive elements smaller than 44 × 44 CSS pixels
SMALL_TARGETS_JS = """() => [...document.querySelectorAll(
    'button, a[href], input, summary, select, textarea, [tabindex]:not([tabindex="-1"])')]
  .filter((e) => e.getClientRects().length && getComputedStyle(e).visibility !== 'hidden'
          && !e.closest('[hidden]') && !e.matches('.skip, .sr-only, .copy-buffer, .file-input'))
  .map((e) => [e, e.getBoundingClientRect()])
  .filter(([e, r]) => r.width < 43.5 || r.height < 43.5)
  .map(([e, r]) => `${e.tagName.toLowerCase()}#${e.id}.${e.className} "${(e.textContent || '')
    .trim().slice(0, 30)}" ${Math.round(r.width)}x${Math.round(r.height)}`)"""


def ask(page, question: str) -> None:
    """Ask and wait until the new turn is rendered (answer or error)."""
    n = page.locator("#turns > .turn").count()
    page.fill("#question", question)
    page.click("#submit")
    page.wait_for_selector(f"#turns:not([aria-busy]) > .turn >> nth={n}", timeout=60_000)
    page.wait_for_selector(f"#turns:not([aria-busy]) > .turn:nth-child({n + 1}) .turn-foot, "
                           f"#turns:not([aria-busy]) > .turn:nth-child({n + 1}) .error")


def refuse_once(page) -> list:
    """The first ``POST /v1/ask`` answered 401 (a key is needed), the next ones sent on;
    returns the Authorization header of each request, as they come."""
    seen: list = []

    def handle(route):
        seen.append(route.request.all_headers().get("authorization"))
        if len(seen) == 1:
            route.fulfill(status=401, content_type="application/json", body=json.dumps(
                {"error": {"code": "unauthorized", "message": "Missing or wrong API key"}}))
        else:
            route.continue_()

    page.route("**/v1/ask", handle)
    return seen


def last_turn(page):
    return page.locator("#turns > .turn").last


def requests_to(page, path: str) -> list:
    seen: list = []
    page.on("request", lambda r: seen.append(r) if r.url.split("?")[0].endswith(path) else None)
    return seen


def contrast(page, selector: str) -> float:
    return page.locator(selector).first.evaluate(CONTRAST_JS)


def wait_for_answer(page, n: int = 1) -> None:
    page.wait_for_selector(f"#turns:not([aria-busy]) > .turn:nth-child({n}) .turn-foot",
                           timeout=60_000)


def axe_violations(page) -> list[str]:
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text("utf-8"))
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:5]}"
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


def walk(page, check):
    """The page's states in order, calling ``check(name)`` at each: home, answer, open
    passage, follow-up, abstention, error, document list, document view."""
    check("home")
    ask(page, Q_MOSCOW)
    check("answer")
    last_turn(page).locator(".marker").nth(1).click()
    page.wait_for_selector("#passage:not([hidden]) mark")
    check("passage")
    page.keyboard.press("Escape")
    ask(page, Q_FOLLOW)
    check("conversation")
    page.click("#new-conversation")
    ask(page, Q_NEAR)
    check("abstention")
    page.click("#new-conversation")
    ask(page, Q_TWO_DOCS)
    check("parts")
    page.route("**/v1/ask", lambda route: route.abort("connectionfailed"))
    ask(page, Q_FOLLOW)
    check("error")
    page.unroute("**/v1/ask")
    page.click("#browse")
    page.wait_for_selector(".doc-item")
    page.click("#upload summary")
    check("documents")
    page.locator(".doc-item", has_text=SG_REPORT).click()
    page.wait_for_selector(".para")
    check("document")
