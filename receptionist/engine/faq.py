"""Matching a caller's question to the company's policies (fuzzy, with rapidfuzz)."""
from __future__ import annotations

import unicodedata
from typing import Sequence

from rapidfuzz import fuzz, process

from .script import PolicySpec

MIN_SCORE = 72  # below this a question is "unknown": better to say so than answer wrongly


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in text if not unicodedata.combining(c))


def match_policy(question: str, policies: Sequence[PolicySpec], language: str) -> tuple[PolicySpec, float] | None:
    """The policy whose sample questions best match ``question``, with a 0-1 score, or None.

    Each policy lists the ways a caller may ask ({language: [phrases]}); phrases of the
    call's language are tried first, then every language (callers mix languages).
    """
    query = _normalise(question or "").strip()
    if len(query) < 3:
        return None
    for languages in ((language,), None):
        choices: list[tuple[str, PolicySpec]] = [
            (_normalise(phrase), policy)
            for policy in policies
            for lang, phrases in policy.questions.items()
            if languages is None or lang in languages
            for phrase in phrases
        ]
        if not choices:
            continue
        best = process.extractOne(query, [c[0] for c in choices], scorer=fuzz.WRatio,
                                  score_cutoff=MIN_SCORE)
        if best is not None:
            _, score, index = best
            return choices[index][1], score / 100.0
    return None
