"""Reactions to our texts, as iPhones and Androids send them over SMS (``Liked “…”``,
``Reacted 👍 to “…”``, ``Le gustó “…”``), end to end through signed /sms webhooks: the
quoted text is ours and is never read as the candidate's answer. Every end-to-end row was
misread before: a like of the confirmation was "didn't get that", a like of a question was
read by the words it quoted (a start date of "next Monday", the role "1", the name "Liked")."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from receptionist.adapters.models import Channel, Conversation, OutboxItem
from sms_screening.reactions import Tone, read_reaction

from .test_sms_inbound import RECEPTIONIST, SCREENING, candidate, completed_call, sms_conversations, text

pytestmark = pytest.mark.usefixtures("sample_company")


@pytest.mark.parametrize("body, tone, quoted", [
    ("Liked “Reply YES if everything is right.”", Tone.agree, "Reply YES if everything is right."),
    ("Loved “Hi Jane, thanks for calling…”", Tone.agree, "Hi Jane, thanks for calling…"),
    ("Emphasized “ok”", Tone.agree, "ok"),
    ("Disliked “Are you 18?\nReply YES or NO.”", Tone.disagree, "Are you 18?\nReply YES or NO."),
    ("Questioned “Which shift?”", Tone.other, "Which shift?"),
    ("Laughed at “Which shift?”", Tone.other, "Which shift?"),
    ("Le gustó “Responda SÍ”", Tone.agree, "Responda SÍ"),
    ("Le encantó “Responda SÍ”", Tone.agree, "Responda SÍ"),
    ("No le gustó “Responda SÍ”", Tone.disagree, "Responda SÍ"),
    ("👍 to “Reply YES”", Tone.agree, "Reply YES"),
    ("Reacted 👍🏽 to “Reply YES”", Tone.agree, "Reply YES"),
    ("Reacted with ❤️ to \"Reply YES\"", Tone.agree, "Reply YES"),
    ("👎 a “Responda SÍ”", Tone.disagree, "Responda SÍ"),
    ("Reacted 😂 to “Which shift?”", Tone.other, "Which shift?"),
    ("Removed a like from “Reply YES”", Tone.removed, "Reply YES"),
    ("  Liked “Reply YES”  \n", Tone.agree, "Reply YES"),
])
def test_reactions_as_phones_send_them(body, tone, quoted):
    found = read_reaction(body)
    assert found is not None and (found.tone, found.quoted) == (tone, quoted), body


@pytest.mark.parametrize("body", ["Liked it, thanks", "yes", "I liked “the job” a lot, yes", "👍",
                                  "My name is “Jo” Smith", "ok to “start”?", "Liked “a", ""])
def test_texts_that_are_not_reactions(body):
    assert read_reaction(body) is None


def _confirmation(db) -> str:
    with db.transaction() as s:
        return s.scalars(select(OutboxItem).filter_by(kind="sms")).one().payload["body"]


def _voice(db) -> Conversation:
    with db.transaction() as s:
        return s.scalars(select(Conversation).where(Conversation.channel == Channel.voice)).one()


@pytest.mark.parametrize("react, confirmed, heard", [
    (lambda c: f"Liked “{c}”", True, "all set"),
    (lambda c: f"Liked “{c[:90]}…”", True, "all set"),  # a long text quoted cut short
    (lambda c: f"Loved “{c}”", True, "all set"),
    (lambda c: f"Emphasized “{c[:60]}”", True, "all set"),
    (lambda c: f"Reacted 👍 to “{c}”", True, "all set"),
    (lambda c: f"👍 to “{c}”", True, "all set"),
    (lambda c: f"Le gustó “{c}”", True, "all set"),
    (lambda c: "👍", True, "all set"),  # before: "Sorry, I didn't get that"
    (lambda c: f"Disliked “{c}”", False, "Sorry about that. Reply NAME"),
    (lambda c: f"No le gustó “{c}”", False, "Sorry about that. Reply NAME"),
    (lambda c: f"Questioned “{c}”", False, "Reply YES if everything is right."),
    (lambda c: f"Laughed at “{c}”", False, "Reply YES if everything is right."),
    # The like quotes "NAME Jane Smith" (our example): no name is taken from it.
    (lambda c: f"Liked “{c.replace('Jane Doe', 'Jane')}”", True, "all set"),
])
def test_a_reaction_to_the_confirmation(twilio, db, react, confirmed, heard):
    completed_call(twilio)
    reply = text(twilio, react(_confirmation(db)), to=RECEPTIONIST)
    assert heard in reply
    assert (_voice(db).confirmation_status == "confirmed") is confirmed
    assert candidate(db).name == "Jane Doe"


def test_a_like_of_a_text_that_asks_no_yes_does_not_confirm(twilio, db):
    completed_call(twilio)
    denied = text(twilio, "no", to=RECEPTIONIST)  # "Sorry about that. Reply NAME followed by…"
    assert "Reply YES if everything is right." == text(twilio, f"Liked “{denied}”", to=RECEPTIONIST)
    assert _voice(db).confirmation_status == "pending"
    assert text(twilio, f"Removed a like from “{denied}”", to=RECEPTIONIST) == ""  # nothing to answer
    assert "all set" in text(twilio, "YES", to=RECEPTIONIST)
    assert text(twilio, "Loved “Thanks, you're all set! A recruiter will be in touch.”", to=RECEPTIONIST) == ""


@pytest.mark.parametrize("verb", ["Liked", "Loved", "Disliked", "Questioned", "Laughed at", "Emphasized",
                                  "Le gustó", "Reacted 👍 to", "👍 to"])
def test_a_reaction_to_a_screening_question_is_not_an_answer(twilio, db, verb):
    """At every question (the role, yes/no, a number, a date, a choice, the name), a reaction
    quoting it is asked again; the screening then goes on with the real answer."""
    text(twilio, "JOBS")
    for body, expected in SCREENING:
        asked = text(twilio, body)
        if expected == SCREENING[-1][1]:
            break
        again = text(twilio, f"{verb} “{asked}”")
        assert again.startswith("I can't take a reaction as an answer."), (verb, asked, again)
        assert asked.split("\n")[-1] in again
    [conv] = sms_conversations(db)
    assert conv.status == "completed" and conv.candidate.name == "Jane Doe"
    assert {a.question.key: a.value["value"] for a in conv.answers}["earliest-start"] != "2027-03-15"
    assert sum("reaction" in line.text for line in conv.transcript) == len(SCREENING) - 1


def test_a_reaction_after_the_screening_starts_nothing(twilio, db):
    text(twilio, "JOBS")
    for body, _ in SCREENING:
        done = text(twilio, body)
    assert text(twilio, f"Loved “{done}”") == ""
    assert len(sms_conversations(db)) == 1
