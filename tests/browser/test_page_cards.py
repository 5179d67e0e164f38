"""The staff page, issue 25 points 2 and 6: every answer card complete (first questions and
follow-ups alike), closest passages only when they are close, the API key asked for beside
the error, long quotes expandable, print and dark styles, the question box at hand on phones."""

from __future__ import annotations

import json

import pytest

from tests.browser.kit import (
    DESKTOP,
    PHONE,
    Q_FOLLOW,
    Q_LIST,
    Q_MOSCOW,
    Q_NEAR,
    Q_TWO_DOCS,
    Q_WEATHER,
    ask,
    last_turn,
    refuse_once,
    wait_for_answer,
)

LUMINANCE_JS = """(e) => {
  const [r, g, b] = getComputedStyle(e).backgroundColor.match(/\\d+/g).map(Number);
  const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
  return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
}"""


def in_view(page, selector: str, viewport: dict) -> bool:
    box = page.locator(selector).bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"]


# -- 2. each card complete ----------------------------------------------------------------

def test_a_follow_up_card_shows_what_a_first_answer_shows(page):
    ask(page, Q_MOSCOW)
    ask(page, Q_FOLLOW)
    first, follow = page.locator("#turns > .turn").nth(0), page.locator("#turns > .turn").nth(1)
    for card in (first, follow):
        assert card.locator(".confidence strong").count() == 1
        assert card.locator(".time").count() == 1
        assert card.locator(".sources li").count() >= 1
        assert card.locator(".link").count() == 1
    assert first.locator(".understood").count() == 0
    understood = follow.locator(".understood").inner_text()
    assert understood.startswith("Compris comme : ") and "2019" in understood


def test_a_direct_reply_and_its_support_are_one_answer_not_parts(page):
    ask(page, Q_MOSCOW)  # "À Moscou [1]." then the two sentences of par. 40
    card = last_turn(page)
    assert card.locator(".part-title").count() == 0
    assert card.locator(".answer-text > p").count() == 2
    assert card.locator(".answer-text > p").first.inner_text().startswith("À Moscou")


def test_the_question_as_understood_is_in_french_quotation_marks(page):
    ask(page, Q_MOSCOW)
    ask(page, Q_FOLLOW)
    text = last_turn(page).locator(".understood").inner_text()
    assert "« Dans quelle ville" in text and "? »" in text, text


def test_an_abstention_shows_only_close_passages(page):
    ask(page, Q_NEAR)  # the corpus names the CSTO, never its budget
    card = last_turn(page)
    assert card.locator(".not-found").count() == 1
    closest = card.locator(".closest li")
    assert 1 <= closest.count() <= 3
    assert "OTSC" in card.locator(".closest").inner_text()
    ask(page, Q_WEATHER)  # nothing in the documents is about it: no "closest" passages
    card = last_turn(page)
    assert card.locator(".not-found").count() == 1
    assert card.locator(".closest").count() == 0
    assert "Passages les plus proches" not in card.inner_text()


# -- 6. the key flow ----------------------------------------------------------------------

def test_the_key_field_is_shown_beside_the_error_with_the_focus(open_page):
    page = open_page(viewport=PHONE)
    ask(page, Q_LIST)
    ask(page, Q_TWO_DOCS)  # a long conversation: the error is far below the top
    seen = refuse_once(page)
    ask(page, Q_MOSCOW)
    turn = last_turn(page)
    assert turn.locator("#key-row").count() == 1, "the key field sits in the failed card"
    assert "ci-dessous" in turn.locator(".error").inner_text()
    assert page.evaluate("document.activeElement.id") == "api-key"
    assert in_view(page, "#api-key", PHONE)
    page.fill("#api-key", "k-1234567890")
    page.press("#api-key", "Enter")
    wait_for_answer(page, 3)
    assert seen == [None, "Bearer k-1234567890"]
    assert page.locator("main > #key-row").count() == 1, "back at the top once accepted"


def test_a_refused_key_gets_its_own_message(page):
    page.evaluate("localStorage.setItem('apiKey', 'k-wrong-0000000')")
    page.route("**/v1/ask", lambda route: route.fulfill(
        status=401, content_type="application/json",
        body=json.dumps({"error": {"code": "unauthorized", "message": "wrong key"}})))
    ask(page, Q_MOSCOW)
    message = last_turn(page).locator(".error-message").inner_text()
    assert "refusée" in message and "demande une clé" not in message


# -- 6. quotes, print, dark mode, phones -------------------------------------------------

LONG = ("Les organisations régionales et sous-régionales jouent un rôle essentiel dans la "
        "prévention des conflits, la médiation et le maintien de la paix, et leur coopération "
        "avec l’Organisation des Nations Unies s’est considérablement renforcée au cours des "
        "dernières années grâce à des mécanismes de consultation réguliers, à des échanges "
        "d’informations et à des missions conjointes sur le terrain dans plusieurs régions.")


def _long_quote_answer(route):
    citation = {"marker": 1, "passage_id": "x#p1", "role": "body", "paragraph": "12",
                "reference": "S/2099/1, par. 12", "section": [], "quote": LONG, "text": LONG,
                "document": {"id": "x", "symbol": "S/2099/1", "title": "T", "date": None}}
    route.fulfill(status=200, content_type="application/json", body=json.dumps({
        "question": "q", "resolved_question": None, "answer": f"{LONG} [1]",
        "abstained": False, "confidence": 0.8, "language": "fr", "kind": "summary",
        "composer": "extractive", "citations": [citation], "passages": [], "closest": [],
        "timings_ms": {"total": 40.0}, "notes": []}))


def test_a_long_quote_is_cut_between_words_and_expands(page):
    page.route("**/v1/ask", _long_quote_answer)
    ask(page, "Quel rôle jouent les organisations régionales ?")
    quote = last_turn(page).locator(".sources .quote").first
    short = quote.locator(".quote-short").inner_text()
    assert short.endswith("…") and len(short) < len(LONG)
    head = short.removeprefix("« ").removesuffix("…")
    assert LONG.startswith(head) and LONG[len(head)] in " ,", "cut between two words"
    more = quote.locator(".more")
    assert more.inner_text() == "Lire la suite" and more.get_attribute("aria-expanded") == "false"
    more.click()
    assert quote.locator(".quote-full").inner_text() == f"« {LONG} »"
    assert quote.locator(".quote-short").is_hidden()
    assert more.inner_text() == "Réduire" and more.get_attribute("aria-expanded") == "true"


def test_print_shows_the_answers_citations_and_sources_only(page):
    page.route("**/v1/ask", _long_quote_answer)
    ask(page, "Quel rôle jouent les organisations régionales ?")
    page.emulate_media(media="print")
    for hidden in ["header", "#ask-form", ".turn-foot", "#new-conversation", ".more",
                   ".quote-short"]:
        assert page.locator(hidden).first.is_hidden(), hidden
    for shown in [".answer-text", ".sources .ref-button", ".quote-full"]:
        assert page.locator(shown).first.is_visible(), shown
    page.emulate_media(media="screen")
    assert page.locator("#ask-form").is_visible()


def test_dark_mode_follows_the_system_setting(open_page):
    light = open_page(color_scheme="light")
    dark = open_page(color_scheme="dark")
    assert light.locator("body").evaluate(LUMINANCE_JS) > 0.8
    assert dark.locator("body").evaluate(LUMINANCE_JS) < 0.05
    ask(dark, Q_MOSCOW)
    assert last_turn(dark).evaluate(LUMINANCE_JS) < 0.05, "cards are dark too"


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_question_box_stays_at_hand_below_long_answers(open_page, viewport):
    page = open_page(viewport=viewport)
    ask(page, Q_LIST)
    ask(page, Q_TWO_DOCS)
    page.locator("#turns > .turn").first.scroll_into_view_if_needed()
    page.evaluate("window.scrollTo(0, 0)")
    if viewport is PHONE:
        assert in_view(page, "#question", viewport), "sticky at the bottom of the screen"
        page.click("#question")
        assert page.evaluate("document.activeElement.id") == "question"
        # it covers no answer text it cannot scroll away from: the last card ends above it
        page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
        form = page.locator("#ask-form").bounding_box()
        foot = last_turn(page).locator(".turn-foot").bounding_box()
        assert foot["y"] + foot["height"] <= form["y"] + 1
    else:
        assert page.locator("#ask-form").evaluate("e => getComputedStyle(e).position") == "static"
