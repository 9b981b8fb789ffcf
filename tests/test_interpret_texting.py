"""Answers as real callers say and text them (round answers11): self-corrections, texting
(drawn-out words, emoji, abbreviations, glued units), Spanglish, relative dates. Every row
was misread or missed before: a table of what a recruiter would write down."""
from __future__ import annotations

import datetime

import pytest

from receptionist.engine import interpret
from receptionist.engine.interpret import Choice
from receptionist.engine.interpret.common import INFERRED, corrected
from receptionist.engine.interpret.names import clean_name

TODAY = datetime.date(2026, 11, 18)  # a Wednesday
LICENSE = {"en": "Do you have a valid driver's license?", "es": "¿Tiene licencia de manejo vigente?"}
SHIFTS = [Choice("days", ("days", "day shift")), Choice("nights", ("nights", "night shift")),
          Choice("weekends", ("weekends", "weekend shift"))]
TURNOS = [Choice("days", ("día", "turno de día")), Choice("nights", ("noche", "turno de noche"))]
HOURS = [Choice("full", ("full time",)), Choice("part", ("part time",))]


@pytest.mark.parametrize("text, language, expected", [
    # the caller takes back what they said first
    ("no, wait, yes I do", "en", True),
    ("Yes I do, wait no I don't", "en", False),
    ("yes, I mean no", "en", False),
    ("no sorry yes I do", "en", True),
    ("yes. no actually, no", "en", False),
    ("si, no, perdón, no tengo", "es", False),
    ("no, perdón, sí tengo", "es", True),
    ("no, digo, sí", "es", True),
    # texted
    ("yesss", "en", True), ("nooo", "en", False), ("siii", "es", True), ("noo", "es", False),
    ("👍", "en", True), ("👎", "en", False), ("👍", "es", True),
    ("yah", "en", True), ("yeh", "en", True), ("yesh", "en", True), ("ya I got a car", "en", True),
    ("s", "es", True), ("n", "es", False),
    # Spanglish
    ("sí", "en", True), ("yes", "es", True), ("yeah", "es", True),
    ("pretty much", "en", True),
])
def test_yes_no_as_people_answer(text, language, expected):
    found = interpret.yes_no(text, language, LICENSE[language])
    assert found is not None and found.value is expected, text


@pytest.mark.parametrize("text, language", [
    ("yes, no", "en"), ("Sorry, what?", "en"), ("k", "en"), ("🙂🙂🙂 🎉", "en"), ("sale", "es"),
    ("sí, bueno no", "es"), ("yeah no", "en"),
])
def test_yes_no_still_asks_again(text, language):
    assert interpret.yes_no(text, language, LICENSE[language]) is None


def test_a_correction_is_read_back_at_most_inferred():
    assert interpret.yes_no("no, I mean yes", "en").confidence <= INFERRED
    assert interpret.number("two, no wait, three years", "en", "years").confidence <= INFERRED


@pytest.mark.parametrize("text, language, expected", [
    ("two, no wait, three years", "en", 3),
    ("3 years, no, 4", "en", 4),
    ("three, actually four years", "en", 4),
    ("two I mean three", "en", 3),
    ("dos, no, tres años", "es", 3),
    ("tres, digo, cuatro años", "es", 4),
    ("year and a half", "en", 1.5),
    ("2 1/2 years", "en", 2.5),
    ("1yr", "en", 1), ("5yrs", "en", 5),
    ("ni un año", "es", 0),  # was 1: "not even a year"
])
def test_years_of_experience_as_people_answer(text, language, expected):
    found = interpret.number(text, language, "years", TODAY)
    assert found is not None and found.value == expected, text


def test_a_count_said_twice_takes_the_second():
    assert interpret.number("20, no 25", "en").value == 25


def d(month: int, day: int, year: int = 2026) -> datetime.date:
    return datetime.date(year, month, day)


@pytest.mark.parametrize("text, language, expected", [
    # confident wrong answers before
    ("first of the month", "en", d(12, 1)),  # was the 18th of December
    ("primero de mes", "es", d(12, 1)),
    ("a principios de mes", "es", d(12, 1)),  # was today: the start of this month is gone
    ("the first week of the month", "en", d(12, 1)),
    ("mid month", "en", d(12, 15)),
    ("the monday after thanksgiving", "en", d(11, 30)),  # was Thanksgiving
    ("the friday after christmas", "en", d(1, 1, 2027)),
    ("the monday after next", "en", d(11, 30)),  # was next Monday
    ("el lunes después de navidad", "es", d(12, 28)),
    ("Monday, no wait, Tuesday", "en", d(11, 24)),  # was Monday
    ("el lunes, no, mejor el martes", "es", d(11, 24)),
    # missed before
    ("tmrw", "en", d(11, 19)), ("2morrow", "en", d(11, 19)), ("2wks", "en", d(12, 2)),
    ("in 2 wks", "en", d(12, 2)), ("thurs", "en", d(11, 19)), ("weds", "en", d(11, 25)),
    ("after my two weeks notice", "en", d(12, 2)),
    ("a partir del 15", "es", d(12, 15)), ("a partir del primero", "es", d(12, 1)),
    ("el 1ro", "es", d(12, 1)), ("1ro de dic", "es", d(12, 1)),
    ("ahorita", "es", d(11, 18)), ("ahorita mismo", "es", d(11, 18)),
])
def test_start_dates_as_people_answer(text, language, expected):
    found = interpret.date(text, language, TODAY)
    assert found is not None and found.value == expected, text


@pytest.mark.parametrize("text, language", [
    ("ahora no", "es"), ("hoy no", "es"), ("ahorita no", "es"),  # were today
    ("en unos días", "es"), ("en unas semanas", "es"),  # were 1 day, 1 week: "unos" is "some"
    ("after the holidays", "en"), ("la otra semana", "es"),
])
def test_no_start_date_where_a_recruiter_would_ask_again(text, language):
    assert interpret.date(text, language, TODAY) is None


@pytest.mark.parametrize("text, options, language, expected", [
    ("days, no wait, nights", SHIFTS, "en", "nights"),
    ("nights... actually days", SHIFTS, "en", "days"),
    ("full time, no, part time", HOURS, "en", "part"),
    ("día, no, mejor noche", TURNOS, "es", "nights"),
])
def test_a_choice_corrected_mid_answer(text, options, language, expected):
    found = interpret.choice(text, options, language)
    assert found is not None and found.value == expected


def test_days_no_nights_rules_nights_out_rather_than_correcting():
    assert corrected("days, no nights", "en") is None
    assert interpret.choice("days, no nights", SHIFTS, "en").value == "days"


def test_i_dont_care_picks_the_any_option():
    options = [*SHIFTS[:2], Choice("any", ("any", "no preference"))]
    assert interpret.choice("I don't care", options, "en").value == "any"


@pytest.mark.parametrize("text, expected", [
    ("sarah@gmail,com", "sarah@gmail.com"),
])
def test_a_texted_email_with_a_comma_for_the_dot(text, expected):
    assert interpret.email(text).value == expected


@pytest.mark.parametrize("text, expected", [
    ("Rosa Martínez para servirle", "Rosa Martínez"),
    ("Pedro Gómez, mucho gusto", "Pedro Gómez"),
    ("Soy Miguel Ángel López, a sus órdenes", "Miguel Ángel López"),
    ("Hi this is Pedro, nice to meet you", "Pedro"),
    ("Tom Hanks here", "Tom Hanks"),
    ("habla Miguel", "Miguel"),
    ("Mike, Mike Jones", "Mike Jones"),
])
def test_a_name_without_the_courtesies_around_it(text, expected):
    assert clean_name(text) == expected


def test_a_name_of_two_alike_words_stays():
    assert clean_name("Sirhan Sirhan") == "Sirhan Sirhan"
