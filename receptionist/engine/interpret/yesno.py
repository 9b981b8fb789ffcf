"""Yes/no answers from speech or text, with the words of ``engine.languages``."""
from __future__ import annotations

from functools import cache

from ..languages import language as find_language
from .common import INFERRED, PLAIN, Interpretation, PhraseTable, clauses, find_phrases, negated, \
    phrase_table, words

_YES, _NO, _UNSURE = True, False, None


@cache
def _table(code: str) -> PhraseTable:
    """{phrase words: (polarity, confidence)} for one language."""
    w = find_language(code).words.yes_no
    return phrase_table({(_YES, PLAIN): w.yes, (_YES, INFERRED): w.yes_loose, (_NO, PLAIN): w.no,
                         (_NO, INFERRED): w.no_loose, (_UNSURE, PLAIN): w.unsure})


def yes_no(text: str, language: str) -> Interpretation | None:
    """Yes/no from speech or SMS text; value is a bool.

    "Yes." -> True (0.9); "yeah I think so" -> True (0.9); "I can" -> True (0.75);
    "I'm not" -> False (0.9); "that's not right" -> False (0.75); "sí puedo" -> True;
    "no puedo" -> False; "claro que no" -> False.
    Ambiguous or unsure answers give None: "yes no", "no, yes", "not sure", "no sé".
    """
    lang = find_language(language)
    table, vocabulary = _table(lang.code), lang.words.yes_no
    verdicts = []
    for clause in clauses(text) if isinstance(text, str) else []:
        for start, phrase in find_phrases(clause, table):
            polarity, conf = table[phrase]
            if polarity is _YES and negated(clause, start, vocabulary.negators):
                # "not sure" means "don't know"; "not right" means no.
                unsure = len(phrase) == 1 and phrase[0] in vocabulary.unsure_when_negated
                polarity = _UNSURE if unsure else _NO
                conf = INFERRED
            verdicts.append((polarity, conf))
    polarities = {p for p, _ in verdicts}
    if len(polarities) != 1 or _UNSURE in polarities:
        return None
    value = polarities.pop()
    return Interpretation(value, max(c for _, c in verdicts))


def is_yes_phrase(text: str, language: str) -> bool:
    """Whether the whole of ``text`` is one yes phrase of ``language``: "OK!" and "sí" are,
    "ok thanks" and "I have a question" are not (though ``yes_no`` reads both as a loose yes)."""
    if not isinstance(text, str):
        return False
    meaning = _table(find_language(language).code).get(tuple(words(text)))
    return meaning is not None and meaning[0] is _YES


def opens_with_yes(text: str, language: str) -> bool:
    """Whether ``text`` starts with a plain yes phrase of ``language``: "Yes, thanks" and
    "sure, but when?" do; "claro que no", "ok thanks" and "is it exactly $15?" do not."""
    tokens = words(text) if isinstance(text, str) else []
    table = _table(find_language(language).code)
    start, phrase = next(find_phrases(tokens, table), (None, None))
    return start == 0 and table[phrase] == (_YES, PLAIN)
