"""The answers the understanding issue names, each read the way a careful recruiter would
(the labelled sets in tests/data/ hold many more; these may never regress)."""
from __future__ import annotations

import datetime as dt

import pytest

from receptionist.engine import interpret
from receptionist.engine.interpret import Choice

TODAY = dt.date(2026, 11, 18)  # a Wednesday
AGE = {"en": "Are you 18 years of age or older?", "es": "¿Tiene usted 18 años o más?"}
SHIFTS = {
    "en": [Choice("days", ("days", "day shift")), Choice("nights", ("nights", "night shift")),
           Choice("weekends", ("weekends",)), Choice("any", ("any shift", "any", "whatever", "flexible"))],
    "es": [Choice("days", ("día", "turno de día")), Choice("nights", ("noche", "turno de noche")),
           Choice("weekends", ("fines de semana",)), Choice("any", ("cualquier turno", "cualquiera"))],
}


def value(found):
    return None if found is None else found.value


@pytest.mark.parametrize("text, language, question, expected", [
    ("I have plans already", "en", "Do you have a car?", None),
    ("I can't wait", "en", "Can you start on Monday?", None),
    ("never been better", "en", "Have you ever been convicted of a felony?", None),
    ("I would rather work days", "en", "Would you work nights?", None),
    ("con ayuda sí", "es", "¿Puede levantar hasta 50 libras?", None),
    ("bueno", "es", AGE["es"], None),
    ("okey", "es", AGE["es"], None),
    ("soy menor de edad", "es", AGE["es"], None),
    ("tengo 17", "es", AGE["es"], None),  # without the company's rule, a number is no answer
    ("I can.", "en", "Can you lift 50 pounds?", True),
    ("I don't", "en", "Do you have a driver's license?", False),
    ("sí puedo", "es", "¿Puede levantar hasta 50 libras?", True),
    ("no tengo", "es", "¿Tiene licencia?", False),
    ("not yet", "en", AGE["en"], False),
    ("not really", "en", "Do you have forklift experience?", False),
    ("todavía no", "es", AGE["es"], False),
])
def test_yes_no_commits_only_on_an_answer(text, language, question, expected):
    assert value(interpret.yes_no(text, language, question)) is expected


@pytest.mark.parametrize("text, language, expected", [
    ("I'm 17", "en", False), ("tengo 17", "es", False), ("tengo 25 años", "es", True), ("I'm over 21", "en", True),
    ("I turn 18 in March", "en", None), ("under 18", "en", False),
])
def test_a_number_answers_a_question_that_declares_it(text, language, expected):
    assert value(interpret.yes_no(text, language, AGE[language], {"at_least": 18})) is expected


@pytest.mark.parametrize("text, language, expected, refusal", [
    ("last Monday", "en", None, "past"),
    ("a week ago", "en", None, "past"),
    ("hace tres semanas", "es", None, "past"),
    ("July twenty fifth twenty twelve", "en", None, "past"),
    ("nineteen seventy six", "en", None, "past"),
    ("2027", "en", None, "year_only"),
    ("March 15 2028", "en", None, "too_far"),
    ("the 20th of next month", "en", dt.date(2026, 12, 20), None),
    ("first Tuesday of December", "en", dt.date(2026, 12, 1), None),
    ("3 Fridays from now", "en", dt.date(2026, 12, 4), None),
    ("Black Friday", "en", dt.date(2026, 11, 27), None),
    ("2 oct", "es", dt.date(2027, 10, 2), None),
    ("ene", "es", dt.date(2027, 1, 1), None),
    ("a principios de ago", "es", dt.date(2027, 8, 1), None),
    ("el 4/7", "es", dt.date(2027, 7, 4), None),
    ("12/1", "en", dt.date(2026, 12, 1), None),
])
def test_dates_are_start_dates_or_say_why_not(text, language, expected, refusal):
    assert value(interpret.date(text, language, TODAY)) == expected
    assert interpret.date_refusal(text, language, TODAY) == refusal


@pytest.mark.parametrize("text, language, expected", [
    ("six months", "en", 0.5), ("a decade", "en", 10), ("una década", "es", 10), ("since 2015", "en", 11),
    ("from 2018 to 2022", "en", 4), ("less than a year", "en", 0), ("two dozen", "en", 24),
    ("point seven", "en", 0.7), ("punto cinco", "es", 0.5), ("since I was 16", "en", None),
    ("desde que tenía 16", "es", None), ("three or four years", "en", 3),
])
def test_years_of_experience(text, language, expected):
    assert value(interpret.number(text, language, "years", TODAY)) == expected


@pytest.mark.parametrize("text, expected", [
    ("j a n e dot doe at gmail dot com", "jane.doe@gmail.com"),
    ("jane doe at gmail dot com", "janedoe@gmail.com"),
    ("asdf one two three at abc dot com", "asdf123@abc.com"),
    ("ana guion bajo ruiz arroba gmail punto com", "ana_ruiz@gmail.com"),
    ("bob@abc.c", None),
])
def test_email(text, expected):
    assert value(interpret.email(text)) == expected


@pytest.mark.parametrize("text, language, expected, named", [
    ("not nights, days", "en", "days", ()),
    ("not nights", "en", None, ("days", "weekends")),
    ("no de noche", "es", None, ("days", "weekends")),
    ("days or nights", "en", None, ("days", "nights")),
    ("whatever works", "en", "any", ()),
    ("me da igual", "es", "any", ()),
    ("days and nights", "en", "any", ()),
    # "Whenever" to "Which shift?" is any shift, in both languages (found calling as a person would).
    ("cuando sea", "es", "any", ()),
    ("la que ustedes digan", "es", "any", ()),
    ("whenever you need me", "en", "any", ()),
    ("i can work any of those", "en", "any", ()),
    ("cuando sea menos de noche", "es", None, ("days", "weekends")),
])
def test_choice(text, language, expected, named):
    assert value(interpret.choice(text, SHIFTS[language], language)) == expected
    assert interpret.ambiguous_choice(text, SHIFTS[language], language) == named


def test_whatever_is_not_understood_without_an_any_option():
    assert interpret.choice("whatever works", SHIFTS["en"][:3], "en") is None
