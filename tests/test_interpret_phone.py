"""A number to text, said or keyed on a call (``interpret.phone_number``): a table of what
callers say, in English and Spanish, read in the receptionist's region (US)."""
from __future__ import annotations

import pytest

from receptionist.engine import interpret

N = "+12025550123"


@pytest.mark.parametrize("said,lang,expected", [
    ("two oh two five five five zero one two three", "en", N),
    ("Two zero two. Five five five. Zero one two three.", "en", N),
    ("202 555 0123", "en", N),
    ("202-555-0123", "en", N),
    ("(202) 555-0123", "en", N),
    ("my cell is 2025550123", "en", N),
    ("1 202 555 0123", "en", N),
    ("plus one two zero two five five five zero one two three", "en", N),
    ("two oh two, five five five, oh one, twenty three", "en", N),
    ("two oh two double five five zero one two three", "en", N),
    ("uh it's two zero two five five five zero one two three thank you", "en", N),
    ("202 555 0199, no wait, 202 555 0123", "en", N),
    ("dos cero dos cinco cinco cinco cero uno dos tres", "es", N),
    ("Dos cero dos, cinco cinco cinco, cero uno, veintitrés", "es", N),
    ("mi número es 202 555 0123", "es", N),
    ("el dos cero dos, cinco cinco cinco, cero, ciento veintitrés", "es", N),
    ("five five five", "en", None),                           # too few digits
    ("202 555 012", "en", None),
    ("202 555 01234 5", "en", None),                           # too many
    ("one two three four five six seven eight nine zero", "en", None),  # area code 123: no such number
    ("+44 20 7946 0000", "en", None),                           # a London landline: takes no texts
    ("my name is Jane", "en", None),
    ("", "en", None),
])
def test_a_number_said(said, lang, expected):
    found = interpret.phone_number(said, lang, "US")
    assert (found.value if found else None) == expected


@pytest.mark.parametrize("keys,expected", [
    ("2025550123", N), ("2025550123#", N), ("12025550123#", N), ("202555012#", None), ("#", None),
    ("1234567890", None), ("*2025550123", None), ("", None),
])
def test_a_number_keyed(keys, expected):
    found = interpret.digits_phone_number(keys, "US")
    assert (found.value if found else None) == expected


@pytest.mark.parametrize("said,declines", [
    ("I don't have one", True), ("no", True), ("Nope.", True), ("no, I don't have a cell phone", True),
    ("this is my only number", True), ("no tengo", True), ("No tengo celular.", True), ("solo tengo este", True),
    ("no, it's 202 555 0123", False), ("202 555 0123", False), ("what?", False), ("hold on", False),
])
def test_no_number_to_give(said, declines):
    assert interpret.declines_number(said, "en") is declines
