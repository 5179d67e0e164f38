"""Steering the search in the staff page (issue 25, point 3): document chips that limit a
question (and its follow-ups) to chosen documents, kept in the URL and the browser; the
documents view's search, sort, count, card and delete (with an in-page confirmation);
letters named by more than their date; the reader's title said once.

Deleting runs against an app of its own over a copy of three seeds (``own_server``), so the
session index the other browser tests read keeps every document."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote

import pytest

from rag.settings import Settings
from tests.browser.kit import (
    PHONE,
    Q_FOLLOW,
    Q_MOSCOW,
    Q_TWO_DOCS,
    SG_REPORT,
    SMALL_TARGETS_JS,
    ask,
    axe_violations,
    last_turn,
    requests_to,
    wait_for_answer,
)
from tests.conftest import SEEDS, warm_embedding_cache

VIET_NAM = "001_72201535bd96dd17"  # S/2021/297
RUSSIA = "003_d91f5d29b2b0ca38"  # Lettre datée du 14 octobre 2016 (no symbol)
MEXICO_2021 = "000_f2da49a2d68de082"  # Lettre datée du 19 octobre 2021 (no symbol)
KEY = "k-steer-delete-0123456789"


def _bodies(asks: list) -> list[dict]:
    return [r.post_data_json for r in asks]


def _pick(page, text: str) -> None:
    """Open the picker (when closed) and press the document whose name has ``text``."""
    if not page.evaluate("document.getElementById('scope-picker').open"):
        page.click("#scope-picker summary")
    page.locator(".scope-choice", has_text=text).click()


def _chips(page) -> list[str]:
    return page.locator("#scope-list .scope-name").all_inner_texts()


def _wait_chips(page, names: list[str]) -> None:
    """Until the chips read ``names`` (their names come once the list has loaded)."""
    page.wait_for_function("names => JSON.stringify([...document.querySelectorAll("
                           "'#scope-list .scope-name')].map((e) => e.textContent)) === "
                           "JSON.stringify(names)", arg=names, timeout=10_000)


def _open_documents(page) -> None:
    page.click("#browse")
    page.wait_for_selector(".doc-item")


def _names(page) -> list[str]:
    return page.locator("#document-list .doc-ref").all_inner_texts()


# -- chips ---------------------------------------------------------------------------

def test_chips_limit_the_question_and_its_follow_ups_to_the_chosen_documents(page):
    asks = requests_to(page, "/v1/ask")
    assert page.is_hidden("#scope-chips")
    _pick(page, "S/2021/297")
    _pick(page, "14 octobre 2016")
    assert _chips(page) == ["S/2021/297", "Lettre datée du 14 octobre 2016 — Représentant "
                            "permanent de la Fédération de Russie"]
    assert page.inner_text("#scope-label") == "Seulement dans\u00a0:"
    assert page.locator(".scope-choice", has_text="S/2021/297").get_attribute(
        "aria-pressed") == "true"
    # the chip's ×, by keyboard: the document leaves, the focus stays among the chips
    remove = page.locator("#scope-list .scope-remove").nth(1)
    assert remove.get_attribute("aria-label").startswith("Retirer Lettre datée du 14 octobre")
    remove.focus()
    page.keyboard.press("Enter")
    assert _chips(page) == ["S/2021/297"]
    assert page.evaluate("document.activeElement.classList.contains('scope-remove')")
    ask(page, Q_MOSCOW)
    ask(page, Q_FOLLOW)
    bodies = _bodies(asks)
    assert [b.get("documents") for b in bodies] == [[VIET_NAM], [VIET_NAM]]
    assert "history" in bodies[1], "a follow-up keeps the conversation and the scope"
    assert last_turn(page).locator(".scope-note").inner_text() == "Limité à : S/2021/297"
    # removing the last chip: the next question searches everything again
    page.click("#scope-list .scope-remove")
    assert page.is_hidden("#scope-chips")
    assert page.evaluate("document.activeElement.tagName") == "SUMMARY"
    ask(page, Q_FOLLOW)
    assert "documents" not in _bodies(asks)[-1]
    assert last_turn(page).locator(".scope-note").count() == 0


def test_the_answer_only_cites_the_chosen_documents(page):
    _pick(page, "14 octobre 2016")
    with page.expect_response("**/v1/ask") as response:
        ask(page, Q_TWO_DOCS)
    data = response.value.json()
    cited = {c["document"]["id"] for c in data["citations"]}
    assert cited == {RUSSIA}, cited
    assert {p["document"]["id"] for p in data["passages"]} <= {RUSSIA}
    for ref in last_turn(page).locator(".sources .ref-button").all_inner_texts():
        assert ref.startswith("Lettre datée du 14 octobre 2016"), ref


def test_the_scope_is_in_the_url_and_survives_a_reload(open_page, live_server):
    page = open_page()
    asks = requests_to(page, "/v1/ask")
    _pick(page, "S/2021/297")
    ask(page, Q_MOSCOW)
    assert page.url.endswith(f"&d={VIET_NAM}")
    href = last_turn(page).locator("a.link").get_attribute("href")
    assert href.endswith(f"&d={VIET_NAM}")
    page.reload()
    wait_for_answer(page)
    _wait_chips(page, ["S/2021/297"])
    assert last_turn(page).locator(".scope-note").inner_text() == "Limité à : S/2021/297"
    assert len(asks) == 1, "the stored answer is shown, not asked again"
    # opened elsewhere, the link asks in the same documents and shows them as chips
    fresh = open_page()
    fresh_asks = requests_to(fresh, "/v1/ask")
    fresh.goto("about:blank")
    fresh.goto(f"{live_server}/{href}")
    wait_for_answer(fresh)
    assert _bodies(fresh_asks)[0]["documents"] == [VIET_NAM]
    _wait_chips(fresh, ["S/2021/297"])
    assert unquote(fresh.url).split("#")[1] == unquote(href).lstrip("#")


def test_ask_in_this_document_from_the_list_and_the_reader(page):
    asks = requests_to(page, "/v1/ask")
    _open_documents(page)
    entry = page.locator(".doc-entry", has_text="S/2021/297")
    button = entry.locator(".doc-ask")
    assert button.get_attribute("aria-label") == "Demander dans ce document : S/2021/297"
    button.click()
    assert page.is_visible("#view-ask")
    assert page.evaluate("document.activeElement.id") == "question"
    assert _chips(page) == ["S/2021/297"]
    page.click("#browse")
    page.locator(".doc-item", has_text="14 octobre 2016").click()
    page.wait_for_selector("#doc-reader:not([hidden]) .para")
    page.click("#doc-ask")
    assert page.is_visible("#view-ask")
    assert len(_chips(page)) == 2 and _chips(page)[1].startswith("Lettre datée du 14 octobre")
    ask(page, Q_TWO_DOCS)
    assert sorted(_bodies(asks)[0]["documents"]) == [VIET_NAM, RUSSIA]


def test_scope_strings_are_translated(page):
    page.click("#lang")
    assert page.inner_text("#scope-picker summary") == "Limit to documents…"
    _pick(page, "S/2021/297")
    assert page.inner_text("#scope-label") == "Only in:"
    assert page.get_attribute("#scope-list .scope-remove", "aria-label") == (
        "Remove S/2021/297 (search the other documents too)")
    assert page.inner_text(".scope-options legend") == "Search only these documents"
    _open_documents(page)
    assert page.inner_text("label[for=doc-search]") == "Search the documents"
    assert page.locator("#doc-sort option").all_inner_texts() == [
        "Date, newest first", "Date, oldest first", "Symbol"]
    assert page.inner_text("#doc-count") == "5 documents"
    assert page.locator(".doc-entry").first.locator(".doc-delete").inner_text() == "Delete"


# -- the documents view --------------------------------------------------------------

def test_search_filters_the_list_ignoring_accents_and_case(page):
    _open_documents(page)
    assert page.inner_text("#doc-count") == "5 documents"
    page.fill("#doc-search", "MEXIQUE")
    assert len(_names(page)) == 2 and all("Mexique" in n for n in _names(page))
    assert page.inner_text("#doc-count") == "2 documents sur 5"
    page.fill("#doc-search", "federation de russie")  # without its accent
    assert _names(page) == ["Lettre datée du 14 octobre 2016 — Représentant permanent de "
                            "la Fédération de Russie"]
    assert page.inner_text("#doc-count") == "1 document sur 5"
    page.fill("#doc-search", "s/2021/297")
    assert _names(page) == ["S/2021/297"]
    page.fill("#doc-search", "Dang Dinh")  # the signatory of the card
    assert _names(page) == ["S/2021/297"]
    page.fill("#doc-search", "2003")
    assert _names(page) == ["Lettre datée du 25 avril 2003 — Représentant permanent du "
                            "Mexique"]
    page.fill("#doc-search", "octobre 2021")  # a date as the page writes it
    assert len(_names(page)) == 1 and _names(page)[0].startswith("Lettre datée du 19 octobre")
    page.fill("#doc-search", "zzz introuvable")
    assert _names(page) == []
    assert page.inner_text("#doc-count") == "Aucun document ne correspond à « zzz introuvable »."
    page.fill("#doc-search", "")
    assert len(_names(page)) == 5


def test_sort_by_date_either_way_and_by_symbol(page):
    _open_documents(page)
    assert page.input_value("#doc-sort") == "newest"
    newest = _names(page)
    assert newest[0].startswith("Lettre datée du 19 octobre 2021")
    assert newest[1] == "S/2021/297"
    page.select_option("#doc-sort", "oldest")
    oldest = _names(page)
    assert oldest[0].startswith("Lettre datée du 25 avril 2003")
    assert oldest[1].startswith("Lettre datée du 14 octobre 2016")
    page.select_option("#doc-sort", "symbol")
    assert _names(page)[:2] == [SG_REPORT, "S/2021/297"]
    page.reload()
    _open_documents(page)
    assert page.input_value("#doc-sort") == "symbol", "the order is kept in the browser"


def test_letters_are_named_by_more_than_their_date_and_no_two_alike(page):
    _open_documents(page)
    names = _names(page)
    assert len(set(names)) == len(names) == 5
    letters = [n for n in names if n.startswith("Lettre datée du")]
    assert len(letters) == 3
    assert all(" — Représentant permanent " in n for n in letters), letters


def test_each_item_shows_its_card(page):
    _open_documents(page)
    entry = page.locator(".doc-entry", has_text="S/2021/297")
    facts = dict(zip(entry.locator(".doc-facts dt").all_inner_texts(),
                     entry.locator(".doc-facts dd").all_inner_texts(), strict=True))
    assert facts["Cote"] == "S/2021/297"
    assert facts["Date"] == "25 mars 2021"
    assert facts["Signataire"] == "Dang Dinh Quy"
    assert facts["Langue originale"] == "anglais"
    assert facts["Point de l’ordre du jour"].startswith("Coopération entre l’Organisation")
    mexico = page.locator(".doc-entry", has_text="25 avril 2003")
    assert "espagnol, anglais" in mexico.locator(".fact-original_language").inner_text()


def test_add_a_document_has_a_visible_expand_cue(page):
    _open_documents(page)
    cue = "e => getComputedStyle(e, '::before').content"
    summary = page.locator("#upload summary")
    assert summary.evaluate(cue) == '"▸"'
    summary.click()
    assert summary.evaluate(cue) == '"▾"'
    assert page.locator("#scope-picker summary").evaluate(cue) == '"▸"'


def test_the_reader_says_the_title_once(page):
    _open_documents(page)
    page.locator(".doc-item", has_text="19 octobre 2021").click()
    page.wait_for_selector("#card-box:not([hidden]) #document-card dd")
    heading = page.inner_text("#document-title")
    assert heading == ("Lettre datée du 19 octobre 2021 — Représentant permanent du Mexique")
    head = page.evaluate("""() => [...document.getElementById('doc-reader').children]
        .filter((e) => e.id !== 'paragraphs' && e.getClientRects().length)
        .map((e) => e.innerText).join('\\n')""")
    title = "Lettre datée du 19 octobre 2021, adressée au Secrétaire général"
    assert head.count(title) == 1, head  # the card's
    assert head.count("Lettre datée du 19 octobre 2021") == 2  # the heading, the card's title
    assert page.locator("#reader-ref").count() == 0
    assert page.is_hidden("#document-meta")


# -- delete --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def own_server(built_settings: Settings, pipeline,
               tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app with an API key over its own copy of three seeds (deleting there leaves the
    session index alone)."""
    from api.main import create_app
    from rag.corpus import build_embedder
    from rag.index.build import build_index
    from rag.index.load import load_index
    from rag.pipeline import Pipeline
    from tests.support.helpers import serve_app

    root: Path = tmp_path_factory.mktemp("steer")
    seeds = root / "seeds"
    seeds.mkdir()
    shutil.copy(SEEDS / "catalog.toml", seeds)
    for f in sorted(SEEDS.glob("*.txt"))[1:4]:
        shutil.copy(f, seeds)
    settings = Settings(index_root=root / "index", seeds_dir=seeds, api_key=KEY)
    warm_embedding_cache(built_settings, settings.index_root)
    build_index(settings.index_options(), build_embedder(settings, pipeline.embedder))
    app = create_app(settings, pipeline=Pipeline.from_parts(settings, pipeline.embedder,
                                                            load_index(settings.index_options())))
    with serve_app(app) as (host, port):
        yield f"http://{host}:{port}"


def test_delete_asks_first_then_removes_the_document_with_the_key(open_page, own_server):
    page = open_page()
    page.goto(own_server + "/")
    page.evaluate(f"localStorage.setItem('apiKey', '{KEY}')")
    page.reload()
    deletes = []
    page.on("request", lambda r: deletes.append(r) if r.method == "DELETE" else None)
    _open_documents(page)
    assert len(_names(page)) == 3
    victim = page.locator(".doc-entry", has_text="14 octobre 2016")
    # ask in it first: the chip goes when the document goes
    victim.locator(".doc-ask").click()
    assert len(_chips(page)) == 1
    _open_documents(page)
    delete = victim.locator(".doc-delete")
    assert delete.get_attribute("aria-label").startswith("Supprimer Lettre datée du 14 octobre")
    delete.click()
    dialog = page.locator("#delete-dialog")
    assert dialog.is_visible() and page.evaluate("document.activeElement.id") == "delete-cancel"
    assert page.inner_text("#delete-title") == "Supprimer ce document ?"
    assert "Lettre datée du 14 octobre 2016" in page.inner_text("#delete-text")
    assert axe_violations(page) == []
    page.click("#delete-cancel")
    assert dialog.is_hidden() and deletes == [] and len(_names(page)) == 3
    assert delete.evaluate("e => e === document.activeElement"), "the focus comes back"
    delete.click()
    page.keyboard.press("Escape")
    assert dialog.is_hidden() and deletes == [] and len(_names(page)) == 3
    delete.click()
    with page.expect_response(lambda r: r.request.method == "DELETE", timeout=120_000):
        page.click("#delete-confirm")
    page.wait_for_selector("#docs-change .success", timeout=120_000)
    assert deletes[0].url.endswith(f"/v1/documents/{RUSSIA}")
    assert deletes[0].all_headers()["authorization"] == f"Bearer {KEY}"
    done = page.inner_text("#docs-change")
    assert done.startswith("Lettre datée du 14 octobre 2016 — Représentant permanent de la "
                           "Fédération de Russie retiré. Index mis à jour en ")
    assert done.endswith("\u00a0s\u00a0; 2 documents restent.")
    page.wait_for_function("document.querySelectorAll('.doc-entry').length === 2")
    assert not any("14 octobre 2016" in n for n in _names(page))
    assert page.inner_text("#doc-count") == "2 documents"
    assert _chips(page) == [] and page.evaluate("localStorage.getItem('scope')") == "[]"


def test_delete_errors_are_shown(page):
    answers = iter([(409, "corpus_busy", "Une autre modification est en cours"),
                    (403, "forbidden", "Demande d’un autre site refusée")])

    def handle(route):
        if route.request.method != "DELETE":
            return route.continue_()
        status, code, message = next(answers)
        return route.fulfill(status=status, content_type="application/json",
                             headers={"Content-Language": "fr"},
                             body=json.dumps({"error": {"code": code, "message": message}}))

    page.route("**/v1/documents/*", handle)
    _open_documents(page)
    for expected in ["Une autre modification des documents est en cours.",
                     "Le serveur refuse cette action."]:
        page.locator(".doc-entry", has_text="S/2021/297").locator(".doc-delete").click()
        page.click("#delete-confirm")
        page.wait_for_selector("#docs-change .error")
        text = page.inner_text("#docs-change .error")
        assert expected in text and "Message du serveur" in text
        assert len(_names(page)) == 5


# -- phone and accessibility ---------------------------------------------------------

def test_phone_targets_and_axe_in_the_new_states(open_page):
    page = open_page(viewport=PHONE)
    _pick(page, "S/2021/297")
    found = {"picker": (page.evaluate(SMALL_TARGETS_JS), axe_violations(page))}
    ask(page, Q_MOSCOW)
    found["scoped answer"] = (page.evaluate(SMALL_TARGETS_JS), axe_violations(page))
    _open_documents(page)
    page.fill("#doc-search", "lettre")
    found["documents"] = (page.evaluate(SMALL_TARGETS_JS), axe_violations(page))
    page.locator(".doc-delete").first.click()
    found["dialog"] = (page.evaluate(SMALL_TARGETS_JS), axe_violations(page))
    page.click("#delete-cancel")
    page.locator(".doc-item").first.click()
    page.wait_for_selector("#doc-reader:not([hidden]) .para")
    found["reader"] = (page.evaluate(SMALL_TARGETS_JS), axe_violations(page))
    assert {k: v for k, v in found.items() if v != ([], [])} == {}
