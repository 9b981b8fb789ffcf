"""A phone number to text, said or keyed on a call: "two oh two five five five zero one two
three", "202 555 0123", "dos cero dos...", or the keys "2025550123#".

The digits are gathered in order (digit words from ``engine.languages``' ``PhoneWords``,
"double five", numbers a recogniser wrote as digits, and "twenty three" through text2num),
then read by phonenumbers in the receptionist's region (``phones.textable_number``): a valid
number that can take texts, as E.164, or None. A caller who has no such number ("I don't
have one", "no tengo") is told apart by :func:`declines_number`.
"""
from __future__ import annotations

import functools
import re

from ...phones import textable_number
from ..languages import LANGUAGES, language as find_language
from .common import KEYPAD, PLAIN, Interpretation, corrected, find_phrases, fold, phrase_table, to_digits, words

_MAX_DIGITS = 15  # E.164's most; more is no phone number
_MIN_DIGITS = 7   # fewer is no number given ("I don't have one": the 1 of "one")
_KEYS = re.compile(r"\+?[0-9]{%d,%d}" % (_MIN_DIGITS, _MAX_DIGITS))


def phone_number(text: str, language: str = "en", region: str = "US") -> Interpretation | None:
    """The number said in ``text`` as E.164 (the value), or None when no valid number that
    can take texts is in it. What follows a self-correction counts ("202 555 0123, no wait,
    0124" is read from what follows when that alone holds a whole number). Never raises.

    phone_number("two oh two five five five zero one two three") -> "+12025550123";
    phone_number("my cell is 202-555-0123") -> "+12025550123";
    phone_number("dos cero dos cinco cinco cinco cero uno dos tres", "es") -> "+12025550123";
    phone_number("five five five") -> None.
    """
    if not isinstance(text, str):
        return None
    after = corrected(text, language)
    for said in ([after] if after else []) + [text]:
        number = textable_number(_digits_said(said, language), region)
        if number is not None:
            return Interpretation(number, PLAIN)
    return None


def digits_phone_number(digits: str, region: str = "US") -> Interpretation | None:
    """Keys pressed for a number (Twilio ``Digits``, "#" ending it or not): "2025550123#",
    "12025550123" -> "+12025550123"; None when no valid number that can take texts."""
    keys = (digits or "").strip().rstrip("#").strip() if isinstance(digits, str) else ""
    if not _KEYS.fullmatch(keys):
        return None
    number = textable_number(keys, region)
    return Interpretation(number, KEYPAD) if number is not None else None


def declines_number(text: str, language: str = "en") -> bool:
    """Whether ``text`` says there is no number to give ("I don't have one", "no", "no
    tengo celular"), in any language: no digits in it, and a ``PhoneWords.no_number`` phrase."""
    if not isinstance(text, str) or len(_digits_said(text, language).lstrip("+")) >= _MIN_DIGITS:
        return False
    said = words(text)
    return bool(said) and next(find_phrases(said, _no_number_phrases()), None) is not None


@functools.cache
def _no_number_phrases():
    """The ``PhoneWords.no_number`` phrases of every language in one table (a caller mixing them)."""
    return phrase_table({True: "|".join(lang.words.phone.no_number for lang in LANGUAGES.values())})


def _digits_said(text: str, language: str) -> str:
    """The digits of ``text`` in the order said, "+" kept first when said."""
    phone = find_language(language).words.phone
    out, repeat = [], 1
    # text2num first ("twenty three" -> 23, "zero one" -> 01), then the digit words it leaves ("oh").
    for word in re.findall(r"\+|\w+", fold(to_digits(text, language))):
        if word in phone.repeats:
            repeat = phone.repeats[word]
            continue
        digit = phone.digits.get(word, word)
        if digit.isdigit():
            out.append(digit[0] * repeat + digit[1:])
        elif word == "+" and not out:
            out.append("+")
        repeat = 1
    return "".join(out)[:_MAX_DIGITS + 1]
