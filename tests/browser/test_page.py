"""The staff page in a real headless Chromium (Debian package, driven by Playwright) against the
real app and the session index: ask, follow up, open the cited sentence, browse and add
documents; one focused test per defect of issue 13, an axe-core accessibility check of each
state, and screenshots at desktop and phone widths (``tests/artifacts/screenshots/``).

Every page is watched: a CSP violation or an uncaught script error fails the test."""

from __future__ import annotations

import json
import re

import pytest

from tests.browser.kit import (
    DESKTOP,
    PHONE,
    Q_FOLLOW,
    Q_LIST,
    Q_MOSCOW,
    Q_NONE,
    Q_NONE_EN,
    Q_TITLES,
    Q_TWO_DOCS,
    RAW_LABELS,
    SG_REPORT,
    SHOTS,
    SMALL_TARGETS_JS,
    ask,
    axe_violations,
    contrast,
    last_turn,
    refuse_once,
    requests_to,
    wait_for_answer,
    walk,
)

# -- the main path --------------------------------------------------------------------

def test_ask_click_citation_and_see_the_highlighted_sentence(page):
    ask(page, Q_MOSCOW)
    turn = last_turn(page)
    assert "Moscou" in turn.locator(".answer-text").inner_text()
    assert f"{SG_REPORT}, par. 40" in turn.locator(".sources").inner_text()
    turn.locator(".marker").first.click()
    page.wait_for_selector("#passage:not([hidden]) mark")
    assert page.inner_text("#passage-ref") == f"{SG_REPORT}, par. 40"
    assert "Moscou" in page.inner_text("#passage-text mark")
    page.click("#open-document")
    page.wait_for_selector(".para.current mark")
    assert page.inner_text(".para.current .label") == "40"
    assert "Moscou" in page.inner_text(".para.current mark")


def test_a_list_answer_shows_one_item_a_line(page):
    ask(page, Q_LIST)
    items = last_turn(page).locator(".answer-text .items li")
    assert items.count() >= 4
    assert all(items.nth(i).locator(".marker").count() == 1 for i in range(items.count()))


# -- 1. old content -------------------------------------------------------------------

def test_1_a_new_question_clears_the_open_passage_and_the_document_view(page):
    ask(page, Q_MOSCOW)
    last_turn(page).locator(".marker").first.click()
    page.wait_for_selector("#passage:not([hidden]) mark")
    page.click("#open-document")
    page.wait_for_selector(".para.current")
    page.click("#nav-ask")
    ask(page, Q_FOLLOW)
    assert page.is_hidden("#passage") and page.is_hidden("#view-docs")
    assert page.locator(".para").count() == 0
    assert page.locator("mark:visible").count() == 0
    # and a question asked while a passage is open closes it
    last_turn(page).locator(".marker").first.click()
    page.wait_for_selector("#passage:not([hidden])")
    ask(page, "Et en décembre 2019 ?")
    assert page.is_hidden("#passage")


def test_1_each_answer_card_repeats_its_question(page):
    ask(page, Q_MOSCOW)
    ask(page, Q_FOLLOW)
    questions = page.locator("#turns .turn .question-text").all_inner_texts()
    assert questions == [Q_MOSCOW, Q_FOLLOW]


def test_1_the_previous_answer_is_dimmed_while_waiting(page):
    ask(page, Q_MOSCOW)
    held = []
    page.route("**/v1/ask", lambda route: held.append(route))
    page.fill("#question", Q_FOLLOW)
    page.click("#submit")
    page.wait_for_selector("#turns[aria-busy] .turn.stale")
    first = page.locator("#turns > .turn").first
    assert float(first.evaluate("e => getComputedStyle(e).opacity")) <= 0.6
    assert page.is_disabled("#submit")
    assert "Recherche dans les documents" in last_turn(page).inner_text()
    for _ in range(100):  # route events reach Python while it waits on the page
        if held:
            break
        page.wait_for_timeout(50)
    assert held, "the request was not intercepted"
    held[0].continue_()
    page.wait_for_selector("#turns:not([aria-busy]) > .turn:nth-child(2) .turn-foot",
                           timeout=60_000)
    assert float(first.evaluate("e => getComputedStyle(e).opacity")) == 1
    assert not page.is_disabled("#submit")


def test_1_an_error_belongs_to_its_question_not_to_the_old_answer(page):
    ask(page, Q_MOSCOW)
    page.route("**/v1/ask", lambda route: route.abort("connectionfailed"))
    ask(page, Q_FOLLOW)
    failed = last_turn(page)
    assert failed.locator(".question-text").inner_text() == Q_FOLLOW
    assert failed.locator(".error").count() == 1 and failed.locator(".marker").count() == 0
    assert page.locator("#turns .turn.stale").count() == 0
    box = failed.locator(".error").bounding_box()
    assert 0 <= box["y"] < DESKTOP["height"], "the error is scrolled into view"
    assert "Failed to fetch" not in page.inner_text("body")
    assert page.input_value("#question") == Q_FOLLOW, "the question is kept to retry"
    page.unroute("**/v1/ask")
    failed.locator(".retry").click()
    page.wait_for_selector("#turns:not([aria-busy]) > .turn:nth-child(2) .turn-foot",
                           timeout=60_000)
    assert page.locator("#turns > .turn").count() == 2 and page.locator(".error").count() == 0


# -- 2. the highlighted sentence --------------------------------------------------------

def test_2_each_marker_highlights_its_own_sentence(page):
    ask(page, Q_MOSCOW)  # "À Moscou [1]." then two sentences of par. 40, both cited [1]
    markers = last_turn(page).locator(".answer-text .marker")
    assert markers.count() == 3
    markers.nth(2).click()
    mark = page.inner_text("#passage-text mark")
    assert mark.startswith("En avril 2019") and "novembre 2018" not in mark
    page.keyboard.press("Escape")
    markers.nth(1).click()
    mark = page.inner_text("#passage-text mark")
    assert mark.startswith("En novembre 2018") and "avril 2019" not in mark


def test_2_sources_list_every_sentence_quoted_from_a_passage(page):
    ask(page, Q_MOSCOW)
    quotes = last_turn(page).locator(".sources li").first.locator(".quote").all_inner_texts()
    assert len(quotes) == 2
    assert "novembre 2018" in quotes[0] and "avril 2019" in quotes[1]
    # from the list, the passage opens with both sentences marked
    last_turn(page).locator(".sources .ref-button").first.click()
    assert page.locator("#passage-text mark").count() == 2


# -- 3. keyboard ------------------------------------------------------------------------

def test_3_document_items_are_focusable_and_open_with_enter(page):
    page.click("#browse")
    page.wait_for_selector(".doc-item")
    page.focus("#docs-title")
    for _ in range(6):  # the upload disclosure, then the first document
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('doc-item')"):
            break
    assert page.evaluate("document.activeElement.classList.contains('doc-item')")
    page.keyboard.press("Enter")
    page.wait_for_selector("#doc-reader:not([hidden]) .para")
    page.focus("#doc-back")
    page.keyboard.press("Enter")
    page.wait_for_selector("#doc-list-pane:not([hidden]) .doc-item")
    item = page.locator(".doc-item", has_text="S/2021/297")
    item.focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("#doc-reader:not([hidden]) .para")
    assert page.inner_text("#document-title") == "S/2021/297"


def test_the_document_card_links_each_field_to_its_passage(page):
    page.click("#browse")
    page.locator(".doc-item", has_text="S/2021/297").click()
    page.wait_for_selector("#card-box:not([hidden]) #document-card dd")
    card = page.locator("#document-card")
    assert card.locator("dt").all_inner_texts()[:4] == ["Cote", "Titre", "Date",
                                                         "Date de distribution"]
    signatory = card.locator("button", has_text="Dang Dinh Quy")
    signatory.click()
    page.wait_for_selector("#passage:not([hidden]) mark")
    assert page.inner_text("#passage-text mark") == "Dang Dinh Quy"
    assert page.inner_text("#passage-ref") == "S/2021/297, bloc de signature"
    page.keyboard.press("Escape")
    assert signatory.evaluate("e => e === document.activeElement")
    card.locator("button", has_text="26 mars 2021").click()  # the masthead passage
    assert page.inner_text("#passage-ref") == "S/2021/297, en-tête"
    assert page.inner_text("#passage-text mark") == "26 mars 2021"
    page.click("#open-document")
    page.wait_for_selector(".para.masthead.current mark")
    assert page.inner_text("#doc-back") == "← Tous les documents"
    page.click("#browse")
    page.locator(".doc-item", has_text=SG_REPORT).click()
    page.wait_for_selector("#document-card dd")
    assert "déduit — année tirée de la cote S/2020/898" in card.inner_text()


def test_3_documents_after_an_answer_shows_the_list_in_view(page):
    ask(page, Q_LIST)
    page.click("#browse")
    page.wait_for_selector(".doc-item")
    box = page.locator(".doc-item").first.bounding_box()
    assert box["y"] >= 0 and box["y"] + 40 < DESKTOP["height"], box
    assert page.is_hidden("#view-ask")


def test_3_escape_closes_the_passage_and_gives_focus_back(page):
    ask(page, Q_MOSCOW)
    marker = last_turn(page).locator(".marker").first
    marker.focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("#passage:not([hidden])")
    assert page.evaluate("document.activeElement.id") == "passage-ref"
    page.keyboard.press("Escape")
    assert page.is_hidden("#passage")
    assert marker.evaluate("e => e === document.activeElement")


# -- 4. contrast ------------------------------------------------------------------------

@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_4_text_contrast_is_at_least_4_5_to_1(open_page, scheme):
    page = open_page(color_scheme=scheme)
    ask(page, Q_MOSCOW)
    for selector in ["#submit", "#nav-ask", "#browse", "#lang", "#new-conversation",
                     ".turn .question-text", ".turn .who", ".answer-text p", ".marker .chip",
                     ".sources .ref-button", ".sources .quote", ".official", ".copy",
                     ".confidence", ".confidence strong", "#follow-hint"]:
        ratio = contrast(page, selector)
        assert ratio >= 4.5, f"{selector}: {ratio:.2f}:1"
    page.click("#browse")
    page.wait_for_selector(".doc-item")
    for selector in [".doc-ref", ".doc-title", ".doc-meta", "#upload summary"]:
        ratio = contrast(page, selector)
        assert ratio >= 4.5, f"{selector}: {ratio:.2f}:1"


# -- 5. labels --------------------------------------------------------------------------

def test_5_french_labels_have_no_role_words_nor_invented_numbers(page):
    ask(page, Q_TWO_DOCS)  # cites an unnumbered paragraph and list items
    ask(page, Q_TITLES)  # answered from the document card: cites the letter's title
    refs = " | ".join(page.locator("#turns .ref-button").all_inner_texts())
    assert "paragraphe non numéroté" in refs and "élément de liste" in refs, refs
    assert "titre" in refs, refs
    page.click("#new-conversation")
    ask(page, Q_NONE)  # the closest passages include a signature block
    refs += " | " + " | ".join(page.locator("#turns .ref-button").all_inner_texts())
    assert "bloc de signature" in refs, refs
    assert not RAW_LABELS.search(refs), refs
    assert not RAW_LABELS.search(page.inner_text("#turns"))
    # the document view of a letter with bullets and unnumbered paragraphs
    page.click("#browse")
    page.locator(".doc-item", has_text="Lettre datée du 25 avril 2003").click()
    page.wait_for_selector(".para")
    labels = " ".join(page.locator(".para .label").all_inner_texts())
    assert not RAW_LABELS.search(labels) and "§" not in page.inner_text("#paragraphs")


def test_5_confidence_in_words_with_the_number_on_hover(page):
    ask(page, Q_MOSCOW)
    conf = last_turn(page).locator(".confidence")
    assert re.fullmatch(r"Confiance : (élevée|moyenne|faible)", conf.inner_text())
    assert re.fullmatch(r"Confiance calibrée : 0,\d\d \(de 0 à 1\)", conf.get_attribute("title"))
    assert " ms" not in page.inner_text("#turns")
    page.click("#lang")
    conf = last_turn(page).locator(".confidence")
    assert re.fullmatch(r"Confidence: (high|medium|low)", conf.inner_text())
    assert re.fullmatch(r"Calibrated confidence: 0\.\d\d \(0 to 1\)", conf.get_attribute("title"))


def test_5_sources_are_numbered_once(page):
    ask(page, Q_LIST)
    sources = last_turn(page).locator(".sources")
    assert sources.evaluate("e => getComputedStyle(e).listStyleType") == "none"
    first = sources.locator("li").first.inner_text()
    assert first.startswith("1\n") and "[1]" not in first and "1." not in first.split("\n")[0]


def test_5_english_interface_is_complete(page):
    ask(page, Q_MOSCOW)
    last_turn(page).locator(".marker").first.click()
    page.click("#lang")
    assert page.evaluate("document.documentElement.lang") == "en"
    assert page.get_attribute("#close-passage", "aria-label") == "Close"
    assert page.inner_text("#open-document") == "Read in the document"
    assert page.inner_text("#passage-ref") == f"{SG_REPORT}, para. 40"
    turn = last_turn(page).text_content()
    for word in ("Question", "Sources", "Confidence", "Copy", "Official document"):
        assert word in turn, word
    for french in ("Confiance", "Copier", "Document officiel", "par. ", "répondu"):
        assert french not in turn, french
    assert page.inner_text("#submit") == "Ask" and page.inner_text("#new-conversation") == \
        "New conversation"
    page.click("#open-document")
    page.wait_for_selector(".para.current")
    assert page.inner_text("#doc-back") == "← Back to the answer"
    page.click("#browse")
    page.wait_for_selector(".doc-item")
    assert "passages" in page.inner_text(".doc-item >> nth=0")
    assert page.inner_text("#upload summary") == "Add a document"


def test_5_language_follows_the_browser_with_a_switch(open_page):
    page = open_page(locale="en-US")
    assert page.inner_text("#submit") == "Ask" and page.title().startswith("UN")
    assert page.inner_text("#lang").startswith("FR")
    ask(page, Q_NONE_EN)
    assert page.inner_text(".not-found").startswith(("Not found in the documents.",
                                                     "The documents mention"))
    assert "Closest passages" in last_turn(page).inner_text()
    page.click("#lang")
    assert page.inner_text("#submit") == "Demander"
    assert "Passages les plus proches" in last_turn(page).inner_text()
    assert page.evaluate("localStorage.getItem('lang')") == "fr"


# -- 6. errors --------------------------------------------------------------------------

def test_6_a_network_failure_is_a_translated_styled_error(page):
    page.route("**/v1/ask", lambda route: route.abort("connectionfailed"))
    ask(page, Q_MOSCOW)
    error = last_turn(page).locator(".error")
    assert error.get_attribute("role") == "alert"
    assert error.locator(".error-message").inner_text().startswith(
        "Impossible de joindre le serveur")
    assert "Failed to fetch" not in page.inner_text("body")
    color = error.evaluate("e => getComputedStyle(e).color")
    background = error.evaluate("e => getComputedStyle(e).backgroundColor")
    r, g, b = map(int, re.findall(r"\d+", color)[:3])
    assert r > 2 * g and r > 2 * b, f"error text is not red: {color}"
    assert background != "rgba(0, 0, 0, 0)"
    assert contrast(page, ".error .error-message") >= 4.5


def test_6_server_errors_show_the_servers_message_not_the_status_text(page):
    # the server writes in the page's language (its Accept-Language) and says so
    body = {"error": {"code": "index_not_built",
                      "message": "Aucun index n’est construit. Reconstruisez-le avec : rag index"}}
    page.route("**/v1/ask", lambda route: route.fulfill(
        status=503, content_type="application/json", body=json.dumps(body),
        headers={"Content-Language": "fr"}))
    ask(page, Q_MOSCOW)
    text = last_turn(page).locator(".error").inner_text()
    assert "Le service est momentanément indisponible (erreur 503)" in text
    assert "Message du serveur : Aucun index n’est construit. Reconstruisez-le avec : rag index" \
        in text
    page.unroute("**/v1/ask")
    page.route("**/v1/ask", lambda route: route.fulfill(
        status=502, content_type="text/html", body="<h1>Bad Gateway</h1>"))
    page.click("#lang")
    ask(page, Q_MOSCOW)
    text = last_turn(page).locator(".error").inner_text()
    assert "The service is unavailable for the moment (error 502)" in text
    assert "Bad Gateway" not in page.inner_text("body")


# -- 7. phone ---------------------------------------------------------------------------

def test_7_phone_header_is_compact_and_targets_are_44px(open_page):
    page = open_page(viewport=PHONE)
    header = page.locator("header").bounding_box()["height"]
    assert header <= 120, header
    assert page.evaluate(SMALL_TARGETS_JS) == []
    ask(page, Q_MOSCOW)
    assert page.evaluate(SMALL_TARGETS_JS) == []
    last_turn(page).locator(".marker").first.click()
    page.wait_for_selector("#passage:not([hidden])")
    assert page.evaluate(SMALL_TARGETS_JS) == []
    page.keyboard.press("Escape")
    page.click("#browse")
    page.wait_for_selector(".doc-item")
    page.click("#upload summary")
    assert page.evaluate(SMALL_TARGETS_JS) == []


def test_7_phone_document_view_keeps_a_way_back_to_the_answer(open_page):
    page = open_page(viewport=PHONE)
    ask(page, Q_MOSCOW)
    marker = last_turn(page).locator(".marker").nth(1)
    marker.click()
    page.click("#open-document")
    page.wait_for_selector(".para.current")
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    back = page.locator("#doc-back").bounding_box()
    assert 0 <= back["y"] < PHONE["height"], back  # sticky: still on screen at the bottom
    page.click("#doc-back")
    assert page.is_visible("#view-ask") and page.is_hidden("#view-docs")
    box = last_turn(page).locator(".marker").nth(1).bounding_box()
    assert 0 <= box["y"] < PHONE["height"], "back at the marker that was opened"


# -- 8. key and favicon -----------------------------------------------------------------

def test_8_favicon_is_served(page, live_server):
    response = page.request.get(live_server + "/favicon.ico")
    assert response.status == 200 and response.headers["content-type"] == "image/x-icon"
    assert response.body()[:4] == b"\x00\x00\x01\x00"  # an ICO file
    assert page.request.get(live_server + "/static/favicon.svg").status == 200


def test_8_the_api_key_can_be_cleared(page):
    page.evaluate("localStorage.setItem('apiKey', 'k-1234567890')")
    page.reload()
    assert page.is_visible("#key-row") and page.input_value("#api-key") == "k-1234567890"
    page.click("#clear-key")
    assert page.evaluate("localStorage.getItem('apiKey')") is None
    assert page.input_value("#api-key") == ""
    assert "Clé d’API effacée" in page.inner_text("#status")


def test_8_a_401_asks_for_the_key_and_it_is_sent(page):
    authorizations = refuse_once(page)
    ask(page, Q_MOSCOW)
    assert page.is_visible("#key-row")
    assert "clé d’API" in last_turn(page).locator(".error").inner_text()
    page.fill("#api-key", "k-1234567890")
    ask(page, Q_MOSCOW)
    assert authorizations == [None, "Bearer k-1234567890"]
    assert page.evaluate("localStorage.getItem('apiKey')") == "k-1234567890"


# -- what staff expect ----------------------------------------------------------------

def test_a_follow_up_goes_to_ask_with_the_history_and_says_how_it_was_understood(page):
    asks, chats = requests_to(page, "/v1/ask"), requests_to(page, "/v1/chat/completions")
    ask(page, Q_MOSCOW)
    ask(page, Q_FOLLOW)
    assert len(asks) == 2 and len(chats) == 0
    body = json.loads(asks[1].post_data)
    assert body["question"] == Q_FOLLOW
    roles = [m["role"] for m in body["history"]]
    assert roles == ["user", "assistant"]
    assert body["history"][0]["content"] == Q_MOSCOW
    assert "Moscou" in body["history"][1]["content"]
    assert f"[1] {SG_REPORT}, par. 40" in body["history"][1]["content"]
    turn = last_turn(page)
    # "Et en avril 2019 ?" is the first question with its date replaced
    understood = turn.locator(".understood").inner_text()
    assert "Compris comme" in understood and "avril 2019" in understood
    assert "novembre 2018" not in understood
    assert turn.locator(".answer-text .marker").count() >= 1
    assert turn.locator(".sources li").count() >= 1
    assert turn.locator(".confidence").count() == 1  # a follow-up's card is complete
    assert "Sources :" not in turn.locator(".answer-text").inner_text()
    turn.locator(".marker").first.click()
    page.wait_for_selector("#passage:not([hidden]) mark")


def test_new_conversation_starts_afresh(page):
    asks = requests_to(page, "/v1/ask")
    ask(page, Q_MOSCOW)
    page.click("#new-conversation")
    assert page.locator("#turns .turn").count() == 0 and page.is_hidden("#answer")
    assert page.evaluate("document.activeElement.id") == "question"
    ask(page, Q_LIST)
    assert len(asks) == 2


def test_copy_puts_the_answer_and_its_references_on_the_clipboard(open_page):
    page = open_page(permissions=["clipboard-read", "clipboard-write"])
    ask(page, Q_MOSCOW)
    last_turn(page).locator(".copy").click()
    page.wait_for_selector(".copy >> text=Copié")
    text = page.evaluate("navigator.clipboard.readText()")
    assert text.startswith("À Moscou [1].\nEn novembre 2018")  # the direct reply first
    assert "\nSources :\n" in text
    assert (f"[1] {SG_REPORT}, par. 40 — « En novembre 2018" in text
            and f"https://undocs.org/fr/{SG_REPORT}" in text), text


def test_citations_link_to_the_official_document(page):
    ask(page, Q_MOSCOW)
    link = last_turn(page).locator(".sources a.official").first
    assert link.get_attribute("href") == f"https://undocs.org/fr/{SG_REPORT}"
    assert link.get_attribute("target") == "_blank"
    assert "noopener" in link.get_attribute("rel")
    last_turn(page).locator(".marker").first.click()
    assert page.get_attribute("#passage-official", "href") == f"https://undocs.org/fr/{SG_REPORT}"
    ask(page, Q_TWO_DOCS)  # letters without a symbol: no link
    assert last_turn(page).locator("a.official").count() == 0


def test_parts_of_a_multi_part_question_are_visible(page):
    ask(page, Q_TWO_DOCS)
    titles = last_turn(page).locator(".part .part-title").all_inner_texts()
    assert titles == ["Lettre datée du 14 octobre 2016", "Lettre datée du 25 avril 2003"]


def test_parts_given_by_the_server_caption_the_answer(page):
    """A server that returns ``parts`` (one per line of the answer) gets them as captions."""
    citation = {"marker": 1, "passage_id": "d#p1", "role": "body", "paragraph": "1",
                "document": {"id": "d", "symbol": "S/1", "title": "T", "date": None},
                "reference": "S/1, par. 1", "section": [], "quote": "Un.", "text": "Un. Deux."}
    answer = {"question": "q", "answer": "Un. [1]\nDeux. [1]", "abstained": False,
              "confidence": 0.5, "language": "fr", "kind": "multi_part", "composer": "x",
              "citations": [citation], "passages": [], "timings_ms": {"total": 300},
              "notes": [], "parts": [{"text": "Première partie ?"}, {"text": "Seconde ?"}]}
    page.route("**/v1/ask", lambda route: route.fulfill(
        status=200, content_type="application/json", body=json.dumps(answer)))
    ask(page, "q")
    turn = last_turn(page)
    assert turn.locator(".part-title").all_inner_texts() == ["Première partie ?", "Seconde ?"]
    turn.locator(".marker").nth(1).click()
    assert page.inner_text("#passage-text mark") == "Deux."
    assert "moyenne" in turn.locator(".confidence").inner_text()
    assert turn.locator(".time").inner_text() == "répondu en 0,3 s"


def test_upload_form_sends_the_file_with_the_key_and_refreshes_the_list(page):
    page.evaluate("localStorage.setItem('apiKey', 'k-1234567890')")
    page.reload()
    posts, lists = [], requests_to(page, "/v1/documents")
    report = {"changes": [{"doc_id": "note", "file": "note.txt", "action": "added"}],
              "rebuilt": True, "embedded_texts": 2, "cached_texts": 0, "seconds": 1.26,
              "documents": 6}

    def handle(route):
        if route.request.method != "POST":
            return route.continue_()
        posts.append(route.request)
        if len(posts) == 1:
            return route.fulfill(status=201, content_type="application/json",
                                 body=json.dumps(report))
        return route.fulfill(status=415, content_type="application/json", body=json.dumps(
            {"error": {"code": "unsupported_type", "message": "note.exe : donnez un nom de "
                       "fichier qui se termine par l’une des extensions .pdf, .txt"}}),
            headers={"Content-Language": "fr"})

    page.route("**/v1/documents", handle)
    page.click("#browse")
    page.wait_for_selector(".doc-item")
    page.click("#upload summary")
    page.set_input_files("#upload-file", files=[
        {"name": "note.txt", "mimeType": "text/plain", "buffer": b"Une note."}])
    assert page.inner_text("#upload-names") == "note.txt"
    gets_before = sum(r.method == "GET" for r in lists)
    page.click("#upload-submit")
    page.wait_for_selector("#upload-result .success")
    request = posts[0]
    assert request.all_headers()["authorization"] == "Bearer k-1234567890"
    assert request.all_headers()["content-type"].startswith("multipart/form-data")
    assert b'name="file"; filename="note.txt"' in request.post_data_buffer
    result = page.inner_text("#upload-result")
    assert "note.txt : ajouté" in result and "Index mis à jour en 1,3 s." in result
    page.wait_for_timeout(100)
    assert sum(r.method == "GET" for r in lists) == gets_before + 1, "the list is refreshed"
    page.set_input_files("#upload-file", files=[
        {"name": "note.exe", "mimeType": "application/octet-stream", "buffer": b"MZ"}])
    page.click("#upload-submit")
    page.wait_for_selector("#upload-result .error")
    error = page.inner_text("#upload-result .error")
    assert "Type de fichier non pris en charge." in error and "note.exe : donnez un nom" in error
    assert page.inner_text(".file-button") == "Choisir des fichiers"  # not the browser's words


# -- accessibility and screenshots -------------------------------------------------------

@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_accessibility_and_screenshots(open_page, viewport, scheme):
    """axe-core finds no serious or critical violation in any state, in the light and the dark
    colour scheme; screenshots of each state go to tests/artifacts/screenshots/ (full page,
    and the screen as seen)."""
    page = open_page(viewport=viewport, color_scheme=scheme)
    SHOTS.mkdir(parents=True, exist_ok=True)
    found: dict[str, list[str]] = {}

    def check(name: str) -> None:
        found[name] = axe_violations(page)
        stem = SHOTS / f"{viewport['width']}_{scheme}_{name}"
        page.screenshot(path=f"{stem}.png")
        page.screenshot(path=f"{stem}_full.png", full_page=True)

    walk(page, check)
    assert {name: v for name, v in found.items() if v} == {}
    assert len(list(SHOTS.glob(f"{viewport['width']}_{scheme}_*.png"))) == 2 * len(found)


# -- issue 25: keep and share ----------------------------------------------------------

def test_25_the_conversation_survives_a_reload(page):
    asks = requests_to(page, "/v1/ask")
    ask(page, Q_MOSCOW)
    answer = last_turn(page).locator(".answer-text").inner_text()
    page.reload()
    wait_for_answer(page)
    assert page.locator("#turns .turn .question-text").all_inner_texts() == [Q_MOSCOW]
    assert last_turn(page).locator(".answer-text").inner_text() == answer
    assert "Moscou" in answer
    assert len(asks) == 1, "the stored answer is shown, not asked again"
    last_turn(page).locator(".marker").first.click()
    assert page.inner_text("#passage-ref") == f"{SG_REPORT}, par. 40"


def test_25_the_history_lists_earlier_questions_and_asks_one_again(page):
    assert page.is_hidden("#past")
    ask(page, Q_MOSCOW)
    page.click("#new-conversation")
    ask(page, Q_LIST)
    assert page.locator("#past-list .past-item").all_inner_texts() == [Q_LIST, Q_MOSCOW]
    page.click("#new-conversation")
    page.locator("#past-list .past-item", has_text="OTSC").click()
    wait_for_answer(page)
    assert last_turn(page).locator(".question-text").inner_text() == Q_MOSCOW
    assert "Moscou" in last_turn(page).locator(".answer-text").inner_text()
    # most recent first, each question once
    assert page.locator("#past-list .past-item").all_inner_texts() == [Q_MOSCOW, Q_LIST]


def test_25_clear_history_empties_the_history_and_the_conversation(page):
    ask(page, Q_MOSCOW)
    assert page.inner_text("#clear-history") == "Effacer l’historique"
    page.click("#clear-history")
    assert page.locator("#turns .turn").count() == 0 and page.is_hidden("#answer")
    assert page.is_hidden("#past") and page.locator(".past-item").count() == 0
    page.reload()
    assert page.locator("#turns .turn").count() == 0 and page.is_hidden("#past")
    assert Q_MOSCOW not in page.inner_text("body")


def test_25_an_answer_link_opened_in_a_fresh_page_shows_the_answer(open_page, live_server):
    page = open_page()
    ask(page, Q_MOSCOW)
    link = last_turn(page).locator("a.link")
    assert link.inner_text() == "Lien"
    href = link.get_attribute("href")
    assert href.startswith("#/ask?q=") and page.url.endswith(href)
    fresh = open_page()  # its own storage: nothing kept from the first page
    fresh.goto("about:blank")
    fresh.goto(f"{live_server}/{href}")
    wait_for_answer(fresh)
    assert fresh.locator("#turns .turn .question-text").all_inner_texts() == [Q_MOSCOW]
    assert "Moscou" in last_turn(fresh).locator(".answer-text").inner_text()


def test_25_back_from_the_documents_returns_to_the_conversation(page, live_server):
    ask(page, Q_MOSCOW)
    page.click("#browse")
    page.wait_for_selector(".doc-item")
    assert page.url.endswith("#/documents")
    page.locator(".doc-item", has_text="S/2021/297").click()
    page.wait_for_selector("#doc-reader:not([hidden]) .para")
    assert "#/document/" in page.url
    page.go_back()
    page.wait_for_selector("#doc-list-pane:not([hidden]) .doc-item")
    page.go_back()
    page.wait_for_selector("#view-ask:not([hidden]) .turn .turn-foot")
    assert page.is_hidden("#view-docs") and page.url.startswith(live_server)
    assert last_turn(page).locator(".question-text").inner_text() == Q_MOSCOW
    page.go_forward()
    page.wait_for_selector("#view-docs:not([hidden]) .doc-item")
    assert page.is_hidden("#view-ask")


def test_25_a_passage_url_shows_that_passage(open_page, live_server):
    page = open_page()
    ask(page, Q_MOSCOW)
    last_turn(page).locator(".marker").first.click()
    page.wait_for_selector("#passage:not([hidden]) mark")
    url = page.url
    assert "#/passage/" in url
    page.keyboard.press("Escape")
    assert "#/passage/" not in page.url
    fresh = open_page()
    fresh.goto("about:blank")
    fresh.goto(url)
    fresh.wait_for_selector("#passage:not([hidden])")
    assert fresh.inner_text("#passage-ref") == f"{SG_REPORT}, par. 40"
    assert "Moscou" in fresh.inner_text("#passage-text")


def test_25_enter_in_the_key_field_submits_it(page):
    authorizations = refuse_once(page)
    ask(page, Q_MOSCOW)
    assert page.is_visible("#key-row")
    page.fill("#api-key", "k-1234567890")
    page.press("#api-key", "Enter")
    wait_for_answer(page)
    assert authorizations == [None, "Bearer k-1234567890"]
    assert page.locator("#turns .turn").count() == 1 and page.locator(".error").count() == 0
    assert "Moscou" in last_turn(page).locator(".answer-text").inner_text()
    assert page.evaluate("localStorage.getItem('apiKey')") == "k-1234567890"


def test_25_a_long_question_shows_how_many_characters_it_may_still_take(page):
    counter = page.locator("#question-count")
    page.fill("#question", "Court ?")
    assert counter.is_hidden()
    page.fill("#question", "x" * 1900)
    assert counter.is_visible()
    assert counter.inner_text().startswith("1900 / 2000 caractères")
    page.keyboard.insert_text("y" * 500)  # as a paste: the field keeps 2,000 and says so
    used = len(page.input_value("#question"))
    assert counter.inner_text().startswith(f"{used} / 2000 caractères")
    assert "at-limit" in (counter.get_attribute("class") or "") or used < 2000


def test_25_the_choose_a_file_error_goes_once_a_file_is_chosen(page):
    page.click("#browse")
    page.click("#upload summary")
    page.click("#upload-submit")
    assert "Choisissez au moins un fichier." in page.inner_text("#upload-result")
    page.set_input_files("#upload-file", files=[
        {"name": "note.txt", "mimeType": "text/plain", "buffer": b"Une note."}])
    assert "Choisissez au moins un fichier." not in page.inner_text("#upload-result")
