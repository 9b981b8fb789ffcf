"""Which language a caller's words are in, among the agent's: "yes", "the driver one", "hi is
this for the warehouse job?" are English; "hola", "sí, quiero trabajar" Spanish; "Mike T",
"ok", "1" none.

A statistical detector guesses badly on the two or three words a caller answers with
(lingua, tried: "yes" 50/50, "hello" Spanish, a bare name English), so the evidence is the
words this product knows in each language: every word of a language's vocabulary (the
interpreters' phrases: yes and no, numbers, dates, names, the menu) and of what the agent
says in it (``engine.texts.PHRASES``). A word both languages have ("no", "me", "ok") says
nothing. Used where a caller's reply does not answer the language question
(``engine.flow``): the reply still tells which language they speak.
"""
from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any

from ..languages import LANGUAGES
from ..texts import PHRASES
from .common import words

_MIN_LETTERS = 2  # a single letter ("y", "a", "o") is a word in too many languages
_PLACEHOLDER = re.compile(r"\{[^}]*\}")
# Vocabulary fields that are no evidence of a language: a name's particles ("van", "de la"),
# and the one-word answers accepted from the other language too ("si" in English, "yes" in
# Spanish: Spanglish).
_NOT_EVIDENCE = frozenset({"particles", "yes_alone", "no_alone"})
_ADDRESS = re.compile(r"\S+@\S+|\S+://\S+|www\.\S+", re.IGNORECASE)  # "jane@example.com" is in no language


def language_of(text: str, languages: Iterable[str], min_words: int = 1) -> str | None:
    """The one of ``languages`` (codes, e.g. ("en", "es")) that ``text``'s words are in, or
    None when they tell none apart: fewer than ``min_words`` words known in one language only,
    or not more than twice as many of one as of any other ("sí, yes" is neither; "yes, I
    think so, sí" English). ``min_words=2`` asks for a phrase, not a keyword ("JOBS" from an
    ad says little of who texts it)."""
    codes = tuple(code for code in languages if code in LANGUAGES)
    said = words(_ADDRESS.sub(" ", text)) if isinstance(text, str) else []
    if len(codes) < 2:
        known = sum(1 for w in said if codes and w in _lexicon(codes[0]))
        return codes[0] if known >= max(min_words, 1) else None
    found = {code: 0 for code in codes}
    for word in said:
        owners = [code for code in codes if word in _distinctive(codes)[code]]
        if len(owners) == 1:
            found[owners[0]] += 1
    ranked = sorted(found.items(), key=lambda item: item[1], reverse=True)
    (best, most), (_, second) = ranked[0], ranked[1]
    return best if most >= min_words and most > 2 * second else None


@cache
def _distinctive(codes: tuple[str, ...]) -> Mapping[str, frozenset[str]]:
    """Each language's known words that none of the other ``codes`` has."""
    return {code: _lexicon(code).difference(*(_lexicon(other) for other in codes if other != code))
            for code in codes}


@cache
def _lexicon(code: str) -> frozenset[str]:
    """The folded words of language ``code``'s vocabulary and of everything the agent says in
    it (without the ``{placeholders}`` of PHRASES)."""
    said = [_PLACEHOLDER.sub(" ", text) for text in _strings([texts.get(code) for texts in PHRASES.values()])]
    return frozenset(word for text in [*_strings(LANGUAGES[code].words), *said] for word in words(text)
                     if len(word) >= _MIN_LETTERS and not word.isdigit())


def _strings(value: Any) -> Iterable[str]:
    """Every string inside ``value``: a dataclass's fields, mappings (keys and values), sequences
    and sets, recursively. Patterns give their words too ("(?:dont|do not)"); the odd piece of
    regex syntax left ("bhalf" of "\\bhalf") is a word no caller says."""
    if isinstance(value, str):
        yield value
    elif dataclasses.is_dataclass(value):
        for item in dataclasses.fields(value):
            if item.name not in _NOT_EVIDENCE:
                yield from _strings(getattr(value, item.name))
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            yield from _strings(item)
