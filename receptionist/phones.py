"""Phone numbers: E.164 normalisation (phonenumbers) and masking for logs."""
from __future__ import annotations

import functools

import phonenumbers


@functools.lru_cache(maxsize=4096)  # errors are not kept
def _parsed(text: str, region: str | None) -> phonenumbers.PhoneNumber:
    return phonenumbers.parse(text, region)


def _parse(text: str, region: str | None) -> phonenumbers.PhoneNumber:
    """``phonenumbers.parse``, kept per number (read the result, never change it): a caller's
    number is parsed to normalise it and again to ask whether it can get texts (~20 us each).
    A number written with its country code ("+1...") parses the same in every region."""
    return _parsed(text, None if text.startswith("+") else region)


@functools.lru_cache(maxsize=4096)  # pure; the dialed number is the same for every call (errors are not kept)
def to_e164(raw: str, region: str = "US") -> str:
    """``raw`` ("(202) 555-0100", "+1 202 555 0100") as E.164 ("+12025550100").

    Raises ValueError when it is not a possible phone number (Twilio sends "Anonymous" or
    "+266696687" for callers who hide their number; neither is a number we can text).
    """
    try:
        parsed = _parse(raw or "", region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"not a phone number: {raw!r}") from exc
    if not phonenumbers.is_possible_number(parsed) or raw.strip() in ("+266696687", "+7378742833"):
        raise ValueError(f"not a phone number: {raw!r}")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


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


@functools.lru_cache(maxsize=4096)  # pure, and asked several times per webhook
def can_receive_sms(e164: str | None) -> bool:
    """Whether a text to ``e164`` can be delivered as far as the numbering plan tells: False
    for no number and for landlines, premium-rate and similar ranges (e.g. "+442079460000",
    a London landline); True for mobile and mixed ranges (all of +1)."""
    if not e164:
        return False
    try:
        return phonenumbers.number_type(_parse(e164, None)) not in _NOT_TEXTABLE
    except phonenumbers.NumberParseException:
        return False
