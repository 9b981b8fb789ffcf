"""Voice webhooks over HTTP, signed as Twilio signs, on SQLite and PostgreSQL."""
from __future__ import annotations

import re
import threading
import xml.etree.ElementTree as ET
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from receptionist.adapters.models import (Answer, OutboxItem, Candidate, Conversation, ConversationStatus, TranscriptLine)

from .conftest import call_params

pytestmark = pytest.mark.usefixtures("sample_company")


def said(response) -> str:
    """Everything the caller hears in a TwiML response."""
    root = ET.fromstring(response.data)
    return " ".join((el.text or "").strip() for el in root.iter("Say"))


def gather_of(response) -> ET.Element | None:
    return ET.fromstring(response.data).find("Gather")


def action_path(response) -> str:
    return gather_of(response).get("action")


class Call:
    """One simulated call: follows the <Gather> action URLs like Twilio."""

    def __init__(self, twilio, call_sid="CA" + "1" * 32, **fields):
        self.twilio, self.sid, self.fields = twilio, call_sid, fields
        self.last = None

    def start(self, path="/voice/inbound"):
        self.last = self.twilio.post(path, call_params(self.sid, **self.fields))
        assert self.last.status_code == 200, self.last.data
        return self.last

    def send(self, **inputs):
        self.last = self.twilio.post(action_path(self.last), call_params(self.sid, **inputs))
        assert self.last.status_code == 200, self.last.data
        return self.last

    def status(self, call_status="completed", duration="42"):
        return self.twilio.post("/voice/status", call_params(self.sid, CallStatus=call_status,
                                                             CallDuration=duration))


def conversation(db, sid="CA" + "1" * 32) -> Conversation:
    with db.transaction() as s:
        return s.scalars(select(Conversation).filter_by(call_sid=sid).options(
            selectinload(Conversation.answers).joinedload(Answer.question),
            selectinload(Conversation.transcript), joinedload(Conversation.candidate))).one()


def count(db, model) -> int:
    with db.transaction() as s:
        return s.scalar(select(func.count()).select_from(model))


def texts(db) -> int:
    """Texts in the outbox (a call also writes its ATS lookup there)."""
    with db.transaction() as s:
        return s.scalar(select(func.count()).select_from(OutboxItem).where(OutboxItem.kind == "sms"))


QUALIFIED = [dict(Digits="1"), dict(SpeechResult="apply", Confidence="0.93"), dict(Digits="2"),
             dict(SpeechResult="Yes.", Confidence="0.9"), dict(Digits="1"), dict(SpeechResult="yes", Confidence="0.88"),
             dict(SpeechResult="about four years", Confidence="0.8"), dict(SpeechResult="right away", Confidence="0.9"),
             dict(Digits="1"), dict(SpeechResult="My name is Jane Doe", Confidence="0.95")]


def test_a_qualified_call_end_to_end(twilio, db):
    call = Call(twilio, ForwardedFrom="+16145550000")
    first = call.start("/voice/inbound?source=ivr")
    assert "I'm an automated AI assistant, and this call is recorded" in said(first)
    g = gather_of(first)
    assert g.get("input") == "speech dtmf" and g.get("speechTimeout") == "auto"
    assert g.get("speechModel") is None and g.get("enhanced") is None  # Twilio picks the model (13335)
    assert g.get("actionOnEmptyResult") == "true" and g.get("hints") and int(g.get("timeout")) <= 6
    for inputs in QUALIFIED:
        call.send(**inputs)
    assert "Thank you, Jane" in said(call.last) and "text message" in said(call.last)
    assert ET.fromstring(call.last.data).find("Hangup") is not None
    assert call.status().status_code == 204

    conv = conversation(db)
    assert conv.status == ConversationStatus.completed and not conv.needs_follow_up
    assert conv.forwarded_from == "+16145550000" and conv.source == "ivr" and conv.call_duration == 42
    assert conv.candidate.phone == "+12025550123" and conv.candidate.name == "Jane Doe"
    assert {a.question.key: a.value["value"] for a in conv.answers} == {
        "age-18": True, "work-authorization": True, "lift-50": True, "experience-years": 4,
        "earliest-start": conv.started_at.astimezone(ZoneInfo("America/New_York")).date().isoformat(),
        "shift": "days"}
    assert [a.source.value for a in conv.answers][:2] == ["speech", "dtmf"]
    assert conv.started_at.tzinfo is not None and conv.ended_at.tzinfo is not None
    with db.transaction() as s:
        [text] = s.scalars(select(OutboxItem).filter_by(kind="sms")).all()
        assert (text.kind, text.purpose, text.recipient, text.payload["from"], text.status.value) == (
            "sms", "confirmation", "+12025550123", "+12025550100", "pending")
        assert "Name: Jane Doe\nJob: Forklift Operator\nEarliest start: " in text.payload["body"]
        assert "reply with your email address" in text.payload["body"] and "STOP" in text.payload["body"]
    assert conv.confirmation_status == "pending"
    speakers = [line.speaker.value for line in conv.transcript]
    assert speakers[0] == "agent" and "candidate" in speakers
    assert any(line.text == "My name is Jane Doe" for line in conv.transcript)


def test_the_confirmation_text_greets_the_name_without_the_words_around_it(twilio, db):
    call = Call(twilio)
    call.start()
    for inputs in QUALIFIED[:-1]:
        call.send(**inputs)
    call.send(SpeechResult="Why do you need it?", Confidence="0.9")  # no name in it: asked again
    assert "Sorry, I didn't understand that." in said(call.last) and gather_of(call.last) is not None
    call.send(SpeechResult="um, my name is Mister John, J-O-H-N, Smith, thank you", Confidence="0.9")
    assert "Thank you, John." in said(call.last)

    conv = conversation(db)
    assert conv.candidate.name == "John Smith" and conv.status == ConversationStatus.completed
    with db.transaction() as s:
        [text] = s.scalars(select(OutboxItem).filter_by(kind="sms")).all()
    assert text.payload["body"].startswith("Hi John, thanks for calling ")
    assert "Name: John Smith\n" in text.payload["body"]


def test_forged_or_missing_signature_gets_403_and_stores_nothing(twilio, db):
    params = call_params("CA" + "2" * 32)
    assert twilio.post("/voice/inbound", params, token="not-the-token").status_code == 403
    assert twilio.post("/voice/inbound", params, signature="").status_code == 403
    # A valid signature for other parameters does not cover changed ones.
    from .conftest import twilio_signature
    sig = twilio_signature("http://localhost/voice/inbound", params)
    assert twilio.post("/voice/inbound", {**params, "From": "+19995550000"}, signature=sig).status_code == 403
    assert count(db, Conversation) == 0 and count(db, Candidate) == 0


def test_signature_checked_against_public_base_url(app, db):
    from .conftest import TwilioClient
    app.config["SETTINGS"] = app.config["SETTINGS"].__class__(
        **{**app.config["SETTINGS"].__dict__, "public_base_url": "https://jobs.example.com"})
    behind_proxy = TwilioClient(app.test_client(), base_url="https://jobs.example.com")
    assert behind_proxy.post("/voice/inbound", call_params("CA" + "3" * 32)).status_code == 200
    direct = TwilioClient(app.test_client())  # signed for http://localhost: not the public URL
    assert direct.post("/voice/inbound", call_params("CA" + "4" * 32)).status_code == 403


def test_retried_webhook_returns_the_same_twiml_and_stores_one_answer(twilio, db):
    call = Call(twilio)
    first = call.start()
    again = twilio.post("/voice/inbound", call_params(call.sid))
    assert again.data == first.data
    for inputs in QUALIFIED[:3]:
        call.send(**inputs)
    path = action_path(call.last)
    params = call_params(call.sid, SpeechResult="yes", Confidence="0.9")
    one, two = twilio.post(path, params), twilio.post(path, params)
    assert one.data == two.data
    assert count(db, Answer) == 1 and count(db, Conversation) == 1
    lines = count(db, TranscriptLine)
    twilio.post(path, params)
    assert count(db, TranscriptLine) == lines


def test_concurrent_duplicate_webhooks_act_once(twilio, app, db):
    call = Call(twilio)
    call.start()
    for inputs in QUALIFIED[:3]:
        call.send(**inputs)
    path, params = action_path(call.last), call_params(call.sid, Digits="1")
    results = []

    def post():
        client = type(twilio)(app.test_client())
        results.append(client.post(path, params))

    threads = [threading.Thread(target=post) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {r.status_code for r in results} == {200}
    assert len({r.data for r in results}) == 1
    assert count(db, Answer) == 1


def test_hang_up_midway_is_abandoned_with_answers_kept(twilio, db):
    call = Call(twilio)
    call.start()
    for inputs in QUALIFIED[:5]:
        call.send(**inputs)
    assert call.status("completed", "31").status_code == 204
    assert call.status("completed", "31").status_code == 204  # a repeated callback changes nothing
    conv = conversation(db)
    assert conv.status == ConversationStatus.abandoned and conv.needs_follow_up
    assert conv.follow_up_reason == "hung_up" and "hung up" in conv.follow_up_note
    assert [a.question.key for a in conv.answers] == ["age-18", "work-authorization"]
    # The Gather's action posted after the hang-up: an empty one changes nothing; the
    # caller's last answer is kept (they said it before hanging up), the call stays abandoned.
    call.send(SpeechResult="")
    assert [a.question.key for a in conversation(db).answers] == ["age-18", "work-authorization"]
    call.send(SpeechResult="yes")
    conv = conversation(db)
    assert [a.question.key for a in conv.answers] == ["age-18", "work-authorization", "lift-50"]
    assert conv.status == ConversationStatus.abandoned and conv.follow_up_reason == "hung_up"
    assert texts(db) == 0


def test_knockout_ends_the_call_and_is_stored(twilio, db):
    call = Call(twilio)
    call.start()
    for inputs in [dict(Digits="1"), dict(Digits="1"), dict(Digits="1"), dict(SpeechResult="no", Confidence="0.9")]:
        call.send(**inputs)
    assert said(call.last).startswith("Just to confirm: you are not 18 years of age or older. Is that right?")
    assert conversation(db).answers == []  # nothing counts before the read-back is answered
    call.send(SpeechResult="Yes, that's right.", Confidence="0.87")
    assert "can't move your application forward" in said(call.last)
    assert gather_of(call.last) is None
    conv = conversation(db)
    assert texts(db) == 0  # no confirmation after a knockout
    assert conv.status == ConversationStatus.knocked_out
    [answer] = conv.answers
    assert answer.knocked_out and answer.value == {"value": False} and answer.raw_text == "no"
    assert (answer.confirmed, answer.speech_confidence, answer.interpreter_confidence) == (True, 0.9, 0.9)


def test_work_authorization_answered_in_the_callers_own_words(twilio, db):
    """The sample's implied_by_phrases: "I'm a US citizen" passes the knockout; "I need
    sponsorship" is read back as a knockout before it counts."""
    to_work_question = [dict(Digits="1"), dict(Digits="1"), dict(Digits="1"), dict(SpeechResult="Yes.", Confidence="0.9")]
    citizen = Call(twilio)
    citizen.start()
    for inputs in to_work_question:
        citizen.send(**inputs)
    assert "legally authorized to work" in said(citizen.last)
    citizen.send(SpeechResult="I'm a US citizen", Confidence="0.91")
    assert "lift up to 50 pounds" in said(citizen.last) and "Just to confirm" not in said(citizen.last)
    work = {a.question.key: a for a in conversation(db).answers}["work-authorization"]
    assert (work.value, work.knocked_out, work.interpreter_confidence) == ({"value": True}, False, 0.75)
    assert work.raw_text == "I'm a US citizen"

    sponsored = Call(twilio, call_sid="CA" + "2" * 32, from_number="+12025550124")
    sponsored.start()
    for inputs in to_work_question:
        sponsored.send(**inputs)
    sponsored.send(SpeechResult="I need sponsorship", Confidence="0.9")
    assert said(sponsored.last).startswith(
        "Just to confirm: you are not legally authorized to work in the United States. Is that right?")
    sponsored.send(SpeechResult="Yes.", Confidence="0.9")
    assert "can't move your application forward" in said(sponsored.last)
    conv = conversation(db, sponsored.sid)
    assert conv.status == ConversationStatus.knocked_out
    work = {a.question.key: a for a in conv.answers}["work-authorization"]
    assert (work.value, work.knocked_out, work.raw_text) == ({"value": False}, True, "I need sponsorship")


def test_spanish_call_says_and_gathers_in_spanish(twilio, db):
    call = Call(twilio)
    call.start()
    reply = call.send(SpeechResult="español", Confidence="0.9")
    g = gather_of(reply)
    assert g.get("language") == "es-US"
    assert all(say.get("language") == "es-US" for say in g.iter("Say"))
    assert "Para solicitar un empleo" in said(reply)
    assert conversation(db).candidate.language == "es"


@pytest.mark.parametrize("to, heard", [
    ("+13125550199", "not taking calls"),  # nobody's number
    ("+12025550101", "takes job applications by text message. Please send us a text at this number"),  # the SMS agent's
])
def test_unknown_number_gets_a_polite_message(twilio, db, to, heard):
    reply = twilio.post("/voice/inbound", call_params("CA" + "5" * 32, to=to))
    assert reply.status_code == 200 and heard in said(reply) and "<Hangup" in reply.text
    assert count(db, Conversation) == 0


def test_gather_for_unknown_call_and_absurd_input(twilio, db):
    reply = twilio.post("/voice/gather?step=1", call_params("CA" + "6" * 32, Digits="1"))
    assert reply.status_code == 200 and "lost track" in said(reply)
    call = Call(twilio)
    call.start()
    huge = call.send(SpeechResult="x" * 5000, Confidence="not-a-number")
    assert "didn't understand" in said(huge)
    stale = twilio.post("/voice/gather?step=99", call_params(call.sid, Digits="1"))
    assert stale.data == huge.data  # out-of-order step: the current prompt again


def test_step_numbers_advance_in_action_urls(twilio):
    call = Call(twilio)
    call.start()
    assert re.search(r"step=1$", action_path(call.last))
    call.send(Digits="1")
    assert re.search(r"step=2$", action_path(call.last))
    assert ET.fromstring(call.last.data).find("Redirect").text.endswith("step=2")


def test_hidden_caller_id_is_not_promised_a_text(twilio, db):
    call = Call(twilio, from_number="Anonymous")
    call.start()
    for inputs in QUALIFIED + [dict(SpeechResult="I don't have one", Confidence="0.9")]:
        call.send(**inputs)
    assert "text message" not in said(call.last) and "recruiter will review" in said(call.last)
    assert texts(db) == 0
    conv = conversation(db)
    assert conv.status == ConversationStatus.completed and conv.candidate.phone is None


def test_an_opted_out_caller_is_not_promised_a_text(twilio, db):
    with db.transaction() as s:
        s.add(Candidate(phone="+12025550123", opted_out=True))
    call = Call(twilio)
    call.start()
    for inputs in QUALIFIED:
        call.send(**inputs)
    assert "text message" not in said(call.last) and "recruiter will review" in said(call.last)
    assert conversation(db).status == ConversationStatus.completed
    with db.transaction() as s:  # nothing goes out (the row says why)
        assert [row.status.value for row in s.scalars(select(OutboxItem).filter_by(kind="sms"))] == ["cancelled"]


def test_a_caller_on_a_landline_is_not_promised_a_text(twilio, db):
    call = Call(twilio, from_number="+442079460000")  # a London landline: no SMS
    call.start()
    for inputs in QUALIFIED + [dict(SpeechResult="no", Confidence="0.9")]:  # no mobile to give
        call.send(**inputs)
    assert "text message" not in said(call.last) and "recruiter will review" in said(call.last)
    assert texts(db) == 0


def test_a_final_answer_after_the_completed_callback_is_kept(twilio, db):
    """Twilio can post the Gather's action (the caller's last words) after the status
    callback that reports the call completed: the name is kept and the confirmation goes
    out once."""
    call = Call(twilio)
    call.start()
    for inputs in QUALIFIED[:-1]:
        call.send(**inputs)
    before_name = call.last
    assert call.status("completed").status_code == 204
    assert conversation(db).status == ConversationStatus.abandoned  # for now: the caller hung up
    call.send(**QUALIFIED[-1])
    conv = conversation(db)
    assert conv.status == ConversationStatus.completed and conv.candidate.name == "Jane Doe"
    assert not conv.needs_follow_up
    # Twilio retrying either webhook changes nothing: one confirmation text.
    call.status("completed")
    call.last = before_name
    call.send(**QUALIFIED[-1])
    assert conversation(db).status == ConversationStatus.completed
    with db.transaction() as s:
        assert [(row.purpose, row.recipient) for row in s.scalars(select(OutboxItem).filter_by(kind="sms"))] == \
            [("confirmation", "+12025550123")]



def test_webhook_answers_carry_twiml_and_no_cookie(twilio):
    """Each answer is TwiML as Twilio expects it (text/xml, UTF-8) and sets no session cookie
    nor ``Vary: Cookie`` (the recruiter pages' sessions are not opened for Twilio)."""
    call = Call(twilio)
    answers = [call.start(), call.send(Digits="1"), call.status()]
    for answer in answers[:2]:
        assert answer.headers["Content-Type"] == "text/xml; charset=utf-8"
        assert answer.data.startswith(b'<?xml version="1.0" encoding="UTF-8"?><Response>')
    for answer in answers:
        assert "Set-Cookie" not in answer.headers and "Vary" not in answer.headers


KNOCKOUT = [dict(Digits="1"), dict(Digits="1"), dict(Digits="1"), dict(SpeechResult="no", Confidence="0.9"),
            dict(SpeechResult="Yes, that's right.", Confidence="0.87")]


@pytest.mark.parametrize("inputs,ends", [
    (QUALIFIED, r"conversation completed; application \d+ \(forklift-operator\): qualified, score \d+(\.\d+)?$"),
    (KNOCKOUT, r"conversation knocked_out; application \d+ \(warehouse-associate\): knocked_out$"),
    (QUALIFIED[:5], r"conversation abandoned; application \d+ \(forklift-operator\): incomplete; "
                    r"follow-up: caller hung up \(completed\) during \w+$"),
    (QUALIFIED[:1], r"conversation abandoned; follow-up: caller hung up \(completed\) during \w+$"),
], ids=["qualified", "knocked out", "hung up mid-screening", "hung up at the menu"])
def test_the_log_line_of_a_calls_end_says_what_happened_to_it(twilio, db, caplog, inputs, ends):
    # Before: "call CA... ended: completed, conversation completed" and nothing of the job,
    # the outcome or the score: the log alone could not tell an operator what a call gave.
    caplog.set_level("INFO", logger="receptionist.services.calls")
    call = Call(twilio)
    call.start()
    for step in inputs:
        call.send(**step)
    assert call.status().status_code == 204
    [line] = [r.getMessage() for r in caplog.records if " ended: " in r.getMessage()]
    assert re.fullmatch(rf"call {call.sid} ended: completed, {ends}", line), line
    assert "Jane" not in line and "0123" not in line  # no personal data (tests/test_pii_logs.py)


@pytest.mark.parametrize("routing, heard", [
    (None, "Its status is: received and under review. A recruiter will contact you"),
    ("invited", "Good news: you're invited to a short interview. We sent you the link by text message."),
    ("approved", "Good news: you're invited to a short interview. You'll get the link by text message shortly."),
    ("dismissed", "It is closed. Thank you for your interest."),
])
def test_a_caller_checking_on_an_application_hears_what_was_decided(twilio, db, routing, heard):
    # Before: "received and under review ... a recruiter will contact you" after the interview
    # link was sent, and after a recruiter dismissed the application.
    from receptionist.adapters.models import Application
    first = Call(twilio, call_sid="CA" + "f" * 32)
    first.start()
    for inputs in QUALIFIED:
        first.send(**inputs)
    first.status()
    if routing:
        with db.transaction() as s:
            s.scalars(select(Application)).one().routing = routing
    again = Call(twilio, call_sid="CA" + "9" * 32)
    again.start()
    again.send(Digits="1")  # English
    assert heard in said(again.send(Digits="2"))  # the menu's "check on an application"
