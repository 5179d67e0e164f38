"""Issue 25, point 5: 👍 / 👎 and a comment under each answer, stored by POST /v1/feedback
in the live server's feedback file (``<index root>/feedback/feedback.jsonl``), kept with the
conversation across a reload."""

from __future__ import annotations

import json

from rag.feedback import read_feedback
from tests.browser.kit import (
    PHONE,
    Q_FOLLOW,
    Q_MOSCOW,
    SG_REPORT,
    SMALL_TARGETS_JS,
    ask,
    axe_violations,
    last_turn,
    wait_for_answer,
)


def stored(settings) -> list[dict]:
    return read_feedback(settings.feedback_options().path).records


def send(turn) -> None:
    turn.locator(".feedback-form button[type=submit]").click()
    turn.locator(".feedback-sent").wait_for()


def test_thumbs_down_with_a_comment_stores_one_line(page, built_settings):
    before = len(stored(built_settings))
    ask(page, Q_MOSCOW)
    turn = last_turn(page)
    assert turn.locator(".turn-foot .verdict").count() == 2
    assert turn.locator(".feedback-area").is_hidden()
    turn.locator(".verdict[data-verdict=down]").click()
    assert turn.locator(".verdict[data-verdict=down]").get_attribute("aria-pressed") == "true"
    assert turn.locator(".verdict[data-verdict=up]").get_attribute("aria-pressed") == "false"
    targets = turn.locator(".verdict, .feedback-form textarea, .feedback-form button")
    assert targets.count() == 4
    for n in range(4):  # 44 × 44 px (the phone test checks the whole page)
        box = targets.nth(n).bounding_box()
        assert box["width"] >= 43.5 and box["height"] >= 43.5, (n, box)
    turn.get_by_label("Commentaire (facultatif)").fill("Il manque la date de la réunion.")
    send(turn)
    assert page.inner_text("#status") == "Merci : votre avis est enregistré."
    assert turn.locator(".feedback-form").count() == 0
    records = stored(built_settings)
    assert len(records) == before + 1
    line = records[-1]
    assert (line["verdict"], line["comment"]) == ("down", "Il manque la date de la réunion.")
    assert line["question"] == Q_MOSCOW and "Moscou" in line["answer"]
    assert line["history"] is None and line["language"] == "fr" and line["answer_id"]
    assert line["citations"][0]["reference"] == f"{SG_REPORT}, par. 40"
    assert line["citations"][0]["file"].endswith(".txt") and line["index"]["created"]


def test_the_buttons_are_named_in_both_languages_and_a_second_click_takes_it_back(page):
    ask(page, Q_MOSCOW)
    turn = last_turn(page)
    group = turn.get_by_role("group", name="Votre avis sur cette réponse")
    up = group.get_by_role("button", name="Bonne réponse", exact=True)
    down = group.get_by_role("button", name="Réponse fausse ou incomplète", exact=True)
    assert up.get_attribute("aria-pressed") == down.get_attribute("aria-pressed") == "false"
    up.click()
    assert up.get_attribute("aria-pressed") == "true"
    page.click("#lang")
    turn = last_turn(page)
    group = turn.get_by_role("group", name="Your opinion of this answer")
    up = group.get_by_role("button", name="Good answer", exact=True)
    assert up.get_attribute("aria-pressed") == "true"  # the choice outlives the re-rendering
    assert group.get_by_role("button", name="Wrong or incomplete answer").count() == 1
    assert turn.get_by_label("Comment (optional)").is_visible()
    assert turn.get_by_role("button", name="Send feedback").is_visible()
    up.click()
    assert up.get_attribute("aria-pressed") == "false"
    assert turn.locator(".feedback-area").is_hidden()


def test_a_follow_up_is_judged_with_its_conversation_and_verdicts_survive_a_reload(
        page, built_settings):
    before = len(stored(built_settings))
    ask(page, Q_MOSCOW)
    ask(page, Q_FOLLOW)
    follow = last_turn(page)
    follow.locator(".verdict[data-verdict=up]").click()
    send(follow)
    line = stored(built_settings)[-1]
    assert line["verdict"] == "up" and line["comment"] is None and line["question"] == Q_FOLLOW
    assert [t["role"] for t in line["history"]] == ["user", "assistant"]
    assert line["history"][0]["content"] == Q_MOSCOW and "Moscou" in line["history"][1]["content"]
    assert "avril 2019" in line["resolved_question"]
    first = page.locator("#turns > .turn").first
    first.locator(".verdict[data-verdict=down]").click()  # chosen, not sent
    first.locator("textarea").fill("brouillon")
    page.reload()
    wait_for_answer(page, 2)
    first, follow = page.locator("#turns > .turn").first, last_turn(page)
    assert follow.locator(".verdict[data-verdict=up]").get_attribute("aria-pressed") == "true"
    assert follow.locator(".feedback-sent").inner_text() == "Avis envoyé ✓"
    assert first.locator(".verdict[data-verdict=down]").get_attribute("aria-pressed") == "true"
    assert first.locator("textarea").input_value() == "brouillon"
    assert len(stored(built_settings)) == before + 1  # a choice is stored when sent only
    send(first)  # the restored turn still knows its answer
    line = stored(built_settings)[-1]
    assert (line["verdict"], line["comment"], line["question"]) == ("down", "brouillon", Q_MOSCOW)


def test_a_refused_feedback_shows_the_error_and_can_be_sent_again_on_a_phone(open_page,
                                                                              built_settings):
    page = open_page(viewport=PHONE)
    ask(page, Q_MOSCOW)
    turn = last_turn(page)
    turn.locator(".verdict[data-verdict=down]").click()
    assert page.evaluate(SMALL_TARGETS_JS) == []
    assert axe_violations(page) == []
    full = {"error": {"code": "feedback_full", "message": "Le fichier des avis est plein"}}
    page.route("**/v1/feedback", lambda route: route.fulfill(
        status=507, content_type="application/json", headers={"Content-Language": "fr"},
        body=json.dumps(full)))
    before = len(stored(built_settings))
    turn.locator(".feedback-form button[type=submit]").click()
    error = turn.locator(".feedback-form .error")
    error.wait_for()
    assert "stockage plein" in error.inner_text()
    assert "Le fichier des avis est plein" in error.inner_text()  # the server's words
    assert error.get_attribute("role") == "alert"
    assert turn.locator(".feedback-sent").count() == 0
    page.unroute("**/v1/feedback")
    send(turn)
    assert turn.locator(".feedback-form .error").count() == 0
    assert len(stored(built_settings)) == before + 1
