"""Interpret what a caller said as a typed answer.

Input is Twilio speech-recognition text (``SpeechResult``), an SMS body, or keypad
digits (``Digits``). Output is an :class:`Interpretation` (value + confidence) or
``None`` when the answer was not understood: empty, garbage, or ambiguous ("yes no",
a choice matching two options equally). The caller decides what a low confidence
means (typically: confirm or reprompt).

Everything here is pure: no Flask, no DB, no network, no mutable module state. The
lookup tables below are constants. Languages are "en" and "es"; regional codes such as
"es-MX" are accepted and anything else falls back to English. No function raises on any
string input.
"""

from __future__ import annotations

import calendar
import datetime
import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import dateparser
from email_validator import EmailNotValidError, validate_email
from rapidfuzz import fuzz
from text_to_num import alpha2digit

__all__ = [
    "Choice",
    "Interpretation",
    "choice",
    "date",
    "digits_choice",
    "digits_date",
    "digits_number",
    "digits_yes_no",
    "email",
    "number",
    "yes_no",
]


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

_MAX_DATEPARSER_CHARS = 100  # dateparser is slow and over-eager on long sentences
_MAX_KEYPAD_DIGITS = 9  # also keeps int() well away from Python's digit limit


# --------------------------------------------------------------------------- text helpers


def _lang(language: str) -> str:
    code = str(language or "").strip().lower()[:2]
    return code if code in ("en", "es") else "en"


def _fold(text: str) -> str:
    """Casefold and strip accents: "Sí, ¡Mañana!" -> "si, ¡manana!"; "1º" -> "1o"."""
    decomposed = unicodedata.normalize("NFKD", str(text).casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _words(text: str) -> list[str]:
    """Folded words, punctuation removed; apostrophes dropped so "can't" -> "cant"."""
    folded = re.sub(r"['’`´]", "", _fold(text))
    return re.sub(r"[^\w\s]|_", " ", folded).split()


def _clauses(text: str) -> list[list[str]]:
    """Words per clause: "No, yes." -> [["no"], ["yes"]]. Negation never crosses a comma."""
    return [w for part in re.split(r"[,;:.!?¡¿()\n]+", _fold(text)) if (w := _words(part))]


def _to_digits(text: str, language: str = "en") -> str:
    """Spelled numbers to digits with text2num, keeping the text if it cannot cope."""
    try:
        return alpha2digit(text, language, threshold=0)
    except Exception:  # a third-party parser must not take the call down
        return text


def _negated(tokens: Sequence[str], start: int, negators: frozenset[str], window: int = 2) -> bool:
    return any(t in negators for t in tokens[max(0, start - window) : start])


def _phrase_table(spec: dict[object, str]) -> dict[tuple[str, ...], object]:
    """{meaning: "a|b c"} -> {("a",): meaning, ("b", "c"): meaning}."""
    return {tuple(p.split()): meaning for meaning, phrases in spec.items() for p in phrases.split("|")}


def _find_phrases(tokens: Sequence[str], table: dict[tuple[str, ...], object]):
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


def _alternation(names) -> str:
    """Regex alternation, longest first so "sept" wins over "sep"."""
    return "|".join(sorted(map(re.escape, names), key=len, reverse=True))


# ------------------------------------------------------------------------------- yes / no

_YES, _NO, _UNSURE = True, False, None

_YES_NO = {
    "en": _phrase_table(
        {
            (_YES, PLAIN): "yes|yeah|yep|yup|yea|sure|correct|absolutely|affirmative|definitely"
            "|certainly|indeed|exactly|of course|for sure|thats right|that is right"
            "|thats correct|that is correct|uh huh|mhm|mm hmm|no problem|no doubt|why not",
            (_YES, INFERRED): "y|i am|i do|i can|i have|i will|i did|i would|i could|i think so"
            "|i guess so|i believe so|right|ok|okay|alright|all right|fine",
            (_NO, PLAIN): "no|nope|nah|negative|not really|not at all|no way|never|im not"
            "|i am not|i cant|i cannot|i can not|i dont|i do not|i havent|i have not|i wont"
            "|i will not|i didnt|i did not|i wouldnt|i would not|i dont think so|i do not think so"
            "|absolutely not|definitely not|of course not|certainly not",
            (_NO, INFERRED): "n|not|afraid not|i guess not|i think not",  # "probably not"; y/n typed in texts
            (_UNSURE, PLAIN): "not sure|im not sure|i am not sure|not really sure|maybe|perhaps"
            "|i dont know|i do not know|dont know|dunno|it depends|depends|kind of|sort of|i guess",
        }
    ),
    "es": _phrase_table(
        {
            (_YES, PLAIN): "si|claro|por supuesto|correcto|asi es|claro que si|desde luego|exacto"
            "|exactamente|cierto|efectivamente|afirmativo|seguro|sin duda|no hay problema"
            "|sin problema|como no|por que no|con gusto",
            (_YES, INFERRED): "puedo|tengo|soy|estoy|ok|okay|vale|de acuerdo|bueno|creo que si"
            "|esta bien|sale|orale",
            (_NO, PLAIN): "no|no puedo|no tengo|no soy|no estoy|para nada|nunca|jamas|negativo"
            "|claro que no|por supuesto que no|de ninguna manera|tampoco|creo que no|no se puede",
            (_UNSURE, PLAIN): "no se|no estoy seguro|no estoy segura|tal vez|quizas|quiza"
            "|a lo mejor|depende|mas o menos|puede ser",
        }
    ),
}

# Words that turn a following yes-word into a no: "that's not right", "no lo puedo hacer".
_NEGATORS = {
    "en": frozenset("not dont cant cannot never wont didnt isnt arent wasnt".split()),
    "es": frozenset("no nunca jamas".split()),
}
# ...except "sure", where negation means "don't know": "I'm not really sure".
_UNSURE_WHEN_NEGATED = frozenset({("sure",), ("seguro",)})


def yes_no(text: str, language: str) -> Interpretation | None:
    """Yes/no from speech or SMS text; value is a bool.

    "Yes." -> True (0.9); "yeah I think so" -> True (0.9); "I can" -> True (0.75);
    "I'm not" -> False (0.9); "that's not right" -> False (0.75); "sí puedo" -> True;
    "no puedo" -> False; "claro que no" -> False.
    Ambiguous or unsure answers give None: "yes no", "no, yes", "not sure", "no sé".
    """
    lang = _lang(language)
    table = _YES_NO[lang]
    verdicts = []
    for clause in _clauses(text) if isinstance(text, str) else []:
        for start, phrase in _find_phrases(clause, table):
            polarity, conf = table[phrase]
            if polarity is _YES and _negated(clause, start, _NEGATORS[lang]):
                polarity = _UNSURE if phrase in _UNSURE_WHEN_NEGATED else _NO
                conf = INFERRED
            verdicts.append((polarity, conf))
    polarities = {p for p, _ in verdicts}
    if len(polarities) != 1 or _UNSURE in polarities:
        return None
    value = polarities.pop()
    return Interpretation(value, max(c for _, c in verdicts))


# --------------------------------------------------------------------------------- numbers


@dataclass(frozen=True)
class _NumberWords:
    language: str  # text2num language code
    zero: str  # phrases meaning 0 that are not number words
    phrases: tuple[tuple[str, str], ...]  # (regex, replacement) applied before text2num
    half: str  # "<n> [unit] and a half" -> n + 0.5
    range_joiner: str  # "three or four", "3 to 5"
    between: tuple[str, str]  # "between 3 and 5"


_UNITS = (
    r"(?:years?|months?|weeks?|days?|hours?|decades?"
    r"|a[ñn]os?|mes(?:es)?|semanas?|d[ií]as?|horas?)"
)

_NUMBER_WORDS = {
    "en": _NumberWords(
        language="en",
        zero=r"\b(?:none|nothing|no experience|not any|never)\b",
        phrases=(
            (r"\ba couple(?: of)?\b|\bcouple of\b", "2"),
            (r"\ba dozen\b", "12"),
            (r"\bhalf an?\b", "0.5"),
            (rf"\ban?\s+(?={_UNITS}\b)", "1 "),  # "a year and a half"
        ),
        half=r"and a half",
        range_joiner=r"or|to|through|-|–",
        between=("between", "and"),
    ),
    "es": _NumberWords(
        language="es",
        zero=r"\b(?:ninguno|ninguna|ningun|nada|sin experiencia|nunca)\b",
        phrases=(
            (r"\bun par(?: de)?\b", "2"),
            (r"\buna docena\b", "12"),
            (rf"\bmedi[oa]\s+(?={_UNITS}\b)", "0.5 "),  # "medio año"; "y medio" is `half`
        ),
        half=r"y medi[oa]",
        range_joiner=r"o|u|a|hasta|-|–",
        between=("entre", "y"),
    ),
}

_NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?![^\W\d])")  # not "1st", "2º", "v2"


def _whole(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def _numbers_in(text: str, words: _NumberWords) -> tuple[str, bool]:
    """Rewrite spoken quantities as digits; also say whether a loose phrase was used."""
    converted = text.casefold()
    inferred = False
    for pattern, replacement in words.phrases:
        converted, count = re.subn(pattern, replacement, converted)
        inferred = inferred or bool(count)
    converted = _to_digits(converted, words.language)
    if words.language == "es":
        converted = re.sub(r"(?<=\d),(?=\d)", ".", converted)  # "2,5" is 2.5
    else:
        converted = re.sub(r"(?<=\d),(?=\d{3}\b)", "", converted)  # "1,000" is 1000
    converted = re.sub(
        rf"(?<![\d.])(\d+(?:\.\d+)?)((?:\s+[^\W\d]+)?)\s+{words.half}\b",
        lambda m: f"{float(m[1]) + 0.5}{m[2]}",
        converted,
    )
    return converted, inferred


def _is_range(text: str, first: re.Match, second: re.Match, words: _NumberWords) -> bool:
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
    words = _NUMBER_WORDS[_lang(language)]
    converted, inferred = _numbers_in(text, words)
    found = list(_NUMBER.finditer(converted))
    values = [float(m[0]) for m in found]
    if not all(map(math.isfinite, values)):
        return None  # hundreds of digits: not an answer
    says_zero = re.search(words.zero, _fold(text)) is not None
    if says_zero and any(values):
        return None  # "none, well maybe two"
    if not values:
        return Interpretation(0, PLAIN) if says_zero else None
    if len(set(values)) == 1:
        return Interpretation(_whole(values[0]), INFERRED if inferred else PLAIN)
    if len(found) == 2 and _is_range(converted, found[0], found[1], words):
        return Interpretation(_whole(min(values)), GUESSED)
    return None


# ----------------------------------------------------------------------------------- dates


@dataclass(frozen=True)
class _DateWords:
    """Regex fragments for one language; the rules below are language-agnostic."""

    language: str  # text2num and dateparser language code
    weekdays: tuple[str, ...]  # Monday first, folded (no accents)
    months: dict[str, int]
    now: str
    tomorrow: str
    day_after_tomorrow: str
    this_weekday: str  # "this Friday": today counts ("next Friday", "Friday" do not)
    next_week: str
    next_month: str
    offset: str  # "in 2 weeks": groups n (digits, an article meaning 1, or `offset_two`), unit
    offset_two: str  # "a couple of" in `offset`
    units: dict[str, str]  # unit word stem -> "day" | "week" | "month"
    the: str
    of: str
    ordinal: str  # suffix after a day number
    day_prefix: str  # "the 15th", "el 15"
    month_prefix: str  # "in March", "a principios de marzo"
    date_order: str  # dateparser DATE_ORDER
    filler: str  # stripped before handing the rest to dateparser




def _month_table(*names: str) -> dict[str, int]:
    """_month_table("january|jan", ...) -> {"january": 1, "jan": 1, ...}."""
    return {alias: i for i, group in enumerate(names, start=1) for alias in group.split("|")}


_DATE_WORDS = {
    "en": _DateWords(
        language="en",
        weekdays=("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"),
        months=_month_table(
            "january|jan", "february|feb", "march|mar", "april|apr", "may", "june|jun",
            "july|jul", "august|aug", "september|sept|sep", "october|oct", "november|nov",
            "december|dec",
        ),
        now=r"right away|immediately|right now|now|today|asap|a s a p|as soon as possible"
        r"|any ?time",
        tomorrow=r"tomorrow",
        day_after_tomorrow=r"(?:the )?day after tomorrow",
        this_weekday=r"this(?: coming)?|coming",
        next_week=r"next week|the following week",
        next_month=r"next month|the following month",
        offset=r"\b(?:(?:in|within|after)\s+)?(?P<n>\d+|an?|a couple of|a couple)\s+"
        r"(?P<unit>days?|weeks?|months?)\b",
        offset_two=r"a couple(?: of)?",
        units={"day": "day", "week": "week", "month": "month"},
        the=r"the",
        of=r"of",
        ordinal=r"st|nd|rd|th",
        day_prefix=r"on the|the",
        month_prefix=r"in|early|beginning of|the beginning of|start of|the start of|around",
        date_order="MDY",
        filler=r"um+|uh+|er|well|i think|i guess|i can start|i could start|i can begin"
        r"|ill be able to start|i will be able to start|i would be able to start"
        r"|im available|i am available|available|starting|start|on|by|maybe|probably",
    ),
    "es": _DateWords(
        language="es",
        weekdays=("lunes", "martes", "miercoles", "jueves", "viernes", "sabado", "domingo"),
        months=_month_table(
            "enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
            "septiembre|setiembre", "octubre", "noviembre", "diciembre",
        ),
        now=r"ahora mismo|ahora|ya mismo|ya|inmediatamente|de inmediato|hoy mismo|hoy"
        r"|cuanto antes|lo antes posible|lo mas pronto posible",
        tomorrow=r"(?<!la )manana",  # "por la mañana" is "in the morning"
        day_after_tomorrow=r"pasado manana",
        this_weekday=r"este|esta",
        next_week=r"(?:la )?proxima semana|(?:la )?semana que viene|(?:la )?semana proxima",
        next_month=r"(?:el )?proximo mes|(?:el )?mes que viene|(?:el )?mes proximo",
        # text2num has already turned "una semana" into "1 semana".
        offset=r"\b(?:(?:en|dentro de|despues de)\s+)?(?P<n>\d+|un par de)\s+"
        r"(?P<unit>dias?|semanas?|mes(?:es)?)\b",
        offset_two=r"un par de",
        units={"dia": "day", "semana": "week", "mes": "month"},
        the=r"el",
        of=r"de|del",
        ordinal=r"o|a",  # "1º", "1ª" fold to "1o", "1a"
        day_prefix=r"el dia|el|dia",
        month_prefix=r"en|para|a principios de|principios de|a inicios de|inicios de",
        date_order="DMY",
        filler=r"eh|em+|pues|creo que|puedo empezar|podria empezar|puedo comenzar"
        r"|podria comenzar|empezar|comenzar|a partir del?|desde el|estoy disponible"
        r"|disponible|para el|el",
    ),
}


def _add_months(day: datetime.date, months: int) -> datetime.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _next_month_day(today: datetime.date, month: int, day: int) -> datetime.date | None:
    """The first month/day on or after today (up to 8 years out, for 29 February)."""
    for year in range(today.year, today.year + 9):
        try:
            candidate = datetime.date(year, month, day)
        except ValueError:
            continue
        if candidate >= today:
            return candidate
    return None


def _next_day_of_month(today: datetime.date, day: int) -> datetime.date | None:
    """"The 15th": this month if still ahead, else the next month that has that day."""
    for months_ahead in range(13):
        first = _add_months(today.replace(day=1), months_ahead)
        if day <= calendar.monthrange(first.year, first.month)[1]:
            if (candidate := first.replace(day=day)) >= today:
                return candidate
    return None


def _monday_of_next_week(today: datetime.date) -> datetime.date:
    return today + datetime.timedelta(days=7 - today.weekday())


def _weekday_on_or_after(today: datetime.date, weekday: int, strictly_after: bool) -> datetime.date:
    days = (weekday - today.weekday()) % 7
    return today + datetime.timedelta(days=7 if strictly_after and days == 0 else days)


def _has(pattern: str, text: str) -> re.Match | None:
    return re.search(rf"\b(?:{pattern})\b", text)


# Each rule takes (normalised text, vocabulary, today) and returns None when it does not
# apply, else (date, confidence); a date of None means "recognised, but not a valid start
# date" and stops the search ("not right now", "February 30th").
_NOT_A_DATE = (None, 0.0)
_ALL_NEGATORS = frozenset().union(*_NEGATORS.values())


def _date_text(text: str, language: str) -> str:
    """Folded words with spelled numbers as digits; "/" kept for "12/1"."""
    folded = re.sub(r"['’`´]", "", _fold(_to_digits(text.casefold(), language)))
    return " ".join(re.sub(r"[^\w\s/]|_", " ", folded).split())


def _rule_day_after_tomorrow(s, w, today):
    return (today + datetime.timedelta(days=2), PLAIN) if _has(w.day_after_tomorrow, s) else None


def _rule_offset(s, w, today):
    m = re.search(w.offset, s)
    if not m:
        return None
    if m["n"].isdigit():
        n = int(m["n"])
    else:
        n = 2 if re.fullmatch(w.offset_two, m["n"]) else 1
    unit = next(kind for stem, kind in w.units.items() if m["unit"].startswith(stem))
    if unit == "month":
        return _add_months(today, n), PLAIN
    return today + datetime.timedelta(days=n * (7 if unit == "week" else 1)), PLAIN


def _rule_weekday(s, w, today):
    pattern = rf"\b(?:(?P<this>{w.this_weekday})\s+)?(?P<day>{_alternation(w.weekdays)})\b"
    matches = list(re.finditer(pattern, s))
    if not matches:
        return None
    if _has(w.next_week, s):  # "next week on Friday"
        monday = _monday_of_next_week(today)
        dates = [monday + datetime.timedelta(days=w.weekdays.index(m["day"])) for m in matches]
    else:
        # Choice: on a Wednesday, "Wednesday", "next Wednesday" and "el miércoles que viene"
        # mean a week later; only "this Wednesday" / "este miércoles" means today.
        dates = [
            _weekday_on_or_after(today, w.weekdays.index(m["day"]), strictly_after=not m["this"])
            for m in matches
        ]
    # "Monday or Tuesday": the earliest, with less confidence.
    return min(dates), PLAIN if len(set(dates)) == 1 else GUESSED


def _rule_next_week(s, w, today):
    return (_monday_of_next_week(today), PLAIN) if _has(w.next_week, s) else None


def _rule_next_month(s, w, today):
    return (_add_months(today.replace(day=1), 1), PLAIN) if _has(w.next_month, s) else None


def _rule_month_day(s, w, today):
    month, ordinal = _alternation(w.months), w.ordinal
    m = re.search(
        rf"\b(?:(?P<m1>{month})\s+(?:(?:{w.the})\s+)?(?P<d1>\d{{1,2}})(?:{ordinal})?"
        rf"|(?P<d2>\d{{1,2}})(?:{ordinal})?\s+(?:(?:{w.of})\s+)?(?P<m2>{month}))\b"
        rf"(?:\s+(?:(?:{w.of})\s+)?(?P<year>\d{{4}}))?",
        s,
    )
    if not m:
        return None
    month_number = w.months[m["m1"] or m["m2"]]
    day = int(m["d1"] or m["d2"])
    if not m["year"]:
        found = _next_month_day(today, month_number, day)
        return (found, PLAIN) if found else _NOT_A_DATE
    try:
        return datetime.date(int(m["year"]), month_number, day), PLAIN  # past: date() rejects
    except ValueError:
        return _NOT_A_DATE


def _rule_month_only(s, w, today):
    month = _alternation(w.months)
    m = re.search(rf"\b(?:{w.month_prefix})\s+(?P<m>{month})\b", s) or re.fullmatch(
        rf"(?P<m>{month})", s
    )
    if not m:
        return None
    month_number = w.months[m["m"]]
    if month_number == today.month:  # "in November", said in November
        return today, INFERRED
    return _next_month_day(today, month_number, 1), INFERRED


def _rule_day_of_month(s, w, today):
    m = re.search(rf"\b(?:{w.day_prefix})\s+(?P<d>\d{{1,2}})(?:{w.ordinal})?\b", s) or re.search(
        rf"\b(?P<d>\d{{1,2}})(?:{w.ordinal})\b", s
    )
    if not m:
        return None
    found = _next_day_of_month(today, int(m["d"])) if 1 <= int(m["d"]) <= 31 else None
    return (found, PLAIN) if found else _NOT_A_DATE


def _rule_tomorrow(s, w, today):
    return (today + datetime.timedelta(days=1), PLAIN) if _has(w.tomorrow, s) else None


def _rule_now(s, w, today):
    m = _has(w.now, s)
    if not m:
        return None
    before = s[: m.start()].split()
    if _negated(before, len(before), _ALL_NEGATORS, window=3):  # "not right now", "no puedo hoy"
        return _NOT_A_DATE
    return today, PLAIN


def _rule_dateparser(s, w, today):
    rest = re.sub(rf"\b(?:{w.filler})\b", " ", s).strip()
    if not rest or len(rest) > _MAX_DATEPARSER_CHARS or rest.isdigit():
        return None  # dateparser reads a bare "5" as a month
    settings = {
        "PREFER_DATES_FROM": "future",
        "RELATIVE_BASE": datetime.datetime.combine(today, datetime.time()),
        "DATE_ORDER": w.date_order,
    }
    try:
        parsed = dateparser.parse(rest, languages=[w.language], settings=settings)
    except Exception:  # a third-party parser must not take the call down
        return None
    return (parsed.date(), INFERRED) if parsed else None


# Most specific first: "a week from now" is not "now", "el lunes por la mañana" is not
# "mañana", and "next week on Friday" is a weekday.
_DATE_RULES = (
    _rule_day_after_tomorrow,
    _rule_offset,
    _rule_weekday,
    _rule_next_week,
    _rule_next_month,
    _rule_month_day,
    _rule_month_only,
    _rule_day_of_month,
    _rule_tomorrow,
    _rule_now,
    _rule_dateparser,
)


def date(text: str, language: str, today: datetime.date) -> Interpretation | None:
    """A start date from speech or SMS text; value is a datetime.date, never before today.

    Examples with today = Wednesday 2026-11-18:
    "right away" / "ahora mismo" / "hoy" -> 2026-11-18; "tomorrow" / "mañana" -> 11-19;
    "next Monday" / "el próximo lunes" / "el lunes que viene" -> 11-23;
    "Friday" / "el viernes" -> 11-20; "Wednesday" -> 11-25 (a bare or "next" weekday is
    strictly after today) but "this Wednesday" -> 11-18; "in two weeks" / "en dos semanas"
    -> 12-02; "next week" / "la semana que viene" -> Monday 11-23; "next month" / "el
    próximo mes" -> 12-01; "March 15" / "15 de marzo" -> 2027-03-15; "the 15th" -> 12-15
    (the next 15th); "in January" -> 2027-01-01 (0.75). Otherwise dateparser (0.75).
    A month and day without a year roll to next year; anything else in the past -> None.
    """
    if not isinstance(text, str) or not isinstance(today, datetime.date):
        return None
    if isinstance(today, datetime.datetime):
        today = today.date()
    words = _DATE_WORDS[_lang(language)]
    normalised = _date_text(text, words.language)
    for rule in _DATE_RULES if normalised else ():
        try:
            found = rule(normalised, words, today)
        except (OverflowError, ValueError):  # past datetime.date.max: "in 99999999 days"
            return None
        if found is not None:
            day, confidence = found
            return Interpretation(day, confidence) if day is not None and day >= today else None
    return None


# ---------------------------------------------------------------------------------- choice


def _numbered(*phrases: str, last: str | None = None) -> dict[tuple[str, ...], int]:
    """Phrase table for option positions: the n-th argument means option n; `last` is -1."""
    positions = dict(enumerate(phrases, start=1))
    return _phrase_table({**positions, -1: last} if last else positions)


_ORDINALS = {
    "en": _numbered(
        "first|1st", "second|2nd", "third|3rd", "fourth|4th", "fifth|5th", "sixth|6th",
        "seventh|7th", "eighth|8th", "ninth|9th", "tenth|10th",
        last="last|the last one",
    ),
    "es": _numbered(  # "1º", "1ª" fold to "1o", "1a"
        "primero|primera|primer|1o|1a", "segundo|segunda|2o|2a", "tercero|tercera|tercer|3o|3a",
        "cuarto|cuarta|4o|4a", "quinto|quinta|5o|5a", "sexto|sexta", "septimo|septima",
        "octavo|octava", "noveno|novena", "decimo|decima",
        last="ultimo|ultima",
    ),
}
_CARDINALS = {
    "en": _numbered("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"),
    "es": _numbered("uno|una", "dos", "tres", "cuatro", "cinco", "seis", "siete", "ocho", "nueve", "diez"),
}
# A bare cardinal is only an option number after one of these ("number two", "la dos").
_NUMBER_CUES = {
    "en": frozenset("number option choice press the".split()),
    "es": frozenset("numero opcion la el marco".split()),
}
_FILLERS = {
    "en": frozenset("um umm uh uhh er erm hmm mm ah oh well please".split()),
    "es": frozenset("eh em emm mm mmm ah pues".split()),
}
_CHOICE_NEGATORS = {"en": _NEGATORS["en"] | {"no"}, "es": _NEGATORS["es"]}
# Too common to tell options apart: "the warehouse one" names the warehouse, not "one".
_FUNCTION_WORDS = frozenset("the and for with one los las del con para una uno".split())
_FUZZY_CUTOFF = 80
_FUZZY_MARGIN = 5  # fuzzy scores closer than this are "equally good"
_FUZZY_WEIGHT = 0.8  # a fuzzy match is never as sure as a label said outright


@dataclass(frozen=True)
class _Heard:
    """An answer and the options, normalised once for all the steps."""

    language: str
    clauses: list[list[str]]
    content: tuple[str, ...]  # every word but fillers
    labels: list[set[tuple[str, ...]]]  # per option, each label as words
    distinctive: list[set[str]]  # per option, label words no other option uses
    negators: frozenset[str]

    @classmethod
    def of(cls, text: str, options: Sequence[Choice], language: str) -> _Heard:
        clauses = _clauses(text)
        labels = [{tuple(_words(label)) for label in o.labels} - {()} for o in options]
        words = [
            {w for label in option for w in label if len(w) > 2 and w not in _FUNCTION_WORDS}
            for option in labels
        ]
        distinctive = [own.difference(*words[:i], *words[i + 1 :]) for i, own in enumerate(words)]
        content = tuple(t for tokens in clauses for t in tokens if t not in _FILLERS[language])
        return cls(language, clauses, content, labels, distinctive, _CHOICE_NEGATORS[language])


# Each step below returns the indexes of the options it heard (empty: no opinion) and how
# sure it is. The first step with an opinion decides; more than one option is ambiguous.


def _exact_label(heard: _Heard) -> tuple[set[int], float]:
    return {i for i, labels in enumerate(heard.labels) if heard.content in labels}, EXACT


def _whole_label(heard: _Heard) -> tuple[set[int], float]:
    """Options with a label said whole-word and not negated; "night shift" beats "shift"."""
    sizes: dict[int, int] = {}
    for tokens in heard.clauses:
        for option, labels in enumerate(heard.labels):
            for label in labels:
                for start in range(len(tokens) - len(label) + 1):
                    said = tuple(tokens[start : start + len(label)]) == label
                    if said and not _negated(tokens, start, heard.negators):  # "not the night shift"
                        sizes[option] = max(sizes.get(option, 0), len(label))
    longest = max(sizes.values(), default=0)
    return {option for option, size in sizes.items() if size == longest}, CONTAINED


def _label_words(heard: _Heard) -> tuple[set[int], float]:
    """Part of a label: "the warehouse one" for "Warehouse Associate"."""
    said = {
        token
        for tokens in heard.clauses
        for i, token in enumerate(tokens)
        if not _negated(tokens, i, heard.negators)
    }
    overlap = [len(words & said) for words in heard.distinctive]
    most = max(overlap)
    return ({i for i, n in enumerate(overlap) if n == most} if most else set()), INFERRED


def _position(heard: _Heard) -> tuple[set[int], float]:
    """Ordinals ("the second one", "la última") or numbers ("option 3", "dos", "1")."""
    table = _ORDINALS[heard.language]
    said = {table[phrase] for tokens in heard.clauses for _, phrase in _find_phrases(tokens, table)}
    if not said:  # with an ordinal, "one" is a pronoun: "the second one"
        for tokens in heard.clauses:
            for i, token in enumerate(tokens):
                if token.isdecimal() and len(token) < 3:
                    value = int(token)
                else:
                    value = _CARDINALS[heard.language].get((token,))
                cued = i > 0 and tokens[i - 1] in _NUMBER_CUES[heard.language]
                if value is not None and (cued or len(heard.content) == 1):
                    said.add(value)
    count = len(heard.labels)
    indexes = {count - 1 if n == -1 else n - 1 for n in said}
    if len(indexes) == 1 and not 0 <= min(indexes) < count:
        return set(), CONTAINED  # "the fifth" of three: no opinion; fuzzy matching may have one
    return indexes, CONTAINED


def _fuzzy(heard: _Heard) -> tuple[set[int], float]:
    """Misheard labels ("knights") or label words ("wearhouse"), scored with rapidfuzz."""
    if not heard.content:
        return set(), 0.0
    scores = [
        _fuzzy_score(heard.content, labels | {(w,) for w in words})
        for labels, words in zip(heard.labels, heard.distinctive)
    ]
    best = max(scores)
    if best < _FUZZY_CUTOFF:
        return set(), 0.0
    close = {i for i, score in enumerate(scores) if score > best - _FUZZY_MARGIN}
    return close, round(_FUZZY_WEIGHT * best / 100, 2)


def _fuzzy_score(tokens: Sequence[str], labels) -> float:
    """Best similarity (0..100) of any label to any run of about as many words in the answer.

    Windows rather than WRatio over the whole answer, so one misheard word ("knights") in a
    sentence still scores high while short labels do not match random substrings.
    """
    best = 0.0
    for label in labels:
        target = " ".join(label)
        best = max(best, fuzz.ratio(" ".join(tokens), target))
        for size in {max(1, len(label) - 1), len(label), len(label) + 1}:
            for start in range(len(tokens) - size + 1):
                best = max(best, fuzz.ratio(" ".join(tokens[start : start + size]), target))
    return best


_CHOICE_STEPS = (_exact_label, _whole_label, _label_words, _position, _fuzzy)


def choice(text: str, options: Sequence[Choice], language: str) -> Interpretation | None:
    """Which option the caller picked; value is the option's key.

    With options days=("days", "day shift") and nights=("nights", "night shift"):
    "Days." -> "days" (0.95); "I'd prefer the night shift" -> "nights" (0.85);
    "not nights, days" -> "days"; "the first one" / "number one" / "la primera" / "uno"
    / "1" -> "days" (0.85); "knights" -> "nights" (fuzzy, ~0.74);
    "days or nights" / "either" -> None. With "Warehouse Associate" and "Delivery Driver":
    "the warehouse one" -> the first (0.75).
    Order: exact label, contained label, distinctive label word, ordinal or number, fuzzy.
    """
    if not isinstance(text, str) or not options:
        return None
    heard = _Heard.of(text, options, _lang(language))
    for step in _CHOICE_STEPS:
        found, confidence = step(heard)
        if found:
            return Interpretation(options[found.pop()].key, confidence) if len(found) == 1 else None
    return None


# ----------------------------------------------------------------------------------- email

# The lookbehind anchors each try at the start of a run (no quadratic rescans).
_TYPED_EMAIL = re.compile(r"(?<![\w.%+'-])[\w.%+'-]+@[\w-]+(?:\.[\w-]+)+")
# Spoken separators, multi-word forms first; applied to folded text.
_SPOKEN_SYMBOLS = (
    (r"guion bajo|under ?score|barra baja", " _ "),
    (r"at sign|arroba", " @ "),
    (r"at", " @ "),
    (r"dot|punto", " . "),
    (r"dash|hyphen|guion", " - "),
    (r"plus", " + "),
)
_SEPARATORS = frozenset("._-+")
_TLDS = frozenset("com net org edu gov io co us mx es uk ca info biz me".split())
# Words that come before an address and are never part of it.
_PREAMBLE = frozenset(
    "my email is its it address e mail the yes sure ok okay"
    " mi correo es electronico direccion si".split()
)


def _valid(address: str) -> str | None:
    try:
        return validate_email(address, check_deliverability=False).normalized
    except (EmailNotValidError, ValueError, TypeError):
        return None


def _is_word(token: str) -> bool:
    return token not in _SEPARATORS and token != "@"


def _local_part(tokens: list[str], at: int) -> tuple[str, int, bool] | None:
    """Walk back from "@": words joined by spoken separators, or a run of spelled letters.

    Returns (local part, index of its first token, whether it was spelled letter by letter).
    """
    i = at - 1
    if i < 0 or not _is_word(tokens[i]):
        return None
    parts, spelled = [tokens[i]], False
    while i > 0:
        prev = tokens[i - 1]
        if prev in _SEPARATORS and i > 1 and _is_word(tokens[i - 2]):
            parts[:0] = [tokens[i - 2], prev]
            i -= 2
        elif len(tokens[i]) == 1 and len(prev) == 1 and prev.isalnum():  # "j a n e"
            parts.insert(0, prev)
            i, spelled = i - 1, True
        elif tokens[i].isdigit() and prev.isalnum() and prev not in _PREAMBLE:  # "jane 84"
            parts.insert(0, prev)
            i -= 1
        else:
            break
    return "".join(parts), i, spelled


def _domain(tokens: list[str], at: int) -> str | None:
    """Walk forward from "@": "gmail . com", "gmail.com", or "gmail com"."""
    j = at + 1
    if j >= len(tokens) or not _is_word(tokens[j]):
        return None
    domain = tokens[j]
    while j + 1 < len(tokens):
        nxt = tokens[j + 1]
        if nxt in _SEPARATORS and j + 2 < len(tokens) and _is_word(tokens[j + 2]):
            domain += nxt + tokens[j + 2]
            j += 2
        elif nxt in _TLDS and "." not in domain:  # recognisers drop the "dot"
            domain += "." + nxt
            j += 1
        else:
            break
    return domain


def _spoken_email(text: str) -> Interpretation | None:
    spoken = _fold(text).replace("'", "")
    for pattern, symbol in _SPOKEN_SYMBOLS:
        spoken = re.sub(rf"\b(?:{pattern})\b", symbol, spoken)
    # Keep address characters; trailing sentence punctuation is not part of a token.
    tokens = [t.strip(".-") or t for t in re.findall(r"[\w.+@-]+", spoken)]
    tokens = [t for t in tokens if t]
    for at, token in enumerate(tokens):
        if token != "@":
            continue
        local, domain = _local_part(tokens, at), _domain(tokens, at)
        if local and domain and (address := _valid(f"{local[0]}@{domain}")):
            return Interpretation(address, _spoken_confidence(tokens, *local[1:]))
    return None


def _spoken_confidence(tokens: list[str], start: int, spelled: bool) -> float:
    if spelled:
        return INFERRED
    # "Jane Doe at gmail dot com": the word before may belong to the address ("janedoe").
    before = tokens[start - 1] if start > 0 else None
    return GUESSED if before and _is_word(before) and before not in _PREAMBLE else SPOKEN


def email(text: str) -> Interpretation | None:
    """An email address, typed or spoken; value is the normalised address (domain lowercased).

    "My email is Jane.Doe@Example.com." -> "Jane.Doe@example.com" (0.95);
    "jane dot doe at gmail dot com" -> "jane.doe@gmail.com" (0.8);
    "jane underscore doe at yahoo dot com", "jane dash doe at outlook dot com",
    "jane punto doe arroba gmail punto com", "guion", "guion bajo" work alike;
    "j a n e at gmail dot com" -> "jane@gmail.com" (0.75). Invalid -> None.
    """
    if not isinstance(text, str):
        return None
    for typed in _TYPED_EMAIL.findall(text):
        if address := _valid(typed):
            return Interpretation(address, EXACT)
    return _spoken_email(text)


# ---------------------------------------------------------------------------------- keypad


def _keypad(digits: str) -> str | None:
    """Twilio Digits without the terminating '#' or '*'; None unless only 0-9 remain."""
    if not isinstance(digits, str):
        return None
    cleaned = digits.strip().rstrip("#*").strip()
    return cleaned if re.fullmatch(r"[0-9]{1,%d}" % _MAX_KEYPAD_DIGITS, cleaned) else None


def digits_yes_no(digits: str) -> Interpretation | None:
    """Keypad yes/no: "1" -> True, "2" -> False, anything else -> None."""
    return {"1": Interpretation(True, KEYPAD), "2": Interpretation(False, KEYPAD)}.get(_keypad(digits))


def digits_number(digits: str) -> Interpretation | None:
    """Keypad number (int): "12" -> 12, "5#" -> 5, "007" -> 7; at most 9 digits."""
    cleaned = _keypad(digits)
    return Interpretation(int(cleaned), KEYPAD) if cleaned else None


def digits_date(digits: str, today: datetime.date) -> Interpretation | None:
    """Keypad date as MMDD, the next occurrence on or after today; "0"/"00" -> today.

    With today = 2026-11-18: "1201" -> 2026-12-01, "0315" -> 2027-03-15,
    "1118" -> 2026-11-18, "1301" / "0230" / "123" -> None.
    """
    cleaned = _keypad(digits)
    if cleaned is None or not isinstance(today, datetime.date):
        return None
    if isinstance(today, datetime.datetime):
        today = today.date()
    if cleaned in ("0", "00"):
        return Interpretation(today, KEYPAD)
    if len(cleaned) != 4:
        return None
    found = _next_month_day(today, int(cleaned[:2]), int(cleaned[2:]))
    return Interpretation(found, KEYPAD) if found else None


def digits_choice(digits: str, options: Sequence[Choice]) -> Interpretation | None:
    """Keypad choice, 1-based: "2" -> options[1].key; 0 or past the end -> None."""
    cleaned = _keypad(digits)
    if cleaned is None or not options or not 1 <= int(cleaned) <= len(options):
        return None
    return Interpretation(options[int(cleaned) - 1].key, KEYPAD)
