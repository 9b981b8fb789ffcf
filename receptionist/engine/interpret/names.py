"""A caller's name from what they said or texted, without the words around it.

The words that announce a name ("my name is", "me llamo", "NAME" in a text) come from
``engine.languages``, all languages at once: callers mix them, and a reply to a text has
no call language to go by.
"""
from __future__ import annotations

import re
from functools import cache

from ..languages import LANGUAGES
from .common import PhraseTable, phrase_table, words

_MAX_NAME_CHARS = 200


@cache
def _table(kind: str) -> PhraseTable:
    """All languages' phrases of one kind of :class:`~..languages.vocabulary.NameWords`."""
    return phrase_table({True: "|".join(getattr(lang.words.names, kind) for lang in LANGUAGES.values())})


def _tokens(text: str) -> list[tuple[int, str]]:
    """(offset in text, folded word) per whitespace-separated token; bare punctuation is
    left out, so "NAME: Jane" and "NAME - Jane" read like "NAME Jane"."""
    found = ((m.start(), "".join(words(m[0]))) for m in re.finditer(r"\S+", text))
    return [(offset, word) for offset, word in found if word]


def _phrase_at(tokens: list[tuple[int, str]], start: int, table: PhraseTable) -> int:
    """How many tokens from ``start`` the longest phrase of ``table`` covers; 0 for none."""
    longest = max(map(len, table), default=0)
    for size in range(min(longest, len(tokens) - start), 0, -1):
        if tuple(word for _, word in tokens[start : start + size]) in table:
            return size
    return 0


def _after(text: str, kinds: tuple[str, ...], greetings: bool) -> str | None:
    """The text after a leading phrase of ``kinds`` (optionally after greetings), or None
    when there is no such phrase or nothing follows it."""
    tokens = _tokens(text)
    start = 0
    while greetings and (size := _phrase_at(tokens, start, _table("greetings"))):
        start += size
    size = max(_phrase_at(tokens, start, _table(kind)) for kind in kinds)
    if size and start + size < len(tokens):
        return text[tokens[start + size][0] :]
    return None


def after_name_cue(text: str) -> str | None:
    """What follows a name cue at the very start: "NAME Jane Smith", "name: Jane Smith",
    "my name is Jane Smith", "me llamo Ana López" -> "Jane Smith" / "Ana López" (as
    written, up to the end of the text); None when the text does not start with a cue."""
    return _after(text, ("cues",), greetings=False) if isinstance(text, str) else None


def clean_name(text: str) -> str | None:
    """A caller's name from what they said: "my name is jane doe." -> "Jane Doe"; None if empty.

    Greetings and an introduction are dropped ("Hi, I'm Ana" -> "Ana"; "hola, me llamo
    José Pérez" -> "José Pérez"), as are characters no name has; each word is capitalised.
    At most 200 characters.
    """
    text = text if isinstance(text, str) else ""
    rest = _after(text, ("cues", "intros"), greetings=True)
    name = (text if rest is None else rest).strip(" .,!?¡¿")
    name = re.sub(r"[^\w\s'\-.]", "", name).strip()
    if not name or not any(c.isalpha() for c in name):
        return None
    return " ".join(w[:1].upper() + w[1:] for w in name.split())[:_MAX_NAME_CHARS]
