"""Read-back of knockout and unsure answers (engine.flow phase ``readback``, engine.readback):
pure, no server. A knockout never ends a screening on an answer that was not confirmed."""
from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest

from receptionist.engine import flow, readback
from receptionist.engine.flow import CallContext, Digits, Silence, Speech
from receptionist.engine.script import AgentScript, QuestionSpec
from receptionist.engine.texts import render

TODAY = dt.date(2026, 11, 18)
SCRIPT = AgentScript(
    company_name="Acme Staffing", languages=("en", "es"),
    greeting={"en": "Hi.", "es": "Hola."}, disclosure={"en": "AI.", "es": "IA."},
    questions=(
        QuestionSpec("work-authorization", "yes_no",
                     {"en": "Are you legally authorized to work in the United States?",
                      "es": "¿Está usted autorizado legalmente para trabajar en los Estados Unidos?"},
                     knockout={"equals": False}),
        QuestionSpec("years", "number", {"en": "How many years of experience do you have?",
                                         "es": "¿Cuántos años de experiencia tiene?"}, weight=40),
        QuestionSpec("start", "date", {"en": "When can you start?", "es": "¿Cuándo puede empezar?"}),
    ),
)
VOICE = CallContext(today=TODAY, skip_menu=True)
SMS = flow.sms_context(TODAY)


def said(turn, channel="voice"):
    return " ".join(render(line, turn.language, channel) for line in turn.lines)


def answers(turns):
    return [e for t in turns for e in t.effects if isinstance(e, flow.AnswerGiven)]


def ended(turns):
    return [e for t in turns for e in t.effects if isinstance(e, flow.Ended)]


def run(events, language="English", ctx=VOICE, script=SCRIPT):
    state, turn = flow.start(script, ctx)
    turns = [turn]
    for event in [Speech(language)] + list(events):
        state, turn = flow.advance(script, state, event, ctx)
        turns.append(turn)
    return state, turns


# --- knockouts ------------------------------------------------------------------------------


def test_a_knockout_is_read_back_and_ends_the_screening_only_once_confirmed():
    state, turns = run([Speech("no")])
    assert state.phase == "readback" and not answers(turns) and not ended(turns)
    assert said(turns[-1]) == ("Just to confirm: you are not legally authorized to work in the United States. "
                               "Is that right? Say yes or no, or press 1 for yes and 2 for no.")
    state, turns = run([Speech("no"), Speech("yes, that's right")])
    [answer] = answers(turns)
    assert (answer.value, answer.knocked_out, answer.confirmed) == (False, True, True)
    assert ended(turns) == [flow.Ended("knocked_out")] and "can't move your application forward" in said(turns[-1])


def test_no_i_am_authorized_at_the_read_back_corrects_the_answer_and_the_screening_goes_on():
    state, turns = run([Speech("no", 0.42), Speech("no, I am authorized"), Speech("five years"),
                        Speech("next Monday")])
    assert [(a.question_key, a.value, a.knocked_out, a.confirmed) for a in answers(turns)] == [
        ("work-authorization", True, False, False), ("years", 5, False, None), ("start", dt.date(2026, 11, 23),
                                                                                False, None)]
    assert "How many years" in said(turns[3])  # straight on, the question is not asked again
    assert state.phase == "name" and not ended(turns)


def test_a_plain_no_asks_the_question_again():
    state, turns = run([Speech("nope"), Speech("no"), Speech("yes")])
    assert said(turns[3]).startswith("Sorry about that. Let's try again. Are you legally authorized")
    [answer] = answers(turns)
    assert (answer.value, answer.confirmed, answer.knocked_out) == (True, False, False)
    assert state.phase == "question" and state.question == 1 and state.readbacks == 0


def test_yes_but_restating_the_other_answer_takes_the_callers_words():
    _, turns = run([Speech("no"), Speech("yes, I am authorized")])
    assert [(a.value, a.knocked_out) for a in answers(turns)] == [(True, False)]


def test_keys_confirm_or_deny_a_read_back():
    state, turns = run([Digits("2"), Digits("1")])
    assert ended(turns) == [flow.Ended("knocked_out")]
    state, turns = run([Digits("2"), Digits("2")])
    assert state.phase == "question" and "Let's try again" in said(turns[-1]) and not answers(turns)


def test_a_read_back_not_understood_is_asked_once_more_then_the_answer_counts_as_not_understood():
    state, turns = run([Speech("no"), Speech("banana"), Silence()])
    assert "didn't understand" in said(turns[3]) and "Just to confirm" in said(turns[3])
    assert state.phase == "question" and state.pending is None and state.failures == 1
    assert "didn't hear anything" in said(turns[4]) and "Are you legally authorized" in said(turns[4])
    assert not answers(turns) and not ended(turns)


def test_a_knockout_denied_twice_goes_to_a_recruiter_instead_of_looping():
    state, turns = run([Speech("no"), Speech("no"), Speech("no"), Speech("no"), Speech("no")])
    assert said(turns[4]).startswith("Just to confirm")  # the second answer is read back too
    assert ended(turns) == [flow.Ended("abandoned", "not_understood",
                                       "knockout answer to work-authorization not confirmed at the read-back")]
    assert not answers(turns) and turns[-1].gather is None


def test_spanish_read_back_and_correction():
    state, turns = run([Speech("no"), Speech("no, sí estoy autorizado")], language="español")
    assert said(turns[2]).startswith("Para confirmar: usted no está autorizado legalmente para trabajar en los "
                                     "Estados Unidos. ¿Es correcto? Diga sí o no")
    [answer] = answers(turns)
    assert (answer.value, answer.knocked_out, answer.confirmed) == (True, False, False)
    assert "¿Cuántos años" in said(turns[3])


def test_spanish_knockout_confirmed():
    _, turns = run([Speech("no"), Speech("sí, es correcto")], language="español")
    assert ended(turns) == [flow.Ended("knocked_out")] and "no podemos continuar" in said(turns[-1])


@pytest.mark.parametrize("language, reply, expected", [("English", "yes", "knocked_out"), ("español", "sí", "knocked_out")])
def test_sms_read_back_is_worded_for_text(language, reply, expected):
    state, turns = run([Speech("no", source="sms"), Speech(reply, source="sms")], language=language, ctx=SMS)
    text = said(turns[2], "sms")
    assert text.endswith("Reply YES or NO.") if language == "English" else text.endswith("Responda SÍ o NO.")
    assert ended(turns) == [flow.Ended(expected)]
    [answer] = answers(turns)
    assert answer.speech_confidence is None and answer.confirmed is True


# --- unsure answers --------------------------------------------------------------------------


def test_low_speech_confidence_on_a_scored_answer_is_read_back_once():
    state, turns = run([Speech("yes"), Speech("five years", 0.31)])
    assert state.phase == "readback"
    assert said(turns[-1]).startswith("Just to confirm, to the question: How many years of experience do you "
                                      "have? I understood: 5. Is that right?")
    state, turns = run([Speech("yes"), Speech("five years", 0.31), Speech("seven", 0.88)])
    years = answers(turns)[-1]
    assert (years.value, years.confirmed, years.speech_confidence) == (7, False, 0.88)
    # Denied, asked again, unsure again: taken without a second read-back (the call does not drag).
    state, turns = run([Speech("yes"), Speech("five years", 0.31), Speech("no"), Speech("six years", 0.2)])
    years = answers(turns)[-1]
    assert (years.value, years.confirmed, years.speech_confidence) == (6, False, 0.2)
    assert state.phase == "question" and state.question == 2


def test_confirmed_unsure_answer_keeps_both_confidences():
    _, turns = run([Speech("yes"), Speech("three or four years", 0.95), Speech("correct")])
    years = answers(turns)[-1]
    assert (years.value, years.confirmed, years.speech_confidence) == (3, True, 0.95)
    assert years.interpreter_confidence < VOICE.min_answer_confidence


def test_unscored_and_confident_answers_are_not_read_back():
    state, turns = run([Speech("yes", 0.95), Speech("five", 0.9), Speech("next Monday", 0.1)])
    assert state.phase == "name" and [a.confirmed for a in answers(turns)] == [None, None, None]


def test_a_pending_read_back_survives_the_json_round_trip():
    script = AgentScript("A", ("en",), {"en": "Hi."}, {"en": "AI."},
                         questions=(QuestionSpec("start", "date", {"en": "When?"}, weight=10),))
    state, turn = flow.start(script, VOICE)
    state, turn = flow.advance(script, state, Speech("next Monday", 0.1), VOICE)
    assert state.phase == "readback" and "I understood: Monday, November 23" in said(turn)
    again = flow.CallState.from_dict(json.loads(json.dumps(state.to_dict())))
    assert again == state
    _, turn = flow.advance(script, again, Speech("yes"), VOICE)
    [answer] = [e for e in turn.effects if isinstance(e, flow.AnswerGiven)]
    assert answer.value == dt.date(2026, 11, 23) and answer.confirmed is True


# --- wording and reading (engine.readback) ---------------------------------------------------


@pytest.mark.parametrize("question, value, language, expected", [
    ("Are you 18 years of age or older?", False, "en", "you are not 18 years of age or older"),
    ("Can you lift up to 50 pounds on a regular basis?", False, "en", "you cannot lift up to 50 pounds on a regular basis"),
    ("Do you have a driver's license?", True, "en", "you have a driver's license"),
    ("Do you have a driver's license?", False, "en", "you do not have a driver's license"),
    ("Have you worked in a warehouse?", False, "en", "you have not worked in a warehouse"),
    ("Is your license valid?", False, "en", None),
    ("¿Tiene usted 18 años o más?", False, "es", "usted no tiene 18 años o más"),
    ("¿Puede levantar hasta 50 libras con regularidad?", True, "es-MX", "usted puede levantar hasta 50 libras con regularidad"),
    ("¿Cuántos años tiene?", False, "es", None),
])
def test_statement(question, value, language, expected):
    assert readback.statement(question, value, language) == expected


@pytest.mark.parametrize("text, expected", [
    ("No, I am authorized.", (False, "I am authorized")), ("No I am authorized", (False, "I am authorized")),
    ("that is correct", (True, "")), ("Yes.", (True, "")), ("I am authorized", (None, "I am authorized")),
    ("seven years", (None, "seven years")), ("", (None, "")),
    ("no worries", (True, "")), ("not a problem, thanks", (True, "thanks")), ("no way", (False, "")),
    ("uh-uh", (False, "")),
])
def test_leading_verdict(text, expected):
    assert readback.leading_verdict(text, "en") == expected


def test_restates():
    assert readback.restates("I'm 17", "Are you 18 or older?", "en")
    assert readback.restates("over 18", "Are you 18 or older?", "en")
    assert readback.restates("sí estoy autorizado", "¿Está usted autorizado?", "es")
    assert not readback.restates("that's right", "Are you 18 or older?", "en")


@pytest.mark.parametrize("ctx", [VOICE, SMS], ids=["voice", "sms"])
def test_no_screening_ends_on_a_knockout_that_was_not_confirmed(ctx):
    """Random walks (fixed seed) over replies: every knockout end carries a confirmed answer."""
    import random

    rng = random.Random(8)
    replies = [Speech("no"), Speech("yes"), Speech("no, I am authorized"), Speech("banana"), Digits("1"),
               Digits("2"), Silence(), Speech("five", 0.2), Speech("that's right"), Speech("nope")]
    endings = 0
    for _ in range(300):
        state, turns = run([rng.choice(replies) for _ in range(8)], ctx=ctx)
        for turn in turns:
            if flow.Ended("knocked_out") in turn.effects:
                endings += 1
                [answer] = [e for e in turn.effects if isinstance(e, flow.AnswerGiven)]
                assert answer.knocked_out and answer.confirmed is True
    assert endings > 10


def test_a_nudge_during_a_read_back_repeats_it():
    state, _ = run([Speech("no", source="sms")], ctx=SMS)
    line = flow.current_prompt(SCRIPT, state)
    assert render(line, "en", "sms").startswith("Just to confirm: you are not legally authorized")


@pytest.mark.parametrize("language,said_years,heard", [
    ("English", "six months", "I understood: 6 months. Is that right?"),  # before: "I understood: 0.5."
    ("English", "two and a half years", "I understood: 2 years and 6 months."),
    ("English", "one year", "I understood: 1 year."),
    ("español", "seis meses", "Entendí: 6 meses."),
    ("español", "un año y medio", "Entendí: 1 año y 6 meses."),  # before: "1.5", read the English way
])
def test_a_number_in_years_is_read_back_in_years_and_months(language, said_years, heard):
    years = dataclasses.replace(SCRIPT.questions[1], unit="years")
    script = dataclasses.replace(SCRIPT, questions=(SCRIPT.questions[0], years))
    state, turns = run([Speech("yes" if language == "English" else "sí"), Speech(said_years, 0.2)], language=language,
                       script=script)
    assert state.phase == "readback" and heard in said(turns[-1]), said(turns[-1])


@pytest.mark.parametrize("value,unit,english,spanish", [
    (0.5, "years", "6 months", "6 meses"), (1, "years", "1 year", "1 año"), (4, "years", "4 years", "4 años"),
    (1.25, "years", "1 year and 3 months", "1 año y 3 meses"), (0, "years", "0 years", "0 años"),
    (6, "months", "6 months", "6 meses"), (1, "months", "1 month", "1 mes"), (2.5, None, "2.5", "2,5"), (7, None, "7", "7"),
])
def test_spoken_quantities(value, unit, english, spanish):
    from receptionist.engine.texts import spoken_quantity

    assert (spoken_quantity(value, unit, "en"), spoken_quantity(value, unit, "es")) == (english, spanish)
