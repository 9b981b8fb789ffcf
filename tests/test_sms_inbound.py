"""Inbound texts over HTTP, signed as Twilio signs: SMS screening, confirmation replies,
consent keywords, idempotency, media; on SQLite and PostgreSQL."""
from __future__ import annotations

import datetime as dt
import itertools
import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from receptionist.adapters.models import (Answer, Candidate, Channel, Conversation, ConversationStatus, InboundMessage,
                                 OutboxItem, OutboxStatus)
from receptionist.services.outbox import queue_sms

from .test_voice_webhooks import QUALIFIED, Call

pytestmark = pytest.mark.usefixtures("sample_company")
SMS_AGENT, RECEPTIONIST, PHONE = "+12025550101", "+12025550100", "+12025550188"
_sids = itertools.count(1)


def sms_params(body: str, from_number: str = PHONE, to: str = SMS_AGENT, sid: str | None = None, **extra) -> dict:
    """Twilio's messaging webhook fields (Twilio, "Messaging webhook request")."""
    sid = sid or f"SM{next(_sids):032x}"
    params = {"MessageSid": sid, "SmsMessageSid": sid, "SmsSid": sid, "AccountSid": "AC" + "0" * 32,
              "From": from_number, "To": to, "Body": body, "NumMedia": "0", "NumSegments": "1",
              "SmsStatus": "received", "ApiVersion": "2010-04-01", "FromCountry": "US", "ToCountry": "US"}
    params.update(extra)
    return params


def replies(response) -> list[str]:
    assert response.status_code == 200, response.data
    return [(m.text or "") for m in ET.fromstring(response.data).iter("Message")]


def text(twilio, body, **kw) -> str:
    return "\n".join(replies(twilio.post("/sms/inbound", sms_params(body, **kw))))


def sms_conversations(db, phone=PHONE) -> list[Conversation]:
    with db.transaction() as s:
        return s.scalars(select(Conversation).join(Candidate).where(
            Candidate.phone == phone, Conversation.channel == Channel.sms).order_by(Conversation.id).options(
            selectinload(Conversation.answers).joinedload(Answer.question), joinedload(Conversation.candidate),
            selectinload(Conversation.transcript))).all()


def candidate(db, phone=PHONE) -> Candidate:
    with db.transaction() as s:
        return s.scalars(select(Candidate).filter_by(phone=phone)).one()


SCREENING = [("1", "Which job are you interested in?\n1: Warehouse Associate\n2: Forklift Operator\n3: Delivery"), ("2", "18 years of age"), ("yes", "authorized to work"),
             ("Yes", "50 pounds"), ("y", "How many years"), ("three", "earliest you could start"),
             ("next monday", "Which shift"), ("2", "first and last name"), ("Jane Doe", "Your application is in")]


def test_sms_screening_from_first_text_to_the_end(twilio, db):
    first = text(twilio, "JOBS")
    assert "hiring assistant" in first and "automated AI assistant" in first
    assert "Reply 1 for English. Responda 2 para español." in first
    for body, expected in SCREENING:
        reply = text(twilio, body)
        assert expected in reply, (body, reply)
    [conv] = sms_conversations(db)
    assert conv.status == ConversationStatus.completed and conv.candidate.name == "Jane Doe"
    assert {a.question.key: a.value["value"] for a in conv.answers}["shift"] == "nights"
    assert {a.source.value for a in conv.answers} == {"sms"}
    assert conv.transcript[0].text == "JOBS"


def test_spanish_by_text(twilio, db):
    text(twilio, "hola")
    reply = text(twilio, "2")
    assert "Soy un asistente automático" in reply and "¿Qué empleo le interesa?" in reply
    assert "1: Asociado de almacén" in reply


def test_not_understood_gets_one_clarifying_reprompt(twilio, db):
    text(twilio, "JOBS")
    text(twilio, "1")
    text(twilio, "1")
    reprompt = text(twilio, "banana")
    assert "didn't understand" in reprompt and "Reply YES or NO" in reprompt
    assert "18 years of age" in reprompt
    assert "authorized to work" in text(twilio, "yes")  # the answer after the reprompt counts


def test_screening_resumes_after_hours_and_expires_after_days(twilio, db, settings):
    text(twilio, "JOBS")
    text(twilio, "1")
    with db.transaction() as s:
        conv = s.scalars(select(Conversation).where(Conversation.channel == Channel.sms)).one()
        conv.last_activity_at = conv.last_activity_at - dt.timedelta(hours=6)
    assert "18 years of age" in text(twilio, "1")  # resumed: the role answer moved it on
    with db.transaction() as s:
        conv = s.scalars(select(Conversation).where(Conversation.channel == Channel.sms)).one()
        conv.last_activity_at = conv.last_activity_at - dt.timedelta(seconds=settings.sms_expires_after_s + 60)
    fresh = text(twilio, "hello again")
    assert "hiring assistant" in fresh  # a new screening
    old, new = sms_conversations(db)
    assert old.status == ConversationStatus.abandoned and old.needs_follow_up and "expired" in old.follow_up_note
    assert new.status == ConversationStatus.in_progress


@pytest.mark.parametrize("body", ["STOP", "stop", " Stop. ", "STOPALL", "unsubscribe", "Cancel!", "END", "quit"])
def test_stop_keywords_opt_out_and_the_outbox_refuses(twilio, db, body):
    text(twilio, "JOBS")
    reply = text(twilio, body)
    assert "unsubscribed" in reply
    assert candidate(db).opted_out
    with db.transaction() as s:
        row = queue_sms(s, to=PHONE, from_=SMS_AGENT, body="Still there?", purpose="nudge", idempotency_key="t1")
        assert row.status == OutboxStatus.cancelled and "opted out" in row.last_error
    assert text(twilio, "1") == ""  # nothing is sent to an opted-out number
    assert "subscribed" in text(twilio, "START") and not candidate(db).opted_out


def test_yes_opts_back_in_only_after_stop_and_help_answers(twilio, db):
    text(twilio, "STOP")
    assert "subscribed" in text(twilio, "yes") and not candidate(db).opted_out
    assert "text-to-apply" in text(twilio, "HELP") and "STOP" in text(twilio, "info")
    assert not candidate(db).opted_out


def test_words_inside_a_sentence_are_not_keywords(twilio, db):
    text(twilio, "JOBS")
    text(twilio, "stop texting me about nights please")
    assert not candidate(db).opted_out


def test_twilio_opt_out_type_is_honoured(twilio, db):
    reply = twilio.post("/sms/inbound", sms_params("ARRET", OptOutType="STOP"))
    assert replies(reply) == []  # Twilio's Advanced Opt-Out already answered
    assert candidate(db).opted_out


def test_retried_message_sid_is_processed_once(twilio, db):
    text(twilio, "JOBS")
    params = sms_params("1")
    one = twilio.post("/sms/inbound", params)
    lines = len(sms_conversations(db)[0].transcript)
    two = twilio.post("/sms/inbound", params)
    assert one.data == two.data and b"Which job" in one.data
    [conv] = sms_conversations(db)
    assert conv.step == 1 and len(conv.transcript) == lines
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(InboundMessage)) == 2


def test_mms_keeps_media_and_answers_politely(twilio, db):
    text(twilio, "JOBS")
    reply = text(twilio, "", NumMedia="2", MediaUrl0="https://api.twilio.com/media/ME1",
                 MediaContentType0="image/jpeg", MediaUrl1="https://api.twilio.com/media/ME2")
    assert "can't open pictures" in reply and "Reply 1 for English" in reply
    with db.transaction() as s:
        msg = s.scalars(select(InboundMessage).where(InboundMessage.num_media == 2)).one()
        assert msg.media_urls == ["https://api.twilio.com/media/ME1", "https://api.twilio.com/media/ME2"]


def test_long_bodies_emoji_and_non_latin_text_survive(twilio, db):
    body = ("José Pérez 🙂 你好 " * 100)[:1600]
    text(twilio, body)
    with db.transaction() as s:
        assert s.scalars(select(InboundMessage)).one().body == body


def test_forged_text_gets_403_and_nothing_stored(twilio, db):
    assert twilio.post("/sms/inbound", sms_params("JOBS"), token="wrong").status_code == 403
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(InboundMessage)) == 0


def completed_call(twilio, phone=PHONE):
    call = Call(twilio, call_sid="CA" + "9" * 32, from_number=phone)
    call.start()
    for inputs in QUALIFIED:
        call.send(**inputs)
    call.status()


def test_confirmation_replies_after_a_call(twilio, db):
    completed_call(twilio)
    with db.transaction() as s:
        confirmation = s.scalars(select(OutboxItem).filter_by(kind="sms")).one()
        assert confirmation.recipient == PHONE and "Name: Jane Doe" in confirmation.payload["body"]
    assert "didn't get that" in text(twilio, "huh?", to=RECEPTIONIST)
    assert "saved your email as jane.doe@example.com" in text(twilio, "it's jane.doe@example.com", to=RECEPTIONIST)
    assert "corrected your name to Jane Smith" in text(twilio, "NAME Jane Smith", to=RECEPTIONIST)
    assert "all set" in text(twilio, "YES", to=RECEPTIONIST)
    who = candidate(db)
    assert (who.email, who.name) == ("jane.doe@example.com", "Jane Smith")
    with db.transaction() as s:
        conv = s.scalars(select(Conversation).where(Conversation.channel == Channel.voice)).one()
        assert conv.confirmation_status == "confirmed" and conv.confirmed_at is not None


@pytest.mark.parametrize("thanks,expected", [("thank you!", "You're all set: your details are confirmed."),
                                              ("have a good day", "You're all set: your details are confirmed.")])
def test_a_thank_you_after_confirming_is_not_asked_to_confirm_again(twilio, db, thanks, expected):
    completed_call(twilio)
    text(twilio, "YES", to=RECEPTIONIST)
    reply = text(twilio, thanks, to=RECEPTIONIST)  # before: "Sorry, I didn't get that. Reply YES to confirm..."
    assert expected in reply and "didn't get that" not in reply


@pytest.mark.parametrize("confirmed", [False, True], ids=["pending", "confirmed"])
def test_a_message_after_the_call_is_answered_or_passed_to_a_recruiter(twilio, db, confirmed):
    # Before: "You're all set" (confirmed) or "Sorry, I didn't get that" (pending), and nobody
    # was told the candidate asked anything.
    completed_call(twilio)
    if confirmed:
        text(twilio, "YES", to=RECEPTIONIST)
    answered = text(twilio, "where is the warehouse?", to=RECEPTIONIST)
    assert "Logistics Parkway" in answered and "didn't get that" not in answered
    passed = text(twilio, "can I change my shift to days", to=RECEPTIONIST)
    assert "passed your message to a recruiter" in passed
    assert ("Reply YES if everything is right" in passed) is not confirmed
    with db.transaction() as s:
        conv = s.scalars(select(Conversation).where(Conversation.channel == Channel.voice)).one()
        assert conv.follow_up_reason == "candidate_message"
        assert conv.follow_up_note == "the candidate texted: can I change my shift to days"
        assert conv.confirmation_status == ("confirmed" if confirmed else "pending")
    assert "didn't get that" in text(twilio, "huh what", to=RECEPTIONIST) or confirmed  # no message in two words


def test_spanish_yes_confirms(twilio, db):
    completed_call(twilio)
    assert "all set" in text(twilio, "Sí", to=RECEPTIONIST)


def test_text_to_the_receptionist_without_a_call(twilio, db):
    assert "call this number to apply" in text(twilio, "hi", to=RECEPTIONIST)


@pytest.mark.parametrize("body", ["please stop texting me", "ya no me manden mensajes"])
def test_opting_out_in_other_words_is_confirmed_by_us(twilio, db, body):
    """Twilio's Advanced Opt-Out answers its own exact keywords only: for a phrase the reply
    is ours, and nothing more is sent."""
    text(twilio, "JOBS")
    assert "unsubscribed" in text(twilio, body)
    assert candidate(db).opted_out
    assert text(twilio, "1") == ""


@pytest.mark.parametrize("reply,heard,name", [
    # Before: "Sorry, I didn't get that" to each; "the name is wrong" renamed Jane Doe "Wrong".
    ("no", "Sorry about that. Reply NAME followed by the right name", "Jane Doe"),
    ("it's wrong", "Sorry about that.", "Jane Doe"),
    ("the name is wrong", "Sorry about that.", "Jane Doe"),
    ("está mal", "Sorry about that.", "Jane Doe"),
    ("no, my name is Jane Smith", "corrected your name to Jane Smith", "Jane Smith"),
    ("my last name is spelled S M Y T H E", "corrected your name to Jane Smythe", "Jane Smythe"),
    ("wrong, my last name is Smythe", "corrected your name to Jane Smythe", "Jane Smythe"),
])
def test_a_confirmation_reply_that_says_the_details_are_wrong(twilio, db, reply, heard, name):
    completed_call(twilio)
    assert heard in text(twilio, reply, to=RECEPTIONIST)
    assert candidate(db).name == name
    with db.transaction() as s:
        conv = s.scalars(select(Conversation).where(Conversation.channel == Channel.voice)).one()
        flagged = conv.follow_up_reason == "details_unconfirmed" and "details are wrong" in conv.follow_up_note
        assert flagged == (name == "Jane Doe")  # a denial without a correction asks a recruiter to check
