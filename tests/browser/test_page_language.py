"""Issue 25, point 4: one language at a time. The French page shows no English string (and
the English page no French one) except what the documents and the user wrote: every state
of the page is walked and its visible text checked against the other language's message
tables, the page's (``I18N``) and the server's (:mod:`api.i18n`, :mod:`rag.answer.messages`)."""

from __future__ import annotations

import http
import json
import re

import pytest

from api.i18n import MESSAGES, PHRASES_FRENCH
from rag.answer import messages as answer_messages
from tests.browser.kit import Q_MOSCOW, Q_NONE_EN, ask, last_turn, walk

# the visible text of the page, less what the documents and the user wrote: quotes, passage
# and document text, document titles and metadata, card values, the questions typed (and
# as understood), elements marked in another language (the language switch's own name);
# the answers are read less the sentences they quote (the page's own parseAnswer ranges)
VISIBLE_JS = """() => {
  const skip = ".quote, .passage-text, .para-text, mark, .question-text, q, .past-item, "
    + ".part-title, .parts-list, .doc-ref, .doc-title, #document-title, #reader-ref, "
    + "#document-meta, .doc-section, #passage-section, #document-card dd > button, "
    + "#upload-names, .answer-text, script, style, [hidden]";
  const pageLang = document.documentElement.lang;
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const e = n.parentElement;
    if (!e || e.closest(skip) || e.matches("#document-card dd")) continue;
    const marked = e.closest("[lang]");
    if (marked && marked.lang !== pageLang) continue;
    if (!e.getClientRects().length || getComputedStyle(e).visibility === "hidden") continue;
    out.push(n.textContent);
  }
  for (const turn of state.turns) {
    const box = turn.status === "done" && turn.el && turn.el.isConnected
      && turn.el.querySelector(".answer-text");
    if (!box) continue;
    let text = box.innerText;
    const parsed = parseAnswer(turn.answer.text, turn.answer.citations);
    for (const c of turn.answer.citations) {
      for (const [a, b] of parsed.ranges.get(c.marker) || []) {
        text = text.split(c.text.slice(a, b)).join(" \u2026 ");
      }
    }
    out.push(text);
  }
  return out.join("\\n");
}"""

S = "{x}"  # a placeholder in the server's sentences written by functions


def server_table(language: str) -> list[str]:
    """Every sentence and word the server writes itself in ``language``."""
    m = answer_messages
    values = [m.NOT_FOUND[language], m.NOT_COVERED[language], m.OFFTOPIC[language],
              m.IN_EVIDENCE[language], *m.REASONS[language].values(),
              *m.THIS[language].values(), *m.FIELD_NAMES[language].values(),
              m.not_mentioned([S], language), m.unstated([S], S, language),
              m.after_date(S, S, "2021", language), m.after_date(S, None, "2021", language),
              m.not_given(None, [S], language), m.field_absent(S, "symbol", language),
              *(forms[language] for forms in MESSAGES.values())]
    if language in m.LEAD_IN:
        values.append(m.LEAD_IN[language])
    values += list(PHRASES_FRENCH.values()) if language == "fr" else \
        [http.HTTPStatus(s).phrase for s in PHRASES_FRENCH]
    return values


def fragments(values: list[str], other: list[str]) -> set[str]:
    """The fixed pieces of ``values`` (split at their ``{placeholders}``) of 4 characters or
    more that the other language does not write too ("Sources", "Documents"…)."""
    shared = "\n".join(other).lower()
    out = set()
    for value in values:
        for piece in re.split(r"\{[^}]*\}", value):
            piece = piece.strip(" \n.,:;!?()«»“”\"'–—←↗…✓/")
            if len(piece) >= 4 and piece.lower() not in shared:
                out.add(piece)
    return out


def foreign(page, language: str) -> set[str]:
    """The pieces of the other language's tables visible in the page (``language``'s)."""
    other = "en" if language == "fr" else "fr"
    tables = page.evaluate("I18N")
    mine = [*tables[language].values(), *server_table(language)]
    theirs = [*tables[other].values(), *server_table(other)]
    text = page.evaluate(VISIBLE_JS)
    return {f for f in fragments(theirs, mine)
            if re.search(rf"(?<!\w){re.escape(f)}(?!\w)", text)}


@pytest.fixture(scope="module")
def secured_server(built_settings, pipeline):
    """The app with an API key, beside the keyless one the pages open."""
    from api.main import create_app
    from tests.support.helpers import serve_app

    secured = built_settings.model_copy(update={"api_key": "k-secured-page-0123456789"})
    with serve_app(create_app(secured, pipeline=pipeline)) as (host, port):
        yield f"http://{host}:{port}"


def more_states(page, check, secured: str) -> None:
    """After :func:`kit.walk`: an English question (French page) or a French one (English
    page), a real 401 (the request sent to the app with a key), a real 422 (a body the
    server refuses) and an upload the server refuses."""
    page.click("#nav-ask")
    page.click("#new-conversation")
    ask(page, Q_NONE_EN if page.evaluate("lang") == "fr" else Q_MOSCOW)
    check("other-language question")
    page.route("**/v1/ask", lambda route: route.continue_(url=f"{secured}/v1/ask"))
    ask(page, Q_MOSCOW)
    assert last_turn(page).locator(".error-detail").count() == 1  # the server's words shown
    check("401")
    page.unroute("**/v1/ask")
    page.route("**/v1/ask", lambda route: route.continue_(post_data=json.dumps(
        {"question": Q_MOSCOW, "top_k": 0})))
    ask(page, Q_MOSCOW)
    assert last_turn(page).locator(".error-detail").count() == 1
    check("422")
    page.unroute("**/v1/ask")
    page.click("#browse")
    page.wait_for_selector(".doc-item")
    if not page.locator("#upload[open]").count():
        page.click("#upload summary")
    page.set_input_files("#upload-file", files=[
        {"name": "note.exe", "mimeType": "application/octet-stream", "buffer": b"MZ"}])
    page.click("#upload-submit")
    page.wait_for_selector("#upload-result .error .error-detail")
    check("upload error")


@pytest.mark.parametrize("language", ["fr", "en"])
def test_no_string_of_the_other_language_in_any_state(open_page, secured_server, language):
    page = open_page(locale="fr-FR" if language == "fr" else "en-US")
    assert page.evaluate("lang") == language
    found: dict[str, set[str]] = {}
    states: list[str] = []

    def check(name: str) -> None:
        states.append(name)
        if leaked := foreign(page, language):
            found[name] = leaked

    walk(page, check)
    more_states(page, check, secured_server)
    assert len(states) == 13, states
    assert found == {}


def test_the_checker_sees_english_in_the_french_page(page):
    """The check itself: the server's English abstention put in the French page is found."""
    page.evaluate("""() => { const p = document.createElement('p');
        p.textContent = 'Not found in the documents.'; document.body.append(p); }""")
    assert "Not found in the documents" in foreign(page, "fr")


def test_an_english_question_in_the_french_page_gets_a_french_abstention(page):
    asks: list = []
    page.on("request", lambda r: asks.append(r) if r.url.endswith("/v1/ask") else None)
    ask(page, Q_NONE_EN)
    body = json.loads(asks[0].post_data)
    assert body["language"] == "fr" and asks[0].headers["accept-language"] == "fr"
    text = last_turn(page).locator(".not-found").inner_text()
    assert text.startswith(("Les documents", "Je n’ai pas trouvé")), text
    assert "Passages les plus proches" in last_turn(page).inner_text()
    # switched to English: the answer is asked again, the server now writes in English
    page.click("#lang")
    page.wait_for_function("""() => /^(The documents|Not found)/.test(
        document.querySelector('#turns .turn:last-child .not-found').textContent)""")
    assert json.loads(asks[-1].post_data)["language"] == "en" and len(asks) == 2
    assert page.evaluate("JSON.parse(localStorage.getItem('conversation'))[0].answer.language") \
        == "en"


def test_the_server_words_of_an_error_show_only_in_the_page_language(page):
    def english_401(route):
        route.fulfill(status=401, content_type="application/json",
                      headers={"Content-Language": "en"},
                      body=json.dumps({"error": {"code": "unauthorized",
                                                 "message": "Missing or wrong API key"}}))

    page.route("**/v1/ask", english_401)
    ask(page, Q_MOSCOW)
    error = last_turn(page).locator(".error").inner_text()
    assert "clé d’API" in error and "Missing" not in error


def test_card_notes_are_in_the_page_language(page):
    notes = page.evaluate("""() => [
        cardNote('year from the symbol S/2020/898'),
        cardNote('the text prints no other date than its distribution date'),
        cardNote('year from « 12 juillet 2019 »'),
        cardNote('year from the date of the document (19 octobre 2021)'),
        cardNote('the text prints « 25 mars 2021 »')]""")
    assert notes == ["année tirée de la cote S/2020/898",
                     "le texte n’imprime pas d’autre date que sa date de distribution",
                     "année tirée de « 12 juillet 2019 »",
                     "année tirée de la date du document (19 octobre 2021)",
                     "le texte imprime « 25 mars 2021 »"]
