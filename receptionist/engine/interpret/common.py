"""What every interpreter shares: the answer types, confidence levels and text folding.

Text folding is done here once for the whole project (interpreters, FAQ matching, SMS
keywords and replies): :func:`fold` casefolds and strips accents, :func:`words` also drops
apostrophes and splits on punctuation. Heard phrases in ``engine.languages`` are written
folded, so they compare equal to folded input.
"""
from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from text_to_num import alpha2digit

from ..languages import LANGUAGES, language as find_language


@dataclass(frozen=True)
class Interpretation:
    """An understood answer.

    value: bool | int | float | datetime.date | str (an option key or an email address).
    confidence: 0.0 .. 1.0, how sure the interpreter is.
    """

    value: object
    confidence: float


@dataclass(frozen=True)
class Choice:
    """One option of a multiple-choice question.

    key: stable option key, returned as the interpretation's value.
    labels: spoken forms in the call's language, e.g. ("days", "day shift", "mornings").
    """

    key: str
    labels: tuple[str, ...]


# Confidence levels shared by all interpreters.
KEYPAD = 1.0  # DTMF digits are unambiguous
EXACT = 0.95  # the whole answer is exactly an option label or an email address
PLAIN = 0.9  # a plain, unambiguous word or phrase ("yes", "five", "tomorrow")
CONTAINED = 0.85  # an option label or ordinal inside a longer sentence
SPOKEN = 0.8  # an email address reassembled from speech ("jane dot doe at gmail dot com")
INFERRED = 0.75  # inferred from a looser phrase ("I can", "a couple", "in March")
GUESSED = 0.6  # one plausible reading of several: "three or four" -> 3, "Jane Doe at ..." -> doe@

_APOSTROPHES = re.compile(r"['’`´]")

PhraseTable = dict[tuple[str, ...], object]


def fold(text: str) -> str:
    """Casefold and strip accents: "Sí, ¡Mañana!" -> "si, ¡manana!"; "1º" -> "1o"; "ﬁ" -> "fi".

    Compatibility forms are decomposed too (NFKD), so full-width and ligature letters
    compare equal to plain ones.
    """
    return _fold(str(text))


# Folding and splitting are asked ~35 times per turn, mostly of the same strings (the
# script's labels and the languages' word lists, the caller's answer several times): kept.
FOLD_CACHE_SIZE = 8192  # strings; a few hundred bytes each at most


@functools.lru_cache(maxsize=FOLD_CACHE_SIZE)
def _fold(text: str) -> str:
    folded = text.casefold()
    if folded.isascii():  # NFKD leaves ASCII as it is, and it has no combining marks
        return folded
    decomposed = unicodedata.normalize("NFKD", folded)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(text: str, keep: str = "") -> list[str]:
    """Folded words: apostrophes dropped ("can't" -> "cant"), other punctuation, symbols and
    "_" split words, except the characters in ``keep`` ("12/1" with keep="/")."""
    return list(_words(str(text), keep))


@functools.lru_cache(maxsize=FOLD_CACHE_SIZE)
def _words(text: str, keep: str) -> tuple[str, ...]:
    folded = _APOSTROPHES.sub("", _fold(text))
    return tuple(re.sub(rf"[^\w\s{re.escape(keep)}]|_", " ", folded).split())


def clauses(text: str) -> list[list[str]]:
    """Words per clause: "No, yes." -> [["no"], ["yes"]]. Negation never crosses a comma."""
    return [w for part in re.split(r"[,;:.!?¡¿()\n]+", fold(text)) if (w := words(part))]


# text2num reads the Spanish plural articles "unos", "unas" ("some": "en unos días") as 1.
_NOT_NUMBERS = {"es": (re.compile(r"\bun([oa])s\b", re.IGNORECASE), r"algun\1s")}


def to_digits(text: str, language_code: str = "en") -> str:
    """Spelled numbers to digits with text2num, keeping the text if it cannot cope:
    "dos semanas" -> "2 semanas"; "unos días" stays words (a few, not one)."""
    if language_code in _NOT_NUMBERS:
        pattern, replacement = _NOT_NUMBERS[language_code]
        text = pattern.sub(replacement, text)
    try:
        return alpha2digit(text, language_code, threshold=0)
    except Exception:  # a third-party parser must not take the call down
        return text


_SPOKEN_YEAR = re.compile(r"\b(19|20) ([1-9]\d)\b")


def spoken_years(text: str) -> str:
    """Years said as two numbers, after text2num, as one: "20 12" ("twenty twelve") ->
    "2012", "19 76" -> "1976"; "20 05" ("twenty oh five") is left alone."""
    return _SPOKEN_YEAR.sub(r"\1\2", text)


def negated(tokens: Sequence[str], start: int, negators: frozenset[str], window: int = 2) -> bool:
    """Whether one of the ``window`` words before ``tokens[start]`` is a negator."""
    return any(t in negators for t in tokens[max(0, start - window) : start])


def phrase_table(spec: dict[object, str]) -> PhraseTable:
    """{meaning: "a|b c"} -> {("a",): meaning, ("b", "c"): meaning}; empty phrases are skipped."""
    return {tuple(p.split()): meaning for meaning, phrases in spec.items()
            for p in phrases.split("|") if p.strip()}


@functools.cache
def every_language(field: str) -> PhraseTable:
    """The phrases of the ``Vocabulary`` field ``field`` ("confirm_words", "closings"...) of
    every registered language in one table: a reply with no language to go by, or a caller
    mixing them."""
    return phrase_table({True: "|".join(getattr(lang.words, field) for lang in LANGUAGES.values())})


def find_phrases(tokens: Sequence[str], table: PhraseTable) -> Iterator[tuple[int, tuple[str, ...]]]:
    """Yield (start, phrase) for table phrases in tokens, longest match first, no overlaps."""
    longest = max(map(len, table), default=0)
    i = 0
    while i < len(tokens):
        for size in range(min(longest, len(tokens) - i), 0, -1):
            phrase = tuple(tokens[i : i + size])
            if phrase in table:
                yield i, phrase
                i += size
                break
        else:
            i += 1


def alternation(names: Iterable[str]) -> str:
    """Regex alternation of literal names, longest first so "sept" wins over "sep". Built once
    per set of names (a date's rules ask for the same weekdays and months on every answer)."""
    return _alternation(tuple(names))


@functools.lru_cache(maxsize=256)
def _alternation(names: tuple[str, ...]) -> str:
    return "|".join(sorted(map(re.escape, names), key=len, reverse=True))


# A "no" said on its own between two answers takes back the first ("two, no, three"; after a
# hesitation too: "sí, bueno no, no tengo"), and so does one between two numbers ("20 no 25");
# "days, no nights" (no pause after it) is no correction: it rules nights out.
_LONE_NO = r"[,.;!?]\s*(?:(?:{hesitations})\s+)?no\s*[,.;!?]|(?<=\d)\s*,?\s*no\s*,?\s*(?=\d)"


@functools.lru_cache(maxsize=16)
def _correction_pattern(code: str) -> re.Pattern:
    vocabulary = find_language(code).words
    phrases = vocabulary.corrections.split("|")
    markers = (r"[\s,.]+".join(map(re.escape, p.split())) for p in sorted(phrases, key=len, reverse=True) if p)
    lone_no = _LONE_NO.format(hesitations=alternation(filter(None, vocabulary.hesitations.split("|"))) or "$^")
    return re.compile(rf"(?<!\w)(?:{'|'.join(markers)})(?!\w)|{lone_no}")


def corrected(text: str, language: str) -> str | None:
    """What follows the caller's last self-correction ("no wait", "I mean", "perdón",
    "digo", a lone "no"; ``Vocabulary.corrections``), folded: "two, no wait, three years" ->
    " three years"; "el lunes, no, mejor el martes" -> " el martes"; None when nothing is
    taken back, or nothing follows ("Monday, sorry"). The interpreters read the answer from
    it first: "no, I mean yes" is a yes, as a recruiter would write it down."""
    if not isinstance(text, str):
        return None
    folded = fold(text)
    last = None
    for last in _correction_pattern(find_language(language).code).finditer(folded):
        pass
    if last is None:
        return None
    tail = folded[last.end():]
    return tail if re.search(r"\w", tail) else None
