"""Matching a caller's question to the company's policies (fuzzy, with rapidfuzz)."""
from __future__ import annotations

from typing import Sequence

from rapidfuzz import fuzz, process

from .interpret.common import words
from .languages import LANGUAGES
from .script import PolicySpec

MIN_SCORE = 75  # below this a question is "unknown": better to say so than answer wrongly

# Function words say nothing about the topic; without them "do you have a dental plan"
# no longer looks like "where are you located". All languages': callers mix them.
STOPWORDS = frozenset().union(*(lang.words.stopwords for lang in LANGUAGES.values()))


def _content(text: str) -> str:
    return " ".join(w for w in words(text) if w not in STOPWORDS)


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
