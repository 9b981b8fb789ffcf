"""The sample company's questions answered on a noisy line and from a phone's keyboard (round
answers12): option meanings the labels lack, a recognizer's digits for words, cut-offs, rates,
texting. Every row was misread or missed before: a table of what a recruiter would write down."""
from __future__ import annotations

import datetime

import pytest

from receptionist.engine import interpret
from receptionist.engine.interpret import Choice
from receptionist.engine.interpret.names import clean_name

TODAY = datetime.date(2026, 11, 18)  # a Wednesday
# The sample company's shift options (examples/acme-staffing.yaml).
SHIFTS = {"en": [Choice("days", ("days", "day shift", "mornings", "first shift")),
                 Choice("nights", ("nights", "night shift", "evenings", "second shift")),
                 Choice("weekends", ("weekends", "weekend shift", "saturday and sunday")),
                 Choice("any", ("any shift", "any", "whatever", "flexible"))],
          "es": [Choice("days", ("día", "turno de día", "mañanas", "primer turno")),
                 Choice("nights", ("noche", "turno de noche", "tardes", "segundo turno")),
                 Choice("weekends", ("fines de semana", "sábado y domingo")),
                 Choice("any", ("cualquier turno", "cualquiera", "flexible"))]}
HOURS = [Choice("full", ("full time",)), Choice("part", ("part time",))]
ROLES = [Choice("warehouse", ("Warehouse Associate",)), Choice("forklift", ("Forklift Operator",)),
         Choice("driver", ("Delivery Driver",))]
AGE = {"en": "Are you 18 years of age or older?", "es": "¿Tiene usted 18 años o más?"}
LIFT = {"en": "Can you lift up to 50 pounds on a regular basis?", "es": "¿Puede levantar hasta 50 libras con regularidad?"}
AUTH = "Are you legally authorized to work in the United States?"
AUTH_PHRASES = {"en": {"yes": ["work permit", "green card"], "no": ["need sponsorship"]},
                "es": {"yes": ["permiso de trabajo"], "no": ["sin papeles"]}}


@pytest.mark.parametrize("text, language, expected", [
    ("overnight", "en", "nights"), ("overnights", "en", "nights"), ("graveyard", "en", "nights"),
    ("nites", "en", "nights"),
    ("third shift", "en", "nights"), ("3rd shift", "en", "nights"),  # was weekends: a position
    ("wknds", "en", "weekends"), ("sat and sun", "en", "weekends"), ("daytime", "en", "days"),
    ("not overnight", "en", None),  # rules nights out: days or weekends left
    ("idc", "en", "any"),
    ("nocturno", "es", "nights"), ("el turno nocturno", "es", "nights"), ("diurno", "es", "days"),
    ("turno diurno", "es", "days"),
])
def test_a_shift_said_in_words_its_labels_lack(text, language, expected):
    found = interpret.choice(text, SHIFTS[language], language)
    assert (found and found.value) == expected, text


@pytest.mark.parametrize("text, options, expected", [
    ("FT", HOURS, "full"), ("pt", HOURS, "part"), ("4 lift", ROLES, "forklift"),
])
def test_an_option_texted_short_or_misheard(text, options, expected):
    assert interpret.choice(text, options, "en").value == expected


def test_a_meaning_two_options_hold_picks_neither():
    both = [Choice("early", ("early nights",)), Choice("late", ("late nights",))]
    assert interpret.choice("overnight", both, "en") is None


@pytest.mark.parametrize("text, language, question, expected", [
    ("I can't lift that much", "en", LIFT, False), ("I can't lift anything heavy", "en", LIFT, False),
    ("i can't really lift heavy stuff", "en", LIFT, False),
    ("sí, bueno no, no tengo", "es", AGE, False), ("sí, bueno no, no puedo", "es", LIFT, False),
    ("soy mayor de edad", "es", AGE, True), ("soy menor de edad", "es", AGE, False),
    ("I'm an adult", "en", AGE, True),
    ("yessir", "en", LIFT, True), ("ofc", "en", LIFT, True),
    # still asked again
    ("I'm", "en", AGE, None), ("I'm uh", "en", AGE, None),  # cut off: was a yes
    ("I can't wait", "en", LIFT, None),
])
def test_yes_no_on_a_noisy_line_or_texted(text, language, question, expected):
    found = interpret.yes_no(text, language, question[language], {"at_least": 18} if question is AGE else None)
    assert (None if found is None else found.value) is expected, text


@pytest.mark.parametrize("text, language", [
    ("my work permit expired", "en"), ("my green card is pending", "en"),
    ("mi permiso de trabajo está vencido", "es"),
])
def test_a_lapsed_authorization_is_asked_again(text, language):
    assert interpret.yes_no(text, language, AUTH, None, AUTH_PHRASES) is None  # was a yes


@pytest.mark.parametrize("text, language, unit, expected", [
    ("around 35 hours a week", "en", None, 35),
    ("a year and a half maybe two", "en", "years", 1.5), ("un año y medio tal vez dos", "es", "years", 1.5),
    ("two maybe three years", "en", "years", 2),
    ("6 mos", "en", "years", 0.5),  # was 6 years
    ("8ish years", "en", "years", 8),
    ("twenty twenty years", "en", "years", None),  # was 2020
    ("two years, maybe three", "en", "years", None),  # a second thought, still asked again
])
def test_numbers_on_a_noisy_line_or_texted(text, language, unit, expected):
    found = interpret.number(text, language, unit, TODAY)
    assert (found and found.value) == expected, text


@pytest.mark.parametrize("text, expected", [
    ("nxt week", datetime.date(2026, 11, 23)), ("in to weeks", datetime.date(2026, 12, 2)),
])
def test_start_dates_texted_or_misheard(text, expected):
    assert interpret.date(text, "en", TODAY).value == expected


@pytest.mark.parametrize("text, expected", [
    ("mike jones lol", "Mike Jones"), ("im Sarah Connor thx", "Sarah Connor"),
    ("my name is Kev- Kevin Brown", "Kevin Brown"), ("Ty Jones", "Ty Jones"),
])
def test_names_texted_or_cut_off(text, expected):
    assert clean_name(text) == expected
