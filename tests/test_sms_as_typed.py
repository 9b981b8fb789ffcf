"""Replies as phones really send them, end to end through signed /sms webhooks: signatures
("Sent from my iPhone", "enviado desde mi Samsung"), the question pasted back, quoted lines,
line breaks and spaces, capitals, a long concatenated text, emoji alone, MMS. Rows marked
"before" were misread: a signature became part of the name, a digit with a signature was not
understood, the date in our pasted question became the start date, STOP with a signature
did not opt out."""
from __future__ import annotations

import datetime as dt

import pytest

from receptionist.adapters.models import Posting
from sms_screening.cleaning import answer_text

from .test_sms_inbound import RECEPTIONIST, candidate, completed_call, sms_conversations, text
from .test_sms_reactions import _voice

pytestmark = pytest.mark.usefixtures("sample_company")
# The answers that reach each question of the sample's SMS screening (tests.test_sms_inbound.SCREENING).
# The language, the role, 18 or older, authorized, can lift, years, the start, the shift.
_STEPS = ["1", "2", "yes", "yes", "yes", "3", "next monday", "2"]
BEFORE = {"role": _STEPS[:1], "age-18": _STEPS[:2], "experience-years": _STEPS[:5], "earliest-start": _STEPS[:6],
          "shift": _STEPS[:7], "name": _STEPS[:8]}
DATE_Q = "When is the earliest you could start? Reply with a date, like next Monday or 3/15, or NOW."
SHIFTS = "Which shift do you prefer?\n1: days\n2: nights\n3: weekends\n4: any shift"
LONG = ("Hi, I have about 3 years of experience in warehouses, mostly picking and packing, and I also "
        "drove a forklift for a few months at my last job before the plant closed down in the spring")


@pytest.mark.parametrize("at, body, key, value", [
    ("role", "1\n\nSent from my iPhone", "posting", "warehouse-associate"),  # before: not understood
    ("role", "2 - enviado desde mi Samsung", "posting", "forklift-operator"),  # before: not understood
    ("role", "  2 \n", "posting", "forklift-operator"),
    ("role", "FORKLIFT OPERATOR", "posting", "forklift-operator"),
    ("age-18", "Yes\n\nSent from my iPhone", "age-18", True),
    ("age-18", "Sí - enviado desde mi Samsung", "age-18", True),
    ("age-18", "YES I AM", "age-18", True),
    ("age-18", "yes\n> Are you 18 years of age or older? Reply YES or NO.", "age-18", True),
    ("experience-years", "3\n\nSent from my iPhone", "experience-years", 3),
    ("experience-years", LONG, "experience-years", 3),  # over 160 characters: one Body
    ("earliest-start", f"next monday\n{DATE_Q}", "earliest-start", "next monday"),  # before: 3/15
    ("earliest-start", f"{DATE_Q}\nnext monday", "earliest-start", "next monday"),
    ("shift", "2\nSent from my iPhone", "shift", "nights"),  # before: not understood
    ("shift", f"2\n\n{SHIFTS}", "shift", "nights"),
    ("shift", "nights\n\n-- Sent from Yahoo Mail for Android", "shift", "nights"),
    ("name", "Jane Doe\n\nSent from my iPhone", "name", "Jane Doe"),  # before: "Jane Doe Sent From My IPhone"
    ("name", "jane doe - enviado desde mi Samsung", "name", "Jane Doe"),
    ("name", "Jane Doe\nGet Outlook for Android", "name", "Jane Doe"),
    ("name", "Jane Doe\n\nLast question: what is your first and last name?", "name", "Jane Doe"),
    ("name", "JANE DOE", "name", "Jane Doe"),
])
def test_answers_as_phones_send_them(twilio, db, at, body, key, value):
    text(twilio, "JOBS")
    for answer in BEFORE[at]:
        text(twilio, answer)
    text(twilio, body)
    [conv] = sms_conversations(db)
    if key == "name":
        assert conv.candidate.name == value
    elif key == "posting":
        with db.transaction() as s:
            assert s.get(Posting, conv.posting_id).key == value
    else:
        answers = {a.question.key: a.value["value"] for a in conv.answers}
        assert key in answers, (body, answers)
        if key != "earliest-start":
            assert answers[key] == value
        else:  # next Monday (relative to today), not 3/15: the example in our question
            assert answers[key][5:] != "03-15" and dt.date.fromisoformat(answers[key]).weekday() == 0


@pytest.mark.parametrize("body", ["👍", "🤷", "😀"])
def test_emoji_alone_to_a_name_is_asked_again(twilio, db, body):
    text(twilio, "JOBS")
    for answer in BEFORE["name"]:
        text(twilio, answer)
    assert "first and last name" in text(twilio, body)
    assert candidate(db).name is None


@pytest.mark.parametrize("body, heard, status", [
    ("Yes\n\nSent from my iPhone", "all set", "confirmed"),
    ("Sí - enviado desde mi Samsung", "all set", "confirmed"),
    ("  yes \n\n", "all set", "confirmed"),
    ("👍", "all set", "confirmed"),  # before: "Sorry, I didn't get that"
    ("NAME Jane Smith\nSent from my iPhone", "corrected your name to Jane Smith", "pending"),
])
def test_confirmation_replies_as_phones_send_them(twilio, db, body, heard, status):
    completed_call(twilio)
    assert heard in text(twilio, body, to=RECEPTIONIST)
    assert _voice(db).confirmation_status == status
    assert candidate(db).name in ("Jane Doe", "Jane Smith")


def test_stop_with_a_signature_opts_out(twilio, db):
    text(twilio, "JOBS")
    assert "unsubscribed" in text(twilio, "STOP\n\nSent from my iPhone")  # before: an answer
    assert candidate(db).opted_out


MMS = {"NumMedia": "1", "MediaUrl0": "https://api.twilio.com/media/ME1", "MediaContentType0": "image/jpeg"}


def test_a_picture_alone_and_a_picture_with_text(twilio, db):
    completed_call(twilio)
    alone = text(twilio, "", to=RECEPTIONIST, **MMS)
    assert "can't open pictures" in alone and "all set" not in alone
    with_text = text(twilio, "Yes", to=RECEPTIONIST, **MMS)
    assert "can't open pictures" in with_text and "all set" in with_text  # the text is read


@pytest.mark.parametrize("body, ours, expected", [
    ("Yes\n\nSent from my iPhone", (), "Yes"),
    ("Jane Doe\nSent from my Verizon, Samsung Galaxy smartphone", (), "Jane Doe"),
    ("I was sent from my agency", (), "I was sent from my agency"),  # no signature
    ("Sent from my iPhone", (), "Sent from my iPhone"),  # nothing else: kept as it came
    ("2: nights", (SHIFTS,), "2: nights"),  # a short line of ours is an answer
    (f"{SHIFTS}\n2", (SHIFTS,), "2"),
])
def test_answer_text(body, ours, expected):
    assert answer_text(body, ours) == expected
