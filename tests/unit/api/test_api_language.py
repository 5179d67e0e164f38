"""One language at a time (issue 25, point 4), on the API side: the messages the API writes
itself follow ``Accept-Language`` (English without it, byte for byte as before), and the
``language`` field of ``POST /v1/ask`` sets the language of the service's own sentences."""

from __future__ import annotations

import re
import string

import pytest

from api.i18n import MESSAGES, RAG_FRENCH, VALIDATION_FRENCH, negotiate

FR = {"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.8"}
QUESTION_FR = ("Dans quelle ville la Secrétaire générale adjointe a-t-elle mené des "
               "consultations avec l'OTSC en novembre 2018 ?")
QUESTION_EN = "How much did the European Union give to the CARICOM resilience fund?"
KEY = "s3cret-key-for-tests-0123"


@pytest.mark.parametrize(("header", "language"), [
    (None, "en"), ("", "en"), ("fr", "fr"), ("fr-FR,fr;q=0.9,en;q=0.8", "fr"),
    ("en-US,en;q=0.9,fr;q=0.8", "en"), ("de, fr;q=0.5", "fr"), ("de", "en"), ("*", "en"),
    ("en;q=0, *", "fr"), ("en;q=0.5, fr;q=0.9", "fr"), ("fr-CA;q=0.3, en-GB;q=0.2", "fr"),
    ("fr;q=abc, en", "en"), ("nonsense;;", "en")])
def test_accept_language_is_negotiated_with_quality_values(header, language):
    assert negotiate(header) == language


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_message_has_both_forms_with_the_same_fields():
    for key, forms in MESSAGES.items():
        assert set(forms) == {"en", "fr"}, key
        assert _fields(forms["en"]) == _fields(forms["fr"]), key
    for template in [*RAG_FRENCH.values(), *VALIDATION_FRENCH.values()]:
        assert not re.search(r"\b(the|is|not|of)\b", template), template
