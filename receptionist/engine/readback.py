"""Reading an understood answer back to the candidate, and reading their reply (pure).

Before a knockout ends a screening, and when an answer to a scored question was understood
with low confidence, the agent says what it understood and asks "Is that right?"
(``engine.flow``, phase ``readback``). This module words the read-back from the question
and the value, and splits the candidate's reply into a verdict and what followed it:

    statement("Are you legally authorized to work in the United States?", False, "en")
        -> "you are not legally authorized to work in the United States"
    statement("¿Tiene usted 18 años o más?", False, "es") -> "usted no tiene 18 años o más"
    leading_verdict("No, I am authorized.", "en") -> (False, "I am authorized.")
    restates("I'm 17", "Are you 18 or older?", "en") -> True   (an answer, not a "yes")

A question the rules cannot turn into a statement (``statement`` -> None) is read back
as the question followed by the understood answer (``texts`` phrase ``read_back``).
"""
from __future__ import annotations

import re

from . import interpret
from .interpret.common import words
from .interpret.yesno import opening_phrase_words

# English yes/no questions "AUX you ...?" -> (affirmative, negative) forms of the auxiliary;
# "" drops it ("Do you have a car?" -> "you have a car").
_EN_AUXILIARIES = {
    "are": ("are", "are not"), "can": ("can", "cannot"), "could": ("could", "could not"),
    "do": ("", "do not"), "did": ("", "did not"), "have": ("have", "have not"),
    "will": ("will", "will not"), "would": ("would", "would not"), "were": ("were", "were not"),
}
# Spanish questions that do not open with the verb (the rule "¿VERBO ...?" -> "usted (no) VERBO ...").
_ES_NOT_A_VERB = {"que", "cual", "cuales", "cuando", "cuanto", "cuantos", "cuanta", "cuantas", "donde",
                  "como", "quien", "quienes", "por", "para", "a", "en", "de", "si", "no", "usted"}
# Words that open a sentence about oneself: a reply that starts so answers the question again
# ("I am authorized", "yo sí puedo") rather than confirming the read-back.
_FIRST_PERSON = {"en": {"i", "im", "ive", "id", "ill", "me", "my", "mine"},
                 "es": {"yo", "soy", "estoy", "tengo", "puedo", "he", "mi", "me"}}
# A reply's opening clause read as a verdict when at most this many words ("that's right").
MAX_VERDICT_WORDS = 3

_CLAUSE_END = re.compile(r"[,;:.!?¡¿]+")


def statement(question: str, value: bool, language: str) -> str | None:
    """The yes/no ``question`` turned into a statement of the caller's ``value``, in the
    caller's ``language`` ("en", "es"; regional codes by their base), or None when the
    question has no shape the rules know ("AUX you ...?" in English, "¿VERBO [usted] ...?"
    in Spanish). Never raises."""
    base = (language or "en").split("-")[0].lower()
    text = " ".join(str(question).split()).strip()
    if base == "es":
        tokens = text.strip("¿?¡! ").split()
        if len(tokens) < 2 or words(tokens[0])[:1] == [] or words(tokens[0])[0] in _ES_NOT_A_VERB:
            return None
        verb, rest = tokens[0], tokens[1:]
        if rest and words(rest[0]) == ["usted"]:
            rest = rest[1:]
        return " ".join(["usted"] + ([] if value else ["no"]) + [verb.lower()] + rest)
    tokens = text.rstrip("?!. ").split()
    if len(tokens) < 3 or tokens[1].lower() != "you" or tokens[0].lower() not in _EN_AUXILIARIES:
        return None
    yes_form, no_form = _EN_AUXILIARIES[tokens[0].lower()]
    auxiliary = yes_form if value else no_form
    return " ".join(["you"] + ([auxiliary] if auxiliary else []) + tokens[2:])


def leading_verdict(text: str, language: str) -> tuple[bool | None, str]:
    """The yes/no that opens ``text`` and the rest of it: ``(True | False, rest)``, or
    ``(None, text)`` when it does not open with one. The opening is the first word ("No I
    am authorized") or, up to MAX_VERDICT_WORDS words, the first clause ("that's right,
    thanks"); an opening clause about oneself ("I am authorized") is not a verdict."""
    text = str(text or "").strip()
    first, _, after = text.partition(" ")
    # "no worries" / "no hay bronca" open with a phrase, not with "no": read as a clause.
    found = interpret.yes_no(first, language) if first and opening_phrase_words(text, language) <= 1 else None
    if found is not None:
        return found.value, after.strip(" ,;:.!?")
    parts = _CLAUSE_END.split(text, maxsplit=1)
    clause = parts[0]
    tokens = words(clause)
    if not tokens or len(tokens) > MAX_VERDICT_WORDS or _about_oneself(tokens, language):
        return None, text
    found = interpret.yes_no(clause, language)
    if found is None:
        return None, text
    return found.value, (parts[1] if len(parts) > 1 else "").strip(" ,;:.!?")


def restates(text: str, question: str, language: str) -> bool:
    """Whether ``text`` answers ``question`` again rather than confirming a read-back: it
    speaks about oneself ("I'm 17", "estoy autorizado") or repeats a word of the question
    of four letters or more, or a number ("I am authorized", "over 18")."""
    tokens = words(text)
    if _about_oneself(tokens, language):
        return True
    asked = {w for w in words(question) if len(w) >= 4 or w.isdigit()}
    return any(w in asked for w in tokens)


def _about_oneself(tokens: list[str], language: str) -> bool:
    base = (language or "en").split("-")[0].lower()
    return bool(tokens) and tokens[0] in _FIRST_PERSON.get(base, _FIRST_PERSON["en"])
