"""What our texts cost: every English text goes as GSM-7 (160 characters a segment, not
UCS-2's 70), and a table of segment counts per text and language with realistic data (a
long name, three answers). Spanish keeps its accents (á í ó ú are not in GSM-7: those texts
go as UCS-2); the table measures them. Company-written words with a curly quote or a dash
(pasted from a word processor) were texted as they were: the whole text as UCS-2."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from receptionist.adapters.models import OutboxItem
from receptionist.engine.gsm7 import is_gsm7, not_gsm7, plain_punctuation, segments
from receptionist.engine.texts import PHRASES, Line, render

from .conftest import SAMPLE
from .test_sms_inbound import RECEPTIONIST, SCREENING, completed_call, text

NAME = "Maria Guadalupe Hernandez-Castillo"
DETAILS = [("name", NAME), ("role", "Forklift Operator"), ("start", "November 30")]
PARAMS = {"name": "Maria", "company": "Acme Staffing", "has_email": False, "email": "maria.hernandez@example.com",
          "text": "Are you 18 years of age or older?", "kind": "yes_no", "options": ["days", "nights", "weekends"],
          "roles": ["Forklift Operator", "Delivery Driver"], "languages": ["en", "es"], "value": True,
          "question": "How many years of experience do you have?", "answer": "3", "statement": "you are 18 or older",
          "role": "Forklift Operator", "date": "November 18", "status": "received and under review",
          "job": "Forklift Operator", "days": 3, "title": "Forklift Operator",
          "url": "https://jobs.example.com/interview/3f9a2c", "details": DETAILS, "n": 1, "label": "nights",
          "groups": ["202", "555", "0177"], "numbers": "1, 2 or 3"}


@pytest.mark.parametrize("key", sorted(PHRASES))
def test_every_english_template_renders_in_gsm7(key):
    assert not_gsm7(render(Line(key, PARAMS), "en", "sms")) == [], key


@pytest.mark.parametrize("body, expected", [
    ("a" * 160, 1), ("a" * 161, 2), ("a" * 306, 2), ("a" * 307, 3),
    ("€" * 80, 1), ("€" * 81, 2),  # the extension table: two septets each
    ("á" * 70, 1), ("á" * 71, 2), ("á" * 134, 2), ("á" * 135, 3),
    ("👍" * 35, 1), ("👍" * 36, 2),  # an emoji is two UTF-16 code units
    ("Reply YES or NO.", 1), ("Responda SÍ o NO.", 1), ("¿Puede levantar 50 libras? ¡Gracias!", 1), ("", 0),
])
def test_segments(body, expected):
    assert segments(body) == expected


def test_plain_punctuation_keeps_letters():
    assert plain_punctuation("We’re hiring — “apply” now… José, Muñoz, día") == \
        "We're hiring - \"apply\" now... José, Muñoz, día"


def _confirm(lang):
    return render(Line("confirm_details", {**PARAMS, "details": DETAILS}), lang, "sms")


# (text, builder) -> segments in English and Spanish, with the data above. Keep the English
# ones in GSM-7 and short; a change that makes a text longer shows here.
TABLE = [
    ("confirmation (3 details, asks for the email)", _confirm, 2, 6),
    ("confirmation reminder", lambda lang: render(Line("confirm_reminder", PARAMS), lang, "sms"), 1, 2),
    ("confirmed, asks for the email", lambda lang: render(Line("confirmed"), lang, "sms"), 1, 1),
    ("reply not understood", lambda lang: render(Line("confirm_expected"), lang, "sms"), 1, 3),
    ("details wrong", lambda lang: render(Line("confirm_denied"), lang, "sms"), 1, 3),
    ("screening question (yes/no)", lambda lang: render(Line("ask", PARAMS), lang, "sms"), 1, 1),
    ("nudge + question", lambda lang: render(Line("nudge"), lang, "sms") + " "
     + render(Line("ask", PARAMS), lang, "sms"), 1, 2),
    ("reaction is no answer + question", lambda lang: render(Line("reaction_not_answer"), lang, "sms") + "\n"
     + render(Line("ask", PARAMS), lang, "sms"), 1, 2),
    ("application in", lambda lang: render(Line("goodbye", PARAMS), lang, "sms"), 1, 2),
    ("HELP (default)", lambda lang: render(Line("help_default", PARAMS), lang, "sms"), 1, 3),
    ("STOP confirmation", lambda lang: render(Line("opted_out", PARAMS), lang, "sms"), 1, 2),
    ("START confirmation", lambda lang: render(Line("opted_in", PARAMS), lang, "sms"), 1, 2),
    ("interview invite", lambda lang: render(Line("interview_link", PARAMS), lang, "sms"), 1, 1),
    ("dismissal", lambda lang: render(Line("dismissal", PARAMS), lang, "sms"), 1, 3),
]


@pytest.mark.parametrize("what, build, english, spanish", TABLE, ids=[row[0] for row in TABLE])
def test_segment_table(what, build, english, spanish):
    en, es = build("en"), build("es")
    assert is_gsm7(en), (what, not_gsm7(en))
    assert (segments(en), segments(es)) == (english, spanish), (what, len(en), len(es), not_gsm7(es))


@pytest.mark.usefixtures("sample_company")
def test_every_text_of_an_english_screening_and_confirmation_is_gsm7(twilio, db):
    sent = [text(twilio, "JOBS")] + [text(twilio, body) for body, _ in SCREENING]
    completed_call(twilio, phone="+12025550177")
    with db.transaction() as s:
        sent += [row.payload["body"] for row in s.scalars(select(OutboxItem).filter_by(kind="sms"))]
    sent += [text(twilio, body, to=RECEPTIONIST, from_number="+12025550177") for body in ("huh", "no", "YES")]
    sent += [text(twilio, body) for body in ("HELP", "STOP", "START")]
    assert [(t, not_gsm7(t)) for t in sent if not is_gsm7(t)] == []


def test_company_typography_is_texted_in_gsm7(app, twilio, db, tmp_path):
    """A recruiter's greeting, question, option and help text with curly quotes, dashes and an
    ellipsis (before: each text sent as UCS-2, 70 characters a segment)."""
    yaml = SAMPLE.read_text()
    for plain, typeset in [("Hi! This is Acme Staffing's hiring assistant.",
                            "Hi! This is Acme Staffing’s hiring assistant…"),
                           ("Are you 18 years of age or older?", "Are you 18 years of age or older — “legally”?"),
                           ("Acme Staffing text-to-apply. Answer", "Acme Staffing’s text-to-apply – answer")]:
        assert plain in yaml
        yaml = yaml.replace(plain, typeset)
    company = tmp_path / "typeset.yaml"
    company.write_text(yaml)
    assert app.test_cli_runner().invoke(args=["load-company", str(company)]).exit_code == 0
    greeting = text(twilio, "JOBS")
    assert "Acme Staffing's hiring assistant..." in greeting and is_gsm7(greeting)
    text(twilio, "1")
    question = text(twilio, "1")
    assert 'older - "legally"?' in question and is_gsm7(question)
    help_text = text(twilio, "HELP")
    assert "Acme Staffing's text-to-apply - answer" in help_text and is_gsm7(help_text)
