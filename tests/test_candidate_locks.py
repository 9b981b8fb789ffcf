"""PostgreSQL: the locks on a candidate's row (two calls ending at once, a text thread, the
confirmation's once-per-posting check) hold up another such lock, never a row that merely
refers to the candidate: a worker writing the candidate's text, a new call of theirs. SQLite
takes its write lock at BEGIN IMMEDIATE: never interleaved there."""
from __future__ import annotations

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from receptionist.adapters.models import Candidate, OutboxItem
from receptionist.services import confirmation, outbox, screening_end
from sms_screening import inbound, turns

PHONE = "+12025550177"


@pytest.fixture(autouse=True)
def _postgresql_only(db):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite transactions take the write lock at BEGIN IMMEDIATE (adapters.db): never interleaved")


def _by_statement(statement):
    return lambda conn, candidate_id: conn.execute(statement, {"candidate_id": candidate_id})


def _by_inbound_text(conn, _candidate_id):
    inbound._locked_candidate(Session(bind=conn), PHONE)


LOCKS = {
    "a call's end (screening_end)": _by_statement(screening_end._LOCKED),
    "the confirmation's check": _by_statement(confirmation._LOCK_CANDIDATE),
    "a text thread's turn": _by_statement(turns._LOCK_SENDER),
    "an inbound text": _by_inbound_text,
}


@pytest.mark.parametrize("lock", LOCKS.values(), ids=LOCKS.keys())
def test_a_candidate_lock_holds_up_another_but_not_a_row_that_refers_to_the_candidate(db, lock):
    with db.transaction() as s:
        candidate = Candidate(phone=PHONE)
        s.add(candidate)
        s.flush()
        candidate_id = candidate.id
    text = outbox.new_item_values(kind="sms", purpose="interview_link", idempotency_key="lock-test",
                                  payload={"to": PHONE, "body": "hi"}, recipient=PHONE, candidate_id=candidate_id)
    with db.engine.connect() as holder, db.engine.connect() as other:
        holder.begin()
        lock(holder, candidate_id)
        with other.begin():  # before: waited for the holder's commit (here: the lock timeout)
            other.exec_driver_sql("SET LOCAL lock_timeout = '3s'")
            other.execute(insert(OutboxItem).values(text))
        with pytest.raises(OperationalError, match="lock timeout"), other.begin():
            other.exec_driver_sql("SET LOCAL lock_timeout = '200ms'")
            lock(other, candidate_id)  # the lock still keeps two of them apart
        holder.rollback()
