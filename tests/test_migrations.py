"""Migrations carry existing data forward: a database at 0002 holding conversations, answers
and outbox rows is upgraded to the head (and back), on SQLite and on PostgreSQL."""
from __future__ import annotations

import datetime as dt
import os
import uuid

import pytest
import sqlalchemy as sa
from alembic import command

from receptionist.adapters.db import Database, alembic_config

NOW = dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.timezone.utc)
SID = "SM" + "4" * 32


@pytest.fixture(params=["sqlite"] + (["postgresql"] if os.environ.get("TEST_POSTGRES_URL") else []))
def empty_url(request, tmp_path):
    """A URL to an empty database of its own (a new database on the test PostgreSQL server)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrate.db'}"
        return
    base = sa.engine.make_url(os.environ["TEST_POSTGRES_URL"])
    name = f"migrate_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield base.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


def _seed_0002(conn) -> None:
    """Rows as the 0002-era code wrote them."""
    def insert(table, **values):
        return conn.execute(sa.text(f"INSERT INTO {table} ({', '.join(values)}) VALUES "
                                    f"({', '.join(':' + k for k in values)})"), values)

    insert("companies", id=1, slug="acme", name="Acme", created_at=NOW)
    insert("agents", id=1, company_id=1, slug="desk", kind="receptionist", name="Desk", timezone="UTC",
           languages='["en"]', voices="{}", greeting="{}", disclosure="{}", help_text="{}", routing_mode="auto",
           routing_threshold=70, created_at=NOW, updated_at=NOW)
    insert("postings", id=1, company_id=1, key="forklift", title='{"en": "Forklift"}', is_open=True)
    insert("screening_questions", id=1, agent_id=1, key="age", rank=1, kind="yes_no", text='{"en": "18?"}',
           options="[]", weight=0.0, active=True)
    for cid, phone in ((1, "+12025550123"), (2, "+12025550124")):
        insert("candidates", id=cid, phone=phone, opted_out=cid == 2, created_at=NOW, updated_at=NOW)
    conversation = dict(channel="voice", agent_id=1, to_number="+12025550100", language="en", state="{}", step=3,
                        started_at=NOW)
    # 1: completed, confirmation pending; 2: the same candidate calls again and hangs up;
    # 3: an SMS screening that expired without a posting.
    insert("conversations", id=1, candidate_id=1, posting_id=1, call_sid="CA1", status="completed",
           needs_follow_up=False, confirmation_status="pending", **conversation)
    insert("conversations", id=2, candidate_id=1, posting_id=1, call_sid="CA2", status="abandoned",
           needs_follow_up=True, follow_up_reason="caller hung up (completed) during question",
           **{**conversation, "started_at": NOW + dt.timedelta(hours=1)})
    insert("conversations", id=3, candidate_id=2, call_sid=None, status="abandoned", needs_follow_up=True,
           follow_up_reason="SMS screening expired after silence", **{**conversation, "channel": "sms"})
    insert("answers", id=1, conversation_id=1, question_id=1, raw_text="yes", source="speech",
           value='{"value": true}', confidence=0.9, knocked_out=False, created_at=NOW)
    outbox = dict(agent_id=1, candidate_id=1, conversation_id=1, to_number="+12025550123",
                  from_number="+12025550100", body="Reply YES", purpose="confirmation", attempts=1,
                  created_at=NOW, updated_at=NOW)
    insert("outbox", id=1, idempotency_key="a", status="pending", **{**outbox, "attempts": 0})
    insert("outbox", id=2, idempotency_key="b", status="delivered", provider_sid=SID, sent_at=NOW, **outbox)
    insert("outbox", id=3, idempotency_key="c", status="refused", error_message="recipient opted out", **outbox)
    insert("outbox", id=4, idempotency_key="d", status="failed", error_code=21211, error_message="HTTP 400",
           **outbox)
    insert("outbox", id=5, idempotency_key="e", status="undelivered", provider_sid="SM" + "5" * 32,
           error_code=30003, sent_at=NOW, **outbox)


def test_0002_data_is_carried_to_the_head_and_back(empty_url):
    cfg = alembic_config(empty_url)
    command.upgrade(cfg, "0002")
    database = Database(empty_url)
    try:
        with database.engine.begin() as conn:
            _seed_0002(conn)
        command.upgrade(cfg, "head")

        with database.engine.connect() as conn:
            apps = conn.execute(sa.text("SELECT id, candidate_id, posting_id, agent_id, screening_outcome, "
                                        "routing FROM applications")).all()
            assert len(apps) == 1  # one candidate x posting, fed by two calls
            app_id, candidate_id, posting_id, agent_id, outcome, routing = apps[0]
            assert (candidate_id, posting_id, agent_id, routing) == (1, 1, 1, "not_routed")
            assert outcome == "incomplete"  # the latest call (a hang-up) decides
            convs = {r[0]: r[1:] for r in conn.execute(sa.text(
                "SELECT id, application_id, follow_up_reason, follow_up_note FROM conversations"))}
            assert convs[1] == (app_id, None, None)
            assert convs[2] == (app_id, "hung_up", "caller hung up (completed) during question")
            assert convs[3] == (None, "sms_expired", "SMS screening expired after silence")
            assert conn.execute(sa.text("SELECT count(*) FROM answers")).scalar() == 1
            rows = {r.id: r for r in conn.execute(sa.text(
                "SELECT id, kind, status, recipient, payload, provider_ref, provider_status, "
                "provider_error_code, last_error FROM outbox"))}
            as_tuple = {i: (r.kind, r.status, r.provider_status, r.provider_error_code) for i, r in rows.items()}
            assert as_tuple == {1: ("sms", "pending", None, None), 2: ("sms", "sent", "delivered", None),
                                3: ("sms", "cancelled", None, None), 4: ("sms", "failed", None, 21211),
                                5: ("sms", "sent", "undelivered", 30003)}
            payload = rows[2].payload if isinstance(rows[2].payload, dict) else __import__("json").loads(rows[2].payload)
            assert payload == {"to": "+12025550123", "from": "+12025550100", "body": "Reply YES"}
            assert (rows[2].recipient, rows[2].provider_ref) == ("+12025550123", SID)
            assert rows[3].last_error == "recipient opted out"

        with database.transaction() as session:  # new rows get fresh ids after the copied ones
            from receptionist.services import outbox
            item = outbox.add(session, kind="sms", purpose="test", idempotency_key="new",
                              payload={"to": "+12025550123", "from": "+12025550100", "body": "New"})
            assert item.id == 6

        command.downgrade(cfg, "0002")
        with database.engine.connect() as conn:
            back = dict(conn.execute(sa.text("SELECT id, status FROM outbox")).all())
            assert back == {1: "pending", 2: "delivered", 3: "refused", 4: "failed", 5: "undelivered", 6: "pending"}
            follow = dict(conn.execute(sa.text("SELECT id, follow_up_reason FROM conversations "
                                               "WHERE needs_follow_up")).all())
            assert follow == {2: "caller hung up (completed) during question",
                              3: "SMS screening expired after silence"}
    finally:
        database.dispose()
