"""The "Sources" block of a reply: written and read back by one module (rag.query.citations),
so that a chat client sending the reply back as an assistant turn keeps its citations."""

from __future__ import annotations

import pytest

from rag.query.citations import read_reply, sources_text

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("language", ["fr", "en"])
def test_sources_written_are_read_back(language):
    entries = [(1, "S/2021/297, par. 3", "Le Conseil a tenu un débat."),
               (2, "Lettre datée du 19 octobre 2021, par. 1", None)]
    reply = f"Au Caire [1]. Le débat [2].\n\n{sources_text(entries, language)}"
    body, references = read_reply(reply)
    assert body == "Au Caire. Le débat."
    assert references == ["S/2021/297, par. 3", "Lettre datée du 19 octobre 2021, par. 1"]


def test_a_reply_without_its_sources_keeps_its_body():
    assert read_reply("Ban Ki-moon [1, 2].") == ("Ban Ki-moon.", [])


def test_a_changed_constraint_is_said_in_the_question_language():
    from rag.answer.messages import not_given

    assert not_given("amount", ["2010"], "fr") == ("Les documents ne donnent pas ce montant "
                                                   "pour 2010.")
    assert not_given(None, ["l’OCS"], "fr") == ("Les documents ne donnent pas cette information "
                                                "pour l’OCS.")
    assert not_given("date", ["the SCO"], "en") == ("The documents do not give this date for "
                                                    "the SCO.")
