"""The conversation flow as a pure state machine: no server, no database."""
from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from receptionist.engine import flow
from receptionist.engine.flow import CallContext, Digits, Silence, Speech
from receptionist.engine.script import AgentScript, OptionSpec, PolicySpec, PostingSpec, QuestionSpec
from receptionist.engine.texts import render

TODAY = dt.date(2026, 11, 18)  # a Wednesday

SCRIPT = AgentScript(
    company_name="Acme Staffing",
    languages=("en", "es"),
    greeting={"en": "Thanks for calling Acme.", "es": "Gracias por llamar a Acme."},
    disclosure={"en": "I'm an AI assistant and this call is recorded.",
                "es": "Soy un asistente de IA y esta llamada se graba."},
    questions=(
        QuestionSpec("age-18", "yes_no", {"en": "Are you 18 or older?", "es": "¿Tiene 18 años o más?"},
                     knockout={"equals": False}),
        QuestionSpec("years", "number", {"en": "How many years of experience?", "es": "¿Cuántos años?"}, weight=40),
        QuestionSpec("start", "date", {"en": "When can you start?", "es": "¿Cuándo puede empezar?"}),
        QuestionSpec("shift", "choice", {"en": "Which shift?", "es": "¿Qué turno?"}, options=(
            OptionSpec("days", {"en": ("days",), "es": ("día",)}),
            OptionSpec("nights", {"en": ("nights",), "es": ("noche",)}),
        )),
    ),
    policies=(PolicySpec("pay", {"en": ("how much does it pay", "pay rate"), "es": ("cuánto pagan",)},
                         {"en": "It pays $20 an hour.", "es": "Paga 20 dólares por hora."}),),
    postings=(PostingSpec("warehouse", {"en": "Warehouse Associate", "es": "Almacén"}),
              PostingSpec("driver", {"en": "Delivery Driver", "es": "Conductor"})),
)
CTX = CallContext(today=TODAY)


def said(turn: flow.Turn, channel: str = "voice") -> str:
    return " ".join(render(line, turn.language, channel) for line in turn.lines)


def effects(turn, kind):
    return [e for e in turn.effects if isinstance(e, kind)]


def run(events, script=SCRIPT, ctx=CTX):
    """Start a call and apply ``events``; returns (state, turns) with every turn."""
    state, turn = flow.start(script, ctx)
    turns = [turn]
    for event in events:
        state, turn = flow.advance(script, state, event, ctx)
        turns.append(turn)
    return state, turns


def test_greeting_discloses_ai_and_recording_then_offers_languages():
    state, turn = flow.start(SCRIPT, CTX)
    text = said(turn)
    assert text.startswith("Thanks for calling Acme. I'm an AI assistant and this call is recorded.")
    assert "For English, say English or press 1" in text and "Para español" in text
    assert state.phase == "language" and turn.gather.input == "speech dtmf"
    assert "english" in turn.gather.hints


def test_qualified_caller_in_english_by_speech():
    state, turns = run([Speech("English"), Speech("apply"), Speech("the warehouse one"), Speech("yes"),
                        Speech("five years"), Speech("next Monday"), Speech("nights"),
                        Speech("my name is jane doe")])
    answers = [e for t in turns for e in effects(t, flow.AnswerGiven)]
    assert [(a.question_key, a.value) for a in answers] == [
        ("age-18", True), ("years", 5), ("start", dt.date(2026, 11, 23)), ("shift", "nights")]
    assert all(a.source == "speech" and not a.knocked_out for a in answers)
    assert effects(turns[3], flow.PostingChosen) == [flow.PostingChosen("warehouse")]
    assert effects(turns[-1], flow.NameGiven) == [flow.NameGiven("Jane Doe")]
    assert effects(turns[-1], flow.Ended) == [flow.Ended("completed")]
    assert turns[-1].gather is None
    assert "Thank you, Jane" in said(turns[-1]) and "text message" in said(turns[-1])
    assert state.phase == "ended"


def test_keys_work_everywhere_a_caller_can_press():
    _, turns = run([Digits("1"), Digits("1"), Digits("2"), Digits("1"), Digits("3"), Digits("0"),
                    Digits("1")])
    answers = [e for t in turns for e in effects(t, flow.AnswerGiven)]
    assert [(a.question_key, a.value, a.source) for a in answers] == [
        ("age-18", True, "dtmf"), ("years", 3, "dtmf"), ("start", TODAY, "dtmf"), ("shift", "days", "dtmf")]
    assert effects(turns[3], flow.PostingChosen) == [flow.PostingChosen("driver")]


def test_spanish_caller_hears_spanish_and_the_disclosure_in_spanish():
    _, turns = run([Speech("español"), Speech("solicitar")])
    assert effects(turns[1], flow.LanguageChosen) == [flow.LanguageChosen("es")]
    assert turns[1].language == "es"
    text = said(turns[1])
    assert "Soy un asistente de IA" in text and "Para solicitar un empleo" in text
    assert "¿Qué empleo le interesa?" in said(turns[2])


def test_failed_knockout_ends_politely_and_stores_the_answer():
    state, turns = run([Digits("1"), Digits("1"), Digits("1"), Speech("no I'm not"), Speech("yes")])
    readback, last = turns[-2:]
    assert said(readback).startswith("Just to confirm: you are not 18 or older. Is that right?")
    assert not effects(readback, flow.AnswerGiven) and readback.gather.num_digits == 1
    [answer] = effects(last, flow.AnswerGiven)
    assert answer.question_key == "age-18" and answer.value is False and answer.knocked_out
    assert answer.confirmed is True and answer.speech_confidence == 1.0 and answer.interpreter_confidence == 0.9
    assert effects(last, flow.Ended) == [flow.Ended("knocked_out")]
    assert last.gather is None and "Thank you for calling Acme Staffing" in said(last)
    assert state.phase == "ended"


def test_garbled_answers_reprompt_twice_then_keypad_only_then_end_flagged():
    state, turns = run([Digits("1"), Digits("1"), Digits("1"),
                        Speech("banana"), Silence(), Speech("purple"), Speech("still purple")])
    reprompt1, reprompt2, keypad, gave_up = turns[4:]
    assert "didn't understand" in said(reprompt1) and "Are you 18 or older?" in said(reprompt1)
    assert "didn't hear anything" in said(reprompt2) and reprompt2.gather.input == "speech dtmf"
    assert keypad.gather.input == "dtmf" and "Press 1 for yes, or 2 for no." in said(keypad)
    assert gave_up.gather is None and "recruiter will follow up" in said(gave_up)
    assert effects(gave_up, flow.Ended) == [flow.Ended("abandoned", "not_understood", "no answer understood at age-18")]
    assert not [e for t in turns for e in effects(t, flow.AnswerGiven)]


def test_a_good_answer_resets_the_retry_count():
    state, turns = run([Digits("1"), Digits("1"), Digits("1"), Silence(), Silence(), Speech("yes"),
                        Silence(), Speech("two")])
    assert [(a.question_key, a.value) for t in turns for a in effects(t, flow.AnswerGiven)] == [
        ("age-18", True), ("years", 2)]
    assert turns[-2].gather.input == "speech dtmf"  # the first silence on a new question is a plain reprompt


def test_faq_answer_and_unknown_question_return_to_the_menu():
    state, turns = run([Digits("1"), Digits("3"), Speech("How much does it pay?"), Digits("3"),
                        Speech("Do you offer free parking for unicorns?")])
    assert "What would you like to know?" in said(turns[2])
    assert "It pays $20 an hour." in said(turns[3]) and "To apply for a job" in said(turns[3])
    assert "don't have an answer" in said(turns[5]) and "To apply for a job" in said(turns[5])
    assert state.phase == "menu"


def test_a_question_asked_at_the_menu_is_answered_directly():
    state, turns = run([Digits("1"), Speech("what's the pay rate")])
    assert "It pays $20 an hour." in said(turns[2]) and state.phase == "menu"


def test_check_on_application_with_and_without_one():
    _, turns = run([Digits("1"), Digits("2")])
    assert "couldn't find an application" in said(turns[2])
    ctx = CallContext(today=TODAY, application=flow.ApplicationSummary(dt.date(2026, 11, 10), "completed",
                                                                      "Forklift Operator"))
    _, turns = run([Digits("1"), Digits("2")], ctx=ctx)
    assert "(Forklift Operator), from November 10" in said(turns[2])
    assert "received and under review" in said(turns[2])


def test_name_not_understood_still_completes_with_follow_up():
    _, turns = run([Digits("1"), Digits("1"), Digits("1"), Digits("1"), Digits("4"), Digits("0"),
                    Digits("2"), Silence(), Silence(), Silence()])
    last = turns[-1]
    assert effects(last, flow.Ended) == [flow.Ended("completed", "name_not_captured", "name not captured")]
    assert "Thank you." in said(last)


def test_single_language_single_posting_skips_those_steps():
    script = AgentScript("Solo", ("en",), {"en": "Hi."}, {"en": "AI, recorded."},
                         questions=SCRIPT.questions[:1], postings=SCRIPT.postings[:1])
    state, turn = flow.start(script, CTX)
    assert state.phase == "menu" and "To apply for a job" in said(turn)
    state, turn = flow.advance(script, state, Speech("I want to apply"), CTX)
    assert effects(turn, flow.PostingChosen) == [flow.PostingChosen("warehouse")]
    assert state.phase == "question" and "Are you 18 or older?" in said(turn)


def test_events_after_the_end_change_nothing():
    state, turns = run([Digits("1"), Digits("1"), Digits("1"), Digits("2"), Digits("1")])  # knockout confirmed
    assert state.phase == "ended"
    again_state, again = flow.advance(SCRIPT, state, Speech("hello?"), CTX)
    assert again_state == state and again.gather is None and again.lines == () and again.effects == ()


def test_state_round_trips_through_json_dict():
    state, _ = run([Digits("2"), Digits("1")])
    assert flow.CallState.from_dict(state.to_dict()) == state
    assert flow.CallState.from_dict({"phase": "menu", "unknown": 1}).phase == "menu"


@pytest.mark.parametrize("text,name", [
    ("my name is jane doe.", "Jane Doe"), ("Me llamo José Pérez", "José Pérez"),
    ("it's Mary-Ann O'Neil", "Mary-Ann O'Neil"), ("...", None), ("", None),
])
def test_clean_name(text, name):
    assert flow.clean_name(text) == name


def test_sms_channel_words_choices_as_numbered_replies():
    _, turns = run([Digits("1"), Digits("1")])
    assert "1: Warehouse Associate\n2: Delivery Driver" in said(turns[2], channel="sms")


def test_yes_no_instructions_are_given_once_then_only_on_reprompt():
    script = AgentScript("Solo", ("en",), {"en": "Hi."}, {"en": "AI, recorded."},
                         questions=(SCRIPT.questions[0],
                                    QuestionSpec("auth", "yes_no", {"en": "Can you work here?"})))
    _, turns = run([Digits("1"), Digits("1"), Silence()], script=script)
    assert "press 1 for yes" in said(turns[1])
    assert said(turns[2]) == "Can you work here?"
    assert "press 1 for yes" in said(turns[3])


def test_an_unknown_question_at_the_menu_is_said_to_be_unknown():
    state, turns = run([Digits("1"), Speech("do you have a dental plan for pets")])
    assert "don't have an answer" in said(turns[2]) and state.failures == 0


# --- the phase table ------------------------------------------------------------------------

EVENTS = [Speech("English"), Speech("español"), Digits("1"), Digits("2"), Digits("3"), Digits("9"), Silence(),
          Speech("apply"), Speech("status"), Speech("question"), Speech("how much does it pay"), Speech("yes"),
          Speech("no"), Speech("five years"), Speech("next Monday"), Speech("nights"), Speech("Jane Doe"),
          Speech("purple elephant"), Speech("what is the meaning of life here"), Digits("0315")]


@pytest.mark.parametrize("ctx", [CTX, flow.sms_context(TODAY)], ids=["voice", "sms"])
def test_every_transition_the_flow_takes_is_declared_in_the_phase_table(ctx):
    """Random walks over caller inputs (fixed seed): each step moves to a phase its table row
    declares, so PHASES is the whole machine."""
    import random

    rng = random.Random(1234)
    seen: set[tuple[str, str]] = set()
    for _ in range(400):
        state, _turn = flow.start(SCRIPT, ctx)
        assert state.phase in flow.START_LEADS_TO
        for _step in range(25):
            if state.phase not in flow.PHASES:
                break
            before = state.phase
            state, _turn = flow.advance(SCRIPT, state, rng.choice(EVENTS), ctx)
            assert state.phase in flow.PHASES[before].leads_to, f"{before} -> {state.phase} is not declared"
            seen.add((before, state.phase))
    assert any(after == "ended" for _, after in seen)  # the walks reach the end
    if ctx.channel == "voice":
        assert {("menu", "faq"), ("question", "ended"), ("name", "ended")} <= seen


@pytest.mark.parametrize("text, code", [("ENGLISH", "en"), ("inglés", "en"), ("Español por favor", "es"),
                                        ("espanol", "es"), ("in Spanish please", "es"), ("spanish!", "es"),
                                        ("I speak English", None), ("1", None), ("", None), ("English Spanish", None)])
def test_named_language_is_a_message_that_only_names_one(text, code):
    assert flow.named_language(text) == code


def test_sms_thread_starts_in_the_language_on_file_with_the_other_offered():
    ctx = flow.sms_context(TODAY, language="es")
    state, turns = run([], ctx=ctx)
    text = said(turns[0], "sms")
    assert text.startswith("Gracias por llamar a Acme. Soy un asistente de IA")
    assert "For English, reply ENGLISH." in text
    assert state.phase == "role" and state.language == "es" and state.may_switch
    assert "Responda 1 para" not in text and not effects(turns[0], flow.LanguageChosen)
    # The first reply that names another language begins again in it; the choice is an effect.
    state, turns = run([Speech("english", source="sms")], ctx=ctx)
    assert said(turns[1], "sms").startswith("Thanks for calling Acme.") and "Which job" in said(turns[1], "sms")
    assert effects(turns[1], flow.LanguageChosen) == [flow.LanguageChosen("en")]
    assert (state.language, state.phase, state.may_switch) == ("en", "role", False)
    # Any other first reply is taken as an answer, and the offer lapses.
    state, turns = run([Digits("1", source="sms"), Speech("english", source="sms")], ctx=ctx)
    assert state.language == "es" and not state.may_switch and "no le entendí" in said(turns[2], "sms")


@pytest.mark.parametrize("ctx", [dataclasses.replace(CTX, language="es"), flow.sms_context(TODAY, language="fr"),
                                 flow.sms_context(TODAY)], ids=["voice", "unsupported", "unknown"])
def test_language_question_when_the_language_on_file_cannot_be_used(ctx):
    """Voice asks anyway (its first prompt offers both languages in both)."""
    state, turn = flow.start(SCRIPT, ctx)
    assert state.phase == "language" and not state.may_switch


def test_an_email_texted_instead_of_an_answer_is_kept_and_the_question_asked_again():
    """SMS: an e-mail address that is no answer to the open question is an EmailGiven effect,
    acknowledged in the thread's language, with no failed attempt counted; on a call (where a
    spoken address is easily misheard) it stays not understood."""
    ctx = flow.sms_context(TODAY)
    state, turns = run([Speech("2", source="sms"), Speech("1", source="sms")], ctx=ctx)
    assert state.phase == "question" and state.failures == 0
    after, turn = flow.advance(SCRIPT, state, Speech("ana@example.com", source="sms"), ctx)
    assert effects(turn, flow.EmailGiven) == [flow.EmailGiven("ana@example.com")]
    assert said(turn, "sms").startswith("¡Gracias! Guardamos su correo como ana@example.com.")
    assert "18 años" in said(turn, "sms") and after.failures == 0 and after.phase == "question"
    voice_state, _ = run([Digits("1"), Digits("1")])
    voice_after, voice_turn = flow.advance(SCRIPT, voice_state, Speech("ana@example.com"), CTX)
    assert not effects(voice_turn, flow.EmailGiven) and voice_after.failures == 1


@pytest.mark.parametrize("reply,language,heard", [
    ("hello I'm calling about the job", "en", "To apply for a job, say apply"),
    ("yes", "en", "To apply for a job, say apply"),
    ("buenas tardes, llamo por el trabajo", "es", "Para solicitar un empleo"),
    ("sí", "es", "Para solicitar un empleo"),
])
def test_a_reply_to_the_language_prompt_in_one_language_chooses_it(reply, language, heard):
    # Before: "Sorry, I didn't understand" and the language prompt again, for a caller who
    # plainly speaks one of the two.
    state, turns = run([Speech(reply)])
    assert effects(turns[1], flow.LanguageChosen) == [flow.LanguageChosen(language)]
    assert state.phase == "menu" and heard in said(turns[1])
    assert ("Soy un asistente de IA" in said(turns[1])) == (language == "es")


def test_speech_in_no_language_at_the_language_prompt_is_asked_again():
    state, turns = run([Speech("Mike T")])
    assert state.phase == "language" and "For English, say English" in said(turns[1])


SPANISH_TO_YEARS = [Speech("español"), Speech("solicitar"), Speech("almacén"), Speech("sí")]
ENGLISH_TO_YEARS = [Speech("english"), Speech("apply"), Speech("warehouse"), Speech("yes")]


@pytest.mark.parametrize("before,answers,expected", [
    # Before: "Perdón, no le entendí" for a bilingual caller's English words in a Spanish call.
    (SPANISH_TO_YEARS, ["five years"], ("years", 5)),
    (SPANISH_TO_YEARS, ["3", "next monday"], ("start", TODAY + dt.timedelta(days=5))),
    (SPANISH_TO_YEARS, ["3", "mañana", "nights"], ("shift", "nights")),
    (ENGLISH_TO_YEARS, ["cinco años"], ("years", 5)),
    (ENGLISH_TO_YEARS, ["3", "el próximo lunes"], ("start", TODAY + dt.timedelta(days=5))),
])
def test_an_answer_in_the_other_language_of_the_script_is_understood(before, answers, expected):
    state, turns = run(before + [Speech(a) for a in answers])
    [answer] = effects(turns[-1], flow.AnswerGiven)
    assert (answer.question_key, answer.value) == expected and answer.interpreter_confidence <= 0.75
    assert turns[-1].language == state.language  # the call goes on in its own language


def test_words_in_no_language_are_still_asked_again_in_the_calls_language():
    state, turns = run(SPANISH_TO_YEARS + [Speech("Mike T")])
    assert not effects(turns[-1], flow.AnswerGiven) and "Perdón, no le entendí" in said(turns[-1])


@pytest.mark.parametrize("said_", ["warehouse", "the driver job", "Delivery Driver"])
def test_a_job_named_by_its_title_in_the_other_language_is_picked(said_):
    # Before: "Perdón, no le entendí" in a Spanish call for the job's English title.
    state, turns = run([Speech("español"), Speech("solicitar"), Speech(said_)])
    assert effects(turns[-1], flow.PostingChosen) and state.phase == "question" and turns[-1].language == "es"


TO_AGE = [Speech("english"), Speech("apply"), Speech("warehouse")]


@pytest.mark.parametrize("aside,heard", [
    # Before: each was "Sorry, I didn't understand that." and counted towards hanging up.
    ("can you repeat that?", "Sure. Are you 18 or older?"),
    ("what was the question?", "Sure. Are you 18 or older?"),
    ("huh?", "Sure. Are you 18 or older?"),
    ("hold on", "Sure, take your time. Are you 18 or older?"),
    ("un momento", "Sure, take your time. Are you 18 or older?"),
    ("how much does it pay?", "It pays $20 an hour. Are you 18 or older?"),
    ("do you offer benefits?", "I'm sorry, I don't have an answer to that. A recruiter can help you with it. "
                               "Are you 18 or older?"),
])
def test_an_aside_instead_of_an_answer_is_answered_and_the_question_asked_again(aside, heard):
    state, turns = run(TO_AGE + [Speech(aside)])
    assert said(turns[-1]).startswith(heard) and state.failures == 0 and state.phase == "question"
    state, turns = run(TO_AGE + [Speech(aside), Speech("yes")])
    assert effects(turns[-1], flow.AnswerGiven)[0].value is True


def test_asides_are_bounded_then_count_as_failures():
    state, turns = run(TO_AGE + [Speech("can you repeat that?")] * flow.MAX_ASIDES)
    assert state.failures == 0 and state.asides == flow.MAX_ASIDES
    state, turns = run(TO_AGE + [Speech("can you repeat that?")] * (flow.MAX_ASIDES + 1))
    assert state.failures == 1 and "didn't understand" in said(turns[-1])


def test_an_aside_at_a_read_back_repeats_the_read_back():
    state, turns = run(TO_AGE + [Speech("no"), Speech("sorry, what?")])
    assert state.phase == "readback" and said(turns[-1]).startswith("Sure. Just to confirm")


@pytest.mark.parametrize("reply", ["no, that's all, thanks", "nothing else", "eso es todo, gracias", "bye"])
def test_a_caller_who_needs_nothing_more_at_the_menu_hears_goodbye(reply):
    # Before: "I'm sorry, I don't have an answer to that" and the menu again, until they hung up.
    state, turns = run([Speech("english"), Speech("how much does it pay?"), Speech(reply)])
    [ended] = effects(turns[-1], flow.Ended)
    assert said(turns[-1]) == "Thank you for calling. Goodbye." and turns[-1].gather is None
    assert ended.status == "abandoned" and ended.follow_up is None  # nothing for a recruiter to do


@pytest.mark.parametrize("before", [[Speech("english")], TO_AGE], ids=["menu", "question"])
@pytest.mark.parametrize("asked", ["are you a robot?", "Am I talking to a real person?", "is this a recording",
                                   "who am I speaking with", "¿Eres un robot?", "¿estoy hablando con una persona?"])
def test_a_caller_asking_whether_this_is_a_person_hears_the_truth(before, asked):
    # Before: "Sorry, I didn't understand that" (a failure) or "I can't transfer you" (no answer).
    state, turns = run(before + [Speech(asked)])
    assert said(turns[-1]).startswith("I'm an automated AI assistant, not a person.")
    assert state.failures == 0 and state.phase == ("menu" if len(before) == 1 else "question")


def test_a_no_that_goes_on_to_a_request_is_the_request():
    state, turns = run([Speech("english"), Speech("no, I want to apply")])
    assert state.phase == "role"


@pytest.mark.parametrize("event", [Speech("I want to talk to a real person"), Digits("0"), Speech("representative"),
                                   Speech("quiero hablar con una persona")])
def test_a_caller_asking_for_a_person_is_told_what_the_line_can_do(event):
    # Before: "I don't have an answer to that" / "Sorry, I didn't understand that".
    state, turns = run([Speech("english"), event])
    assert said(turns[-1]).startswith("I'm an automated assistant, so I can't transfer you to a person.")
    assert state.phase == "menu" and state.failures == 0
    state, turns = run([Speech("english")] + [event] * (flow.MAX_ASIDES + 1))
    assert state.failures == 1  # bounded like the other asides
