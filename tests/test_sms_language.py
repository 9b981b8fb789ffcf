"""A returning texter is answered in the language on file (``candidates.language``): greeted
and screened in it without the language question, offered the other language in one line,
switched by naming it in the first reply; an e-mail texted after the application is in is
kept and answered. Through the signed /sms/inbound webhook, on SQLite and PostgreSQL."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from receptionist.adapters.models import ConversationStatus, InboundMessage

from .test_sms_inbound import PHONE, candidate, sms_conversations, text

pytestmark = pytest.mark.usefixtures("sample_company")
LANGUAGE_QUESTION = "Reply 1 for English. Responda 2 para español."
# A Spanish screening by text, qualified for the Warehouse Associate job.
SPANISH = [("2", "¿Qué empleo le interesa?"), ("1", "18 años"), ("sí", "autorizado"), ("sí", "50 libras"),
           ("sí", "Cuántos años"), ("tres", "empezar"), ("el próximo lunes", "turno"), ("2", "nombre y apellido"),
           ("me llamo Tomás Lee", "¡Gracias, Tomás! Recibimos su solicitud.")]


def spanish_screening(twilio) -> None:
    first = text(twilio, "JOBS")
    assert LANGUAGE_QUESTION in first and "ESPAÑOL" not in first  # a first-time texter is asked
    for body, expected in SPANISH:
        reply = text(twilio, body)
        assert expected in reply, (body, reply)


def test_spanish_texter_returns_to_spanish_without_the_language_question(twilio, db):
    spanish_screening(twilio)
    reply = text(twilio, "SI")
    assert "Reply 1" not in reply and "Responda 2" not in reply
    assert reply.startswith("¡Hola! Soy el asistente de contratación de Acme Staffing.")
    assert "For English, reply ENGLISH." in reply and "Para español" not in reply
    assert "Ya tenemos su solicitud para Asociado de almacén" in reply
    assert "¿Le gustaría solicitar alguna de ellas? Responda SÍ o NO." in reply
    roles = text(twilio, "sí")
    assert "¿Qué empleo le interesa?\n1: Operador de montacargas\n2: Conductor de reparto" in roles
    assert "18 años" in text(twilio, "2")
    first, second = sms_conversations(db)
    assert first.status == ConversationStatus.completed and second.status == ConversationStatus.in_progress
    assert second.language == "es" and second.posting_id != first.posting_id
    assert second.transcript[0].text == "SI"


def test_english_asked_for_in_the_first_reply_switches_the_thread(twilio, db):
    spanish_screening(twilio)
    text(twilio, "hola")
    reply = text(twilio, "English")
    assert reply.startswith("Hi! This is Acme Staffing's hiring assistant.")
    assert "We already have your application for Warehouse Associate" in reply
    assert "Would you like to apply for one of them?" in reply and "Para español, responda ESPAÑOL." not in reply
    assert "1: Forklift Operator" in text(twilio, "yes")
    assert candidate(db).language == "en"
    assert sms_conversations(db)[-1].language == "en"
    # Only the first reply switches: a language named later is no answer to the job question.
    assert "didn't understand" in text(twilio, "español")


def test_switch_taken_through_the_orm_path_reads_what_is_on_file(twilio, db):
    """A text with a picture skips the Core path (sms_screening.turns): the switch there too
    begins again with the application on file, in the language asked for."""
    spanish_screening(twilio)
    text(twilio, "JOBS")
    reply = text(twilio, "english", NumMedia="1", MediaUrl0="https://api.twilio.com/media/ME1",
                 MediaContentType0="image/jpeg")
    assert "No puedo abrir fotos" in reply and "We already have your application for Warehouse Associate" in reply
    assert candidate(db).language == "en"


def test_the_language_on_file_is_kept_when_the_first_reply_answers(twilio, db):
    spanish_screening(twilio)
    text(twilio, "JOBS")
    assert "Conductor de reparto" in text(twilio, "si")
    assert "autorizado" not in text(twilio, "inglés")  # not the first reply any more: not understood
    assert candidate(db).language == "es"


def test_switch_offer_back_to_spanish_for_an_english_texter(twilio, db):
    """A texter whose screening ended in English (knocked out: nothing on file) starts the
    next thread in English with the Spanish offer, and "español" there switches to Spanish."""
    text(twilio, "JOBS")
    text(twilio, "1")
    text(twilio, "1")
    assert "Is that right?" in text(twilio, "no")  # the knockout answer is read back
    assert "can't move your application forward" in text(twilio, "yes")
    reply = text(twilio, "hi again")
    assert LANGUAGE_QUESTION not in reply and "Para español, responda ESPAÑOL." in reply
    assert "Which job are you interested in?" in reply
    switched = text(twilio, "Español por favor")
    assert switched.startswith("¡Hola! Soy el asistente") and "¿Qué empleo le interesa?" in switched
    assert "For English" not in switched
    assert "18 años" in text(twilio, "1")
    assert candidate(db).language == "es"


def test_first_text_of_a_new_texter_is_asked_the_language_as_before(twilio, db):
    reply = text(twilio, "Español")
    assert LANGUAGE_QUESTION in reply and "ESPAÑOL" not in reply
    assert "¿Qué empleo le interesa?" in text(twilio, "2")


def test_email_after_the_application_is_kept_and_answered_in_spanish(twilio, db):
    spanish_screening(twilio)
    reply = text(twilio, "tomas.lee@Example.com")
    assert reply == ("¡Gracias! Guardamos su correo como tomas.lee@example.com.\nSu solicitud ya está registrada y "
                     "un reclutador se comunicará con usted. Para solicitar otro empleo, responda EMPLEO.")
    assert candidate(db).email == "tomas.lee@example.com"
    assert len(sms_conversations(db)) == 1  # no new screening
    with db.transaction() as s:
        stored = s.scalars(select(InboundMessage).order_by(InboundMessage.id.desc())).first()
        assert stored.body == "tomas.lee@Example.com" and stored.conversation_id is None and stored.reply
    assert "Ya tenemos su solicitud" in text(twilio, "EMPLEO")  # how to apply for another job works


def test_email_from_a_texter_with_nothing_on_file_starts_a_screening(twilio, db):
    reply = text(twilio, "jane@example.com", from_number="+12025550177")
    assert LANGUAGE_QUESTION in reply
    assert candidate(db, "+12025550177").email is None


# A new texter's language from their words (interpret.language_of), never a reason to give up.

def test_a_first_text_in_english_words_goes_straight_to_the_application_with_the_spanish_offer(twilio, db):
    reply = text(twilio, "hi is this for the warehouse job?")
    assert LANGUAGE_QUESTION not in reply
    assert reply.startswith("Hi! This is Acme Staffing's hiring assistant.")
    assert "Para español, responda ESPAÑOL." in reply and "Which job are you interested in?" in reply
    assert "Are you 18 years of age or older?" in text(twilio, "1")
    assert candidate(db).language == "en"  # kept: a later thread starts in English too


def test_a_first_text_in_spanish_words_is_answered_in_spanish_and_may_still_switch(twilio, db):
    reply = text(twilio, "Hola, busco trabajo de chofer")
    assert reply.startswith("¡Hola! Soy el asistente de contratación de Acme Staffing.")
    assert "For English, reply ENGLISH." in reply and "¿Qué empleo le interesa?" in reply
    switched = text(twilio, "english please")
    assert switched.startswith("Hi! This is Acme Staffing's hiring assistant.") and "Which job" in switched
    assert candidate(db).language == "en"


@pytest.mark.parametrize("answer,language,expected", [
    ("yes", "en", "Which job are you interested in?"),
    ("yeah I want to apply", "en", "Which job are you interested in?"),
    ("the driver one", "en", "Which job are you interested in?"),
    ("hola", "es", "¿Qué empleo le interesa?"),
    ("sí quiero aplicar", "es", "¿Qué empleo le interesa?"),
])
def test_a_reply_to_the_language_question_in_one_language_chooses_it(twilio, db, answer, language, expected):
    assert LANGUAGE_QUESTION in text(twilio, "JOBS")
    reply = text(twilio, answer)
    assert expected in reply and "didn't understand" not in reply and "no le entendí" not in reply
    assert candidate(db).language == language


def test_a_texter_never_understood_at_the_language_question_goes_on_in_english_not_dropped(twilio, db):
    assert LANGUAGE_QUESTION in text(twilio, "JOBS")
    assert LANGUAGE_QUESTION in text(twilio, "Mike T")  # a name: no language in it, asked again
    assert LANGUAGE_QUESTION in text(twilio, "Mike T")
    reply = text(twilio, "Mike T")  # before: "Sorry, we couldn't finish here." and the thread abandoned
    assert "couldn't finish" not in reply
    assert "Para español, responda ESPAÑOL." in reply and "Which job are you interested in?" in reply
    assert "¿Qué empleo le interesa?" in text(twilio, "español")
    assert "18 años" in text(twilio, "1")
    [thread] = sms_conversations(db)
    assert thread.status == ConversationStatus.in_progress and thread.language == "es"


def test_a_texter_off_topic_twice_is_asked_again_not_turned_away(twilio, db):
    text(twilio, "JOBS")
    text(twilio, "1")
    assert "Are you 18 years of age or older?" in text(twilio, "1")
    assert "didn't understand" in text(twilio, "ok")
    third = text(twilio, "lol")  # before: "Sorry, we couldn't finish here." and the thread abandoned
    assert "didn't understand" in third and "Are you 18 years of age or older?" in third
    assert "legally authorized" in text(twilio, "yes")
    [thread] = sms_conversations(db)
    assert thread.status == ConversationStatus.in_progress


@pytest.mark.parametrize("thanks", ["gracias!", "muchas gracias 🙏", "ok", "👍", "gracias, que tenga buen día"])
def test_a_thank_you_after_applying_by_text_gets_a_short_reply_not_a_new_screening(twilio, db, thanks):
    spanish_screening(twilio)
    reply = text(twilio, thanks)  # before: the greeting, the disclosure and the offer of other jobs again
    assert reply == ("¡De nada!\nSu solicitud ya está registrada y un reclutador se comunicará con usted. "
                     "Para solicitar otro empleo, responda EMPLEO.")
    assert len(sms_conversations(db)) == 1
    assert "Ya tenemos su solicitud" in text(twilio, "EMPLEO")  # applying for another job still works


def test_a_first_text_asking_a_policy_question_is_answered_then_the_application_begins(twilio, db):
    reply = text(twilio, "hi, how much does it pay?")  # before: greeted, the question ignored
    assert reply.startswith("Hi! This is Acme Staffing's hiring assistant.")
    assert "Warehouse associates start at 19 dollars 50 an hour" in reply
    assert reply.index("19 dollars 50") < reply.index("Which job are you interested in?")


def test_a_policy_question_texted_mid_screening_is_answered_and_the_question_asked_again(twilio, db):
    text(twilio, "JOBS")
    text(twilio, "1")
    reply = text(twilio, "where is the job located?")  # before: "I don't have an answer" (no policies)
    assert "1200 Logistics Parkway" in reply and "Which job are you interested in?" in reply
