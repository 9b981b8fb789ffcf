"""Answers as callers give them, through the whole flow: the question reaches the
interpreter, and an answer that is not a start date or names two options gets its own
reprompt. Every example call in examples/calls/ is played against the app."""
from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from receptionist.engine import flow
from receptionist.engine.flow import CallContext, CallState, Speech
from receptionist.engine.script import AgentScript, OptionSpec, QuestionSpec
from receptionist.engine.texts import render
from receptionist.engine.vocabulary import Phase


TODAY = dt.date(2026, 11, 18)


def _script(*questions: QuestionSpec) -> AgentScript:
    return AgentScript("Acme", ("en", "es"), {"en": "Hi.", "es": "Hola."}, {"en": "AI.", "es": "IA."},
                       questions=questions)


AGE = QuestionSpec("age", "yes_no", {"en": "Are you 18 years of age or older?", "es": "¿Tiene usted 18 años o más?"},
                   knockout={"equals": False}, implied_by_number={"at_least": 18})
LIFT = QuestionSpec("lift", "yes_no", {"en": "Can you lift 50 pounds?", "es": "¿Puede levantar 50 libras?"})
YEARS = QuestionSpec("years", "number", {"en": "How many years of experience?", "es": "¿Cuántos años de experiencia?"},
                     unit="years")
START = QuestionSpec("start", "date", {"en": "When could you start?", "es": "¿Cuándo podría empezar?"})
SHIFT = QuestionSpec("shift", "choice", {"en": "Which shift?", "es": "¿Qué turno?"}, options=(
    OptionSpec("days", {"en": ("days",), "es": ("día",)}),
    OptionSpec("nights", {"en": ("nights",), "es": ("noche",)}),
))


def answer(question: QuestionSpec, text: str, language: str = "en"):
    """One answer to ``question`` at the question phase: (state, turn)."""
    script = _script(question)
    state = CallState(phase=Phase.question, language=language, question=0, posting="p")
    return flow.advance(script, state, Speech(text), CallContext(today=TODAY))


def said(turn, language="en") -> str:
    return " ".join(render(line, language) for line in turn.lines)


def given(turn):
    return [e for e in turn.effects if isinstance(e, flow.AnswerGiven)]


@pytest.mark.parametrize("text, language, expected", [
    ("I'm 17", "en", False), ("tengo 17", "es", False), ("tengo 25 años", "es", True), ("I'm 19", "en", True),
])
def test_a_number_answers_the_age_question_the_company_declared(text, language, expected):
    state, turn = answer(AGE, text, language)
    if expected:
        assert given(turn)[0].value is True
    else:  # a knockout: read back before it counts
        assert state.phase is Phase.readback and state.pending["value"] is False and not given(turn)


def test_an_echo_of_another_verb_is_asked_again():
    state, turn = answer(AGE, "I can")  # "Are you ...?" is not answered by "I can"
    assert not given(turn) and state.failures == 1
    _, turn = answer(LIFT, "I can")
    assert given(turn)[0].value is True


@pytest.mark.parametrize("text", ["I have plans already", "I can't wait", "con ayuda sí", "okay"])
def test_hedged_or_unrelated_answers_are_asked_again_not_taken_as_no(text):
    state, turn = answer(AGE, text, "es" if "sí" in text else "en")
    assert not given(turn) and state.failures == 1 and not turn.ended


def test_years_of_experience_are_counted_in_the_questions_unit():
    _, turn = answer(YEARS, "six months")
    assert given(turn)[0].value == 0.5
    _, turn = answer(YEARS, "since 2015")
    assert given(turn)[0].value == 11


@pytest.mark.parametrize("text, language, reprompt", [
    ("last Monday", "en", "That date has passed."),
    ("hace tres semanas", "es", "Esa fecha ya pasó."),
    ("2028", "en", "I need a day, not only a year."),
    ("March 15 2028", "en", "That is more than a year away."),
])
def test_a_date_that_is_no_start_date_gets_its_own_reprompt(text, language, reprompt):
    state, turn = answer(START, text, language)
    assert not given(turn) and state.failures == 1
    assert said(turn, language).startswith(reprompt)


def test_two_options_named_are_asked_which_one_and_the_next_answer_counts():
    state, turn = answer(SHIFT, "days or nights")
    assert not given(turn)
    assert said(turn) == "Which one: days or nights?"
    assert turn.gather is not None
    state, turn = flow.advance(_script(SHIFT), state, Speech("nights"), CallContext(today=TODAY))
    assert given(turn)[0].value == "nights"


def test_a_negated_option_is_ruled_out():
    _, turn = answer(SHIFT, "no de noche", "es")
    assert given(turn)[0].value == "days"


def _company(question: dict) -> dict:
    return {"company": {"slug": "solo", "name": "Solo"},
            "agents": [{"slug": "desk", "name": "Desk", "phone_numbers": ["+12025550177"], "greeting": "Hi.",
                        "disclosure": "AI.", "questions": [{"key": "q", "text": "Q?", **question}]}]}


@pytest.mark.parametrize("question, message", [
    ({"kind": "yes_no", "implied_by_number": {"at_least": "eighteen"}},
     r"questions\[0\]\.implied_by_number\.at_least: a number, not 'eighteen'"),
    ({"kind": "yes_no", "implied_by_number": {"over": 18}},
     r"questions\[0\]\.implied_by_number: expected one of \{at_least: N\} or \{at_most: N\}"),
    ({"kind": "number", "implied_by_number": {"at_least": 18}},
     r"questions\[0\]\.implied_by_number: only a yes_no question"),
    ({"kind": "number", "unit": "fortnights"}, r"questions\[0\]\.unit: must be one of years, months, not 'fortnights'"),
    ({"kind": "yes_no", "unit": "years"}, r"questions\[0\]\.unit: only a number question has a unit"),
])
def test_the_company_file_refuses_a_bad_reading_rule_naming_the_field(db, question, message):
    from receptionist.services.company import CompanyFileError, load_company
    with pytest.raises(CompanyFileError, match=message):
        with db.transaction() as s:
            load_company(s, _company(question))


def test_the_reading_rules_reach_the_script(db):
    from sqlalchemy import select

    from receptionist.adapters.models import Agent
    from receptionist.services.company import load_company
    from receptionist.services.scripts import build_script
    with db.transaction() as s:
        load_company(s, _company({"kind": "yes_no", "implied_by_number": {"at_least": 21}}))
    with db.transaction() as s:
        assert build_script(s.scalars(select(Agent)).one()).questions[0].implied_by_number == {"at_least": 21}


@pytest.mark.parametrize("question, text, language, expected", [
    (LIFT, "no worries", "en", True),
    (LIFT, "uh-uh", "en", False),
    (LIFT, "la verdad no", "es", False),
    (LIFT, "simón", "es", True),
    (YEARS, "año y medio", "es", 1.5),
    (YEARS, "I don't have any", "en", 0),
    (START, "mid December", "en", "2026-12-15"),
    (START, "fin de mes", "es", "2026-11-30"),
])
def test_answers_as_callers_say_them_are_taken(question, text, language, expected):
    _, turn = answer(question, text, language)
    value = given(turn)[0].value
    assert (value.isoformat() if isinstance(value, dt.date) else value) == expected


@pytest.mark.parametrize("question, text, language, pending", [
    (YEARS, "I just started", "en", 0),  # under a year, how much unsaid
    (YEARS, "apenas empecé", "es", 0),
    (START, "whenever", "en", TODAY.isoformat()),  # any day: today, once confirmed
    (START, "cuando sea", "es", TODAY.isoformat()),
])
def test_a_loose_answer_to_a_scored_question_is_read_back_then_counts(question, text, language, pending):
    scored = dataclasses.replace(question, weight=1.0)
    state, turn = answer(scored, text, language)
    assert state.phase is Phase.readback and state.pending["value"] == pending and not given(turn)
    state, turn = flow.advance(_script(scored), state, Speech("yes" if language == "en" else "sí"),
                               CallContext(today=TODAY))
    assert [(a.value if not isinstance(a.value, dt.date) else a.value.isoformat(), a.confirmed)
            for a in given(turn)] == [(pending, True)]
