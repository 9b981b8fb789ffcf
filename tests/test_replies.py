"""Reading replies to the confirmation text, and names, with the interpreters' words (pure)."""
from __future__ import annotations

import pytest

from receptionist.engine.interpret.names import clean_name
from sms_screening.keywords import Keyword, classify
from sms_screening.replies import ConfirmationReply, parse_confirmation_reply


@pytest.mark.parametrize("body", [
    "YES", "yes.", "Y", "ok", "Sí", "si", "That's right!", "correct", "looks good", "Confirmo",
    "Yes, thanks", "yes but call me after 5", "Sure", "¡Claro que sí!", "está bien", "of course",
])
def test_yes_in_any_language_confirms(body):
    assert parse_confirmation_reply(body) == ConfirmationReply(confirmed=True)


@pytest.mark.parametrize("body", [
    "no", "No, that's wrong", "claro que no", "yes no", "not sure", "ok thanks", "I have a question",
    "Is the pay exactly $15?", "say yes", "huh?", "",
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
    ("my name is", "My Name Is"),  # nothing after the cue: nothing to strip
])
def test_names_lose_the_words_around_them(text, name):
    assert clean_name(text) == name


@pytest.mark.parametrize("body", ["Stop.", " STOP! ", "ＳＴＯＰ", "s-t-o-p"])
def test_stop_is_read_through_the_same_folding(body):
    assert classify(body) is Keyword.stop
