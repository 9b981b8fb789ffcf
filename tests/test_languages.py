"""One registry of languages: the loader, TwiML, the wording and the interpreters read it."""
from __future__ import annotations

import datetime as dt
import string
import xml.etree.ElementTree as ET

import pytest

from receptionist.adapters.models import Agent
from receptionist.adapters.twiml import VoiceSetup, render_apology, render_turn
from receptionist.engine import flow, interpret, languages
from receptionist.engine.flow import CallContext, Gather, Speech, Turn
from receptionist.engine.interpret.common import fold, words
from receptionist.engine.languages import LANGUAGES, Language, in_language
from receptionist.engine.script import AgentScript, QuestionSpec
from receptionist.engine.texts import PHRASES, Line, render, spoken_date, status_words
from receptionist.services.company import CompanyFileError, load_company
from sqlalchemy import select

TODAY = dt.date(2026, 11, 18)


def company(agent_languages: list[str], greeting="Hello.") -> dict:
    return {"company": {"slug": "solo", "name": "Solo"},
            "agents": [{"slug": "desk", "name": "Desk", "languages": agent_languages,
                        "phone_numbers": ["+12025550177"], "greeting": greeting, "disclosure": greeting}]}


def tags(twiml: str) -> set[str]:
    """The language attribute of every element that has one."""
    return {el.get("language") for el in ET.fromstring(twiml).iter() if el.get("language")}


# ------------------------------------------------------------------- one registry drives all


def test_a_language_outside_the_registry_is_refused_naming_the_field(db):
    with pytest.raises(CompanyFileError, match=r"agents\[0\]\.languages: unsupported de \(supported: en, es\)"):
        with db.transaction() as s:
            load_company(s, company(["en", "de"], greeting={"en": "Hi.", "de": "Hallo."}))


@pytest.fixture
def french(monkeypatch) -> Language:
    """French registered for one test, with English words (enough for loader and TwiML)."""
    fr = Language("fr", "français", "fr-FR", LANGUAGES["en"].words)
    monkeypatch.setitem(languages._REGISTERED, "fr", fr)
    return fr


def test_registering_a_language_is_all_the_loader_and_twiml_need(db, french):
    with db.transaction() as s:
        load_company(s, company(["fr"], greeting="Bonjour."))
    with db.transaction() as s:
        assert s.scalars(select(Agent)).one().languages == ["fr"]
    turn = Turn((Line("text", {"text": "Bonjour."}),), "fr", Gather("speech dtmf", (), 1))
    assert tags(render_turn(turn, [("Bonjour.", "fr")], "/voice/gather", VoiceSetup())) == {"fr-FR"}
    assert tags(render_apology([("Désolé.", "fr")])) == {"fr-FR"}


@pytest.mark.parametrize("code", list(LANGUAGES))
def test_every_registered_language_is_spoken_with_its_twilio_tag(code):
    turn = Turn((), code, Gather("speech dtmf", ("yes",), 1))
    assert tags(render_turn(turn, [("...", code)], "/voice/gather", VoiceSetup())) == {LANGUAGES[code].twilio_tag}


@pytest.mark.parametrize("code", ["fr", "", "xx-YY"])
def test_an_unknown_language_is_spoken_in_english(code):
    assert tags(render_turn(Turn((), code, None), [("Bye.", code)], "/voice/gather", VoiceSetup())) == {"en-US"}


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("code", list(LANGUAGES))
def test_every_registered_language_has_every_phrase_with_the_same_parameters(code):
    for key, by_language in PHRASES.items():
        english, there = by_language["en"], by_language.get(code)
        assert there, f"{key} has no {code} text"
        assert isinstance(there, dict) == isinstance(english, dict), key
        for channel in english if isinstance(english, dict) else [None]:
            text = there[channel] if channel else there
            assert _fields(text) == _fields(english[channel] if channel else english), (key, channel)


# ------------------------------------------------------------------------------ apologies


@pytest.mark.parametrize("key,english", [
    ("sorry_unknown_number", "Sorry, this number is not taking calls right now. Please try again later. Goodbye."),
    ("sorry_lost", "Sorry, we lost track of this call. Please call again. Goodbye."),
    ("sorry_busy", "Sorry, we are having a problem right now. Please call again in a few minutes. Goodbye."),
])
def test_apologies_keep_their_english_words_and_fall_back_to_them(key, english):
    assert render(Line(key), "en") == english
    assert render(Line(key), "fr") == english


def test_an_apology_to_a_spanish_caller_is_said_in_spanish_and_hangs_up():
    text = render(Line("sorry_busy"), "es")
    root = ET.fromstring(render_apology([(text, "es")]))
    (say,) = root.findall("Say")
    assert say.get("language") == "es-US" and say.text == text
    assert "Por favor llame de nuevo" in text
    assert [el.tag for el in root] == ["Say", "Hangup"]


def test_an_apology_without_a_language_is_english():
    assert tags(render_apology([("Sorry.", "en")])) == {"en-US"}


# ---------------------------------------------------------------------- the fallback rule


@pytest.mark.parametrize("texts,code,default,expected", [
    ({"en": "Hi", "es": "Hola"}, "es", "en", "Hola"),  # the caller's language
    ({"en": "Hi", "es": "Hola"}, "fr", "es", "Hola"),  # else the agent's default language
    ({"es": "Hola", "en": "Hi"}, "fr", "en", "Hi"),
    ({"es": "Hola", "de": "Hallo"}, "en", "en", "Hola"),  # else any, in the mapping's order
    ({"en": "", "es": "Hola"}, "en", "en", "Hola"),  # empty counts as missing
    ({}, "en", "en", None),
    (None, "en", "en", None),
])
def test_in_language_caller_then_default_then_any(texts, code, default, expected):
    assert in_language(texts, code, default) == expected


def test_a_question_missing_in_the_callers_language_is_asked_in_the_agents_default():
    script = AgentScript("Acme", ("en", "es"), {"en": "Hi.", "es": "Hola."}, {"en": "AI.", "es": "IA."},
                         questions=(QuestionSpec("q", "yes_no", {"fr": "Avez-vous 18 ans ?", "en": "Are you 18?"}),))
    ctx = CallContext(today=TODAY)
    state, _ = flow.start(script, ctx)
    state, _ = flow.advance(script, state, Speech("español"), ctx)
    _, turn = flow.advance(script, state, Speech("solicitar"), ctx)
    assert "Are you 18?" in " ".join(render(line, "es") for line in turn.lines)


# ----------------------------------------------------------------- words said and words heard


def test_dates_and_statuses_are_said_in_the_callers_language():
    day = dt.date(2026, 11, 18)
    assert (spoken_date(day, "en"), spoken_date(day, "es"), spoken_date(day, "es-MX")) == \
        ("November 18", "18 de noviembre", "18 de noviembre")
    assert status_words("completed", "es") == "recibida y en revisión"
    assert status_words("completed", "en") == "received and under review"
    assert status_words("on_hold", "en") == "on_hold"


@pytest.mark.parametrize("code", list(LANGUAGES))
def test_every_date_we_say_we_also_understand(code):
    for month in range(1, 13):
        day = dt.date(2026 if month == 12 else 2027, month, 9)  # the next one after TODAY
        assert interpret.date(spoken_date(day, code), code, TODAY).value == day


def test_folding_is_casefold_accents_and_punctuation():
    assert fold("Sí, ¡MAÑANA! 1º") == "si, ¡manana! 1o"
    assert words("I can't — ¿sí? ＳＴＯＰ_now") == ["i", "cant", "si", "stop", "now"]
