"""Webhooks whose statements commit alone until they need a transaction
(``UnitOfWork.run(..., autocommit_first=True)``: a gather and the status callback): on
PostgreSQL a plain answer is its read and one write statement, with no BEGIN or COMMIT, and
a retried one a single read; everything else still runs in one transaction. The races of
``test_turn_races`` run again in this mode: a duplicate gets the same reply, nothing is stored
twice, a claim that fails falls back to the locked re-read. On SQLite the mode changes nothing
(the same tests check that).
"""
from __future__ import annotations

from contextlib import contextmanager

import pytest
from sqlalchemy import func, select

from receptionist.adapters.models import (Answer, CallTurn, Candidate, Conversation, ConversationStatus, FollowUpReason,
                                          OutboxStatus)
from receptionist.engine import flow
from receptionist.jobs.outbox import run_item
from receptionist.services import calls

from bench.webhooks import on_round_trip

from .conftest import call_params
from .test_outbox_delivery import callback, new_text, row, sent_row
from .test_turn_races import counted, interleaved, render, started
from .test_voice_webhooks import QUALIFIED, Call, action_path

pytestmark = pytest.mark.usefixtures("sample_company")


class _AutocommitFirst:
    """A container whose unit of work runs every action with ``autocommit_first=True``, as the
    web layer runs a gather (for ``test_turn_races.interleaved``)."""

    def __init__(self, container):
        self.uow = self
        self._uow = container.uow

    def run(self, action, **options):
        return self._uow.run(action, autocommit_first=True, **options)


@contextmanager
def round_trips(db):
    """What the database is sent meanwhile, one entry a round trip (``bench.webhooks.on_round_trip``):
    each statement's first word, marked ``(alone)`` when it commits by itself, and BEGIN and
    COMMIT as psycopg sends them (on SQLite: the statements and COMMIT)."""
    seen: list[str] = []
    stop = on_round_trip(db.engine, lambda sql, alone: seen.append(sql.split()[0].upper() + (" (alone)" if alone else "")))
    try:
        yield seen
    finally:
        stop()


def _postgres(db) -> bool:
    return db.engine.dialect.name == "postgresql"


def test_a_plain_answer_is_a_read_and_one_write_and_its_retry_one_read(twilio, db):
    call, _ = started(twilio, 3)
    path, params = action_path(call.last), call_params(call.sid, **QUALIFIED[3])
    with round_trips(db) as sent:
        first = twilio.post(path, params)
    with round_trips(db) as resent:  # Twilio retries the same request
        again = twilio.post(path, params)

    assert first.status_code == again.status_code == 200
    assert again.data == first.data and b"<Gather" in first.data
    with db.transaction() as s:
        conversation_id = s.scalar(select(Conversation.id).filter_by(call_sid=call.sid))
    assert counted(db, Answer, conversation_id) == 1
    assert counted(db, CallTurn, conversation_id) == 5  # steps 0..4, each once
    if _postgres(db):
        assert sent == ["SELECT (alone)", "WITH (alone)"]
        assert resent == ["SELECT (alone)"]
    else:  # SQLite as before: one transaction
        assert sent[-1] == resent[-1] == "COMMIT" and not any("alone" in s for s in sent + resent)


def test_every_webhook_of_a_call_writes_alone_at_most_once_and_last(twilio, db):
    """Never two write transactions in one webhook: a statement that commits alone and writes is
    the webhook's last; everything else runs in one transaction after the reads."""
    call = Call(twilio)
    requests = []
    with round_trips(db) as sent:
        call.start()
        requests.append(list(sent))
        for inputs in QUALIFIED:
            sent.clear()
            call.send(**inputs)
            requests.append(list(sent))
        sent.clear()
        assert call.status("completed", "95").status_code == 204
        requests.append(list(sent))

    for request in requests:
        alone = [i for i, s in enumerate(request) if s.endswith("(alone)") and not s.startswith("SELECT")]
        assert len(alone) <= 1 and (not alone or alone[0] == len(request) - 1), request
        assert request.count("BEGIN") <= 1 and request.count("COMMIT") <= 1, request
    with db.transaction() as s:
        conversation = s.scalars(select(Conversation).filter_by(call_sid=call.sid)).one()
        assert conversation.status == ConversationStatus.completed and conversation.call_duration == 95
        assert s.scalar(select(func.count()).select_from(Answer)
                        .where(Answer.conversation_id == conversation.id)) >= 6
    if _postgres(db):
        assert requests[-1] == ["UPDATE (alone)"]  # the status callback of a finished screening
        assert sum(r == ["SELECT (alone)", "WITH (alone)"] for r in requests) >= 6  # the plain answers
        # The language chosen (g1): the reads it needs, then one statement, the candidate's language in it.
        assert requests[1][-1] == "WITH (alone)" and "BEGIN" not in requests[1]
        with db.transaction() as s:
            assert s.get(Candidate, conversation.candidate_id).language == "en"


def test_two_webhooks_for_one_step_at_once_store_one_answer_and_get_one_reply(twilio, container, db):
    call, step = started(twilio, 3)
    event = flow.Speech("Yes.", 0.9)
    first = _AutocommitFirst(container)

    twiml_a, twiml_b = interleaved(first, call.sid, step, event, lambda: first.uow.run(
        lambda s: calls.answer_prompt(s, call.sid, step, event, render)))

    assert twiml_a == twiml_b and f"step={step + 1}" in twiml_a
    with db.transaction() as s:
        conversation = s.scalars(select(Conversation).filter_by(call_sid=call.sid)).one()
        assert conversation.step == step
    assert counted(db, Answer, conversation.id) == 1
    assert counted(db, CallTurn, conversation.id) == step + 1


def test_a_hang_up_between_the_read_and_the_claim_keeps_the_answer(twilio, container, db):
    call, step = started(twilio, 3)

    twiml, status = interleaved(_AutocommitFirst(container), call.sid, step, flow.Speech("Yes.", 0.9),
                                lambda: call.status("completed", "20"))

    assert status.status_code == 204 and ("<Gather" in twiml or "<Hangup" in twiml)
    with db.transaction() as s:  # the claim failed; taken again, locked, as a late answer
        conversation = s.scalars(select(Conversation).filter_by(call_sid=call.sid)).one()
        assert conversation.status == ConversationStatus.abandoned
        assert conversation.follow_up_reason == FollowUpReason.hung_up and conversation.call_duration == 20
        assert conversation.step == step
    assert counted(db, Answer, conversation.id) == 1


def test_a_hang_up_mid_call_goes_on_in_a_transaction_and_a_repeat_changes_nothing(twilio, db):
    call, _ = started(twilio, 4)
    with round_trips(db) as sent:
        assert call.status("completed", "31").status_code == 204
    with round_trips(db) as repeated:
        assert call.status("completed", "31").status_code == 204

    with db.transaction() as s:
        conversation = s.scalars(select(Conversation).filter_by(call_sid=call.sid)).one()
        assert conversation.status == ConversationStatus.abandoned and conversation.call_duration == 31
        assert conversation.follow_up_reason == FollowUpReason.hung_up
    assert counted(db, Answer, conversation.id) == 1
    if _postgres(db):  # the common UPDATE claimed nothing: the locked read, in a transaction
        assert sent[:2] == ["UPDATE (alone)", "BEGIN"] and sent[-1] == "COMMIT"
        assert repeated[:2] == ["UPDATE (alone)", "BEGIN"]


def test_an_outbox_row_run_twice_is_sent_once_its_claim_and_outcome_alone(container, db):
    message_id = new_text(db)
    with round_trips(db) as first:
        assert run_item(message_id, container) == "sent"
    with round_trips(db) as second:  # a duplicate job for the same row
        assert run_item(message_id, container) == "skipped"

    sent = row(db, message_id)
    assert sent.status == OutboxStatus.sent and sent.attempts == 1 and sent.provider_ref
    if _postgres(db):
        assert first == ["UPDATE (alone)", "UPDATE (alone)"]  # the claim; the sent outcome
        # The claim found nothing: the opted-out cancel is tried in a transaction (a second write).
        assert second == ["UPDATE (alone)", "BEGIN", "UPDATE", "COMMIT"]


def test_a_text_status_callback_is_one_update_and_never_moves_back(db, twilio):
    message_id = sent_row(db)
    with round_trips(db) as sent:
        assert twilio.post("/sms/status", callback(status="delivered")).status_code == 204
    with round_trips(db) as late:  # Twilio's "sent" arriving after "delivered"
        assert twilio.post("/sms/status", callback(status="sent")).status_code == 204

    assert row(db, message_id).provider_status == "delivered"
    if _postgres(db):
        assert sent == ["UPDATE (alone)"]
        assert late == ["UPDATE (alone)", "SELECT (alone)"]  # nothing changed; the read names why
