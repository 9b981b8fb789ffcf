"""A call turn is cheap: the agent's script is cached per script version, and an edit made by
any process (a company reload, an edit through the ORM) is heard at the next call; a turn
runs a handful of SQL statements. On SQLite and PostgreSQL."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from sqlalchemy import event, func, select

from receptionist.adapters.models import Agent, Answer, ScreeningQuestion

from .conftest import AUTH_TOKEN, ROOT, SAMPLE
from .test_voice_webhooks import QUALIFIED, Call, said

pytestmark = pytest.mark.usefixtures("sample_company")
FIRST_QUESTION = "Are you 18 years of age or older?"


def first_question(twilio, sid: str) -> str:
    """What a new call hears at the first screening question (language, apply, role first)."""
    call = Call(twilio, call_sid=sid)
    call.start()
    for inputs in QUALIFIED[:3]:
        call.send(**inputs)
    return said(call.last)


def receptionist_version(db) -> str:
    with db.transaction() as s:
        return s.scalars(select(Agent.script_version).filter_by(slug="front-desk")).one()


def load_in_another_process(db, tmp_path: Path, company: dict) -> None:
    """``flask --app app load-company`` in a process of its own, on the test database."""
    path = tmp_path / "company.yaml"
    path.write_text(yaml.safe_dump(company, allow_unicode=True))
    env = {**os.environ, "DATABASE_URL": db.url, "INSTANCE_PATH": str(tmp_path), "TWILIO_AUTH_TOKEN": AUTH_TOKEN}
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "load-company", str(path)], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_company_reloaded_by_another_process_is_heard_at_the_next_call(twilio, db, tmp_path):
    assert FIRST_QUESTION in first_question(twilio, "CA" + "a" * 32)  # this process has the script now
    company = yaml.safe_load(SAMPLE.read_text())
    receptionist = next(a for a in company["agents"] if a["slug"] == "front-desk")
    receptionist["questions"][0]["text"]["en"] = "Are you at least 18 years old?"
    load_in_another_process(db, tmp_path, company)
    assert "Are you at least 18 years old?" in first_question(twilio, "CA" + "b" * 32)


def test_reloading_the_same_file_keeps_the_cached_script(twilio, db, tmp_path):
    before = receptionist_version(db)
    load_in_another_process(db, tmp_path, yaml.safe_load(SAMPLE.read_text()))
    assert receptionist_version(db) == before


def test_a_question_edited_through_the_orm_is_heard_at_the_next_call(twilio, db):
    assert FIRST_QUESTION in first_question(twilio, "CA" + "c" * 32)
    with db.transaction() as s:  # as the recruiter API would edit it
        question = s.scalars(select(ScreeningQuestion).join(Agent).where(
            Agent.slug == "front-desk", ScreeningQuestion.key == "age-18")).one()
        question.active = False
    heard = first_question(twilio, "CA" + "d" * 32)
    assert FIRST_QUESTION not in heard and "legally authorized to work" in heard


def test_a_gather_runs_a_handful_of_statements(twilio, db):
    """The rows a turn needs in one statement, one insert per table, one update: a regression
    guard for the N+1 loads and the per-row inserts the profile found (about 20 before)."""
    call = Call(twilio, call_sid="CA" + "e" * 32)
    call.start()
    for inputs in QUALIFIED[:3]:
        call.send(**inputs)
    statements = []
    listener = lambda conn, cursor, sql, *args: statements.append(sql.split()[0].upper())  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        call.send(**QUALIFIED[3])  # an answer to a screening question
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert "legally authorized to work" in said(call.last)
    if db.engine.dialect.name == "postgresql":
        # SELECT the turn, then one statement: the conversation claimed (UPDATE), transcript
        # lines, the answer and the stored reply inserted (WITH ... INSERT).
        assert statements == ["SELECT", "WITH"]
    else:
        # SELECT the turn (before the write lock), UPDATE the conversation (claiming the step),
        # INSERT transcript lines, INSERT the answer, INSERT the stored reply.
        assert statements == ["SELECT", "UPDATE", "INSERT", "INSERT", "INSERT"]
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Answer)) == 1


def test_sqlite_synchronous_is_normal_unless_full_is_asked_for(tmp_path, monkeypatch):
    from receptionist.adapters.db import make_engine

    def synchronous() -> int:
        engine = make_engine(f"sqlite:///{tmp_path / 'sync.db'}")
        try:
            with engine.connect() as conn:
                return conn.exec_driver_sql("PRAGMA synchronous").scalar()
        finally:
            engine.dispose()

    monkeypatch.delenv("SQLITE_SYNCHRONOUS", raising=False)
    assert synchronous() == 1  # NORMAL: WAL synced at checkpoints
    monkeypatch.setenv("SQLITE_SYNCHRONOUS", "full")
    assert synchronous() == 2  # FULL: each commit on disk before the webhook answers
    monkeypatch.setenv("SQLITE_SYNCHRONOUS", "off")
    with pytest.raises(ValueError, match="SQLITE_SYNCHRONOUS must be FULL or NORMAL"):
        synchronous()


def test_a_caller_asking_about_an_earlier_application_hears_it(twilio, db):
    """The earlier application is looked up only at the menu (HISTORY_PHASES), and found there."""
    first = Call(twilio, call_sid="CA" + "f" * 32)
    first.start()
    for inputs in QUALIFIED:
        first.send(**inputs)
    assert first.status().status_code == 204
    again = Call(twilio, call_sid="CA" + "9" * 32)
    again.start()
    again.send(Digits="1")  # English
    heard = said(again.send(Digits="2"))  # the menu's "check on an application"
    assert "I found your application (Forklift Operator)" in heard and "Its status is" in heard


def test_an_agent_edited_mid_call_is_heard_at_the_next_turn(twilio, db):
    """What a turn reads of its agent besides the script (voices, speech settings) is cached
    with it, per script version: an edit made mid-call is heard at the very next turn."""
    call = Call(twilio, call_sid="CA" + "f" * 32)
    call.start()
    for inputs in QUALIFIED[:3]:
        call.send(**inputs)
    assert "Polly.Matthew" not in call.last.get_data(as_text=True)
    with db.transaction() as s:  # as the recruiter API would edit it
        agent = s.scalars(select(Agent).filter_by(slug="front-desk")).one()
        agent.voices = {**(agent.voices or {}), "en": "Polly.Matthew"}
        agent.speech = {"model": "googlev2_telephony", "speech_timeout": 3}
    call.send(**QUALIFIED[3])
    assert "legally authorized to work" in said(call.last)
    twiml = call.last.get_data(as_text=True)
    assert 'voice="Polly.Matthew"' in twiml and 'speechModel="googlev2_telephony"' in twiml
    assert 'speechTimeout="3"' in twiml
