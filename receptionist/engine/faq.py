"""Matching a caller's question to the company's policies (fuzzy, with rapidfuzz)."""
from __future__ import annotations

import unicodedata
from typing import Sequence

from rapidfuzz import fuzz, process

from .script import PolicySpec

MIN_SCORE = 75  # below this a question is "unknown": better to say so than answer wrongly

# Function words say nothing about the topic; without them "do you have a dental plan"
# no longer looks like "where are you located".
STOPWORDS = frozenset("""
a an the and or of to in on at for with is are was be do does did can could would will i im i'm you your
we our it its it's me my this that there what which who please um uh like just so about any have has
el la los las un una unos unas y o de del que en por para con mi mis su sus es son hay tienen tiene
me le lo se yo usted ustedes nos puedo puede quiero favor pues este esta
""".split())


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in text if not unicodedata.combining(c))


def _content(text: str) -> str:
    words = "".join(c if c.isalnum() or c in "'$" else " " for c in _normalise(text)).split()
    return " ".join(w for w in words if w not in STOPWORDS)


def match_policy(question: str, policies: Sequence[PolicySpec], language: str) -> tuple[PolicySpec, float] | None:
    """The policy whose sample questions best match ``question``, with a 0-1 score, or None.

    Each policy lists the ways a caller may ask ({language: [phrases]}); phrases of the
    call's language are tried first, then every language (callers mix languages). Only
    content words are compared (rapidfuzz ``token_set_ratio``), so word order and filler
    do not matter.
    """
    query = _content(question or "")
    if len(query) < 3:
        return None
    for languages in ((language,), None):
        choices: list[tuple[str, PolicySpec]] = [
            (_content(phrase), policy)
            for policy in policies
            for lang, phrases in policy.questions.items()
            if languages is None or lang in languages
            for phrase in phrases
        ]
        choices = [c for c in choices if c[0]]
        if not choices:
            continue
        best = process.extractOne(query, [c[0] for c in choices], scorer=fuzz.token_set_ratio,
                                  score_cutoff=MIN_SCORE)
        if best is not None:
            _, score, index = best
            return choices[index][1], score / 100.0
    return None
