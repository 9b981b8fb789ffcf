"""``adapters.db.Prepared``: a Core statement compiled once and run on the driver's cursor
behaves as ``Connection.execute`` would, on SQLite and PostgreSQL (the migrated schema).

Values go in and come out converted by the columns' types (an enum, JSON, a datetime's
Python-side default), a driver error is SQLAlchemy's and rolls the transaction back with
nothing else lost, engine listeners see the statement, and what it cannot do the same way
(an expanding IN, a value for a column it was not compiled for) is refused, not guessed.
"""
from __future__ import annotations

import datetime as dt
import logging

import pytest
from sqlalchemy import bindparam, event, insert, select, update
from sqlalchemy.exc import IntegrityError

from receptionist.adapters.db import Prepared
from receptionist.adapters.models import OutboxItem, OutboxStatus

_outbox = OutboxItem.__table__
_COLUMNS = ("kind", "purpose", "idempotency_key", "payload", "recipient", "status")
_ADD = Prepared(insert(_outbox).returning(_outbox.c.id), keys=_COLUMNS)
_READ = Prepared(select(_outbox.c.status, _outbox.c.payload, _outbox.c.created_at, _outbox.c.attempts)
                 .where(_outbox.c.id == bindparam("id")))
_RETRY = Prepared(update(_outbox).where(_outbox.c.status == bindparam("was"))
                  .values(status=bindparam("now"), attempts=_outbox.c.attempts + 1))


def _item(key: str, **extra) -> dict:
    return {"kind": "sms", "purpose": "confirmation", "idempotency_key": key,
            "payload": {"to": "+12025550123", "body": "Merci, à bientôt"}, "recipient": "+12025550123",
            "status": OutboxStatus.pending, **extra}


def test_values_round_trip_through_the_column_types_as_with_connection_execute(db):
    before = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) - dt.timedelta(seconds=5)
    with db.engine.begin() as conn:
        new_id = _ADD.execute(conn, _item("k1")).scalar_one()
        row = _READ.execute(conn, {"id": new_id}).one()
        core = conn.execute(_READ.statement, {"id": new_id}).one()
    assert tuple(row) == tuple(core)
    assert row.status is OutboxStatus.pending  # the enum's result processor, not the stored string
    assert row.payload == {"to": "+12025550123", "body": "Merci, à bientôt"}
    created = row.created_at.replace(tzinfo=None)
    assert created >= before  # the column's Python default (utcnow) was applied, as a datetime
    assert row.attempts == 0


def test_an_update_reports_its_row_count_and_a_missing_row_reads_as_none(db):
    with db.engine.begin() as conn:
        for key in ("a", "b"):
            _ADD.execute(conn, _item(key))
        changed = _RETRY.execute(conn, {"was": OutboxStatus.pending, "now": OutboxStatus.sending})
        assert changed.rowcount == 2
        assert _RETRY.execute(conn, {"was": OutboxStatus.pending, "now": OutboxStatus.sending}).rowcount == 0
        assert _READ.execute(conn, {"id": -1}).first() is None
        assert _READ.execute(conn, {"id": -1}).scalar() is None
    with db.engine.connect() as conn:
        assert {r.status for r in conn.execute(select(_outbox.c.status))} == {OutboxStatus.sending}


def test_a_driver_error_is_sqlalchemys_and_the_transaction_rolls_back_whole(db):
    with db.engine.begin() as conn:
        _ADD.execute(conn, _item("taken"))
    with pytest.raises(IntegrityError):
        with db.engine.begin() as conn:
            _ADD.execute(conn, _item("fresh"))
            _ADD.execute(conn, _item("taken"))  # the unique idempotency key
    with db.engine.connect() as conn:  # the first row kept, the failed transaction's row gone
        assert [r.idempotency_key for r in conn.execute(select(_outbox.c.idempotency_key))] == ["taken"]


def test_engine_listeners_see_the_statement(db):
    seen: list[str] = []

    def listener(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        with db.engine.begin() as conn:
            _ADD.execute(conn, _item("heard"))
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert any(s.lstrip().upper().startswith("INSERT INTO OUTBOX") for s in seen)


def test_what_it_cannot_run_as_sqlalchemy_would_is_refused(db):
    with db.engine.begin() as conn:
        with pytest.raises(ValueError, match="beyond"):  # a column it was not compiled for: not dropped silently
            _ADD.execute(conn, _item("x", attempts=3))
        expanding = Prepared(select(_outbox.c.id).where(_outbox.c.kind.in_(bindparam("kinds", expanding=True))))
        with pytest.raises(ValueError, match="expanding"):
            expanding.execute(conn, {"kinds": ["sms"]})
        with pytest.raises(KeyError, match="id"):
            _READ.execute(conn, {})
    with db.engine.connect() as conn:
        assert conn.execute(select(_outbox.c.id)).first() is None


def test_with_sql_logging_on_it_answers_the_same_and_is_logged(db, caplog):
    # The engine's INFO log (SQL echo, e.g. a debugging session) shows it as any statement.
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine.Engine")
    with db.engine.begin() as conn:
        new_id = _ADD.execute(conn, _item("logged")).scalar_one()
        assert _RETRY.execute(conn, {"was": OutboxStatus.pending, "now": OutboxStatus.sending}).rowcount == 1
        assert _READ.execute(conn, {"id": new_id}).one().status is OutboxStatus.sending
    assert any("UPDATE outbox" in r.getMessage() for r in caplog.records)
