"""Quantities from speech or text: spelled numbers via text2num, plus the phrases it does not
know ("a couple", "y medio", "point seven", "two dozen") from ``engine.languages``; with a
unit of time where the question has one ("six months" is 0.5 years)."""
from __future__ import annotations

import datetime
import math
import re
from dataclasses import dataclass

from ..languages import Language, language as find_language
from .common import GUESSED, INFERRED, PLAIN, Interpretation, corrected, fold, spoken_years, to_digits, \
    words as words_of

_NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?![^\W\d])")  # not "1st", "2º", "v2"
_MAX_DIGITS = 12  # more is not a quantity anyone answers with
_EARLIEST_YEAR = 1940  # "since 2015": a calendar year, not a count
_MOST_YEARS = 70  # of experience: more is a misheard number ("twenty twenty years"), not a count
AGE_OF_MAJORITY = 18  # in every US state but Alabama and Nebraska (19) and Mississippi (21)
# Question units (company YAML ``unit``) -> months per unit.
UNITS = {"years": 12.0, "months": 1.0}


def _whole(value: float) -> int | float:
    value = round(value, 2)
    return int(value) if float(value).is_integer() else value


def _numbers_in(text: str, lang: Language) -> tuple[str, bool]:
    """Rewrite spoken quantities as digits; also say whether a loose phrase was used."""
    words = lang.words.numbers
    converted = fold(text)
    inferred = False
    for pattern, replacement in words.phrases:
        converted, count = re.subn(pattern, replacement, converted)
        inferred = inferred or bool(count)
    converted = spoken_years(to_digits(converted, lang.code))  # "since twenty eighteen"
    units = "|".join(words.units)
    converted = re.sub(rf"(?<![\d.])(\d+)(?=(?:{units})\b)", r"\1 ", converted)  # "5yrs" texted
    if words.decimal_comma:
        converted = re.sub(r"(?<=\d),(?=\d)", ".", converted)  # "2,5" is 2.5
    else:
        converted = re.sub(r"(?<=\d),(?=\d{3}\b)", "", converted)  # "1,000" is 1000
    # "point seven" -> 0.7, "six point five" -> 6.5 (text2num leaves a lone "point 7").
    converted = re.sub(rf"(?:(?<![\d.])(\d+)\s+)?\b(?:{words.point})\s+(\d+)\b",
                       lambda m: f"{m[1] or 0}.{m[2]}", converted)
    for pattern, factor in words.multipliers.items():  # "2 dozen" -> 24
        converted = re.sub(rf"(?<![\d.])(\d+(?:\.\d+)?)\s+(?:{pattern})\b",
                           lambda m: f"{float(m[1]) * factor:g}", converted)
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


@dataclass(frozen=True)
class _Quantity:
    value: float
    unit_months: float | None  # the unit said after it, in months; None when none was said
    bound: str | None  # "above" | "below" | "at_least" when a comparison was said


def _quantities(converted: str, found: list[re.Match], lang: Language) -> list[_Quantity]:
    words = lang.words.numbers
    out = []
    for m in found:
        after = converted[m.end():]
        before = converted[: m.start()]
        unit = next((months for pattern, months in words.units.items()
                     if re.match(rf"\s+(?:{pattern})\b", after)), None)
        bound = None
        if re.search(rf"\b(?:{words.above})\s*$", before):
            bound = "above"
        elif re.search(rf"\b(?:{words.below})\s*$", before):
            bound = "below"
        elif re.search(rf"\b(?:{words.at_least})\s*$", before) or re.match(
                rf"(?:\s+[^\W\d]+)?\s+(?:{words.at_least})\b", after):
            bound = "at_least"
        out.append(_Quantity(float(m[0]), unit, bound))
    return out


def _years_between(converted: str, found: list[re.Match], lang: Language,
                   today: datetime.date | None) -> float | None:
    """Years of experience from calendar years: "since 2015", "from 2018 to 2022"; None
    when the text has no such years (or no ``today`` to count to)."""
    words = lang.words.numbers
    years = [int(m[0]) for m in found if m[0].isdigit() and len(m[0]) == 4]
    latest = today.year if today else 9999
    if not years or len(years) != len(found) or not all(_EARLIEST_YEAR <= y <= latest for y in years):
        return None
    if len(years) == 2 and _is_range(converted, found[0], found[1], lang) or len(years) == 2 and re.search(
            rf"\b(?:{words.since})\s+{found[0][0]}\b", converted):
        return float(abs(years[1] - years[0]))
    if len(years) == 1 and today and (re.search(rf"\b(?:{words.since})\s+(?:\w+\s+)?{found[0][0]}\b", converted)
                                      or re.search(rf"{found[0][0]}\s+(?:{words.until_now})\b", converted)):
        return float(today.year - years[0])
    return None


def _parse(text: str, lang: Language) -> tuple[str, list[re.Match], bool] | None:
    converted, inferred = _numbers_in(text, lang)
    found = list(_NUMBER.finditer(converted))
    if any(len(m[0]) > _MAX_DIGITS for m in found):
        return None  # hundreds of digits: not an answer
    return converted, found, inferred


def number(text: str, language: str, unit: str | None = None,
           today: datetime.date | None = None) -> Interpretation | None:
    """A quantity from speech or SMS text; value is an int when whole, else a float
    (rounded to 2 decimals).

    ``unit``: the question's unit (``"years"`` or ``"months"``, from the company YAML), or
    None for a plain count. With a unit, a unit said after a number converts: for years,
    "six months" -> 0.5, "a decade" / "una década" -> 10, "two years and six months" ->
    2.5, "since 2015" -> years until ``today`` (the agent's date), "from 2018 to 2022" -> 4,
    "less than a year" -> 0; a bare calendar year ("2015") is not understood. Without a
    unit: "five years" -> 5, "six months" -> 6.

    Examples: "twenty one" -> 21, "cinco años" -> 5, "two and a half years" -> 2.5,
    "point seven" -> 0.7, "punto cinco" -> 0.5, "two dozen" -> 24, "a couple" -> 2
    (0.75), "none" / "no experience" / "ninguno" -> 0. Ranges give their lower bound (0.6):
    "three or four" / "entre 3 y 5" -> 3, "a year and a half maybe two" -> 1.5, and so do
    open ones: "more than 5" / "at least 5" -> 5. "less than N" -> 0 only for N up to 1 (else not understood). Not understood
    (None): two unrelated numbers ("I'm 25 with 3 years"), "since I was 16" (needs the
    caller's age), "a few years" / "unos cuantos años" (any count from 2 to 5: asked again
    rather than one picked). "just started" / "apenas empecé", with a unit and no number
    -> 0 (0.6: less than a year, read back). A correction counts as said last: "two, no
    wait, three years" / "dos, no, tres años" -> 3 (0.75). A rate's period is no second
    number: "35 hours a week" -> 35. With a unit, over 70 years is not understood ("twenty
    twenty years").
    """
    if (tail := corrected(text, language)) is not None and (found := _number(tail, language, unit, today)):
        return Interpretation(found.value, min(found.confidence, INFERRED))
    return _number(text, language, unit, today)


def _number(text: str, language: str, unit: str | None, today: datetime.date | None) -> Interpretation | None:
    if not isinstance(text, str):
        return None
    lang = find_language(language)
    words = lang.words.numbers
    folded = fold(text)
    if re.search(rf"\b(?:{words.since_age})\b", folded):
        return None
    parsed = _parse(text, lang)
    if parsed is None:
        return None
    converted, found, inferred = parsed
    per_month = UNITS.get(unit) if unit else None
    said = " ".join(words_of(text))  # "i dont have any"
    says_zero = re.search(words.zero, said) is not None
    if per_month is not None and (years := _years_between(converted, found, lang, today)) is not None:
        return Interpretation(_whole(years * 12 / per_month), INFERRED)
    quantities = _quantities(converted, found, lang)
    if per_month is not None and any(q.value >= _EARLIEST_YEAR and q.unit_months is None for q in quantities):
        return None  # "2015" alone: a year, not a count of years
    if says_zero and any(q.value for q in quantities):
        return None  # "none, well maybe two"
    if not quantities:
        if says_zero:
            return Interpretation(0, PLAIN)
        if per_month is not None and re.search(words.starting, said):
            return Interpretation(0, GUESSED)  # "just started": under a year, how much unsaid
        return None

    def in_unit(q: _Quantity) -> float:
        return q.value * (q.unit_months or per_month) / per_month if per_month else q.value

    if any(q.bound == "below" for q in quantities):
        if len(quantities) == 1 and in_unit(quantities[0]) <= 1:
            return Interpretation(0, GUESSED)  # "less than a year"
        return None
    confidence = GUESSED if any(q.bound for q in quantities) else INFERRED if inferred else PLAIN
    values = [in_unit(q) for q in quantities]
    if per_month and max(values) * per_month / 12 > _MOST_YEARS:
        return None
    if len(set(values)) == 1:
        return Interpretation(_whole(values[0]), confidence)
    if per_month and len(quantities) == 2 and all(q.unit_months for q in quantities) \
            and quantities[0].unit_months > quantities[1].unit_months:
        return Interpretation(_whole(sum(values)), confidence)  # "two years and six months"
    if len(found) == 2 and _is_range(converted, found[0], found[1], lang):
        return Interpretation(_whole(min(values)), GUESSED)
    return None


def bounds(text: str, language: str) -> tuple[float, float] | None:
    """The range of whole numbers an answer allows, for a yes/no question a number answers
    ("Are you 18 or older?"): "I'm 17" -> (17, 17); "over 21" -> (22, inf); "under 18" ->
    (-inf, 17); "18 or older" -> (18, inf); "20 to 25" -> (20, 25); with no number, "I'm an
    adult" / "soy mayor de edad" -> (18, inf), "soy menor de edad" -> (-inf, 17); else None."""
    if not isinstance(text, str):
        return None
    lang = find_language(language)
    parsed = _parse(text, lang)
    if parsed is None:
        return None
    converted, found, _ = parsed
    if not found:
        said, words = " ".join(words_of(text)), lang.words.numbers
        if re.search(words.minor, said):
            return -math.inf, AGE_OF_MAJORITY - 1
        if re.search(words.adult, said):
            return AGE_OF_MAJORITY, math.inf
        return None
    quantities = _quantities(converted, found, lang)
    if len(quantities) == 2 and _is_range(converted, found[0], found[1], lang):
        low, high = sorted(q.value for q in quantities)
        return low, high
    if len({q.value for q in quantities}) != 1:
        return None
    q = quantities[0]
    step = 1 if q.value.is_integer() else 0
    if q.bound == "above":
        return q.value + step, math.inf
    if q.bound == "at_least":
        return q.value, math.inf
    if q.bound == "below":
        return -math.inf, q.value - step
    return q.value, q.value
