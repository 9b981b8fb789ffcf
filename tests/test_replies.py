"""Reading replies to the confirmation text, and names, with the interpreters' words (pure)."""
from __future__ import annotations

import pytest

from receptionist.engine.interpret.names import clean_name
from sms_screening.keywords import Keyword, classify
from sms_screening.replies import ConfirmationReply, parse_confirmation_reply


@pytest.mark.parametrize("body", [
    "YES", "yes.", "Y", "ok", "Sí", "si", "That's right!", "correct", "looks good", "Confirmo",
    "Yes, thanks", "yes but call me after 5", "Sure", "¡Claro que sí!", "está bien", "of course",
    "no worries", "sounds good", "sip", "no hay bronca",
])
def test_yes_in_any_language_confirms(body):
    assert parse_confirmation_reply(body) == ConfirmationReply(confirmed=True)


@pytest.mark.parametrize("body", [
    "no", "No, that's wrong", "claro que no", "yes no", "not sure", "ok thanks", "I have a question",
    "Is the pay exactly $15?", "say yes", "huh?", "",
    "Simon", "Simón",  # a name, perhaps a correction: "simón" is a yes only to a spoken question
    "nel", "la verdad no",
])
def test_anything_else_does_not_confirm(body):
    assert parse_confirmation_reply(body).confirmed is False


@pytest.mark.parametrize("body,expected", [
    ("NAME Jane Smith", ConfirmationReply(name="Jane Smith")),
    ("name: jane smith", ConfirmationReply(name="Jane Smith")),
    ("My name's Bob Lee", ConfirmationReply(name="Bob Lee")),
    ("me llamo Ana López", ConfirmationReply(name="Ana López")),
    ("Nombre: José Pérez", ConfirmationReply(name="José Pérez")),
    ("name Jane Smith, jane@example.com", ConfirmationReply(email="jane@example.com", name="Jane Smith")),
    ("yes jane.doe@example.com", ConfirmationReply(confirmed=True, email="jane.doe@example.com")),
    ("jane dot doe at gmail dot com", ConfirmationReply(email="jane.doe@gmail.com")),
    ("it's Jane Smith", ConfirmationReply()),  # not a name correction: no name cue
])
def test_corrections(body, expected):
    assert parse_confirmation_reply(body) == expected


@pytest.mark.parametrize("text,name", [
    ("Name: Jane Doe", "Jane Doe"),
    ("Hi! I'm Ana", "Ana"),
    ("hola, me llamo josé", "José"),
    ("this is Mary-Ann O'Neil.", "Mary-Ann O'Neil"),
    ("my name is", None),  # a cue and no name: no name (the flow asks again)
])
def test_names_lose_the_words_around_them(text, name):
    assert clean_name(text) == name


@pytest.mark.parametrize("body", ["Stop.", " STOP! ", "ＳＴＯＰ", "s-t-o-p"])
def test_stop_is_read_through_the_same_folding(body):
    assert classify(body) is Keyword.stop


# Opt-out in other words (the FCC's revocation rule): whole messages that ask to stop ...
OPT_OUTS = [
    "stop please", "Please stop", "STOP IT", "stop now!", "please stop texting me", "Stop texting me.",
    "stop messaging me", "quit sending me texts", "stop sending messages", "stop contacting me, thanks",
    "no more texts", "No more messages please", "unsubscribe me", "Unsubscribe me please",
    "I want to unsubscribe", "opt out", "opt me out", "take me off your list", "remove me from this list",
    "don't text me", "Do not text me anymore", "dont message me again", "do not contact me", "never text me again",
    "I don't want any more texts", "leave me alone",
    "PARAR", "para", "Alto", "basta ya", "BAJA", "dar de baja", "Quiero darme de baja", "por favor darme de baja",
    "ya no me manden mensajes", "No me manden más mensajes", "no me envíen mensajes", "no me escriban más",
    "dejen de mandarme mensajes", "deja de enviarme textos", "no quiero recibir más mensajes", "no más mensajes",
    "cancelar suscripción",
]
# ... and sentences that only contain such words: answers, not requests.
NOT_OPT_OUTS = [
    "I can't stop by today", "stop by the office", "I'll stop by tomorrow at 3", "can I stop by?",
    "don't stop", "stop texting me about nights please", "no more than 20 hours", "the bus stop is close",
    "I never stop working", "please text me the address", "text me", "para mañana", "para el lunes",
    "no puedo parar de trabajar", "baja california", "no", "I want to apply", "más información",
    "please call me", "no more questions, I'm ready", "remove my old email",
]


@pytest.mark.parametrize("body", OPT_OUTS)
def test_opting_out_in_other_words(body):
    assert classify(body) is Keyword.stop


@pytest.mark.parametrize("body", NOT_OPT_OUTS)
def test_sentences_with_stop_words_are_not_phrases(body):
    assert classify(body) is None
