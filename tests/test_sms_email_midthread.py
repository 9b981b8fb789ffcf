"""An e-mail address texted while an SMS thread waits for another answer is saved on the
candidate, acknowledged in the thread's language and followed by the open question again,
without counting as a failed attempt. Through the signed /sms/inbound webhook, on SQLite and
PostgreSQL."""
from __future__ import annotations

import pytest

from receptionist.adapters.models import ConversationStatus

from .test_sms_inbound import SCREENING, candidate, replies, sms_conversations, sms_params, text
from .test_sms_language import spanish_screening

pytestmark = pytest.mark.usefixtures("sample_company")


def test_email_mid_screening_is_saved_and_the_question_asked_again(twilio, db):
    text(twilio, "JOBS")
    text(twilio, "1")
    assert "18 years of age" in text(twilio, "1")
    assert "didn't understand" in text(twilio, "banana")  # one failed attempt: the reprompt
    params = sms_params("my email is Jane.Doe@Example.com")
    reply = "\n".join(replies(twilio.post("/sms/inbound", params)))
    assert reply.startswith("Thanks! We saved your email as Jane.Doe@example.com.\n")
    assert "18 years of age" in reply and "didn't understand" not in reply
    assert candidate(db).email == "Jane.Doe@example.com"
    # A retried webhook gets the same reply and changes nothing twice.
    assert "\n".join(replies(twilio.post("/sms/inbound", params))) == reply
    # The e-mail was no second failed attempt (that would have ended the screening).
    [conv] = sms_conversations(db)
    assert conv.status == ConversationStatus.in_progress
    assert "authorized to work" in text(twilio, "yes")
    assert len(sms_conversations(db)[0].answers) == 1  # the e-mail is no answer
    transcript = [t.text for t in sms_conversations(db)[0].transcript]
    assert "my email is Jane.Doe@Example.com" in transcript


def test_email_in_the_returning_texter_thread_is_saved_in_spanish(twilio, db):
    spanish_screening(twilio)
    assert "¿Le gustaría solicitar alguna de ellas?" in text(twilio, "SI")
    reply = text(twilio, "tomas.lee@example.com")
    assert reply.startswith("¡Gracias! Guardamos su correo como tomas.lee@example.com.\n")
    assert "¿Le gustaría solicitar alguna de ellas?" in reply and "Perdón" not in reply
    assert candidate(db).email == "tomas.lee@example.com"
    assert "Conductor de reparto" in text(twilio, "sí")  # the thread goes on
    assert sms_conversations(db)[-1].status == ConversationStatus.in_progress


def test_an_answer_that_contains_no_email_is_still_not_understood(twilio, db):
    text(twilio, "JOBS")
    text(twilio, "1")
    text(twilio, "1")
    assert "didn't understand" in text(twilio, "jane at nowhere")
    assert candidate(db).email is None


def test_email_texted_when_the_name_is_asked_is_no_name(twilio, db):
    text(twilio, "JOBS")
    for body, expected in SCREENING[:-1]:
        assert expected in text(twilio, body), body
    reply = text(twilio, "jane@example.com")
    assert reply.startswith("Thanks! We saved your email as jane@example.com.\n") and "first and last name" in reply
    assert "Your application is in" in text(twilio, "Jane Doe")
    assert candidate(db).name == "Jane Doe" and candidate(db).email == "jane@example.com"
