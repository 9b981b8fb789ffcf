"""The example scripts of ``examples/`` play through against the app, as the simulators
send them (signed webhooks over HTTP, the app in-process through httpx's WSGI transport),
with the sample company loaded. A script that no longer matches what the agent says fails."""
from __future__ import annotations

import io
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from receptionist.adapters.models import Answer, Conversation, ConversationStatus
from receptionist.devtools.call import parse_script, run_script
from receptionist.devtools.text import database_outbox_reader, parse_text_script, run_text_script
from receptionist.devtools.twilio_http import load_script

from .conftest import AUTH_TOKEN

pytestmark = pytest.mark.usefixtures("sample_company")
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
BASE = "http://localhost"
# Scripts that continue another's story, and what is played before them.
PLAYED_AFTER = {"returning.txt": ("qualified.txt",)}


@pytest.fixture
def client(app):
    with httpx.Client(transport=httpx.WSGITransport(app=app), base_url=BASE) as c:
        yield c


def play_call(name: str, client) -> str:
    out, err = io.StringIO(), io.StringIO()
    code = run_script(load_script(EXAMPLES / "calls" / name, parse_script), BASE, AUTH_TOKEN, out=out, err=err,
                      client=client)
    assert code == 0, out.getvalue() + err.getvalue()
    return out.getvalue()


@pytest.mark.parametrize("name", sorted(p.name for p in (EXAMPLES / "calls").glob("*.txt")))
def test_every_example_call_plays_through(name, client):
    for before in PLAYED_AFTER.get(name, ()):
        play_call(before, client)
    printed = play_call(name, client)
    assert "(recording started)" in printed  # the sample receptionist records its calls


def test_example_texts_play_through(db, client):
    play_call("qualified.txt", client)  # confirmation.txt answers the text this call leaves
    for name in ("screening.txt", "returning.txt", "knockout-corrected.txt", "from-a-phone.txt", "confirmation.txt"):
        out, err = io.StringIO(), io.StringIO()
        script = load_script(EXAMPLES / "texts" / name, parse_text_script)
        code = run_text_script(script, BASE, AUTH_TOKEN, outbox_reader=database_outbox_reader(db), outbox_wait=0.5,
                               out=out, err=err, client=client)
        assert code == 0, name + "\n" + out.getvalue() + err.getvalue()


def test_the_corrected_knockout_call_is_stored_as_corrected_and_recorded(db, client):
    play_call("knockout-corrected.txt", client)
    with db.transaction() as s:
        conv = s.scalars(select(Conversation).filter_by(channel="voice")).one()
        assert conv.status == ConversationStatus.completed
        assert conv.recording_sid.startswith("RE") and conv.recording_status == "completed"
        assert conv.recording_url.endswith(conv.recording_sid) and conv.recording_duration is not None
        answers = {a.question.key: a for a in s.scalars(select(Answer))}
        auth = answers["work-authorization"]
        assert (auth.value, auth.knocked_out, auth.confirmed, auth.raw_text) == (
            {"value": True}, False, False, "no, I am authorized")
        assert auth.speech_confidence == 0.91 and auth.interpreter_confidence is not None
        assert answers["age-18"].confirmed is None


@pytest.mark.parametrize("name,outcome,scored", [
    ("qualified.txt", "qualified", True),
    ("knockout.txt", "knocked_out", False),  # before: 0.0, ranked as if scored
    ("garbled.txt", "incomplete", False),  # before: 0.0 (a hang-up left it unset: now alike)
    ("hangup.txt", "incomplete", False),
])
def test_only_a_screening_that_qualified_is_scored(name, outcome, scored, db, client):
    from receptionist.adapters.models import Application

    play_call(name, client)
    with db.transaction() as s:
        [application] = s.scalars(select(Application)).all()
        assert application.screening_outcome == outcome
        assert (application.score is not None) == scored, application.score
