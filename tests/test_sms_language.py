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
    print(reply)
    assert 0
