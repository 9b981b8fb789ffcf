"""The first and last turns of a call are cheap and still do everything: the call start, the
last answer (score, confirmation text, duplicate check, routing, candidate list) and the
status callback, counted in SQL statements as the regression guard; the candidate list is
written once per transaction, however many flushes it makes. On SQLite and PostgreSQL."""
from __future__ import annotations

from contextlib import contextmanager

import pytest
from sqlalchemy import event, select

from receptionist.adapters.models import (Application, ATSCheck, Candidate, CandidateListRow, Conversation,
                                          ConversationStatus, FollowUpReason, OutboxItem, TranscriptLine)
from receptionist.services import duplicates

from .test_candidate_list import assert_kept
from .test_voice_webhooks import QUALIFIED, Call, conversation

pytestmark = pytest.mark.usefixtures("sample_company")
SID = "CA" + "1" * 32  # Call's default CallSid


@contextmanager
def statements(db):
    """The SQL statements run meanwhile, as their first words ("SELECT", "DELETE FROM
    candidate_list"), BEGIN left out. PostgreSQL's one-statement refresh of the candidate
    list (``WITH removed AS (DELETE FROM candidate_list ...) INSERT ...``) counts as its DELETE."""
    seen: list[str] = []

    def one(_conn, _cursor, sql, *_args):
        words = sql.split()
        head = words[0].upper()
        if words[:4] == ["WITH", "removed", "AS", "(DELETE"]:
            words, head = words[3:], "DELETE"
        if head != "BEGIN":
            seen.append(f"{head} {words[1]} {words[2]}" if head in ("DELETE", "INSERT") else head)

    event.listen(db.engine, "before_cursor_execute", one)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", one)


def test_a_call_starts_in_a_handful_of_statements(twilio, db):
    Call(twilio, call_sid="CA" + "2" * 32, From="+12025550199").start()  # the agent's script is cached now
    with statements(db) as seen:
        Call(twilio).start()
    # The agent, candidate and a retry's conversation in one SELECT; no application on file is
    # read at the greeting; the list row written once (a new caller's: no row to delete).
    assert seen.count("SELECT") == 1 and seen.count("INSERT INTO candidate_list") == 1
    assert "DELETE FROM candidate_list" not in seen
    # PostgreSQL: the new caller, the conversation, its transcript, the ATS prefetch (check
    # and job) and the TwiML in one statement (a WITH), then the list's row.
    assert len(seen) <= (9 if db.engine.dialect.name == "sqlite" else 3), seen
    with db.transaction() as s:
        conv = s.scalars(select(Conversation).filter_by(call_sid=SID)).one()
        assert conv.candidate.phone == "+12025550123" and conv.transcript_lines == len(conv.transcript) > 0
        [check] = s.scalars(select(OutboxItem).filter_by(kind="ats_check", conversation_id=conv.id)).all()
        assert (check.purpose, check.candidate_id, check.status.value) == ("prefetch", conv.candidate_id, "pending")
    assert len(assert_kept(db)) == 2


def test_a_returning_caller_and_a_hidden_one_start_as_a_new_caller_does(twilio, db):
    # The call start's other writes (PostgreSQL: other forms of its one statement): a caller on
    # file keeps their record and is looked up with their e-mail; a hidden caller ID gets a new
    # record each call and no lookup (no number to look up).
    with db.transaction() as s:
        s.add(Candidate(phone="+12025550123", email="Jane@Example.com"))
    Call(twilio).start()
    for n in (1, 2):
        Call(twilio, call_sid=f"CA{n:032d}", from_number="Anonymous").start()
    with db.transaction() as s:
        returning = s.scalars(select(Conversation).filter_by(call_sid=SID)).one()
        assert returning.candidate.email == "Jane@Example.com"
        assert len(s.scalars(select(Candidate)).all()) == 3  # the one on file, one per hidden call
        checks = s.scalars(select(OutboxItem).filter_by(kind="ats_check")).all()
        assert [(c.conversation_id, c.candidate_id) for c in checks] == [(returning.id, returning.candidate_id)]
        check = s.get(ATSCheck, checks[0].payload["check_id"])
        assert (check.phone, check.email, check.purpose) == ("+12025550123", "jane@example.com", "prefetch")
        assert checks[0].idempotency_key == f"ats_check:{check.id}"
    assert len(assert_kept(db)) == 3


def test_a_retried_call_start_gets_the_same_reply_and_stores_nothing_twice(twilio, db):
    call = Call(twilio)
    first = call.start().data
    with statements(db) as seen:
        assert call.start().data == first
    assert "INSERT" not in " ".join(seen)
    with db.transaction() as s:
        assert len(s.scalars(select(Conversation)).all()) == len(s.scalars(select(Candidate)).all()) == 1


def test_the_last_answer_scores_texts_checks_and_lists_once(twilio, db):
    call = Call(twilio)
    call.start()
    for inputs in QUALIFIED[:-1]:
        call.send(**inputs)
    with statements(db) as seen:
        call.send(**QUALIFIED[-1])
    # Answers read in one narrow statement (for the score and the text), never one by one;
    # the candidate list written once; the rest folded into the writes (services.screening_end).
    # This first end of the agent's script version also reads what the end needs of the agent
    # (3 statements, then cached: tests/test_screening_end.py counts a second end). The turn's
    # row is read once, before any lock; the end's first write claims the turn and takes the
    # lock (services.calls.answer_prompt), on both databases.
    # On PostgreSQL the answers come back with the claim (screening_end._claimed_and_adopted).
    postgresql = db.engine.dialect.name == "postgresql"
    assert seen.count("DELETE FROM candidate_list") == 1 and seen.count("SELECT") == 2 + 3 - postgresql, seen
    # On PostgreSQL the row's DELETE and INSERT are one statement (services.candidate_list).
    assert seen.count("INSERT INTO candidate_list") == (db.engine.dialect.name != "postgresql"), seen
    assert len(seen) <= 12 + 3, seen
    conv = conversation(db)
    assert conv.status == ConversationStatus.completed and conv.confirmation_status.value == "pending"
    with db.transaction() as s:
        application = s.get(Application, conv.application_id)
        assert application.score == 100 and application.screening_outcome.value == "qualified"
        assert application.duplicate_check.value == "pending"  # the prefetch's job is still to run
        [text] = s.scalars(select(OutboxItem).filter_by(kind="sms")).all()
        assert "Hi Jane" in text.payload["body"] and "Job: Forklift Operator\nEarliest start: " in text.payload["body"]
    [row] = assert_kept(db)
    assert (row.status, row.score, row.name_key) == ("qualified", 100, "jane doe")


def test_on_postgresql_the_end_writes_its_text_state_lines_and_reply_in_one_statement(twilio, db):
    """PostgreSQL: the confirmation text's INSERT, the application's and conversation's
    UPDATEs, the transcript lines and the stored TwiML are one statement (data-modifying CTEs,
    ``screening_end._ended``); the text is still enqueued after the commit, and a retried last
    answer gets the same reply without writing anything again."""
    from receptionist.services.unit_of_work import collect_new_outbox

    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite writes them one statement each")
    call = Call(twilio)
    call.start()
    for inputs in QUALIFIED[:-1]:
        call.send(**inputs)
    last = call.last  # the prompt the last answer answers
    raw: list[str] = []
    listener = lambda _conn, _cursor, sql, *_args: raw.append(" ".join(sql.split()))  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        with collect_new_outbox() as enqueued:
            reply = call.send(**QUALIFIED[-1]).data
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    [end] = [sql for sql in raw if "INSERT INTO outbox" in sql]
    for part in ("UPDATE applications", "UPDATE conversations", "INSERT INTO transcript_lines", "INSERT INTO call_turns"):
        assert part in end and sum(part in sql for sql in raw) == 1, part
    conv = conversation(db)
    with db.transaction() as s:
        [text] = s.scalars(select(OutboxItem).filter_by(kind="sms")).all()
        lines = s.scalars(select(TranscriptLine.seq).filter_by(conversation_id=conv.id)
                          .order_by(TranscriptLine.seq)).all()
    assert enqueued == [text.id] and text.status.value == "pending" and text.attempts == 0
    assert text.created_at is not None and "Hi Jane" in text.payload["body"]
    assert lines == list(range(1, conv.transcript_lines + 1))
    assert conv.status == ConversationStatus.completed and conv.confirmation_status.value == "pending"
    call.last = last
    with statements(db) as again:
        assert call.send(**QUALIFIED[-1]).data == reply  # Twilio's retry: the stored reply
    assert not any(sql.startswith(("INSERT", "UPDATE", "DELETE", "WITH")) for sql in again), again


def test_the_last_answer_after_the_ats_answered_routes_and_invites_once(twilio, db, container):
    call = Call(twilio)
    call.start()
    container.uow.run(lambda s: duplicates.record_result(s, s.scalar(
        select(duplicates.ATSCheck.id).filter_by(purpose=duplicates.PREFETCH)), [], "builtin:acme"))
    for inputs in QUALIFIED:
        call.send(**inputs)
    with db.transaction() as s:
        application = s.scalars(select(Application)).one()
        assert (application.duplicate_check.value, application.routing.value) == ("clear", "approved")
        [invite] = s.scalars(select(OutboxItem).filter_by(kind="invite")).all()
        conv = s.scalars(select(Conversation).filter_by(call_sid=SID)).one()
        assert invite.payload["metadata"]["conversation_id"] == conv.id and invite.payload["name"] == "Jane Doe"
    [row] = assert_kept(db)
    assert row.status == "approved"


def test_a_status_callback_after_the_screening_is_one_update(twilio, db):
    call = Call(twilio)
    call.start()
    for inputs in QUALIFIED:
        call.send(**inputs)
    ended = conversation(db).ended_at
    with statements(db) as seen:
        assert call.status(duration="95").status_code == 204
    assert seen == ["UPDATE", "COMMIT"] or seen == ["UPDATE"], seen  # COMMIT is no cursor statement on PostgreSQL
    assert call.status(duration="7").status_code == 204  # Twilio retried: the first one stands
    conv = conversation(db)
    assert (conv.call_duration, conv.ended_at, conv.status) == (95, ended, ConversationStatus.completed)


def test_a_status_callback_mid_call_still_flags_the_hang_up(twilio, db):
    call = Call(twilio)
    call.start()
    for inputs in QUALIFIED[:4]:
        call.send(**inputs)
    assert call.status(call_status="no-answer", duration="30").status_code == 204
    conv = conversation(db)
    assert conv.status == ConversationStatus.abandoned and conv.follow_up_reason == FollowUpReason.hung_up
    assert conv.call_duration == 30 and conv.ended_at is not None
    [row] = assert_kept(db)
    assert row.status == "incomplete"


def test_a_rolled_back_transaction_leaves_the_candidate_list_as_it_was(twilio, db, container):
    Call(twilio).start()
    before = assert_kept(db)

    def rename_then_fail(s):
        s.scalars(select(Candidate)).one().name = "Nobody"
        s.flush()
        raise RuntimeError("the use case failed after its flush")

    with pytest.raises(RuntimeError):
        container.uow.run(rename_then_fail)
    with db.transaction() as s:
        assert s.scalars(select(CandidateListRow.name_key)).all() == [None]
    assert len(assert_kept(db)) == len(before)
