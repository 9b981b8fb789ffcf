"""Table-driven tests for receptionist.engine.interpret (pure: no app, no DB)."""

import dataclasses
import datetime

import pytest

from receptionist.engine import interpret
from receptionist.engine.interpret import Choice, Interpretation

TODAY = datetime.date(2026, 11, 18)  # a Wednesday


def d(month: int, day: int, year: int = 2026) -> datetime.date:
    return datetime.date(year, month, day)


GARBAGE = [
    "",
    "   ",
    "\n\t",
    "🙂",
    "🙂🙂🙂 🎉",  # (a thumbs up alone is a yes: see test_interpret_texting.py)
    ".,;!?",
    "¿¡",
    "\x00\x01",
    "asdf qwerty zxcv",
    "x" * 2000,
    "banana " * 300,
    "@." * 1000,
    "9" * 5000,
]

SHIFTS = [
    Choice("days", ("days", "day shift", "mornings")),
    Choice("nights", ("nights", "night shift")),
    Choice("weekends", ("weekends", "weekend shift")),
]
TURNOS = [
    Choice("completo", ("tiempo completo", "completo")),
    Choice("medio", ("medio tiempo", "tiempo parcial", "parcial")),
    Choice("fines", ("fines de semana", "sábados y domingos")),
]


def value_of(result: Interpretation | None):
    return None if result is None else result.value


# ------------------------------------------------------------------------------ dataclasses


def test_dataclasses_are_frozen():
    found = Interpretation(True, 0.9)
    with pytest.raises(dataclasses.FrozenInstanceError):
        found.value = False  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        SHIFTS[0].key = "x"  # type: ignore[misc]


# ---------------------------------------------------------------------------------- yes_no


@pytest.mark.parametrize(
    "text, language, expected",
    [
        ("yes", "en", True),
        ("Yes.", "en", True),
        ("YEAH!", "en", True),
        ("yep", "en", True),
        ("Sure", "en", True),
        ("of course", "en", True),
        ("Correct.", "en", True),
        ("I am.", "en", True),
        ("I do", "en", True),
        ("I can", "en", True),
        ("absolutely", "en", True),
        ("Affirmative", "en", True),
        ("That's right.", "en", True),
        ("um, yeah I think so", "en", True),
        ("Uh, yes, I have a car.", "en", True),
        ("no problem", "en", True),
        ("no", "en", False),
        ("No.", "en", False),
        ("nope", "en", False),
        ("nah", "en", False),
        ("I'm not.", "en", False),
        ("I can't", "en", False),
        ("I cannot", "en", False),
        ("I don't", "en", False),
        ("I do not.", "en", False),
        ("negative", "en", False),
        ("Not really.", "en", False),
        ("That's not right", "en", False),
        ("not correct", "en", False),
        ("No, I don't.", "en", False),
        ("I don't think I can", "en", False),
        ("Absolutely not.", "en", False),
        ("of course not", "en", False),
        ("I'm afraid not", "en", False),
        ("probably not", "en", False),
        ("Not at the moment.", "en", False),
        ("sí", "es", True),
        ("Sí.", "es", True),
        ("si", "es", True),
        ("claro", "es", True),
        ("¡Claro que sí!", "es", True),
        ("por supuesto", "es", True),
        ("correcto", "es", True),
        ("así es", "es", True),
        ("asi es", "es", True),
        ("Sí puedo.", "es", True),
        ("Sí, no hay problema.", "es", True),
        ("no", "es", False),
        ("No.", "es", False),
        ("no puedo", "es", False),
        ("No tengo.", "es", False),
        ("para nada", "es", False),
        ("claro que no", "es", False),
        ("no lo puedo hacer", "es", False),
        ("Por supuesto que no.", "es", False),
        ("No, no tengo.", "es", False),
        ("Sí, sí tengo licencia", "es", True),
        ("Sí.", "es-MX", True),
    ],
)
def test_yes_no(text, language, expected):
    assert value_of(interpret.yes_no(text, language)) is expected


@pytest.mark.parametrize(
    "text, language",
    [
        ("yes no", "en"),
        ("no, yes", "en"),
        ("yeah no", "en"),
        ("not sure", "en"),
        ("I'm not sure", "en"),
        ("I'm not really sure", "en"),
        ("maybe", "en"),
        ("I don't know", "en"),
        ("what?", "en"),
        ("the weather is nice", "en"),
        ("sí no", "es"),
        ("no, sí", "es"),
        ("no sé", "es"),
        ("no estoy seguro", "es"),
        ("tal vez", "es"),
        ("depende", "es"),
        ("okay", "en"),  # agreement, not an answer: asked again
        ("vale", "es"),
        ("I have a car", "en"),  # no question to echo: unrelated
        *[(g, lang) for g in GARBAGE for lang in ("en", "es")],
    ],
)
def test_yes_no_not_understood(text, language):
    assert interpret.yes_no(text, language) is None


@pytest.mark.parametrize(
    "text, language, confidence",
    [
        ("Yes.", "en", 0.9),
        ("no", "en", 0.9),
        ("sí", "es", 0.9),
        ("I can", "en", 0.75),
        ("that's not right", "en", 0.75),
    ],
)
def test_yes_no_confidence(text, language, confidence):
    assert interpret.yes_no(text, language).confidence == pytest.approx(confidence)


# ---------------------------------------------------------------------------------- number


@pytest.mark.parametrize(
    "text, language, expected, confidence",
    [
        ("five years", "en", 5, 0.9),
        ("Five years.", "en", 5, 0.9),
        ("twenty one", "en", 21, 0.9),
        ("twenty-one", "en", 21, 0.9),
        ("3 years", "en", 3, 0.9),
        ("about 10 years", "en", 10, 0.9),
        ("two and a half years", "en", 2.5, 0.9),
        ("2.5", "en", 2.5, 0.9),
        ("a year and a half", "en", 1.5, 0.75),
        ("half a year", "en", 0.5, 0.75),
        ("a year", "en", 1, 0.75),
        ("a couple", "en", 2, 0.75),
        ("a couple of years", "en", 2, 0.75),
        ("one", "en", 1, 0.9),
        ("zero", "en", 0, 0.9),
        ("none", "en", 0, 0.9),
        ("None.", "en", 0, 0.9),
        ("no experience", "en", 0, 0.9),
        ("I have no experience", "en", 0, 0.9),
        ("1,000", "en", 1000, 0.9),
        ("three or four", "en", 3, 0.6),
        ("four or three years", "en", 3, 0.6),
        ("3 to 5 years", "en", 3, 0.6),
        ("3-4", "en", 3, 0.6),
        ("between two and three years", "en", 2, 0.6),
        ("cinco años", "es", 5, 0.9),
        ("Cinco años.", "es", 5, 0.9),
        ("veintiuno", "es", 21, 0.9),
        ("treinta y uno", "es", 31, 0.9),
        ("un año", "es", 1, 0.9),
        ("un año y medio", "es", 1.5, 0.9),
        ("dos años y medio", "es", 2.5, 0.9),
        ("medio año", "es", 0.5, 0.75),
        ("un par de años", "es", 2, 0.75),
        ("2,5 años", "es", 2.5, 0.9),
        ("cero", "es", 0, 0.9),
        ("ninguno", "es", 0, 0.9),
        ("nada", "es", 0, 0.9),
        ("sin experiencia", "es", 0, 0.9),
        ("tres o cuatro", "es", 3, 0.6),
        ("entre tres y cinco años", "es", 3, 0.6),
    ],
)
def test_number(text, language, expected, confidence):
    found = interpret.number(text, language)
    assert found is not None
    assert found.value == expected
    assert type(found.value) is type(expected)  # int when whole, float otherwise
    assert found.confidence == pytest.approx(confidence)


@pytest.mark.parametrize(
    "text, language",
    [
        ("I'm 25 and I have 3 years", "en"),  # two unrelated numbers
        ("none, well maybe two", "en"),
        ("the first", "en"),  # an ordinal is not a quantity
        ("lots", "en"),
        ("tengo 25 años y 3 de experiencia", "es"),
        ("muchos", "es"),
        *[(g, lang) for g in GARBAGE for lang in ("en", "es")],
    ],
)
def test_number_not_understood(text, language):
    assert interpret.number(text, language) is None


# ------------------------------------------------------------------------------------ date


@pytest.mark.parametrize(
    "text, language, expected",
    [
        # right away -> today
        ("right away", "en", TODAY),
        ("Immediately.", "en", TODAY),
        ("now", "en", TODAY),
        ("today", "en", TODAY),
        ("ASAP", "en", TODAY),
        ("as soon as possible", "en", TODAY),
        ("I can start right away.", "en", TODAY),
        ("ya", "es", TODAY),
        ("Ahora.", "es", TODAY),
        ("ahora mismo", "es", TODAY),
        ("inmediatamente", "es", TODAY),
        ("de inmediato", "es", TODAY),
        ("hoy", "es", TODAY),
        ("cuanto antes", "es", TODAY),
        # tomorrow
        ("tomorrow", "en", d(11, 19)),
        ("Tomorrow.", "en", d(11, 19)),
        ("mañana", "es", d(11, 19)),
        ("manana", "es", d(11, 19)),
        ("puedo empezar mañana", "es", d(11, 19)),
        ("the day after tomorrow", "en", d(11, 20)),
        ("pasado mañana", "es", d(11, 20)),
        # weekdays (today is Wednesday)
        ("next Monday", "en", d(11, 23)),
        ("um I think I could start uh next Tuesday", "en", d(11, 24)),
        ("el próximo lunes", "es", d(11, 23)),
        ("el proximo lunes", "es", d(11, 23)),
        ("el lunes que viene", "es", d(11, 23)),
        ("this Friday", "en", d(11, 20)),
        ("on Friday", "en", d(11, 20)),
        ("Friday.", "en", d(11, 20)),
        ("el viernes", "es", d(11, 20)),
        ("el lunes por la mañana", "es", d(11, 23)),  # "la mañana" is the morning
        ("Wednesday", "en", d(11, 25)),  # a bare weekday is strictly after today
        ("next Wednesday", "en", d(11, 25)),
        ("this Wednesday", "en", TODAY),  # "this" includes today
        ("este miércoles", "es", TODAY),
        ("el miércoles que viene", "es", d(11, 25)),
        ("el miércoles", "es", d(11, 25)),
        ("next week on Friday", "en", d(11, 27)),
        # offsets
        ("in two weeks", "en", d(12, 2)),
        ("In 2 weeks.", "en", d(12, 2)),
        ("in 3 days", "en", d(11, 21)),
        ("a week from now", "en", d(11, 25)),
        ("in a month", "en", d(12, 18)),
        ("after two weeks notice", "en", d(12, 2)),
        ("en dos semanas", "es", d(12, 2)),
        ("dentro de tres días", "es", d(11, 21)),
        ("en una semana", "es", d(11, 25)),
        ("en un mes", "es", d(12, 18)),
        # next week / next month
        ("next week", "en", d(11, 23)),
        ("la próxima semana", "es", d(11, 23)),
        ("la semana que viene", "es", d(11, 23)),
        ("next month", "en", d(12, 1)),
        ("el próximo mes", "es", d(12, 1)),
        ("el mes que viene", "es", d(12, 1)),
        # calendar dates
        ("March 15", "en", d(3, 15, 2027)),
        ("I can start March 15th.", "en", d(3, 15, 2027)),
        ("march fifteenth", "en", d(3, 15, 2027)),
        ("the 15th of March", "en", d(3, 15, 2027)),
        ("December 1st", "en", d(12, 1)),
        ("the first of December", "en", d(12, 1)),
        ("November 18", "en", TODAY),
        ("November 10", "en", d(11, 10, 2027)),  # already passed: next year
        ("January 5, 2027", "en", d(1, 5, 2027)),
        ("15 de marzo", "es", d(3, 15, 2027)),
        ("puedo empezar el 15 de marzo", "es", d(3, 15, 2027)),
        ("el primero de diciembre", "es", d(12, 1)),
        ("el 5 de enero de 2027", "es", d(1, 5, 2027)),
        ("the 15th", "en", d(12, 15)),
        ("on the 20th", "en", d(11, 20)),
        ("the 18th", "en", TODAY),
        ("el 20", "es", d(11, 20)),
        ("el día 15", "es", d(12, 15)),
        ("in January", "en", d(1, 1, 2027)),
        ("en enero", "es", d(1, 1, 2027)),
        # left to dateparser
        ("12/1", "en", d(12, 1)),
        ("1/12", "es", d(12, 1)),
        ("1/15/2027", "en", d(1, 15, 2027)),
    ],
)
def test_date(text, language, expected):
    found = interpret.date(text, language, TODAY)
    assert found is not None
    assert found.value == expected
    assert type(found.value) is datetime.date


@pytest.mark.parametrize(
    "text, language",
    [
        ("yesterday", "en"),
        ("ayer", "es"),
        ("March 15, 2020", "en"),  # explicit year in the past
        ("February 30th", "en"),
        ("not right now", "en"),
        ("no puedo hoy", "es"),
        ("I don't know", "en"),
        ("no sé", "es"),
        ("5", "en"),  # a bare number is not a date
        ("in 99999999999 days", "en"),
        ("banana", "en"),
        *[(g, lang) for g in GARBAGE for lang in ("en", "es")],
    ],
)
def test_date_not_understood(text, language):
    assert interpret.date(text, language, TODAY) is None


@pytest.mark.parametrize(
    "text, language, confidence",
    [
        ("right away", "en", 0.9),
        ("next Monday", "en", 0.9),
        ("in January", "en", 0.75),
        ("12/1", "en", 0.9),
        ("Monday or Tuesday", "en", 0.6),
    ],
)
def test_date_confidence(text, language, confidence):
    assert interpret.date(text, language, TODAY).confidence == pytest.approx(confidence)


@pytest.mark.parametrize("text, language, expected", [
    # The earliest start "after" a day is the day after it, read back (0.6): before, each was
    # "Sorry, I didn't understand" for a plain answer.
    ("after Christmas", "en", d(12, 26)), ("right after thanksgiving", "en", d(11, 27)),
    ("sometime after the 15th", "en", d(12, 16)), ("not until after new year's", "en", d(1, 2, 2027)),
    ("después de navidad", "es", d(12, 26)), ("después del 15", "es", d(12, 16)),
    # "The first of the year" is January 1st (before: December 1st, and a year out without "the").
    ("the first of the year", "en", d(1, 1, 2027)), ("first of the year", "en", d(1, 1, 2027)),
    ("el primero del año", "es", d(1, 1, 2027)),
])
def test_date_after_a_day_is_the_day_after_read_back(text, language, expected):
    found = interpret.date(text, language, TODAY)
    assert found is not None and found.value == expected
    assert found.confidence == pytest.approx(0.6 if "after" in text or "despu" in text else 0.9)


@pytest.mark.parametrize("text, language", [
    ("after the holidays", "en"), ("después de las fiestas", "es"), ("after I get my license", "en"),
    ("before Christmas", "en"), ("after last week", "en"),
])
def test_date_after_no_one_day_stays_a_question(text, language):
    assert interpret.date(text, language, TODAY) is None


@pytest.mark.parametrize(
    "text, language",
    [("la semana antepasada", "es"), ("el fin de semana pasado", "es"), ("last weekend", "en"),
     ("hace un par de semanas", "es")],
)
def test_date_weeks_before_this_one_are_the_past(text, language):
    """"La semana antepasada" is the week before last, not the week after next."""
    assert interpret.date(text, language, PROBE_DAY) is None
    assert interpret.date_refusal(text, language, PROBE_DAY) == "past"


@pytest.mark.parametrize(
    "today, text, language, expected",
    [
        (d(11, 21), "this weekend", "en", d(11, 21)),  # a Saturday: today
        (d(11, 22), "este fin de semana", "es", d(11, 22)),  # a Sunday: today
        (d(11, 21), "next weekend", "en", d(11, 28)),
        (d(11, 22), "el fin de semana que viene", "es", d(11, 28)),
        (d(11, 21), "end of the week", "en", d(11, 21)),  # the week's end has come: today
        (d(11, 20), "a fin de semana", "es", d(11, 20)),
    ],
)
def test_date_weekend_said_on_a_weekend(today, text, language, expected):
    assert interpret.date(text, language, today).value == expected


def test_date_monday_or_tuesday_takes_the_earliest():
    assert interpret.date("Monday or Tuesday", "en", TODAY).value == d(11, 23)


def test_date_leap_day_rolls_to_next_leap_year_which_is_too_far_to_start():
    assert interpret.date("February 29", "en", TODAY) is None
    assert interpret.date_refusal("February 29", "en", TODAY) == "too_far"
    assert interpret.date("February 29", "en", datetime.date(2027, 11, 18)).value == d(2, 29, 2028)


# ---------------------------------------------------------------------------------- choice


@pytest.mark.parametrize(
    "text, expected, confidence",
    [
        ("days", "days", 0.95),
        ("Days.", "days", 0.95),
        ("Um, mornings.", "days", 0.95),
        ("Night shift", "nights", 0.95),
        ("I'd prefer the night shift", "nights", 0.85),
        ("weekends would be best", "weekends", 0.85),
        ("not nights, days", "days", 0.85),
        ("the first one", "days", 0.85),
        ("The second.", "nights", 0.85),
        ("number two", "nights", 0.85),
        ("option 3", "weekends", 0.85),
        ("the last one", "weekends", 0.85),
        ("1", "days", 0.85),
        ("two", "nights", 0.85),
    ],
)
def test_choice_en(text, expected, confidence):
    found = interpret.choice(text, SHIFTS, "en")
    assert found is not None
    assert found.value == expected
    assert found.confidence == pytest.approx(confidence)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("knights", "nights"),  # misheard
        ("nigths", "nights"),
    ],
)
def test_choice_fuzzy(text, expected):
    found = interpret.choice(text, SHIFTS, "en")
    assert found is not None
    assert found.value == expected
    assert 0.6 <= found.confidence < 0.85


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Tiempo completo.", "completo"),
        ("prefiero medio tiempo", "medio"),
        ("parcial", "medio"),
        ("sabados y domingos", "fines"),  # accents optional
        ("la primera", "completo"),
        ("La segunda opción.", "medio"),
        ("el número tres", "fines"),
        ("opción 2", "medio"),
        ("uno", "completo"),
        ("dos", "medio"),
        ("tres", "fines"),
        ("la última", "fines"),
        ("tiempo complete", "completo"),  # fuzzy
    ],
)
def test_choice_es(text, expected):
    assert value_of(interpret.choice(text, TURNOS, "es")) == expected


@pytest.mark.parametrize(
    "text, language, options",
    [
        ("days or nights", "en", SHIFTS),
        ("either", "en", SHIFTS),
        ("the fifth one", "en", SHIFTS),  # out of range
        ("option 9", "en", SHIFTS),
        ("pizza", "en", SHIFTS),
        ("tiempo", "es", TURNOS),  # in two labels equally
        ("completo o parcial", "es", TURNOS),
        ("days", "en", []),
        *[(g, lang, opts) for g in GARBAGE for lang, opts in (("en", SHIFTS), ("es", TURNOS))],
    ],
)
def test_choice_not_understood(text, language, options):
    assert interpret.choice(text, options, language) is None


ROLES = [Choice("warehouse", ("Warehouse Associate",)), Choice("driver", ("Delivery Driver",))]
ROLES_ES = [Choice("warehouse", ("Asociado de Almacén",)), Choice("driver", ("Conductor de Reparto",))]


@pytest.mark.parametrize(
    "text, language, options, expected, confidence",
    [
        ("Warehouse Associate.", "en", ROLES, "warehouse", 0.95),
        ("the associate one", "en", ROLES, "warehouse", 0.75),
        ("the warehouse one", "en", ROLES, "warehouse", 0.85),  # names the job family (warehouse)
        ("I'd like to be a driver", "en", ROLES, "driver", 0.85),
        ("not the warehouse one, the driver one", "en", ROLES, "driver", 0.85),
        ("el de almacen", "es", ROLES_ES, "warehouse", 0.85),
        ("quiero ser conductor", "es", ROLES_ES, "driver", 0.85),
    ],
)
def test_choice_part_of_a_label(text, language, options, expected, confidence):
    found = interpret.choice(text, options, language)
    assert found is not None
    assert found.value == expected
    assert found.confidence == pytest.approx(confidence)


@pytest.mark.parametrize(
    "text, language, options, expected",
    [
        ("wearhouse", "en", ROLES, "warehouse"),
        ("the delivery drive", "en", ROLES, "driver"),
        ("almasen", "es", ROLES_ES, "warehouse"),
    ],
)
def test_choice_misheard_label_word(text, language, options, expected):
    assert value_of(interpret.choice(text, options, language)) == expected


@pytest.mark.parametrize("text", ["warehouse or driver", "the associate driver"])
def test_choice_part_of_two_labels_is_ambiguous(text):
    assert interpret.choice(text, ROLES, "en") is None


def test_choice_equal_fuzzy_scores_are_ambiguous():
    options = [Choice("a", ("cat",)), Choice("b", ("car",))]
    assert interpret.choice("cap", options, "en") is None


@pytest.mark.parametrize("text", ["night shift", "the second one", "nite shift", "not nights"])
def test_choice_labels_given_as_lists_read_as_tuples(text):
    # Choice says a tuple; a caller may give lists: same answer, and the options are built
    # once for the list too (the cache keyed on them as tuples, not skipped).
    from receptionist.engine.interpret import choices
    as_lists = [Choice(c.key, list(c.labels)) for c in SHIFTS]
    expected = interpret.choice(text, SHIFTS, "en")
    hits = choices._options.cache_info().hits
    assert interpret.choice(text, as_lists, "en") == expected
    assert choices._options.cache_info().hits == hits + 1


# ----------------------------------------------------------------------------------- email


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Jane.Doe@Example.com", "Jane.Doe@example.com"),
        ("my email is Jane.Doe@Example.com.", "Jane.Doe@example.com"),
        ("It's jane_doe+jobs@yahoo.com, thanks", "jane_doe+jobs@yahoo.com"),
        ("jane dot doe at gmail dot com", "jane.doe@gmail.com"),
        ("My email is jane dot doe at gmail dot com.", "jane.doe@gmail.com"),
        ("Jane Dot Doe at Gmail dot com", "jane.doe@gmail.com"),
        ("Jane Doe at gmail dot com", "janedoe@gmail.com"),
        ("jane underscore doe at yahoo dot com", "jane_doe@yahoo.com"),
        ("j a n e at gmail dot com", "jane@gmail.com"),
        ("jane dash doe at outlook dot com", "jane-doe@outlook.com"),
        ("jane.doe at gmail.com", "jane.doe@gmail.com"),
        ("jane at gmail com", "jane@gmail.com"),
        ("jane 84 at gmail dot com", "jane84@gmail.com"),
        ("john at work dot co dot uk", "john@work.co.uk"),
        ("I'm at home, it's john at gmail dot com", "john@gmail.com"),
        ("jane punto doe arroba gmail punto com", "jane.doe@gmail.com"),
        ("Mi correo es María punto López arroba Hotmail punto com.", "maria.lopez@hotmail.com"),
        ("jane guion doe arroba gmail punto com", "jane-doe@gmail.com"),
        ("jane guión bajo doe arroba gmail punto com", "jane_doe@gmail.com"),
    ],
)
def test_email(text, expected):
    assert value_of(interpret.email(text)) == expected


@pytest.mark.parametrize(
    "text, confidence",
    [
        ("jane@example.com", 0.95),
        ("jane dot doe at gmail dot com", 0.8),
        ("j a n e at gmail dot com", 0.75),
        ("I'm at home, it's john at gmail dot com", 0.8),
        ("Jane Doe at gmail dot com", 0.6),  # was it janedoe@?
    ],
)
def test_email_confidence(text, confidence):
    assert interpret.email(text).confidence == pytest.approx(confidence)


@pytest.mark.parametrize(
    "text",
    [
        "jane at gmail",  # no top-level domain
        "jane@gmail",
        "jane..doe@gmail.com",
        "j@x.test",  # reserved domain
        "I don't have one",
        "at dot",
        "dot at dot",
        "no tengo correo",
        *GARBAGE,
    ],
)
def test_email_not_understood(text):
    assert interpret.email(text) is None


# ---------------------------------------------------------------------------------- keypad


@pytest.mark.parametrize(
    "digits, expected",
    [("1", True), ("2", False), ("1#", True), (" 2 ", False), ("2*", False)],
)
def test_digits_yes_no(digits, expected):
    assert interpret.digits_yes_no(digits) == Interpretation(expected, 1.0)


@pytest.mark.parametrize("digits", ["0", "3", "12", "#", "*", "a", "1a", "११", *GARBAGE])
def test_digits_yes_no_not_understood(digits):
    assert interpret.digits_yes_no(digits) is None


@pytest.mark.parametrize(
    "digits, expected",
    [("12", 12), ("12#", 12), ("5*", 5), ("0", 0), ("007", 7), ("123456789", 123456789)],
)
def test_digits_number(digits, expected):
    assert interpret.digits_number(digits) == Interpretation(expected, 1.0)


@pytest.mark.parametrize("digits", ["#", "1.5", "-3", "1 2", "two", "1234567890", "²", *GARBAGE])
def test_digits_number_not_understood(digits):
    assert interpret.digits_number(digits) is None


@pytest.mark.parametrize(
    "digits, expected",
    [
        ("0", TODAY),
        ("00", TODAY),
        ("0#", TODAY),
        ("1118", TODAY),
        ("1201", d(12, 1)),
        ("1201#", d(12, 1)),
        ("0315", d(3, 15, 2027)),
        ("1110", d(11, 10, 2027)),
        ("0229", d(2, 29, 2028)),
    ],
)
def test_digits_date(digits, expected):
    assert interpret.digits_date(digits, TODAY) == Interpretation(expected, 1.0)


@pytest.mark.parametrize("digits", ["1301", "0230", "0000", "1232", "123", "12011", "000", *GARBAGE])
def test_digits_date_not_understood(digits):
    assert interpret.digits_date(digits, TODAY) is None


@pytest.mark.parametrize(
    "digits, expected", [("1", "days"), ("2#", "nights"), ("3", "weekends"), ("03", "weekends")]
)
def test_digits_choice(digits, expected):
    assert interpret.digits_choice(digits, SHIFTS) == Interpretation(expected, 1.0)


@pytest.mark.parametrize("digits", ["0", "4", "10", "#", "one", *GARBAGE])
def test_digits_choice_not_understood(digits):
    assert interpret.digits_choice(digits, SHIFTS) is None


def test_digits_choice_without_options():
    assert interpret.digits_choice("1", []) is None


# ---------------------------------------------------------------------------- never raise


@pytest.mark.parametrize("text", [*GARBAGE, "yes " * 500, "one two at dot next monday " * 80])
@pytest.mark.parametrize("language", ["en", "es", "fr", ""])
def test_text_interpreters_never_raise(text, language):
    for result in (
        interpret.yes_no(text, language),
        interpret.number(text, language),
        interpret.date(text, language, TODAY),
        interpret.choice(text, SHIFTS, language),
        interpret.email(text),
    ):
        assert result is None or 0.0 <= result.confidence <= 1.0


def test_unknown_language_falls_back_to_english():
    assert interpret.yes_no("yes", "fr") == Interpretation(True, 0.9)
    assert interpret.number("five", "en-GB").value == 5


# ------------------------------------------- answers as real callers say them (probed 2026-11-24)

PROBE_DAY = datetime.date(2026, 11, 24)  # a Tuesday


@pytest.mark.parametrize(
    "text, language, expected, confidence",
    [
        ("no worries", "en", True, 0.9),  # "fine", not a no
        ("No worries at all.", "en", True, 0.9),
        ("not a problem", "en", True, 0.9),
        ("that's not a problem", "en", True, 0.9),
        ("totally", "en", True, 0.9),
        ("sure thing", "en", True, 0.9),
        ("that's fine", "en", True, 0.75),
        ("That's fine with me.", "en", True, 0.75),
        ("sounds good", "en", True, 0.75),
        ("that works for me", "en", True, 0.75),
        ("yes I can", "en", True, 0.9),
        ("uh-uh", "en", False, 0.9),
        ("Uh uh.", "en", False, 0.9),
        ("mm-mm", "en", False, 0.9),
        ("totally not", "en", False, 0.9),
        ("not a chance", "en", False, 0.9),
        ("that's not fine", "en", False, 0.75),
        ("I'd say no", "en", False, 0.9),  # a "no" that ends its clause answers
        ("my answer is no", "en", False, 0.9),
        ("la verdad no", "es", False, 0.9),
        ("pues la verdad es que no", "es", False, 0.9),
        ("simón", "es", True, 0.9),
        ("Simón, sí puedo.", "es", True, 0.9),
        ("sip", "es", True, 0.9),
        ("obvio", "es", True, 0.9),
        ("no hay bronca", "es", True, 0.9),  # "no problem", not a no
        ("no tengo ningún problema", "es", True, 0.9),
        ("nel", "es", False, 0.9),
        ("nel pastel", "es", False, 0.9),
        ("nop", "es", False, 0.9),
        ("nones", "es", False, 0.9),
        ("obvio que no", "es", False, 0.9),
        ("no hay pedo", "es", True, 0.9),
        ("ni de chiste", "es", False, 0.9),
        ("claro que no", "es", False, 0.9),
        ("no creo", "es", False, 0.75),
    ],
)
def test_yes_no_as_callers_say_it(text, language, expected, confidence):
    found = interpret.yes_no(text, language)
    assert found is not None and found.value is expected
    assert found.confidence == pytest.approx(confidence)


@pytest.mark.parametrize(
    "text, language",
    [
        ("kind of", "en"),
        ("I'm not sure", "en"),
        ("not totally", "en"),  # partly: asked again
        ("fine", "en"),  # bare agreement: asked again (tests/data/interpret_yes_no.csv)
        ("that's fine but only days", "en"),
        ("no worries, no", "en"),  # says both
        ("uh uh yes no", "en"),
        ("I have no idea", "en"),
        ("Simón Bolívar", "es"),  # a name, not "simón" alone
        ("ni modo", "es"),
        ("I wish to see it with no subtitles", "en"),  # "no" before a noun: a determiner
    ],
)
def test_yes_no_as_callers_say_it_not_understood(text, language):
    assert interpret.yes_no(text, language) is None


def test_a_no_mid_sentence_still_answers_through_the_verb_it_negates():
    assert value_of(interpret.yes_no("la verdad no tengo", "es", "¿Tiene licencia de manejar?")) is False


@pytest.mark.parametrize(
    "text, language, expected, confidence",
    [
        ("año y medio", "es", 1.5, 0.75),
        ("como año y medio", "es", 1.5, 0.75),
        ("un año y medio", "es", 1.5, 0.9),
        ("dos años y medio", "es", 2.5, 0.9),
        ("mes y medio", "es", 0.12, 0.75),  # a month and a half, in years
        ("a year and a half", "en", 1.5, 0.75),
        ("I don't have any", "en", 0, 0.9),
        ("I don't have any experience", "en", 0, 0.9),
        ("I do not have any", "en", 0, 0.9),
        ("I don't have", "en", 0, 0.9),
        ("no tengo", "es", 0, 0.9),
        ("since 2019", "en", 7, 0.75),  # calendar years until today
        ("I've been doing it since twenty nineteen", "en", 7, 0.75),
        ("desde 2020", "es", 6, 0.75),
        ("just started", "en", 0, 0.6),  # under a year: read back
        ("I just started", "en", 0, 0.6),
        ("I'm brand new", "en", 0, 0.6),
        ("apenas empecé", "es", 0, 0.6),
        ("acabo de empezar", "es", 0, 0.6),
        ("recién empecé", "es", 0, 0.6),
        ("I just started, like 3 months", "en", 0.25, 0.9),  # a number said wins
        ("no tengo mucha, como dos años", "es", 2, 0.9),
    ],
)
def test_years_of_experience_as_callers_say_them(text, language, expected, confidence):
    found = interpret.number(text, language, "years", PROBE_DAY)
    assert found is not None and found.value == expected
    assert found.confidence == pytest.approx(confidence)


@pytest.mark.parametrize(
    "text, language",
    [
        # "A few" is any count from 2 to 5: asking again gets the number, picking one would
        # put words in the caller's mouth.
        ("a few years", "en"),
        ("several years", "en"),
        ("unos cuantos años", "es"),
        ("varios años", "es"),
        ("I don't have any, well maybe 2", "en"),
        ("I don't have 5 years, I have 3", "en"),
    ],
)
def test_years_of_experience_too_vague_are_asked_again(text, language):
    assert interpret.number(text, language, "years", PROBE_DAY) is None


def test_just_started_is_no_count_without_a_unit_of_time():
    assert interpret.number("I just started", "en", None, PROBE_DAY) is None


@pytest.mark.parametrize(
    "text, language, expected, confidence",
    [
        ("mid december", "en", d(12, 15), 0.75),
        ("mid-December", "en", d(12, 15), 0.75),
        ("the middle of December", "en", d(12, 15), 0.75),
        ("a mediados de diciembre", "es", d(12, 15), 0.75),
        ("mid next month", "en", d(12, 15), 0.75),
        ("mid November", "en", PROBE_DAY, 0.75),  # under way: from today
        ("end of the month", "en", d(11, 30), 0.75),
        ("end of month", "en", d(11, 30), 0.75),
        ("by the end of this month", "en", d(11, 30), 0.75),
        ("fin de mes", "es", d(11, 30), 0.75),
        ("a finales de mes", "es", d(11, 30), 0.75),
        ("end of next month", "en", d(12, 31), 0.75),  # not the 1st
        ("late December", "en", d(12, 31), 0.75),
        ("a fines de enero", "es", d(1, 31, 2027), 0.75),
        ("first week of january", "en", d(1, 1, 2027), 0.75),
        ("the second week of December", "en", d(12, 8), 0.75),
        ("the last week of December", "en", d(12, 25), 0.75),  # not "last week"
        ("la primera semana de enero", "es", d(1, 1, 2027), 0.75),
        ("la última semana de diciembre", "es", d(12, 25), 0.75),
        ("beginning of next month", "en", d(12, 1), 0.75),
        ("principios de diciembre", "es", d(12, 1), 0.75),
        ("a principios del próximo mes", "es", d(12, 1), 0.75),
        ("end of the year", "en", d(12, 31), 0.9),  # like "fin de año"
        ("whenever", "en", PROBE_DAY, 0.6),  # any day suits: today, read back when scored
        ("I can start whenever", "en", PROBE_DAY, 0.6),
        ("whenever you need me", "en", PROBE_DAY, 0.6),
        ("cuando sea", "es", PROBE_DAY, 0.6),
        ("cuando ustedes quieran", "es", PROBE_DAY, 0.6),
        ("any time", "en", PROBE_DAY, 0.9),
        ("the first of the month", "en", d(12, 1), 0.9),  # still the next 1st
        ("el primero del mes", "es", d(12, 1), 0.9),
        # a week's end (its Friday), a weekend (its Saturday): a part of a week, not a day
        ("end of the week", "en", d(11, 27), 0.75),
        ("by the end of this week", "en", d(11, 27), 0.75),
        ("a fin de semana", "es", d(11, 27), 0.75),  # as "a fin de mes": the week's end
        ("a finales de la semana", "es", d(11, 27), 0.75),
        ("this weekend", "en", d(11, 28), 0.75),
        ("over the weekend", "en", d(11, 28), 0.75),
        ("next weekend", "en", d(11, 28), 0.75),  # as "next Friday": the first one after today
        ("fin de semana", "es", d(11, 28), 0.75),
        ("este fin de semana", "es", d(11, 28), 0.75),
        ("el fin de semana que viene", "es", d(11, 28), 0.75),  # not next week's Monday
        ("el próximo fin de semana", "es", d(11, 28), 0.75),
        ("in a couple of weeks", "en", d(12, 8), 0.9),
        ("en un par de semanas", "es", d(12, 8), 0.9),
        ("dentro de dos semanas", "es", d(12, 8), 0.9),
        ("the week after next", "en", d(12, 7), 0.9),  # that week's Monday
        ("la semana después de la próxima", "es", d(12, 7), 0.9),
    ],
)
def test_start_dates_as_callers_say_them(text, language, expected, confidence):
    found = interpret.date(text, language, PROBE_DAY)
    assert found is not None and found.value == expected
    assert found.confidence == pytest.approx(confidence)


@pytest.mark.parametrize(
    "text, language",
    [
        ("after the holidays", "en"),  # a bound, not a day
        ("después de las fiestas", "es"),
        ("whenever I get my license", "en"),  # a condition, not "any day"
        ("cuando me den de alta", "es"),
        ("the fifth week of February", "en"),
        ("last week", "en"),
        ("fines de semana", "es"),
        ("weekends", "en"),  # a shift (the choice interpreter's), no start date
    ],
)
def test_start_dates_as_callers_say_them_not_understood(text, language):
    assert interpret.date(text, language, PROBE_DAY) is None
