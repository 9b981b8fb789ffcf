"""The Core end of a screening call (``services.screening_end``) stores what the ORM path
stores: the same call, ended once by each (the Core path switched off for one of them),
leaves the same rows (conversation, transcript, answers, candidate, application, routing
history, outbox rows, ATS checks, the candidate list's row) but for ids and times, in each
state the prefetched ATS lookup can be in, for an opted-out caller, a company with a
webhook and a redial about the same job. On SQLite and PostgreSQL."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import or_, select, update

from receptionist.adapters.ats import ATSApplication, ATSCandidate
from receptionist.adapters.models import (Answer, Application, ATSCheck, CallTurn, Candidate, CandidateListRow, Company,
                                          Conversation, OutboxItem, OutboxStatus, RoutingEvent, TranscriptLine)
from receptionist.services import duplicates, screening_end, webhooks

from .test_candidate_list import assert_kept
from .test_end_turn_cost import statements
from .test_voice_webhooks import QUALIFIED, Call

pytestmark = pytest.mark.usefixtures("sample_company")
CORE, ORM = "+12025550161", "+12025550162"  # the caller of each path


def _prefetch(s, phone: str) -> ATSCheck:
    return s.scalars(select(ATSCheck).join(Candidate, Candidate.id == ATSCheck.candidate_id)
                     .where(Candidate.phone == phone, ATSCheck.purpose == duplicates.PREFETCH)
                     .order_by(ATSCheck.id.desc())).first()


def _ats_answered(found):
    def before_last(container, phone):
        container.uow.run(lambda s: duplicates.record_result(s, _prefetch(s, phone).id, found, "builtin:acme"))
    return before_last


def _ats_job_failed(container, phone):
    def fail(s):
        key = f"ats_check:{_prefetch(s, phone).id}"
        s.execute(update(OutboxItem).where(OutboxItem.idempotency_key == key).values(status=OutboxStatus.failed))
    container.uow.run(fail)


def _opted_out(container, phone):
    container.uow.run(lambda s: s.execute(update(Candidate).where(Candidate.phone == phone).values(opted_out=True)))


def _webhook(container, _phone):
    container.uow.run(lambda s: webhooks.register(s, s.scalars(select(Company.id)).one(), "http://127.0.0.1:9/hook",
                                                  ["conversation.completed"]))


_NOW = dt.datetime.now(dt.timezone.utc)
_ACTIVE_HERE = [ATSCandidate("ats-1", "Jane Doe", phones=(CORE, ORM), last_activity_at=_NOW, applications=(
    ATSApplication("app-1", "forklift-operator", "Forklift Operator", "screen", _NOW, _NOW),))]

SCENARIOS = {
    "ats lookup still to run": None,
    "ats lookup done, no record": _ats_answered([]),
    "ats lookup done, applied already": _ats_answered(_ACTIVE_HERE),
    "ats lookup's job failed": _ats_job_failed,
    "caller opted out": _opted_out,
    "company webhook": _webhook,
}


def _ended_by(twilio, container, phone: str, sid: str, before_last=None):
    """A qualified call up to its last answer, then ``before_last`` (the ATS job's result, ...)."""
    call = Call(twilio, call_sid=sid, From=phone)
    call.start()
    for inputs in QUALIFIED[:-1]:
        call.send(**inputs)
    if before_last is not None:
        before_last(container, phone)
    return call


def _finish(call, monkeypatch, core: bool) -> list[bool]:
    """Send the last answer, the Core path on or off; returns what ``finish`` answered."""
    answered: list[bool] = []
    real = screening_end.finish

    def spy(*args, **kwargs):
        answered.append(real(*args, **kwargs))
        return answered[-1]
    with monkeypatch.context() as m:
        m.setattr(screening_end, "finish", spy)
        if not core:
            m.setattr(screening_end, "applies", lambda _row, _turn: False)
        call.send(**QUALIFIED[-1])
    return answered


def _plain(value, phone: str, key: str = ""):
    """``value`` with the call's row ids (``*_id`` keys), key numbers, its phone, event ids and
    times made comparable."""
    if isinstance(value, dict):
        return {k: _plain(v, phone, k) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v, phone) for v in value]
    if isinstance(value, int) and not isinstance(value, bool) and key.endswith("_id") and key != "question_id":
        return "<id>"
    if isinstance(value, dt.datetime) or key == "created_at":
        return "<time>"
    if isinstance(value, str):
        value = re.sub(r"evt_[0-9a-f]+", "<event>", value.replace(phone, "<phone>"))
        return re.sub(r":\d+", ":<n>", value) if key == "idempotency_key" else value
    return value


def _stored(db, sid: str, phone: str) -> dict:
    """Every row the call's last turn writes or changes, made comparable (``_plain``)."""
    with db.transaction() as s:
        conv = s.scalars(select(Conversation).filter_by(call_sid=sid)).one()
        app = s.get(Application, conv.application_id)
        row = {
            "conversation": [conv.status, conv.confirmation_status, conv.ended_at is not None,
                             conv.last_activity_at == conv.ended_at, conv.transcript_lines, conv.step, conv.state,
                             conv.follow_up_reason, conv.language, conv.posting_id],
            "transcript": [(t.seq, t.speaker, t.text) for t in s.scalars(
                select(TranscriptLine).filter_by(conversation_id=conv.id).order_by(TranscriptLine.seq))],
            "answers": [(a.question_id, a.raw_text, a.value, a.confirmed) for a in s.scalars(
                select(Answer).filter_by(conversation_id=conv.id).order_by(Answer.id))],
            "candidate": [conv.candidate.name, conv.candidate.email, conv.candidate.opted_out],
            "application": [app.screening_outcome, app.score, app.duplicate_check, app.routing, app.duplicate_matches,
                            app.interview_url],
            "routing": [(e.from_state, e.to_state, e.actor, e.reason) for e in s.scalars(
                select(RoutingEvent).filter_by(application_id=app.id).order_by(RoutingEvent.id))],
            "outbox": sorted([{"kind": o.kind, "purpose": o.purpose, "status": o.status,
                               "idempotency_key": o.idempotency_key, "recipient": o.recipient, "payload": o.payload,
                               "last_error": o.last_error, "conversation_id": o.conversation_id,
                               "application_id": o.application_id, "agent_id": o.agent_id} for o in s.scalars(
                select(OutboxItem).where(or_(OutboxItem.candidate_id == conv.candidate_id,
                                             OutboxItem.application_id == app.id)))],
                key=lambda o: (o["kind"], o["purpose"], o["idempotency_key"])),
            "checks": [{"purpose": c.purpose, "status": c.status, "application_id": c.application_id,
                        "conversation_id": c.conversation_id} for c in s.scalars(
                select(ATSCheck).filter_by(candidate_id=conv.candidate_id).order_by(ATSCheck.id))],
            "list": [{"status": r.status, "score": r.score, "name_key": r.name_key,
                      "application_id": r.application_id, "conversation_id": r.conversation_id} for r in s.scalars(
                select(CandidateListRow).filter_by(candidate_id=conv.candidate_id))],
            "reply": s.get(CallTurn, (conv.id, conv.step)).twiml,
        }
        return _plain(row, phone)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_the_core_end_stores_what_the_orm_end_stores(twilio, db, container, monkeypatch, scenario):
    before_last = SCENARIOS[scenario]
    calls = {phone: _ended_by(twilio, container, phone, "CA" + digit * 32, before_last)
             for phone, digit in ((CORE, "3"), (ORM, "4"))}
    assert _finish(calls[CORE], monkeypatch, core=True) == [True]  # the Core path stored it
    assert _finish(calls[ORM], monkeypatch, core=False) == []
    core, orm = _stored(db, "CA" + "3" * 32, CORE), _stored(db, "CA" + "4" * 32, ORM)
    for c, o in zip(core["outbox"], orm["outbox"]):
        assert c == o, {k: (c[k], o[k]) for k in c if c[k] != o[k]}
    assert core == orm
    assert core["conversation"][0] == "completed" and core["application"][0] == "qualified"
    assert len(assert_kept(db)) == 2


def test_each_prefetch_state_ends_as_the_ats_work_expects(twilio, db, container, monkeypatch):
    # Guard against both paths being wrong alike: the facts a recruiter sees, per state.
    expected = {"ats lookup still to run": ("pending", "not_routed"),
                "ats lookup done, no record": ("clear", "approved"),
                "ats lookup done, applied already": ("duplicate", "not_routed"),
                "ats lookup's job failed": ("pending", "not_routed")}
    for n, (scenario, (check, routing)) in enumerate(expected.items()):
        phone, sid = f"+1202555017{n}", "CA" + str(5 + n) * 32
        call = _ended_by(twilio, container, phone, sid, SCENARIOS[scenario])
        assert _finish(call, monkeypatch, core=True) == [True]
        stored = _stored(db, sid, phone)
        assert stored["application"][2:4] == [check, routing], scenario
        checks = [(c["purpose"], c["application_id"]) for c in stored["checks"]]
        assert checks == ([("prefetch", None), ("after_call", "<id>")] if "failed" in scenario
                          else [("prefetch", "<id>")]), scenario


def test_two_calls_about_the_same_job_get_one_text_and_the_common_end_stays_small(twilio, db, container,
                                                                                   monkeypatch):
    # A redial while the first call still runs: both reach the last answer, then end in turn.
    first, second = (_ended_by(twilio, container, CORE, "CA" + digit * 32) for digit in "34")
    assert _finish(first, monkeypatch, core=True) == [True]
    with statements(db) as seen:
        assert _finish(second, monkeypatch, core=True) == [True]
    # The turn's row (read before the lock, and not again: the candidate's statement claims
    # the turn, taking SQLite's write lock or the conversation's row lock on PostgreSQL), the
    # candidate (locked), the prefetch with the turn's other facts, the answers, the
    # application, the conversation, transcript, reply, the list's row (2), COMMIT.
    # On PostgreSQL the claim, the prefetch and the answers are one statement (WITH).
    assert len(seen) <= 11 and seen.count("SELECT") == 2 - (db.engine.dialect.name == "postgresql"), seen
    with db.transaction() as s:
        texts = s.scalars(select(OutboxItem).filter_by(kind="sms", recipient=CORE)).all()
        assert len(texts) == 1  # the redial's text is the first call's
        second_conv = s.scalars(select(Conversation).filter_by(call_sid="CA" + "4" * 32)).one()
        assert second_conv.confirmation_status is None and second_conv.status.value == "completed"
    assert len(assert_kept(db)) == 1


def test_an_application_already_cleared_is_left_to_the_orm_end_which_routes_it(twilio, db, container, monkeypatch):
    # A second call about a job whose earlier screening was cleared by the ATS but not routed
    # (knocked out then): the end routes it at once, which the ORM path does.
    call = _ended_by(twilio, container, CORE, "CA" + "3" * 32)
    container.uow.run(lambda s: s.execute(update(Application).values(duplicate_check="clear")))
    assert _finish(call, monkeypatch, core=True) == [False]
    with db.transaction() as s:
        application = s.scalars(select(Application)).one()
        assert (application.duplicate_check.value, application.routing.value) == ("pending", "approved")
        assert len(s.scalars(select(OutboxItem).filter_by(kind="invite")).all()) == 1
        assert len(s.scalars(select(OutboxItem).filter_by(kind="sms")).all()) == 1
    assert len(assert_kept(db)) == 1


def test_the_last_answer_after_the_ats_cleared_approves_in_a_few_statements(twilio, db, container, monkeypatch):
    warm = _ended_by(twilio, container, ORM, "CA" + "4" * 32)  # the agent's end facts cached
    assert _finish(warm, monkeypatch, core=True) == [True]
    call = _ended_by(twilio, container, CORE, "CA" + "3" * 32, _ats_answered([]))
    with statements(db) as seen:
        assert _finish(call, monkeypatch, core=True) == [True]
    # Beside the common end's: the routing facts (one SELECT; on PostgreSQL the application's
    # lock first, a SELECT of its own), the history row and the invite.
    assert len(seen) <= 14 and seen.count("SELECT") == 3, seen
    stored = _stored(db, "CA" + "3" * 32, CORE)
    assert stored["application"][2:4] == ["clear", "approved"]
    assert [(e[1], e[2]) for e in stored["routing"]] == [("approved", "system")]
    [invite] = [o for o in stored["outbox"] if o["kind"] == "invite"]
    assert invite["payload"]["name"] == "Jane Doe" and invite["payload"]["metadata"]["score"] == 100
