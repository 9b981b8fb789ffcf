"""Phone numbers: E.164 normalisation (phonenumbers) and masking for logs."""
from __future__ import annotations

import functools
import re

import phonenumbers


# What Twilio sends as ``From`` when the caller ID is withheld: the words ANONYMOUS, RESTRICTED,
# UNKNOWN and UNAVAILABLE spelled on a phone keypad ("+266696687" is A-N-O-N-Y-M-O-U-S; Twilio,
# changelog 2022-11-16 "withheld caller IDs": "Programmable Voice translates the alpha string
# into digits"), or the words themselves. The last two parse as possible numbers (+86 China,
# +865 Laos): kept out by name, never a number we can text.
_HIDDEN = frozenset({"+266696687", "+7378742833", "+8656696", "+86282452253"})


class _Number:
    """One parse of a number (``phonenumbers.parse``, ~17 us) and what is asked of it, kept
    with it: a webhook normalises the caller's number and asks, several times, whether it
    can get texts.

    ``e164``: the number in E.164 ("+12025550100"); None when it is no possible number or a
    hidden caller's. ``textable``: worked out on first use (``number_type``, ~13 us)."""

    def __init__(self, text: str, parsed: phonenumbers.PhoneNumber):
        self._parsed = parsed
        self.e164 = (phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
                     if phonenumbers.is_possible_number(parsed) and text.strip() not in _HIDDEN else None)

    @functools.cached_property
    def textable(self) -> bool:
        """Whether its numbering plan's type can receive a text (``_NOT_TEXTABLE``)."""
        return phonenumbers.number_type(self._parsed) not in _NOT_TEXTABLE


@functools.lru_cache(maxsize=4096)  # the one cache of parses; errors are not kept
def _number(text: str, region: str | None) -> _Number:
    """``text`` parsed in ``region``, kept per number; called with no region for a number
    written with its country code ("+1..."), which parses the same in every region, so the
    caller's number that :func:`to_e164` normalised is the one :func:`can_receive_sms` asks
    about. Raises ``phonenumbers.NumberParseException``."""
    return _Number(text, phonenumbers.parse(text, region))


def to_e164(raw: str, region: str = "US") -> str:
    """``raw`` ("(202) 555-0100", "+1 202 555 0100") as E.164 ("+12025550100").

    Raises ValueError when it is not a possible phone number (Twilio sends "Anonymous" or
    "+266696687" for callers who hide their number; neither is a number we can text).
    """
    raw = raw or ""
    try:
        e164 = _number(raw, None if raw.startswith("+") else region).e164
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"not a phone number: {raw!r}") from exc
    if e164 is None:
        raise ValueError(f"not a phone number: {raw!r}")
    return e164


def for_people(e164: str | None, region: str = "US") -> str:
    """``e164`` as a person reads and dials it: a number of ``region`` in its national format
    ("+12025550127" -> "(202) 555-0127"), another country's in the international one
    ("+525512345678" -> "+52 55 1234 5678"); "" for None, anything unparseable as given."""
    if not e164:
        return ""
    try:
        parsed = _number(e164, None if e164.startswith("+") else region)._parsed
    except phonenumbers.NumberParseException:
        return e164
    same_country = phonenumbers.region_code_for_number(parsed) == region
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL if same_country
                                      else phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def textable_number(raw: str, region: str = "US") -> str | None:
    """``raw``, a number a caller said or keyed ("2025550123", "1 202 555 0123", "+44 7700
    900123"), as E.164 when it is a valid number (``phonenumbers.is_valid_number`` in
    ``region``, an ISO 3166 code: the receptionist's own country) that can take texts
    (:func:`can_receive_sms`); None otherwise (too few or too many digits, an unassigned
    area code, a landline outside +1, a withheld caller ID). Never raises."""
    try:
        parsed = phonenumbers.parse(raw or "", None if (raw or "").startswith("+") else region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    return e164 if e164 not in _HIDDEN and can_receive_sms(e164) else None


def digit_groups(e164: str, region: str = "US") -> list[str]:
    """The digits of ``e164`` in the groups a person says them in, as :func:`for_people`
    writes it for ``region``: "+12025550123" -> ["202", "555", "0123"]; "+447700900123" in
    "US" -> ["44", "7700", "900123"]. Raises ValueError for no number."""
    try:
        phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"not a phone number: {e164!r}") from exc
    return re.findall(r"\d+", for_people(e164, region))


def region_of(e164: str | None, default: str = "US") -> str:
    """The ISO 3166 region of ``e164`` ("+12025550100" -> "US"), ``default`` when unknown."""
    try:
        return phonenumbers.region_code_for_number(phonenumbers.parse(e164 or "", None)) or default
    except phonenumbers.NumberParseException:
        return default


def mask(number: str | None) -> str:
    """A number safe for logs: "+12025550123" -> "+1202***0123"."""
    if not number:
        return "-"
    return number[:5] + "***" + number[-4:] if len(number) > 9 else "***"


# Number types that cannot receive a text (phonenumbers' metadata, from each country's
# numbering plan; a US/Canada number is FIXED_LINE_OR_MOBILE and counts as textable).
_NOT_TEXTABLE = frozenset({phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.PREMIUM_RATE,
                           phonenumbers.PhoneNumberType.SHARED_COST, phonenumbers.PhoneNumberType.UAN,
                           phonenumbers.PhoneNumberType.PAGER, phonenumbers.PhoneNumberType.VOICEMAIL})


def can_receive_sms(e164: str | None) -> bool:
    """Whether a text to ``e164`` can be delivered as far as the numbering plan tells: False
    for no number and for landlines, premium-rate and similar ranges (e.g. "+442079460000",
    a London landline); True for mobile and mixed ranges (all of +1)."""
    if not e164:
        return False
    try:
        return _number(e164, None).textable
    except phonenumbers.NumberParseException:
        return False
