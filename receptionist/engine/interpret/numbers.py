"""Quantities from speech or text: spelled numbers via text2num, plus the phrases it does not
know ("a couple", "y medio") from ``engine.languages``."""
from __future__ import annotations

import math
import re

from ..languages import Language, language as find_language
from .common import GUESSED, INFERRED, PLAIN, Interpretation, fold, to_digits

_NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?![^\W\d])")  # not "1st", "2º", "v2"


def _whole(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def _numbers_in(text: str, lang: Language) -> tuple[str, bool]:
    """Rewrite spoken quantities as digits; also say whether a loose phrase was used."""
    words = lang.words.numbers
    converted = text.casefold()
    inferred = False
    for pattern, replacement in words.phrases:
        converted, count = re.subn(pattern, replacement, converted)
        inferred = inferred or bool(count)
    converted = to_digits(converted, lang.code)
    if words.decimal_comma:
        converted = re.sub(r"(?<=\d),(?=\d)", ".", converted)  # "2,5" is 2.5
    else:
        converted = re.sub(r"(?<=\d),(?=\d{3}\b)", "", converted)  # "1,000" is 1000
    converted = re.sub(
        rf"(?<![\d.])(\d+(?:\.\d+)?)((?:\s+[^\W\d]+)?)\s+{words.half}\b",
        lambda m: f"{float(m[1]) + 0.5}{m[2]}",
        converted,
    )
    return converted, inferred


def _is_range(text: str, first: re.Match, second: re.Match, lang: Language) -> bool:
    words = lang.words.numbers
    gap = text[first.end() : second.start()]
    unit = r"(?:[^\W\d]+\s+)?"
    if re.fullmatch(rf"\s*{unit}(?:{words.range_joiner})\s*", gap):
        return True
    opener, joiner = words.between
    return bool(
        re.search(rf"\b{opener}\s*$", text[: first.start()])
        and re.fullmatch(rf"\s*{unit}{joiner}\s*", gap)
    )


def number(text: str, language: str) -> Interpretation | None:
    """A quantity from speech or SMS text; value is an int when whole, else a float.

    Unit-agnostic: "five years" -> 5, "six months" -> 6. Examples: "twenty one" -> 21,
    "cinco años" -> 5, "3 years." -> 3, "two and a half years" -> 2.5, "a year and a half"
    -> 1.5, "half a year" -> 0.5, "un año y medio" -> 1.5, "a couple" -> 2 (0.75),
    "none" / "no experience" / "ninguno" / "nada" -> 0, "three or four" / "entre 3 y 5"
    -> the lower value (0.6). Two unrelated numbers ("I'm 25 with 3 years") -> None.
    """
    if not isinstance(text, str):
        return None
    lang = find_language(language)
    converted, inferred = _numbers_in(text, lang)
    found = list(_NUMBER.finditer(converted))
    values = [float(m[0]) for m in found]
    if not all(map(math.isfinite, values)):
        return None  # hundreds of digits: not an answer
    says_zero = re.search(lang.words.numbers.zero, fold(text)) is not None
    if says_zero and any(values):
        return None  # "none, well maybe two"
    if not values:
        return Interpretation(0, PLAIN) if says_zero else None
    if len(set(values)) == 1:
        return Interpretation(_whole(values[0]), INFERRED if inferred else PLAIN)
    if len(found) == 2 and _is_range(converted, found[0], found[1], lang):
        return Interpretation(_whole(min(values)), GUESSED)
    return None
