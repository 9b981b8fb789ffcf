"""Picking the job, end to end through signed webhooks: a Spanish-speaking texter who names the
job in her own words, answers ahead or does not pick at all, and a caller doing the same; on
SQLite and PostgreSQL."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from receptionist.adapters.models import Candidate, Conversation, ConversationStatus, FollowUpReason, Posting

from .test_sms_inbound import sms_conversations, text
from .test_voice_webhooks import Call, conversation, said

pytestmark = pytest.mark.usefixtures("sample_company")
OPTIONS_ES = "1: Asociado de almacén\n2: Operador de montacargas\n3: Conductor de reparto"


def posting_of(db, conv: Conversation) -> str | None:
    with db.transaction() as s:
        return s.scalar(select(Posting.key).where(Posting.id == conv.posting_id)) if conv.posting_id else None


@pytest.mark.parametrize("reply, job", [
    ("de chofer", "delivery-driver"),
    ("como 3 años manejando camion", "delivery-driver"),
    ("montacarga", "forklift-operator"),
    ("almacen", "warehouse-associate"),
])
def test_a_job_texted_in_other_words_is_picked(twilio, db, reply, job):
    assert "¿Qué empleo le interesa?" in text(twilio, "Hola vi su anuncio de trabajo en facebook")
    assert "¿Tiene usted 18 años o más?" in text(twilio, reply)
    [conv] = sms_conversations(db)
    assert posting_of(db, conv) == job


def test_the_texter_of_the_report_is_never_cut_off_and_shown_how_to_answer(twilio, db):
    first = text(twilio, "Hola vi su anuncio de trabajo en facebook")
    assert OPTIONS_ES in first and "Responda 1, 2 o 3." not in first
    ahead = text(twilio, "si tengo 25")  # an answer to a question still to come
    assert ahead.startswith("Gracias, eso se lo pregunto en un momento.") and "no le entendí" not in ahead
    assert OPTIONS_ES + "\nResponda 1, 2 o 3." in ahead
    assert "se lo pregunto en un momento" in text(twilio, "tengo papeles")
    for _ in range(2):
        reprompt = text(twilio, "ok")
        assert reprompt.startswith("Perdón, no le entendí.") and reprompt.endswith("Responda 1, 2 o 3.")
    third = text(twilio, "ok")  # once the reprompts are spent: a recruiter, and the thread stays open
    assert "le pedimos que se comunique con usted" in third and OPTIONS_ES in third
    assert "no pudimos terminar" not in third
    [conv] = sms_conversations(db)
    assert conv.status == ConversationStatus.in_progress
    assert conv.follow_up_reason == FollowUpReason.not_understood and "thread open" in conv.follow_up_note
    again = text(twilio, "no se")
    assert "Responda 1, 2 o 3." in again and "le pedimos" not in again  # asked once
    assert "¿Tiene usted 18 años o más?" in text(twilio, "3")
    [conv] = sms_conversations(db)
    assert posting_of(db, conv) == "delivery-driver"


def test_a_texter_not_understood_is_never_cut_off_and_one_whose_thread_expired_is_told_it_starts_again(
        twilio, db):
    text(twilio, "JOBS")
    text(twilio, "1")
    text(twilio, "1")
    for _ in range(3):
        kept = text(twilio, "banana")
    # Before: "Sorry, we couldn't finish here" after three texts not understood at any question.
    assert "couldn't finish here" not in kept and "asked one to follow up" in kept
    assert "Are you 18 years of age or older? Reply YES or NO." in kept
    [old] = sms_conversations(db)
    assert old.status == ConversationStatus.in_progress and old.follow_up_reason == FollowUpReason.not_understood
    assert "question age-18 not answered by text" in old.follow_up_note
    with db.transaction() as s:  # three days of silence: the thread expires at the next text
        thread = s.get(Conversation, old.id)
        thread.last_activity_at = thread.started_at = thread.started_at - dt.timedelta(days=4)
    fresh = text(twilio, "yes")
    assert "Welcome back! Your last application wasn't finished, so let's start it again." in fresh
    assert "hiring assistant" in fresh and "Which job are you interested in?" in fresh
    old, new = sms_conversations(db)
    assert new.status == ConversationStatus.in_progress
    # A first thread is greeted as new.
    assert "Welcome back" not in text(twilio, "JOBS", from_number="+12025550177")


def test_the_language_of_a_thread_that_starts_again_is_kept(twilio, db):
    text(twilio, "hola")
    text(twilio, "2")  # español
    with db.transaction() as s:
        s.scalars(select(Candidate)).one().language = "es"
        conv = s.scalars(select(Conversation)).one()
        conv.status = ConversationStatus.abandoned
    again = text(twilio, "hola otra vez")
    assert "¡Bienvenido de nuevo!" in again and "¿Qué empleo le interesa?" in again


def test_a_caller_naming_the_job_in_other_words_picks_it_and_an_answer_ahead_is_no_failure(twilio, db):
    call = Call(twilio)
    call.start()
    call.send(Digits="2")                                           # español
    call.send(SpeechResult="solicitar", Confidence="0.9")           # the menu: apply
    assert "¿Qué empleo le interesa?" in said(call.last)
    call.send(SpeechResult="sí tengo papeles", Confidence="0.85")   # ahead: no failure counted
    assert "se lo pregunto en un momento" in said(call.last)
    call.send(SpeechResult="pues yo manejo un fork lift", Confidence="0.7")
    assert "¿Tiene usted 18 años o más?" in said(call.last)
    assert conversation(db).posting_id is not None
    with db.transaction() as s:
        assert s.scalar(select(Posting.key).where(Posting.id == conversation(db).posting_id)) == "forklift-operator"


def test_a_caller_who_does_not_pick_a_job_gets_the_keypad_then_a_recruiter(twilio, db):
    call = Call(twilio)
    call.start()
    call.send(Digits="1")
    call.send(SpeechResult="apply", Confidence="0.9")
    for _ in range(2):
        call.send(SpeechResult="um I don't know", Confidence="0.6")
        assert "didn't understand" in said(call.last) and "press 3" in said(call.last)
    call.send(SpeechResult="um I don't know", Confidence="0.6")
    assert "Let's use the keypad instead." in said(call.last)
    call.send(SpeechResult="", Confidence="0.0")
    assert "A recruiter will follow up with you" in said(call.last)
    conv = conversation(db)
    assert conv.status == ConversationStatus.abandoned and conv.follow_up_reason == FollowUpReason.not_understood
