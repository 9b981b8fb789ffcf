"""Keypad answers (Twilio ``Digits``): yes/no, a number, a date as MMDD, an option number."""
from __future__ import annotations

import datetime
import re
from collections.abc import Sequence

from .common import KEYPAD, Choice, Interpretation
from .dates import next_month_day

_MAX_KEYPAD_DIGITS = 9  # also keeps int() well away from Python's digit limit

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
    found = next_month_day(today, int(cleaned[:2]), int(cleaned[2:]))
    return Interpretation(found, KEYPAD) if found else None


def digits_choice(digits: str, options: Sequence[Choice]) -> Interpretation | None:
    """Keypad choice, 1-based: "2" -> options[1].key; 0 or past the end -> None."""
    cleaned = _keypad(digits)
    if cleaned is None or not options or not 1 <= int(cleaned) <= len(options):
        return None
    return Interpretation(options[int(cleaned) - 1].key, KEYPAD)
