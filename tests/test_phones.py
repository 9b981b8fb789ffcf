"""Phone numbers (``receptionist.phones``): the answers phonenumbers gives, also when a number
was parsed before (the parse is kept per number) and in another region."""
from __future__ import annotations

import phonenumbers
import pytest

from receptionist.phones import can_receive_sms, for_people, to_e164

NUMBERS = ["+13125550001", "(202) 555-0100", " +1 202 555 0100", "+442079460000", "+447700900123",
           "020 7946 0000", "Anonymous", "+266696687", "", "12"]


def _expected(raw: str, region: str) -> str | None:
    try:
        parsed = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed) or raw.strip() == "+266696687":
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


@pytest.mark.parametrize("region", ["US", "GB", "US"])  # US twice: the second time from what was kept
@pytest.mark.parametrize("raw", NUMBERS)
def test_a_number_normalises_as_phonenumbers_says_in_its_region(raw, region):
    expected = _expected(raw, region)
    if expected is None:
        with pytest.raises(ValueError):
            to_e164(raw, region)
    else:
        assert to_e164(raw, region) == expected


@pytest.mark.parametrize("e164, textable", [("+13125550001", True), ("+442079460000", False),
                                            ("+447700900123", True), ("2025550100", False), (None, False)])
def test_whether_a_number_can_get_texts_after_it_was_normalised(e164, textable):
    if e164 and e164.startswith("+"):
        assert to_e164(e164) == e164  # parsed once here, kept for the question below
    assert can_receive_sms(e164) is textable


def test_a_number_is_parsed_once_whatever_is_asked_of_it(monkeypatch):
    # The caller's number is normalised (in the receptionist's region) and asked about several
    # times per webhook: phonenumbers parses it and works out its type once in all.
    parses, types = [], []
    parse, number_type = phonenumbers.parse, phonenumbers.number_type
    monkeypatch.setattr(phonenumbers, "parse", lambda *a: parses.append(a) or parse(*a))
    monkeypatch.setattr(phonenumbers, "number_type", lambda n: types.append(n) or number_type(n))
    number = "+13125550177"  # asked nowhere else in the tests
    assert to_e164(number, "GB") == to_e164(number) == number
    assert can_receive_sms(number) and can_receive_sms(to_e164(number, "US"))
    assert (len(parses), len(types)) == (1, 1)


@pytest.mark.parametrize("e164, shown", [
    ("+12025550127", "(202) 555-0127"),          # the company's country: national, as dialled there
    ("+525512345678", "+52 55 1234 5678"),       # another country's: with its code
    ("+447911123456", "+44 7911 123456"),
    (None, ""),
    ("not a number", "not a number"),            # never lost: shown as stored
])
def test_numbers_are_shown_as_people_dial_them(e164, shown):
    assert for_people(e164) == shown
