"""Start dates from speech or text: rules for what callers say most ("tomorrow", "next
Monday", "March 15"), with the words of ``engine.languages``, then dateparser."""
from __future__ import annotations

import calendar
import datetime
import re
from dataclasses import dataclass
from functools import cache

import dateparser

from ..languages import LANGUAGES, language as find_language
from ..languages.vocabulary import DateWords
from .common import GUESSED, INFERRED, PLAIN, Interpretation, alternation, fold, negated, to_digits, words

_MAX_DATEPARSER_CHARS = 100  # dateparser is slow and over-eager on long sentences


@dataclass(frozen=True)
class _Calendar:
    """One language's date words ready for the rules: names folded, months as a table."""

    code: str  # text2num and dateparser language code
    words: DateWords
    weekdays: tuple[str, ...]  # Monday first, folded
    months: dict[str, int]  # folded name or alias -> 1..12


@cache
def _calendar(code: str) -> _Calendar:
    w = find_language(code).words.dates
    months = {fold(name): number for number, name in enumerate(w.months, start=1)}
    return _Calendar(code, w, tuple(map(fold, w.weekdays)), {**months, **w.month_aliases})


def _add_months(day: datetime.date, months: int) -> datetime.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def next_month_day(today: datetime.date, month: int, day: int) -> datetime.date | None:
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


# Each rule takes (normalised text, _Calendar, today) and returns None when it does not
# apply, else (date, confidence); a date of None means "recognised, but not a valid start
# date" and stops the search ("not right now", "February 30th").
_NOT_A_DATE = (None, 0.0)
# "not right now" in any language: callers mix them.
_ALL_NEGATORS = frozenset().union(*(lang.words.yes_no.negators for lang in LANGUAGES.values()))


def _date_text(text: str, language: str) -> str:
    """Folded words with spelled numbers as digits; "/" kept for "12/1"."""
    return " ".join(words(to_digits(text.casefold(), language), keep="/"))


def _rule_day_after_tomorrow(s, c, today):
    return (today + datetime.timedelta(days=2), PLAIN) if _has(c.words.day_after_tomorrow, s) else None


def _rule_offset(s, c, today):
    m = re.search(c.words.offset, s)
    if not m:
        return None
    if m["n"].isdigit():
        n = int(m["n"])
    else:
        n = 2 if re.fullmatch(c.words.offset_two, m["n"]) else 1
    unit = next(kind for stem, kind in c.words.units.items() if m["unit"].startswith(stem))
    if unit == "month":
        return _add_months(today, n), PLAIN
    return today + datetime.timedelta(days=n * (7 if unit == "week" else 1)), PLAIN


def _rule_weekday(s, c, today):
    pattern = rf"\b(?:(?P<this>{c.words.this_weekday})\s+)?(?P<day>{alternation(c.weekdays)})\b"
    matches = list(re.finditer(pattern, s))
    if not matches:
        return None
    if _has(c.words.next_week, s):  # "next week on Friday"
        monday = _monday_of_next_week(today)
        dates = [monday + datetime.timedelta(days=c.weekdays.index(m["day"])) for m in matches]
    else:
        # Choice: on a Wednesday, "Wednesday", "next Wednesday" and "el miércoles que viene"
        # mean a week later; only "this Wednesday" / "este miércoles" means today.
        dates = [
            _weekday_on_or_after(today, c.weekdays.index(m["day"]), strictly_after=not m["this"])
            for m in matches
        ]
    # "Monday or Tuesday": the earliest, with less confidence.
    return min(dates), PLAIN if len(set(dates)) == 1 else GUESSED


def _rule_next_week(s, c, today):
    return (_monday_of_next_week(today), PLAIN) if _has(c.words.next_week, s) else None


def _rule_next_month(s, c, today):
    return (_add_months(today.replace(day=1), 1), PLAIN) if _has(c.words.next_month, s) else None


def _rule_month_day(s, c, today):
    month, ordinal = alternation(c.months), c.words.ordinal
    m = re.search(
        rf"\b(?:(?P<m1>{month})\s+(?:(?:{c.words.the})\s+)?(?P<d1>\d{{1,2}})(?:{ordinal})?"
        rf"|(?P<d2>\d{{1,2}})(?:{ordinal})?\s+(?:(?:{c.words.of})\s+)?(?P<m2>{month}))\b"
        rf"(?:\s+(?:(?:{c.words.of})\s+)?(?P<year>\d{{4}}))?",
        s,
    )
    if not m:
        return None
    month_number = c.months[m["m1"] or m["m2"]]
    day = int(m["d1"] or m["d2"])
    if not m["year"]:
        found = next_month_day(today, month_number, day)
        return (found, PLAIN) if found else _NOT_A_DATE
    try:
        return datetime.date(int(m["year"]), month_number, day), PLAIN  # past: date() rejects
    except ValueError:
        return _NOT_A_DATE


def _rule_month_only(s, c, today):
    month = alternation(c.months)
    m = re.search(rf"\b(?:{c.words.month_prefix})\s+(?P<m>{month})\b", s) or re.fullmatch(
        rf"(?P<m>{month})", s
    )
    if not m:
        return None
    month_number = c.months[m["m"]]
    if month_number == today.month:  # "in November", said in November
        return today, INFERRED
    return next_month_day(today, month_number, 1), INFERRED


def _rule_day_of_month(s, c, today):
    m = re.search(rf"\b(?:{c.words.day_prefix})\s+(?P<d>\d{{1,2}})(?:{c.words.ordinal})?\b", s) or re.search(
        rf"\b(?P<d>\d{{1,2}})(?:{c.words.ordinal})\b", s
    )
    if not m:
        return None
    found = _next_day_of_month(today, int(m["d"])) if 1 <= int(m["d"]) <= 31 else None
    return (found, PLAIN) if found else _NOT_A_DATE


def _rule_tomorrow(s, c, today):
    return (today + datetime.timedelta(days=1), PLAIN) if _has(c.words.tomorrow, s) else None


def _rule_now(s, c, today):
    m = _has(c.words.now, s)
    if not m:
        return None
    before = s[: m.start()].split()
    if negated(before, len(before), _ALL_NEGATORS, window=3):  # "not right now", "no puedo hoy"
        return _NOT_A_DATE
    return today, PLAIN


def _rule_dateparser(s, c, today):
    rest = re.sub(rf"\b(?:{c.words.filler})\b", " ", s).strip()
    if not rest or len(rest) > _MAX_DATEPARSER_CHARS or rest.isdigit():
        return None  # dateparser reads a bare "5" as a month
    settings = {
        "PREFER_DATES_FROM": "future",
        "RELATIVE_BASE": datetime.datetime.combine(today, datetime.time()),
        "DATE_ORDER": c.words.date_order,
    }
    try:
        parsed = dateparser.parse(rest, languages=[c.code], settings=settings)
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
    c = _calendar(find_language(language).code)
    normalised = _date_text(text, c.code)
    for rule in _DATE_RULES if normalised else ():
        try:
            found = rule(normalised, c, today)
        except (OverflowError, ValueError):  # past datetime.date.max: "in 99999999 days"
            return None
        if found is not None:
            day, confidence = found
            return Interpretation(day, confidence) if day is not None and day >= today else None
    return None


