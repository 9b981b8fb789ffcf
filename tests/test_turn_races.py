"""A plain gather, and a call's start, are read and computed before they take any lock
(SQLite's write lock, or ``FOR UPDATE`` on PostgreSQL); a gather claims its step with its
first write. What happens when another webhook for the same call lands in between, on SQLite
and PostgreSQL: a duplicate gets the same reply and nothing is stored twice; a status
callback does not lose the answer; two calls from one new number make one candidate.

The interleaving is forced: webhook A's TwiML renderer (called after A has read and computed
its turn, before it writes) waits until the other request has committed. Were A still
holding a lock while it computes, the other request would wait for it and fail on the
database's lock timeout instead.
"""
from __future__ import annotations

import re
import threading
import time
import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import func, select

from receptionist.adapters.models import (Answer, Application, ATSCheck, CallTurn, Candidate, CandidateListRow,
                                         Conversation, ConversationStatus, OutboxItem, TranscriptLine)
from receptionist.adapters.twiml import render_turn
from receptionist.engine import flow
from receptionist.services import calls, screening_end

from .conftest import call_params
from .test_voice_webhooks import QUALIFIED, Call, action_path

pytestmark = pytest.mark.usefixtures("sample_company")
WAIT_S = 20  # a bound, not a timing: the other request ends well before it, or the test fails


def render(turn, said, step, setup) -> str:
    """The web layer's renderer (``web.twilio.voice._renderer``), without a request."""
    callback = "http://localhost/voice/recording" if setup.start_recording else None
    return render_turn(turn, said, f"/voice/gather?lang={turn.language}&step={step + 1}", setup, callback)


def interleaved(container, call_sid: str, step: int, event: flow.Event, between) -> tuple[str, object]:
    """Gather webhook A for ``step`` run in a thread; ``between()`` runs once A has read and
    computed its turn and before it writes. Returns (A's TwiML, what ``between`` returned)."""
    return interleaved_with(container, lambda s, paused: calls.answer_prompt(s, call_sid, step, event, paused),
                            between)


def interleaved_with(container, webhook_a, between, install_pause=None, orm: bool = True) -> tuple[str, object]:
    """``webhook_a(session, renderer)`` run as a unit of work in a thread (``orm``: as
    ``UnitOfWork.run``'s), ``between()`` run while A's renderer is called, or, with
    ``install_pause``, where A calls the pause that ``install_pause(pause)`` puts in its way.
    Returns (A's TwiML, what ``between`` returned)."""
    computed, other_done, result = threading.Event(), threading.Event(), {}

    def pause() -> None:
        computed.set()
        assert other_done.wait(WAIT_S), "the other request did not finish"

    def paused_render(*args) -> str:
        if install_pause is None:
            pause()
        return render(*args)

    if install_pause is not None:
        install_pause(pause)

    def run_a() -> None:
        try:
            result["twiml"] = container.uow.run(lambda s: webhook_a(s, paused_render), orm=orm)
        except BaseException as exc:  # reported by the test's thread
            result["error"] = exc
            computed.set()

    thread = threading.Thread(target=run_a)
    thread.start()
    try:
        assert computed.wait(WAIT_S) and "error" not in result, result.get("error")
        other = between()
    finally:
        other_done.set()
        thread.join(WAIT_S)
    assert "error" not in result, result.get("error")
    return result["twiml"], other


def counted(db, model, conversation_id: int) -> int:
    with db.transaction() as s:
        return s.scalar(select(func.count()).select_from(model).where(model.conversation_id == conversation_id))


def started(twilio, answers: int, call_sid: str = "CA" + "1" * 32) -> tuple[Call, int]:
    """A call answered up to its ``answers``-th answer of ``QUALIFIED``; (the call, the next step)."""
    call = Call(twilio, call_sid)
    call.start()
    for inputs in QUALIFIED[:answers]:
        call.send(**inputs)
    return call, int(re.search(r"step=(\d+)", action_path(call.last)).group(1))


def test_two_webhooks_for_one_step_at_once_store_one_answer_and_get_one_reply(twilio, container, db):
    call, step = started(twilio, 3)
    event = flow.Speech("Yes.", 0.9)
    with db.transaction() as s:
        conversation_id = s.scalar(select(Conversation.id).filter_by(call_sid=call.sid))
    lines_before = counted(db, TranscriptLine, conversation_id)

    twiml_a, twiml_b = interleaved(container, call.sid, step, event, lambda: container.uow.run(
        lambda s: calls.answer_prompt(s, call.sid, step, event, render)))

    assert twiml_a == twiml_b and "<Gather" in twiml_a
    assert f"step={step + 1}" in twiml_a
    assert counted(db, Answer, conversation_id) == 1
    assert counted(db, CallTurn, conversation_id) == step + 1  # steps 0..step, each once
    # One candidate line and the agent's lines, once.
    assert counted(db, TranscriptLine, conversation_id) - lines_before in (2, 3)
    with db.transaction() as s:
        assert s.scalar(select(Conversation.step).filter_by(call_sid=call.sid)) == step
    # The call goes on from the stored reply, as Twilio would follow it.
    action = ET.fromstring(twiml_a).find("Gather").get("action")
    response = twilio.post(action, call_params(call.sid, **QUALIFIED[4]))
    assert response.status_code == 200 and b"<Gather" in response.data
    assert counted(db, Answer, conversation_id) == 2


def test_two_webhooks_choosing_the_job_at_once_open_one_application_and_list_it(twilio, container, db):
    # On PostgreSQL the job's turn is its claim (with transcript and reply) in one statement,
    # then the application and the candidate list's row in the same transaction.
    call, step = started(twilio, 2)
    event = flow.Digits("2")
    twiml_a, twiml_b = interleaved(container, call.sid, step, event, lambda: container.uow.run(
        lambda s: calls.answer_prompt(s, call.sid, step, event, render)))
    assert twiml_a == twiml_b and f"step={step + 1}" in twiml_a
    with db.transaction() as s:
        conversation = s.scalars(select(Conversation).filter_by(call_sid=call.sid)).one()
        assert conversation.step == step and conversation.posting_id is not None
        [application] = s.scalars(select(Application).filter_by(candidate_id=conversation.candidate_id)).all()
        assert conversation.application_id == application.id
        [listed] = s.scalars(select(CandidateListRow).filter_by(candidate_id=conversation.candidate_id)).all()
        assert listed.application_id == application.id and listed.conversation_id == conversation.id
    assert counted(db, CallTurn, conversation.id) == step + 1


def test_a_job_choice_that_lost_the_race_opens_no_application(twilio, container, db):
    # A and B answer the job menu at once with different jobs; B commits first. A's claim
    # fails (PostgreSQL: its gate sees the moved row too), so A's job gets no application.
    call, step = started(twilio, 2)
    twiml_a, twiml_b = interleaved(container, call.sid, step, flow.Digits("2"), lambda: container.uow.run(
        lambda s: calls.answer_prompt(s, call.sid, step, flow.Digits("1"), render)))
    assert twiml_a == twiml_b  # A gets the stored reply of B's step
    with db.transaction() as s:
        conversation = s.scalars(select(Conversation).filter_by(call_sid=call.sid)).one()
        [application] = s.scalars(select(Application).filter_by(candidate_id=conversation.candidate_id)).all()
        assert conversation.application_id == application.id and application.posting_id == conversation.posting_id


def test_a_hang_up_between_the_read_and_the_write_keeps_the_answer(twilio, container, db):
    call, step = started(twilio, 3)
    event = flow.Speech("Yes.", 0.9)

    twiml, status = interleaved(container, call.sid, step, event, lambda: call.status("completed", "20"))

    assert status.status_code == 204
    with db.transaction() as s:
        conversation = s.scalars(select(Conversation).filter_by(call_sid=call.sid)).one()
        # Taken again under the lock as a late answer: kept, and the call stays abandoned.
        assert conversation.status == ConversationStatus.abandoned and conversation.follow_up_reason == "hung_up"
        assert conversation.step == step
        assert s.scalar(select(func.count()).select_from(Answer)
                        .where(Answer.conversation_id == conversation.id)) == 1
    assert "<Gather" in twiml or "<Hangup" in twiml



def test_two_inbound_webhooks_for_one_call_at_once_start_it_once(container, db):
    call = calls.InboundCall(call_sid="CA" + "7" * 32, from_number="+12025550188", to_number="+12025550100")

    twiml_a, twiml_b = interleaved_with(container, lambda s, paused: calls.start_call(s, call, paused),
                                        lambda: container.uow.run(lambda s: calls.start_call(s, call, render)))

    assert twiml_a == twiml_b and "<Gather" in twiml_a
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Conversation)) == 1
        assert s.scalar(select(func.count()).select_from(Candidate)) == 1


def test_two_calls_from_one_new_number_at_once_make_one_candidate(container, db):
    first, second = (calls.InboundCall(call_sid="CA" + digit * 32, from_number="+12025550189",
                                       to_number="+12025550100") for digit in "89")

    interleaved_with(container, lambda s, paused: calls.start_call(s, first, paused),
                     lambda: container.uow.run(lambda s: calls.start_call(s, second, render)))

    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Candidate)) == 1
        owners = s.scalars(select(Conversation.candidate_id)).all()
        assert len(owners) == 2 and len(set(owners)) == 1


def test_a_silent_plain_turn_reprompts_and_keeps_the_last_activity(twilio, db):
    """Silence on a question is a plain turn too (on PostgreSQL the one-statement write without
    an answer): the reprompt is stored, the transcript says so, the caller's last activity stays."""
    call, step = started(twilio, 3)
    with db.transaction() as s:
        before = s.scalars(select(Conversation).filter_by(call_sid=call.sid)).one()
    reprompt = call.send()  # Twilio's actionOnEmptyResult: no SpeechResult, no Digits
    assert b"<Gather" in reprompt.data and f"step={step + 1}".encode() in reprompt.data
    again = twilio.post(f"/voice/gather?step={step}", call_params(call.sid))
    assert again.data == reprompt.data  # a retry gets the stored reprompt
    with db.transaction() as s:
        after = s.scalars(select(Conversation).filter_by(call_sid=call.sid)).one()
        lines = s.scalars(select(TranscriptLine.text).where(TranscriptLine.conversation_id == after.id)
                          .order_by(TranscriptLine.seq)).all()
        assert s.scalar(select(func.count()).select_from(Answer).where(Answer.conversation_id == after.id)) == 0
    assert after.step == step and after.last_activity_at == before.last_activity_at
    assert after.transcript_lines == len(lines) and "[no answer]" in lines[-3:]


def before_the_end(container, monkeypatch, call_sid: str, step: int, event: flow.Event, between):
    """Last-answer webhook A for ``step`` run in a thread; ``between()`` runs once A has read
    the conversation and computed the end, before the end's first write (its claim, which takes the lock). Returns (A's TwiML, what ``between`` returned)."""
    finish, main = screening_end.finish, threading.current_thread()

    def install(pause) -> None:
        paused = []

        def paused_finish(*args, **kwargs):
            if not paused and threading.current_thread() is not main:  # A's first end only
                paused.append(True)
                pause()
            return finish(*args, **kwargs)
        monkeypatch.setattr(screening_end, "finish", paused_finish)

    return interleaved_with(container, lambda c, renderer: calls.answer_prompt(c, call_sid, step, event, renderer),
                            between, install_pause=install, orm=False)


LAST = flow.Speech("My name is Jane Doe", 0.95)


def test_two_last_answers_at_once_end_the_screening_once(twilio, container, db, monkeypatch):
    # A reads and computes the end without a lock (SQLite: the write lock; PostgreSQL: FOR
    # UPDATE); B, the same webhook, ends the call meanwhile; A's claim, the end's first
    # statement, then fails and A answers B's stored reply.
    call, step = started(twilio, len(QUALIFIED) - 1)
    twiml_a, twiml_b = before_the_end(container, monkeypatch, call.sid, step, LAST, lambda: container.uow.run(
        lambda c: calls.answer_prompt(c, call.sid, step, LAST, render), orm=False))
    assert twiml_a == twiml_b and "Jane" in twiml_a
    with db.transaction() as s:
        conversation = s.scalars(select(Conversation).filter_by(call_sid=call.sid)).one()
        assert conversation.status == ConversationStatus.completed and conversation.step == step
        assert s.scalar(select(func.count()).select_from(OutboxItem).where(
            OutboxItem.conversation_id == conversation.id, OutboxItem.purpose == "confirmation")) == 1
    assert counted(db, CallTurn, conversation.id) == step + 1


def test_a_hang_up_before_the_last_answer_is_stored_keeps_it(twilio, container, db, monkeypatch):
    call, step = started(twilio, len(QUALIFIED) - 1)
    twiml, status = before_the_end(container, monkeypatch, call.sid, step, LAST,
                                   lambda: call.status("completed", "20"))
    assert status.status_code == 204 and "Jane" in twiml
    with db.transaction() as s:
        conversation = s.scalars(select(Conversation).filter_by(call_sid=call.sid)).one()
        # Taken again under the lock as a late answer that ends the screening: completed, the
        # hang-up flag withdrawn, the name kept.
        assert conversation.status == ConversationStatus.completed and conversation.follow_up_reason is None
        assert conversation.step == step
        assert s.scalar(select(Candidate.name).where(Candidate.id == conversation.candidate_id)) == "Jane Doe"


def test_two_calls_of_one_caller_ending_together_send_one_confirmation(twilio, container, db, monkeypatch):
    # PostgreSQL: call B's end waits for the candidate's row, which call A's end holds until
    # it commits its confirmation text. B must see that text once it has the row, and send
    # none of its own: a statement's snapshot is taken before it waits for a lock, so B's
    # check of a recent text has to be a statement after its claim.
    if db.engine.dialect.name == "sqlite":
        pytest.skip("SQLite transactions take the write lock at BEGIN IMMEDIATE (adapters.db): never interleaved")
    a, step_a = started(twilio, len(QUALIFIED) - 1, "CA" + "a" * 32)
    b, step_b = started(twilio, len(QUALIFIED) - 1, "CA" + "b" * 32)  # the same caller's number
    score_answers, pauses = screening_end.scores.score_answers, []

    def paused(*args, **kwargs):  # A, after its claim took the candidate's row: held until B waits for it
        pauses[0]()
        return score_answers(*args, **kwargs)
    monkeypatch.setattr(screening_end.scores, "score_answers", paused)

    def end(call: Call, step: int):
        def work(hold):
            pauses.append(hold)
            return container.uow.run(lambda c: calls.answer_prompt(c, call.sid, step, LAST, render), orm=False)
        return work
    results = _second_waits_for_first(db, {"a": end(a, step_a)}, {"b": end(b, step_b)})
    assert "Jane" in results["a"] and "Jane" in results["b"]
    with db.transaction() as s:
        statuses = s.scalars(select(Conversation.status).where(Conversation.call_sid.in_([a.sid, b.sid]))).all()
        texts = s.scalars(select(OutboxItem.conversation_id).where(OutboxItem.purpose == "confirmation")).all()
    assert statuses == [ConversationStatus.completed] * 2
    assert len(texts) == 1, texts


def _checks_of(db, *calls_: Call) -> list[int]:
    """The ATS prefetch check of each call, by id."""
    with db.transaction() as s:
        return [s.scalar(select(ATSCheck.id).join(Conversation, Conversation.id == ATSCheck.conversation_id)
                         .where(Conversation.call_sid == call.sid)) for call in calls_]


def _lock_waiter(db) -> bool:
    """Whether a backend of this database waits for a lock (bounded poll: it waits within milliseconds)."""
    for _ in range(WAIT_S * 20):
        with db.engine.connect() as conn:
            if conn.exec_driver_sql("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                                    " AND datname = current_database()").scalar() > 0:
                return True
        time.sleep(0.05)
    return False


def _one_application_two_ends(twilio, container, db) -> tuple[Call, int, int]:
    """Two calls of one caller about the same job (one application), the caller opted out (no
    texts: none is recent for an end). A's prefetch is done (no record: clear), then B ends, its
    prefetch still to run (the application waits for it). Returns (A, A's last step, B's check)."""
    from receptionist.services import duplicates

    a, step_a = started(twilio, len(QUALIFIED) - 1, "CA" + "a" * 32)
    b, _ = started(twilio, len(QUALIFIED) - 1, "CA" + "b" * 32)  # the same caller's number
    check_a, check_b = _checks_of(db, a, b)
    with db.transaction() as s:
        s.execute(Candidate.__table__.update().values(opted_out=True))
    container.uow.run(lambda s: duplicates.record_result(s, check_a, [], "builtin:acme"))
    b.send(**QUALIFIED[-1])
    return a, step_a, check_b


def _second_waits_for_first(db, first, second) -> dict:
    """``first`` and ``second`` ({name: work}, one each) run in threads: ``first`` until it calls
    the ``hold()`` it is given (holding a row lock), then ``second`` until PostgreSQL shows it
    waiting for a lock, then both to their end. Returns what each returned, by name."""
    holding, release, results, threads = threading.Event(), threading.Event(), {}, {}

    def hold() -> None:
        if threading.current_thread() is threads.get("first") and not holding.is_set():
            holding.set()
            assert release.wait(WAIT_S), "the second never waited for the first's lock"

    def run(name: str, work) -> None:
        try:
            results[name] = work(hold)
        except BaseException as exc:  # reported by the test's thread
            results[name] = exc
            holding.set()

    (first_name, first_work), = first.items()
    (second_name, second_work), = second.items()
    threads["first"] = threading.Thread(target=run, args=(first_name, first_work))
    threads["first"].start()
    threads["second"] = threading.Thread(target=run, args=(second_name, second_work))
    try:
        assert holding.wait(WAIT_S) and first_name not in results, results.get(first_name)
        threads["second"].start()
        assert _lock_waiter(db), f"{second_name} did not wait for {first_name}'s lock"
    finally:
        release.set()
        for thread in threads.values():
            if thread.ident is not None:  # started
                thread.join(WAIT_S)
    for name in (first_name, second_name):
        assert not isinstance(results.get(name), BaseException), results[name]
    return results


def test_an_end_deciding_from_its_prefetch_sees_a_newer_check_decided_meanwhile(twilio, container, db, monkeypatch):
    # PostgreSQL: two calls of one caller about the same job (one application). B ended first,
    # its prefetch still to run; A's prefetch is done, clear. B's lookup then finds the caller
    # applied already, and its job decides the application (duplicate) while A's end waits for
    # the application's row to decide it from A's older check. A must see the newer check once
    # it has the row and leave its decision alone: no invite to a duplicate. A statement's
    # snapshot is taken before it waits for a lock, so the newer check has to be read in a
    # statement after the lock.
    if db.engine.dialect.name == "sqlite":
        pytest.skip("SQLite transactions take the write lock at BEGIN IMMEDIATE (adapters.db): never interleaved")
    from receptionist.services import duplicates

    from .test_screening_end import _ACTIVE_HERE
    a, step_a, check_b = _one_application_two_ends(twilio, container, db)
    decide, pauses = duplicates.decide, []

    def paused(session, check, now):  # B's job, once it has written the application: held until A waits
        decided = decide(session, check, now)
        session.flush()
        pauses[0]()
        return decided
    monkeypatch.setattr(duplicates, "decide", paused)

    def job(hold):
        pauses.append(hold)
        return container.uow.run(lambda s: duplicates.record_result(s, check_b, _ACTIVE_HERE, "builtin:acme"))
    results = _second_waits_for_first(db, {"job": job}, {"a": lambda _hold: container.uow.run(
        lambda c: calls.answer_prompt(c, a.sid, step_a, LAST, render), orm=False)})
    assert "Jane" in results["a"]
    with db.transaction() as s:
        application = s.scalars(select(Application)).one()
        invites = s.scalars(select(OutboxItem.id).filter_by(kind="invite")).all()
    assert (application.duplicate_check.value, application.routing.value, invites) == ("duplicate", "not_routed", [])


def test_a_check_finding_a_duplicate_while_an_end_approves_withdraws_the_invite(twilio, container, db, monkeypatch):
    # PostgreSQL: as above, but A's end has the application's row first: it approves the
    # application from A's clear prefetch and writes the invite, while B's newer lookup finds
    # the caller applied already. B's job must decide from the application as A left it
    # (approved): withdrawn, its invite cancelled. Read before the row was locked, the
    # application looked not routed yet, and the duplicate kept its invite.
    if db.engine.dialect.name == "sqlite":
        pytest.skip("SQLite transactions take the write lock at BEGIN IMMEDIATE (adapters.db): never interleaved")
    from receptionist.services import duplicates, routing

    from .test_screening_end import _ACTIVE_HERE
    a, step_a, check_b = _one_application_two_ends(twilio, container, db)
    record_transition, pauses = routing.record_transition, []

    def paused(*args, **kwargs):  # A's end, approving with the application's row locked: held until B's job waits
        pauses[0]()
        return record_transition(*args, **kwargs)
    monkeypatch.setattr(routing, "record_transition", paused)

    def end(hold):
        pauses.append(hold)
        return container.uow.run(lambda c: calls.answer_prompt(c, a.sid, step_a, LAST, render), orm=False)
    results = _second_waits_for_first(db, {"a": end}, {"job": lambda _hold: container.uow.run(
        lambda s: duplicates.record_result(s, check_b, _ACTIVE_HERE, "builtin:acme"))})
    assert "Jane" in results["a"]
    with db.transaction() as s:
        application = s.scalars(select(Application)).one()
        invites = s.scalars(select(OutboxItem.status).filter_by(kind="invite")).all()
    assert (application.duplicate_check.value, application.routing.value, invites) == (
        "duplicate", "dismissed", ["cancelled"])


def test_an_end_after_a_newer_check_decided_does_not_leave_the_application_pending(twilio, container, db):
    # Not a race, an order: two calls of one caller about the same job (one application). B's
    # lookup is done (no record) and B ends: cleared and approved. A ends next, its own older
    # lookup still running: the application waits for it (pending). When that lookup ends, the
    # newer check has decided already, and its decision is the application's again: not
    # "pending" for good beside an approval.
    from receptionist.services import duplicates

    a, _ = started(twilio, len(QUALIFIED) - 1, "CA" + "a" * 32)
    b, _ = started(twilio, len(QUALIFIED) - 1, "CA" + "b" * 32)  # the same caller's number
    check_a, check_b = _checks_of(db, a, b)
    container.uow.run(lambda s: duplicates.record_result(s, check_b, [], "builtin:acme"))
    b.send(**QUALIFIED[-1])
    a.send(**QUALIFIED[-1])
    with db.transaction() as s:
        assert s.scalars(select(Application.duplicate_check)).one().value == "pending"  # A's lookup awaited
    container.uow.run(lambda s: duplicates.record_result(s, check_a, [], "builtin:acme"))
    with db.transaction() as s:
        application = s.scalars(select(Application)).one()
        invites = s.scalars(select(OutboxItem.status).filter_by(kind="invite")).all()
    assert (application.duplicate_check.value, application.routing.value, invites) == ("clear", "approved", ["pending"])
