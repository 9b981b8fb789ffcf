"""A new outbox row reads the same whichever statement wrote it: ``outbox.add_new`` (one
INSERT, the model's Python-side defaults) or ``outbox.new_item_cte`` (a data-modifying CTE on
PostgreSQL, which gets no such defaults: the outbox gives them), on the migrated schema."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import bindparam, literal, select

from receptionist.adapters.models import OutboxItem, OutboxStatus
from receptionist.services import outbox

_COMPARED = ("kind", "purpose", "payload", "recipient", "candidate_id", "conversation_id", "application_id",
             "agent_id", "status", "attempts", "last_error", "next_attempt_at", "provider_ref", "sent_at")


def _row(session, item_id: int) -> dict:
    row = session.connection().execute(select(OutboxItem.__table__).where(OutboxItem.id == item_id)).one()
    assert row.created_at is not None and row.updated_at is not None
    return {c: getattr(row, c) for c in _COMPARED}


def test_a_row_written_in_a_cte_reads_as_one_add_new_writes(db):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("data-modifying CTEs are PostgreSQL's")
    at = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
    with db.transaction() as session:
        by_insert = outbox.add_new(session, kind="test-row", purpose="test", idempotency_key="rows:insert",
                                   payload={"n": 1}, recipient="+12025550100")
        one = select(literal(1).label("n")).cte("one")
        written = outbox.new_item_cte("written", {
            "kind": literal("test-row"), "purpose": literal("test"), "idempotency_key": literal("rows:cte"),
            "payload": literal({"n": 1}, OutboxItem.__table__.c.payload.type),
            "recipient": literal("+12025550100")}, bindparam("at", at), source=one)
        by_cte = session.connection().execute(select(written.c.id).add_cte(written)).scalar_one()
        again = outbox.new_item_cte("again", {"kind": literal("test-row"), "purpose": literal("test"),
                                              "idempotency_key": literal("rows:cte")},
                                    bindparam("at", at), source=one, if_new=True)
        assert session.connection().execute(select(again.c.id).add_cte(again)).first() is None  # key used
        assert _row(session, by_cte) == _row(session, by_insert)
        assert _row(session, by_cte)["status"] == OutboxStatus.pending
        cte_row = session.get(OutboxItem, by_cte)
        assert (cte_row.created_at, cte_row.updated_at) == (at, at)
        # No source, no payload given: the model's default payload, as add_new would write it.
        plain = outbox.new_item_cte("plain", {"kind": literal("test-row"), "purpose": literal("test"),
                                              "idempotency_key": literal("rows:plain")}, bindparam("at", at))
        plain_id = session.connection().execute(select(plain.c.id).add_cte(plain)).scalar_one()
        assert _row(session, plain_id) == {**_row(session, by_insert), "payload": {}, "recipient": None}


def test_a_column_a_new_row_is_not_given_is_refused():
    with pytest.raises(ValueError, match="sent_at"):
        outbox.new_item_cte("bad", {"sent_at": literal(None)}, literal(None))
