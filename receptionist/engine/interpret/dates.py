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
from .common import GUESSED, INFERRED, PLAIN, Interpretation, alternation, corrected, fold, negated, spoken_years, \
    to_digits, words

_MAX_DATEPARSER_CHARS = 100  # dateparser is slow and over-eager on long sentences


@dataclass(frozen=True)
class _Calendar:
    """One language's date words ready for the rules: names folded, months as a table."""

    code: str  # text2num and dateparser language code
    words: DateWords
    weekdays: dict[str, int]  # folded name or alias -> 0 (Monday) .. 6
    months: dict[str, int]  # folded name or alias -> 1..12


@cache
def _calendar(code: str) -> _Calendar:
    w = find_language(code).words.dates
    months = {fold(name): number for number, name in enumerate(w.months, start=1)}
    weekdays = {fold(name): number for number, name in enumerate(w.weekdays)}
    return _Calendar(code, w, {**weekdays, **w.weekday_aliases}, {**months, **w.month_aliases})


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
_NOT_A_DATE = (None, "invalid")
_PAST, _TOO_FAR, _YEAR_ONLY = (None, "past"), (None, "too_far"), (None, "year_only")
_MAX_DAYS_AHEAD = 366  # a start date more than a year out is no start date
_EARLIEST_YEAR, _LATEST_YEAR = 1900, 2199
# "not right now" in any language: callers mix them.
_ALL_NEGATORS = frozenset().union(*(lang.words.yes_no.negators for lang in LANGUAGES.values()))


def _date_text(text: str, c: _Calendar) -> str:
    """Folded words with spelled numbers as digits; "/" kept for "12/1"; spoken years as
    one number ("twenty twelve" -> "20 12" -> "2012"); "1.er" -> "1er"; "2wks" -> "2 wks"."""
    said = " ".join(words(to_digits(text.casefold(), c.code), keep="/"))
    said = re.sub(rf"\b(\d{{1,2}}) ({c.words.ordinal_split})\b", r"\1\2", said)
    said = re.sub(rf"\b(\d+)(?=(?:{alternation(c.words.units)})[^\W\d]*\b)", r"\1 ", said)  # "2wks" texted
    return spoken_years(said)


def _rule_weekday_after(s, c, today):
    """"the Monday after Thanksgiving", "el lunes después del 15": the first such weekday
    after the day the other rules read from the rest; "the Monday after next": that
    weekday in the week after next."""
    m = re.search(rf"\b(?P<day>{alternation(c.weekdays)})\s+(?:{c.words.after})\s+(?P<rest>.+)$", s)
    if not m:
        return None
    weekday = c.weekdays[m["day"]]
    if re.fullmatch(c.words.next_one, m["rest"]):
        return _monday_of_next_week(today) + datetime.timedelta(weeks=1, days=weekday), PLAIN
    found = _day_of(m["rest"], c, today)
    if found is None or found[0] is None:
        return found
    return _weekday_on_or_after(found[0], weekday, strictly_after=True), found[1]


def _rule_after(s, c, today):
    """"after Christmas", "sometime after the 15th", "después de navidad", answering the
    earliest start: the day after, at 0.6 (read back when the question is scored). What
    follows must be a day the rules read: "after the holidays" (which ones?) and "after I
    get my license" stay a bound."""
    if not re.search(rf"\b(?:{c.words.bound})\b", s):
        return None  # "after two weeks" is no bound: the offset rules read it
    m = re.fullmatch(rf"(?:(?:{c.words.after_lead}) )?(?:{c.words.after}) (?P<rest>.+)", _without_filler(s, c))
    found = _day_of(m["rest"], c, today) if m else None
    if found is None or found[0] is None:
        return found
    return found[0] + datetime.timedelta(days=1), min(found[1], GUESSED)


def _day_of(rest: str, c: _Calendar, today: datetime.date):
    """``rest`` read by the rules that name one day (not the bound nor the past ones, not
    dateparser: the rest of "the Monday after ...", "after ..."), or None."""
    for rule in _DATE_RULES[_DATE_RULES.index(_rule_past) + 1 : -1]:
        if (found := rule(rest, c, today)) is not None:
            return found
    return None


def _rule_bound(s, c, today):
    """"after Christmas", "before the 15th": a bound, not one day."""
    return _NOT_A_DATE if re.search(rf"\b(?:{c.words.bound})\b", s) else None


def _rule_past(s, c, today):
    return _PAST if re.search(c.words.past, s) else None


def _rule_numeric(s, c, today):
    """"12/1" (MDY, English) or "4/7" (DMY, Spanish: 4 July), with an optional year."""
    m = re.search(r"\b(\d{1,2})/(\d{1,2})(?:/(\d{2}|\d{4}))?\b", s)
    if not m:
        return None
    first, second = int(m[1]), int(m[2])
    month, day = (second, first) if c.words.date_order.startswith("D") else (first, second)
    if not 1 <= month <= 12:
        return _NOT_A_DATE
    if m[3]:
        year = int(m[3]) + (2000 if len(m[3]) == 2 else 0)
        try:
            return datetime.date(year, month, day), PLAIN
        except ValueError:
            return _NOT_A_DATE
    found = next_month_day(today, month, day)
    return (found, PLAIN) if found else _NOT_A_DATE


def _holiday_date(rule: str, year: int) -> datetime.date:
    """"MM-DD" or "MM:weekday:n[+days]" (see ``DateWords.holidays``) in ``year``."""
    if "-" in rule and ":" not in rule:
        month, day = map(int, rule.split("-"))
        return datetime.date(year, month, day)
    month, weekday, rest = rule.split(":")
    nth, _, extra = rest.partition("+")
    return _nth_weekday(year, int(month), int(weekday), int(nth)) + datetime.timedelta(days=int(extra or 0))


def _nth_weekday(year: int, month: int, weekday: int, nth: int) -> datetime.date:
    """The ``nth`` (1-based; -1: last) ``weekday`` of a month; ValueError past its end."""
    if nth == -1:
        last = datetime.date(year, month, calendar.monthrange(year, month)[1])
        return last - datetime.timedelta(days=(last.weekday() - weekday) % 7)
    first = datetime.date(year, month, 1)
    day = first + datetime.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (nth - 1))
    if day.month != month:
        raise ValueError("no such weekday in that month")
    return day


def _rule_holiday(s, c, today):
    for pattern, rule in c.words.holidays.items():
        if re.search(rf"\b(?:{pattern})\b", s):
            this_year = _holiday_date(rule, today.year)
            return (this_year if this_year >= today else _holiday_date(rule, today.year + 1)), PLAIN
    return None


def _rule_nth_weekday_of_month(s, c, today):
    """"first Tuesday of October", "el primer martes de octubre", "the 2nd Monday of next month"."""
    m = re.search(rf"\b(?P<n>[1-5])(?:{c.words.ordinal})?\s+(?P<day>{alternation(c.weekdays)})\s+"
                  rf"(?:{c.words.of}|in|en)\s+(?:(?P<next>{c.words.next_month})|(?P<month>{alternation(c.months)}))\b",
                  s)
    if not m:
        return None
    weekday, nth = c.weekdays[m["day"]], int(m["n"])
    try:
        if m["next"]:
            first = _add_months(today.replace(day=1), 1)
            return _nth_weekday(first.year, first.month, weekday, nth), PLAIN
        month = c.months[m["month"]]
        for year in (today.year, today.year + 1):
            if (found := _nth_weekday(year, month, weekday, nth)) >= today:
                return found, PLAIN
    except ValueError:  # "the fifth Monday" of a month with four
        return _NOT_A_DATE
    return _NOT_A_DATE


def _month_after(s: str, c: _Calendar, today: datetime.date) -> tuple[datetime.date, bool] | None:
    """(the first of the month named at the start of ``s``, whether it went unnamed): a
    month name (its next start, or this month's if it is this month), ``next_month``,
    ``this_month``, or ``the_month`` (this month, unnamed); None when ``s`` does not start
    with one."""
    m = re.match(rf"\s*(?:(?P<next>{c.words.next_month})|(?P<month>{alternation(c.months)})"
                 rf"|{c.words.this_month}|(?P<unnamed>{c.words.the_month}))\b", s)
    if not m:
        return None
    this_month = today.replace(day=1)
    if m["next"]:
        return _add_months(this_month, 1), False
    if m["month"] and c.months[m["month"]] != today.month:
        return next_month_day(today, c.months[m["month"]], 1), False
    return this_month, bool(m["unnamed"])


def _part_of(first: datetime.date, day: int, unnamed: bool, today: datetime.date):
    """``day`` of the month starting ``first``, clipped to its length (0.75). A part of a
    named month that has begun counts from today ("mid November" on the 24th); of "the
    month", unnamed, that has passed, next month's ("beginning of the month" on the 18th is
    the 1st of next month: nobody offers to start on a day gone by)."""
    found = first.replace(day=min(day, calendar.monthrange(first.year, first.month)[1]))
    if unnamed and found < today:
        following = _add_months(first, 1)
        found = following.replace(day=min(day, calendar.monthrange(following.year, following.month)[1]))
    return _on_or_after_today(found, today)


def _on_or_after_today(day: datetime.date, today: datetime.date):
    """A part of this month that has begun: from today ("mid November" on the 24th)."""
    return max(day, today), INFERRED


def _rule_end_of_week(s, c, today):
    """"End of the week" / "a fin de semana" -> this week's Friday (today from Friday on; 0.75:
    a part of a week, not a day)."""
    if not _has(c.words.end_of_week, s):
        return None
    return _on_or_after_today(today + datetime.timedelta(days=4 - today.weekday()), today)


def _rule_weekend(s, c, today):
    """"This weekend" / "fin de semana" -> the coming Saturday (today on a weekend day);
    "next weekend" / "el fin de semana que viene" -> the Saturday strictly after today, as a
    "next Friday" is (0.75: a weekend, not a day)."""
    m = _has(c.words.weekend, s)
    if not m:
        return None
    following = any(v for k, v in m.groupdict().items() if k.startswith("next"))
    if today.weekday() >= 5 and not following:
        return today, INFERRED
    return _weekday_on_or_after(today, 5, strictly_after=following), INFERRED


def _rule_week_after_next(s, c, today):
    """"The week after next" / "la semana después de la próxima" -> that week's Monday."""
    if not _has(c.words.week_after_next, s):
        return None
    return _monday_of_next_week(today) + datetime.timedelta(weeks=1), PLAIN


def _rule_part_of_month(s, c, today):
    """"mid December" -> the 15th, "end of the month" / "fin de mes" -> its last day,
    "beginning of next month" -> the 1st (0.75: a part of a month, not a day)."""
    for pattern, part in c.words.month_parts.items():
        for m in re.finditer(rf"\b(?:{pattern})\b", s):
            if (found := _month_after(s[m.end():], c, today)) is None:
                continue
            return _part_of(found[0], {"start": 1, "middle": 15}.get(part, 31), found[1], today)
    return None


def _rule_week_of_month(s, c, today):
    """"the first week of January" -> Jan 1, "la segunda semana de diciembre" -> Dec 8,
    "the last week of December" -> Dec 25: the week's first day, counted from the 1st."""
    for m in re.finditer(rf"\b(?:{c.words.week_of})", s):
        if (found := _month_after(s[m.end():], c, today)) is None:
            continue
        first, unnamed = found
        last = calendar.monthrange(first.year, first.month)[1]
        day = last - 6 if m["last"] else 1 + 7 * (int(m["n"]) - 1)
        return _part_of(first, day, unnamed, today) if day <= last else _NOT_A_DATE
    return None


def _rule_day_of_next_month(s, c, today):
    """"the 20th of next month", "el 20 del próximo mes"; "the 4th of this month" (which
    may have passed); "the first of the month" / "primero de mes": the next such day."""
    m = re.search(rf"\b(?P<d>\d{{1,2}})(?:{c.words.ordinal})?\s+(?:{c.words.of})\s+"
                  rf"(?:(?P<next>{c.words.next_month})|{c.words.this_month}|(?P<unnamed>{c.words.the_month}))\b", s)
    if not m:
        return None
    if m["unnamed"]:
        found = _next_day_of_month(today, int(m["d"])) if 1 <= int(m["d"]) <= 31 else None
        return (found, PLAIN) if found else _NOT_A_DATE
    first = _add_months(today.replace(day=1), 1) if m["next"] else today.replace(day=1)
    try:
        return first.replace(day=int(m["d"])), PLAIN
    except ValueError:
        return _NOT_A_DATE


def _rule_weekday_and_day(s, c, today):
    """"Monday the 30th", "el lunes 30", "Wednesday, June 25", "miércoles 25 de junio": the
    day, if it falls on that weekday (the weekday only confirms it)."""
    weekday = re.search(rf"\b(?P<day>{alternation(c.weekdays)})\s+", s)
    if not weekday:
        return None
    rest = s[weekday.end():]
    if (dated := _month_day_pattern(c).match(re.sub(rf"^(?:{c.words.day_prefix})\s+", "", rest))) is not None:
        found = _month_day(dated, c, today)
    else:
        m = re.match(rf"(?:(?:{c.words.day_prefix})\s+)?(?P<d>\d{{1,2}})(?:{c.words.ordinal})?\b", rest)
        if not m:
            return None
        found = (_next_day_of_month(today, int(m["d"])), PLAIN) if 1 <= int(m["d"]) <= 31 else _NOT_A_DATE
    if found[0] is None or found[0].weekday() != c.weekdays[weekday["day"]]:
        return _NOT_A_DATE  # "Monday the 31st" when the 31st is a Thursday: which one?
    return found


def _rule_weekdays_from_now(s, c, today):
    """"3 Fridays from now": the third Friday after today."""
    m = re.search(rf"\b(?P<n>\d{{1,2}})\s+(?P<day>{alternation(c.weekdays)})s?\s+(?:{c.words.from_now})\b", s)
    if not m:
        return None
    first = _weekday_on_or_after(today, c.weekdays[m["day"]], strictly_after=True)
    return first + datetime.timedelta(weeks=int(m["n"]) - 1), PLAIN


def _rule_year_only(s, c, today):
    """A year and no day ("2027", "next year", "nineteen seventy six"): not a start date."""
    if re.search(rf"\b(?:{c.words.year_only})\b", s):
        return _YEAR_ONLY
    years = [int(y) for y in re.findall(r"\b(\d{4})\b", s) if _EARLIEST_YEAR <= int(y) <= _LATEST_YEAR]
    if not years:
        return None
    return _PAST if max(years) < today.year else _YEAR_ONLY


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
    # "a week from Monday": counted from that Monday, not from today.
    after = re.match(rf"\s+(?:{c.words.from_day})\s+(?P<day>{alternation(c.weekdays)})\b", s[m.end():])
    start = _weekday_on_or_after(today, c.weekdays[after["day"]], strictly_after=True) if after else today
    if unit == "month":
        return _add_months(start, n), PLAIN
    if unit == "day" and n in c.words.days_meaning_weeks:
        n, unit = c.words.days_meaning_weeks[n], "week"
    return start + datetime.timedelta(days=n * (7 if unit == "week" else 1)), PLAIN


def _rule_weekday(s, c, today):
    pattern = rf"\b(?:(?P<this>{c.words.this_weekday})\s+)?(?P<day>{alternation(c.weekdays)})\b"
    matches = list(re.finditer(pattern, s))
    if not matches:
        return None
    if _has(c.words.next_week, s):  # "next week on Friday"
        monday = _monday_of_next_week(today)
        dates = [monday + datetime.timedelta(days=c.weekdays[m["day"]]) for m in matches]
    else:
        # Choice: on a Wednesday, "Wednesday", "next Wednesday" and "el miércoles que viene"
        # mean a week later; only "this Wednesday" / "este miércoles" means today.
        dates = [
            _weekday_on_or_after(today, c.weekdays[m["day"]], strictly_after=not m["this"])
            for m in matches
        ]
    # "Monday or Tuesday": the earliest, with less confidence.
    return min(dates), PLAIN if len(set(dates)) == 1 else GUESSED


def _rule_next_week(s, c, today):
    return (_monday_of_next_week(today), PLAIN) if _has(c.words.next_week, s) else None


def _rule_next_month(s, c, today):
    return (_add_months(today.replace(day=1), 1), PLAIN) if _has(c.words.next_month, s) else None


def _month_day_pattern(c) -> re.Pattern:
    """"March 15", "15 de marzo", "March the 15th 2027": groups m1/d1 or d2/m2, and year."""
    month, ordinal = alternation(c.months), c.words.ordinal
    return re.compile(
        rf"\b(?:(?P<m1>{month})\s+(?:(?:{c.words.the})\s+)?(?P<d1>\d{{1,2}})(?:{ordinal})?"
        rf"|(?P<d2>\d{{1,2}})(?:{ordinal})?\s+(?:(?:{c.words.of})\s+)?(?P<m2>{month}))\b"
        rf"(?:\s+(?:(?:{c.words.of})\s+)?(?P<year>\d{{4}}))?")


def _rule_month_day(s, c, today):
    m = _month_day_pattern(c).search(s)
    return _month_day(m, c, today) if m else None


def _month_day(m: re.Match, c, today):
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
    # A bare ordinal only as the whole answer: "the 1st" and "1st" are days, "notice 1st" is not.
    m = re.search(rf"\b(?:{c.words.day_prefix})\s+(?P<d>\d{{1,2}})(?:{c.words.ordinal})?\b", s) or re.fullmatch(
        rf"(?P<d>\d{{1,2}})(?:{c.words.ordinal})", s
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
    before, after = s[: m.start()].split(), s[m.end():].split()
    if negated(before, len(before), _ALL_NEGATORS, window=3) or after[:1] and after[0] in _ALL_NEGATORS:
        return _NOT_A_DATE  # "not right now", "no puedo hoy", "ahora no", "hoy no"
    return today, PLAIN


def _without_filler(s: str, c: _Calendar) -> str:
    return " ".join(re.sub(rf"\b(?:{c.words.filler})\b", " ", s).split())


def _rule_whenever(s, c, today):
    """"Whenever" / "cuando sea" as the whole answer: any day suits, so today; 0.6, so a
    scored question reads it back ("whenever I get my license" is no date)."""
    return (today, GUESSED) if re.fullmatch(c.words.whenever, _without_filler(s, c)) else None


def _rule_dateparser(s, c, today):
    rest = _without_filler(s, c)
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
    _rule_weekday_after,
    _rule_after,
    _rule_bound,
    _rule_past,
    _rule_numeric,
    _rule_holiday,
    _rule_end_of_week,
    _rule_weekend,
    _rule_week_after_next,
    _rule_part_of_month,
    _rule_week_of_month,
    _rule_nth_weekday_of_month,
    _rule_day_of_next_month,
    _rule_weekdays_from_now,
    _rule_weekday_and_day,
    _rule_day_after_tomorrow,
    _rule_offset,
    _rule_weekday,
    _rule_next_week,
    _rule_next_month,
    _rule_month_day,
    _rule_month_only,
    _rule_year_only,
    _rule_day_of_month,
    _rule_tomorrow,
    _rule_now,
    _rule_whenever,
    _rule_dateparser,
)


def _read(text: str, language: str, today: datetime.date) -> tuple[Interpretation | None, str | None]:
    """(the start date, or None; when None, why: "past", "too_far", "year_only", "invalid",
    or None when no date was heard at all)."""
    if not isinstance(text, str) or not isinstance(today, datetime.date):
        return None, None
    if isinstance(today, datetime.datetime):
        today = today.date()
    if (tail := corrected(text, language)) is not None:  # "Monday, no wait, Tuesday"
        found, _ = _read(tail, language, today)
        if found is not None:
            return Interpretation(found.value, min(found.confidence, INFERRED)), None
    c = _calendar(find_language(language).code)
    normalised = _date_text(text, c)
    if text.rstrip().endswith("?") and re.match(rf"(?:{c.words.asks})\b", normalised):
        return None, None  # a question back: "what day is it today?"
    for rule in _DATE_RULES if normalised else ():
        try:
            found = rule(normalised, c, today)
        except (OverflowError, ValueError):  # past datetime.date.max: "in 99999999 days"
            return None, "invalid"
        if found is None:
            continue
        day, confidence = found
        if day is None:
            return None, confidence
        if day < today:
            return None, "past"
        if (day - today).days > _MAX_DAYS_AHEAD:
            return None, "too_far"
        return Interpretation(day, confidence), None
    return None, None


def date(text: str, language: str, today: datetime.date) -> Interpretation | None:
    """A start date from speech or SMS text; value is a datetime.date from ``today`` (the
    agent's date, in its timezone) to a year after it.

    Examples with today = Wednesday 2026-11-18:
    "right away" / "ahora mismo" / "hoy" -> 2026-11-18; "tomorrow" / "mañana" -> 11-19;
    "next Monday" / "el próximo lunes" / "el lunes que viene" -> 11-23;
    "Friday" / "el viernes" -> 11-20; "Wednesday" -> 11-25 (a bare or "next" weekday is
    strictly after today) but "this Wednesday" -> 11-18; "in two weeks" / "en dos semanas"
    -> 12-02; "next week" / "la semana que viene" -> Monday 11-23; "next month" / "el
    próximo mes" -> 12-01; "March 15" / "15 de marzo" / "15 mar" -> 2027-03-15; "the 15th"
    -> 12-15 (the next 15th); "in January" -> 2027-01-01 (0.75); "the 20th of next month"
    -> 12-20; "first Tuesday of December" -> 12-01; "3 Fridays from now" -> 12-04;
    "Black Friday" -> 11-27; "12/1" -> 12-01 but "el 4/7" -> 2027-07-04 (day first).
    Parts of a month (0.75): "mid December" / "a mediados de diciembre" -> 12-15, "end of
    the month" / "fin de mes" -> 11-30, "end of next month" -> 12-31, "the first week of
    January" -> 2027-01-01, "la segunda semana de diciembre" -> 12-08; a part already under
    way ("mid November") -> today. "Whenever" / "cuando sea" / "whenever you need me" ->
    today (0.6: read back when scored). A week's parts (0.75): "end of the week" / "a fin de
    semana" -> Friday 11-20; "this weekend", "next weekend" / "(este) fin de semana", "el fin
    de semana que viene" -> Saturday 11-21 (on a weekend day "this weekend" is today); "the
    week after next" / "la semana después de la próxima" -> Monday 11-30; "in a couple of
    weeks" / "en un par de semanas" -> 12-02. The earliest start "after" a day is the day
    after it (0.6: read back when scored): "after Christmas" / "después de navidad" -> 12-26,
    "sometime after the 15th" / "después del 15" -> 12-16. Otherwise dateparser (0.75).
    Not a start date (None; :func:`date_refusal` says why): the past ("last Monday", "a
    week ago", "hace tres semanas", "la semana antepasada" (the week before last), "el fin
    de semana pasado", "July twenty fifth twenty twelve"), a bound ("after the holidays",
    "después de las fiestas": which holidays, and when they end, a recruiter asks), a bare year
    ("2027", "nineteen seventy six", "next year") or more than a year out.
    """
    return _read(text, language, today)[0]


def date_refusal(text: str, language: str, today: datetime.date) -> str | None:
    """Why :func:`date` understood no start date: "past" (a date before today), "too_far"
    (more than a year out), "year_only" (a year and no day), "invalid" ("February 30th",
    "not right now"); None when it heard no date at all or understood one."""
    return _read(text, language, today)[1]
