"""Which language a reply is in (``interpret.language_of``), from the words this product knows
in each: short replies as callers and texters give them."""
from __future__ import annotations

import pytest

from receptionist.engine.interpret import language_of

BOTH = ("en", "es")


@pytest.mark.parametrize("text,expected", [
    ("yes", "en"), ("yeah", "en"), ("yep", "en"), ("hi", "en"), ("hello? anyone there", "en"),
    ("the driver one", "en"), ("hi is this for the warehouse job?", "en"), ("I want to apply", "en"),
    ("like 2 yrs", "en"), ("thanks", "en"), ("what?", "en"), ("yes I do", "en"),
    ("sí", "es"), ("si", "es"), ("hola", "es"), ("bueno?", "es"), ("buenos días", "es"), ("buenas", "es"),
    ("claro", "es"), ("gracias", "es"), ("quiero trabajar", "es"), ("el de montacargas", "es"),
    ("2 años", "es"), ("no hablo inglés", "es"), ("sí por favor", "es"),
    # Nothing to tell them apart: a name, a word both have, an address, a symbol, nothing.
    ("Mike T", None), ("José Pérez", None), ("ok", None), ("no", None), ("okay", None), ("1", None),
    ("jane@example.com", None), ("👍", None), ("", None), ("   ", None),
    # As many words of each, or not more than twice as many of one.
    ("sí yes", None), ("hola hello", None),
])
def test_the_language_of_a_reply(text, expected):
    assert language_of(text, BOTH) == expected


@pytest.mark.parametrize("text,expected", [
    ("JOBS", None), ("hola", None), ("trabajo", None),  # a keyword from an ad says little
    ("hi is this for the warehouse job?", "en"), ("Hola, busco trabajo de chofer", "es"),
])
def test_a_phrase_asked_for_with_min_words(text, expected):
    assert language_of(text, BOTH, min_words=2) == expected


def test_one_language_offered_or_none_known():
    assert language_of("yes", ("en",)) == "en" and language_of("Mike", ("en",)) is None
    assert language_of("hola", ("es",)) == "es" and language_of("yes", ()) is None
    assert language_of("yes", ("en", "fr")) == "en"  # a code without a vocabulary is left out
