"""Answers are cached per index snapshot (the session pipeline)."""

from __future__ import annotations


def test_answers_are_cached_per_index_snapshot(pipeline):
    question = "Quel est le rôle de l’OSCE selon le rapport ?"
    first = pipeline.ask(question)
    again = pipeline.ask("  Quel est le rôle de l’OSCE  selon le rapport ? ")
    assert again.text == first.text and again.citations == first.citations
    assert "cached" in again.notes and "cached" not in first.notes
    other = pipeline.ask(question, history=[("user", "Parlons de l’Union africaine."),
                                            ("assistant", "D’accord.")])
    assert "cached" not in other.notes  # the conversation is part of the key
    assert "cached" not in pipeline.reloaded().ask(question).notes  # a reload starts empty
