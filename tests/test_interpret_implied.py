"""Yes/no answers in the caller's own words: a question's ``implied_by_phrases`` ("I'm a US
citizen" is a yes to "Are you authorized to work ...?"), their validation in the company file,
and a reload that changes them."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from receptionist.engine import interpret
from receptionist.engine.interpret import Interpretation

QUESTION = {"en": "Are you legally authorized to work in the United States?",
            "es": "¿Está usted autorizado legalmente para trabajar en los Estados Unidos?"}
PHRASES = {"en": {"yes": ["citizen", "green card", "permanent resident", "work permit", "have papers",
                          "have my papers", "born here", "daca", "ead"],
                  "no": ["need sponsorship", "student visa"]},
           "es": {"yes": ["ciudadano", "residente", "green card", "permiso de trabajo", "tengo papeles", "nací aquí"],
                  "no": ["necesito patrocinio", "sin papeles"]}}
INFERRED, PLAIN = 0.75, 0.9
SAMPLE = Path(__file__).resolve().parents[1] / "examples" / "acme-staffing.yaml"


def read(text: str, language: str = "en", phrases=PHRASES) -> Interpretation | None:
    return interpret.yes_no(text, language, QUESTION[language], None, phrases)


@pytest.mark.parametrize("text, language, expected", [
    ("I'm a US citizen", "en", (True, INFERRED)),
    ("I have a green card", "en", (True, INFERRED)),
    ("I'm a permanent resident", "en", (True, INFERRED)),
    ("I have a work permit", "en", (True, INFERRED)),
    ("I have my papers", "en", (True, INFERRED)),
    ("I was born here", "en", (True, INFERRED)),
    ("I have DACA", "en", (True, INFERRED)),
    ("I have an EAD", "en", (True, INFERRED)),
    ("I need sponsorship", "en", (False, INFERRED)),
    ("I'm on a student visa", "en", (False, INFERRED)),
    ("I'm a CITIZEN.", "en", (True, INFERRED)),  # case folded
    ("soy ciudadano", "es", (True, INFERRED)),
    ("soy residente", "es", (True, INFERRED)),
    ("tengo green card", "es", (True, INFERRED)),
    ("tengo permiso de trabajo", "es", (True, INFERRED)),
    ("tengo papeles", "es", (True, INFERRED)),
    ("naci aqui", "es", (True, INFERRED)),  # accents folded both ways
    ("Nací aquí", "es", (True, INFERRED)),
    ("necesito patrocinio", "es", (False, INFERRED)),
    ("estoy sin papeles", "es", (False, INFERRED)),  # the longer phrase wins over "papeles"
    # A plain yes/no said outright wins the confidence; the phrase agrees.
    ("yes, I'm a citizen", "en", (True, PLAIN)),
    ("No, I need sponsorship", "en", (False, PLAIN)),
    ("no I need sponsorship", "en", (False, PLAIN)),
    ("Sí, soy ciudadano", "es", (True, PLAIN)),
    # A negated phrase is turned over.
    ("I don't have a work permit", "en", (False, INFERRED)),
    ("I don't have a valid work permit", "en", (False, INFERRED)),
    ("I'm not a citizen", "en", (False, INFERRED)),
    ("I don't have papers yet", "en", (False, INFERRED)),
    ("I don't need sponsorship", "en", (True, INFERRED)),
    ("no tengo papeles", "es", (False, INFERRED)),
    ("no tengo papeles todavía", "es", (False, INFERRED)),
    ("no soy residente", "es", (False, INFERRED)),
    ("no necesito patrocinio", "es", (True, INFERRED)),  # that "no" negates, it is no answer
    # Phrases that agree.
    ("I'm a citizen and I don't need sponsorship", "en", (True, INFERRED)),
])
def test_a_phrase_implies_the_answer(text, language, expected):
    found = read(text, language)
    assert found is not None, text
    assert (found.value, found.confidence) == (expected[0], pytest.approx(expected[1]))


@pytest.mark.parametrize("text, language", [
    ("I have a green card but I need sponsorship", "en"),  # both lists
    ("tengo green card pero necesito patrocinio", "es"),
    ("yes, I need sponsorship", "en"),  # a plain answer against the phrase
    ("no, I'm a citizen", "en"),
    ("I'll have my green card soon", "en"),  # hedged, as any answer
    ("I used to have a work permit", "en"),
    ("I'm a citizenship lawyer", "en"),  # whole words only: "citizenship" is not "citizen"
    ("I'm a US citizen", "es"),  # another language's list
    ("I like the green cards", "en"),
])
def test_conflicting_hedged_or_partial_phrases_are_not_understood(text, language):
    assert read(text, language) is None


def test_without_phrases_the_question_reads_as_before():
    assert read("I'm a US citizen", phrases=None) is None
    assert read("no tengo papeles", "es", phrases=None) == read("no", "es", phrases=None)
    assert read("Yes.", phrases=None) == Interpretation(True, PLAIN)


def test_the_sample_lists_read_real_callers():
    """examples/acme-staffing.yaml's work-authorization lists, as the loader stores them."""
    from receptionist.services.company import question_values
    data = yaml.safe_load(SAMPLE.read_text(encoding="utf-8"))
    [q] = [q for q in data["agents"][0]["questions"] if q["key"] == "work-authorization"]
    phrases = question_values(q, ["en", "es"], "q")["implied_by_phrases"]
    cases = {"en": {"I'm a US citizen": True, "I have a green card": True, "I'm a permanent resident": True,
                    "I have a work permit": True, "I have my papers": True, "I was born here": True,
                    "I have DACA": True, "I have an EAD": True, "I need sponsorship": False,
                    "I'm on a student visa": False, "I don't have papers yet": False, "I don't need sponsorship": True},
             "es": {"soy ciudadano": True, "soy residente": True, "tengo green card": True,
                    "tengo permiso de trabajo": True, "tengo papeles": True, "nací aquí": True,
                    "necesito patrocinio": False, "no tengo papeles todavía": False}}
    for language, answers in cases.items():
        for text, expected in answers.items():
            found = read(text, language, phrases)
            assert found is not None and found.value is expected, (language, text, found)


def _company(question: dict) -> dict:
    return {"company": {"slug": "solo", "name": "Solo"},
            "agents": [{"slug": "desk", "name": "Desk", "phone_numbers": ["+12025550177"], "greeting": "Hi.",
                        "disclosure": "AI.", "questions": [{"key": "work", "text": "Q?", **question}]}]}


@pytest.mark.parametrize("phrases, kind, message", [
    ({"fr": {"yes": ["citoyen"]}}, "yes_no",
     r"questions\[0\]\.implied_by_phrases \(question 'work'\): unknown language 'fr' \(known: en, es\)"),
    ({"en": {"yes": []}}, "yes_no",
     r"questions\[0\]\.implied_by_phrases \(question 'work'\)\.en\.yes: expected a non-empty list of phrases"),
    ({"en": {True: ["citizen"], False: []}}, "yes_no",  # YAML's bare yes/no keys
     r"\(question 'work'\)\.en\.no: expected a non-empty list of phrases"),
    ({"en": {"yes": ["Green Card", "citizen"], "no": ["green card"]}}, "yes_no",
     r"\(question 'work'\)\.en: 'green card' is in both the yes and the no list"),
    ({"es": {"yes": ["nací aquí"], "no": ["naci aqui"]}}, "yes_no", r"\.es: 'naci aqui' is in both"),
    ({"en": {"maybe": ["citizen"]}}, "yes_no", r"\.en: expected \{yes: \[phrases\], no: \[phrases\]\}"),
    ({"en": {"yes": ["citizen", "?!"]}}, "yes_no", r"\.en\.yes: '\?!' is not a phrase"),
    ({}, "yes_no", r"\(question 'work'\): expected \{language: \{yes: \[phrases\], no: \[phrases\]\}\}"),
    (["citizen"], "yes_no", r"\(question 'work'\): expected \{language:"),
    ({"en": {"yes": ["citizen"]}}, "number", r"\(question 'work'\): only a yes_no question"),
])
def test_the_company_file_refuses_bad_phrases_naming_the_question(db, phrases, kind, message):
    from receptionist.services.company import CompanyFileError, load_company
    with pytest.raises(CompanyFileError, match=message):
        with db.transaction() as s:
            load_company(s, _company({"kind": kind, "implied_by_phrases": phrases}))


def test_a_reload_with_changed_phrases_takes_effect(db):
    """The built script is kept per ``script_version``; editing the lists must give a new one."""
    from sqlalchemy import select

    from receptionist.adapters.models import Agent
    from receptionist.services.company import load_company
    from receptionist.services.scripts import script_for

    def phrases_in_use():
        with db.transaction() as s:
            return script_for(s.scalars(select(Agent)).one()).questions[0].implied_by_phrases

    with db.transaction() as s:
        load_company(s, _company({"kind": "yes_no", "implied_by_phrases": {"en": {True: ["citizen"]}}}))
    first = phrases_in_use()
    assert first == {"en": {"yes": ["citizen"]}}
    assert interpret.yes_no("I have a green card", "en", "Q?", None, first) is None
    with db.transaction() as s:
        load_company(s, _company({"kind": "yes_no", "implied_by_phrases": {
            "en": {True: ["citizen", "green card"], False: ["need sponsorship"]}}}))
    second = phrases_in_use()
    assert second == {"en": {"yes": ["citizen", "green card"], "no": ["need sponsorship"]}}
    assert interpret.yes_no("I have a green card", "en", "Q?", None, second).value is True
    with db.transaction() as s:
        load_company(s, _company({"kind": "yes_no"}))
    assert phrases_in_use() is None
