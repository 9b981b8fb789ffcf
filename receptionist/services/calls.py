"""Voice call use cases: a call starts, the caller answers a prompt, the call ends.

Each function runs inside one transaction (the caller's session) and returns the TwiML
to send back. Every reply is stored as a :class:`CallTurn` keyed by (conversation, step),
so a webhook that Twilio retries gets the stored reply and nothing is stored twice.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, replace
from typing import Callable
from zoneinfo import ZoneInfo

from sqlalchemy import (Integer, bindparam, func, insert, literal, literal_column, null, or_, select,
                        update)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, aliased, joinedload

from ..adapters.ats import normal_email
from ..adapters.db import Prepared, begin_here, reads_before_write_lock
from ..adapters.twiml import VoiceSetup
from ..engine import flow
from ..engine.texts import render_parts
from ..engine.vocabulary import DuplicateCheck, OutboxKind, Phase, RoutingState
from ..adapters.models import (Agent, AgentKind, Answer, Application, CallTurn, Candidate, Channel, Conversation, ConversationStatus, Posting,
                               FollowUpReason, ScreeningOutcome,
                      PhoneNumber, utcnow)
from ..phones import mask, region_of, to_e164
from ..settings import SpeechSettings
from . import duplicates
from .confirmation import can_text, needs_text_number, queue_confirmation
from . import candidate_list, screening_end
from .conversations import (answer_values, apply_effects, insert_answer, insert_transcript, open_application,
                            record_turn, turn_lines)
from .scripts import compiled_by_id, per_version
from .turn_writes import lines_cte, lines_params, reply_insert
from .unit_of_work import core_connection, note_new_outbox, orm_session

log = logging.getLogger(__name__)

# (turn, [(text, language)], step, setup) -> TwiML; supplied by the web layer, which knows the URLs.
Renderer = Callable[[flow.Turn, list[tuple[str, str]], int, VoiceSetup], str]

# Twilio CallStatus values after which the call is over (Twilio, "Call resource: status").
FINAL_CALL_STATUSES = {"completed", "busy", "failed", "no-answer", "canceled"}
# The phases whose handler reads the caller's earlier application (``CallContext.application``:
# the menu's "check on an application"); other turns skip that query.
HISTORY_PHASES = frozenset({Phase.menu})


class UnknownNumber(LookupError):
    """No receptionist answers the dialed number (``To``). ``by_text``: the number is an SMS
    screening agent's (a caller can apply by texting it)."""

    def __init__(self, number: str, by_text: bool = False):
        super().__init__(number)
        self.by_text = by_text


class UnknownCall(LookupError):
    """A webhook names a CallSid this service never started."""


@dataclass(frozen=True)
class InboundCall:
    """Twilio's voice webhook fields for a new call (Twilio, "Twilio's request to your application")."""

    call_sid: str
    from_number: str
    to_number: str
    forwarded_from: str | None = None
    source: str | None = None


def start_call(db: Session | Connection, call: InboundCall, render_twiml: Renderer,
               now: dt.datetime | None = None) -> str:
    """Answer a new call: create the conversation, say the greeting, ask the first question.

    A retried request for the same CallSid returns the first reply again. Raises
    UnknownNumber when no receptionist answers ``call.to_number``.

    Core statements only (no ORM object): one SELECT for the agent, the caller and a retry's
    conversation; the candidate (a new number, or a hidden caller ID: a new record each call),
    the conversation, its transcript, the ATS lookup (prefetch), the candidate list's row and
    the TwiML inserted. A call from one of the receptionist's ``switchboard_numbers`` (the
    company's own line forwarding it) is an unknown caller's, as a withheld caller ID is.
    ``flow.start`` asks first (the language or the menu): its turn has no
    effects, and neither the caller's history nor their applications on file are read.
    ``db``: the Connection of ``UnitOfWork.run(orm=False)`` (the webhook's), or a Session.
    """
    now = now or utcnow()
    connection = reads_before_write_lock(db)  # SQLite: the lock is taken at the first INSERT
    to, phone = _safe_e164(call.to_number), _safe_e164(call.from_number)
    found = _ANSWERING.execute(connection, {"call_sid": call.call_sid, "to": to, "phone": phone}).first() \
        if to else None
    existing = found.existing if found is not None else connection.scalar(
        _CONVERSATION_OF_CALL, {"call_sid": call.call_sid})
    if existing is not None:
        return _stored_turn(connection, existing, 0)
    if found is None or found.kind != AgentKind.receptionist:
        raise UnknownNumber(call.to_number, by_text=found is not None and found.kind == AgentKind.sms_screening)
    script, _ = compiled_by_id(db, found.agent_id, found.script_version)
    profile = _profile(db, found.agent_id, found.script_version)
    if phone in profile.switchboard:
        # The company's own line forwarded the call with its caller ID: an unknown caller,
        # never the candidate who has that number (a new record, as for a withheld ID).
        phone, found = None, found._replace(candidate_id=None, opted_out=None, email=None)
    caller = _Caller(phone, bool(found.opted_out))
    state, turn = flow.start(script, flow.CallContext(
        today=now.astimezone(profile.timezone).date(), channel=Channel.voice, can_text=can_text(caller),
        min_speech_confidence=profile.speech.min_confidence))
    said, texts = _worded(turn)
    lines = turn_lines(None, texts)
    twiml = render_twiml(turn, said, 0, replace(profile.setup, start_recording=bool(found.recording)))
    # The writes. Racing duplicates fail on a unique key (a CallSid, a new caller's number)
    # and their retries read what this one stored.
    candidate_id = found.candidate_id
    started = {
        "channel": Channel.voice, "agent_id": found.agent_id, "candidate_id": candidate_id,
        "call_sid": call.call_sid, "to_number": to or call.to_number[:16], "forwarded_from": call.forwarded_from,
        "source": (call.source or None) and call.source[:80], "language": state.language, "state": state.to_dict(),
        "step": 0, "transcript_lines": len(lines), "status": ConversationStatus.in_progress,
        "started_at": now}
    one_statement = connection.dialect.name == "postgresql"
    if one_statement:  # the caller, the conversation, its transcript, the prefetch and the TwiML in one round trip
        checked = phone is not None
        written = _STARTED_WRITES[candidate_id is None, checked].execute(connection, {
            **started, "twiml": twiml, "phone": phone, **lines_params(0, lines),
            **({"company_id": profile.company_id, "email": normal_email(found.email),
                "job_kind": str(OutboxKind.ats_check)} if checked else {})}).one()
        conversation_id, candidate_id = written.conversation_id, written.candidate_id
        if checked:
            note_new_outbox(db, written.item_id)
    else:
        if candidate_id is None:
            candidate_id = _NEW_CANDIDATE.execute(connection, {"phone": phone, "opted_out": False}).scalar_one()
        conversation_id = _NEW_CONVERSATION.execute(connection, {**started, "candidate_id": candidate_id}).scalar_one()
        insert_transcript(connection, conversation_id, 0, lines, now)
        if phone is not None:  # read after the menu, never waited for
            duplicates.write_check(db, company_id=profile.company_id, candidate_id=candidate_id, phone=phone,
                                   email=found.email, purpose=duplicates.PREFETCH, conversation_id=conversation_id)
    candidate_list.refresh(connection, [candidate_id], new=found.candidate_id is None)
    if not one_statement:
        # A racing duplicate of this call fails on the CallSid (unique); its retry returns this reply.
        _INSERT_TWIML.execute(connection, {"conversation_id": conversation_id, "step": 0, "twiml": twiml,
                                           "created_at": now})
    log.info("call %s from %s to %s started (conversation %s)", call.call_sid, mask(phone), call.to_number,
             conversation_id)
    return twiml


@dataclass(frozen=True)
class _Caller:
    """The caller as ``confirmation.can_text`` reads a candidate."""

    phone: str | None
    opted_out: bool


_CONVERSATION_OF_CALL = select(Conversation.id).where(Conversation.call_sid == bindparam("call_sid"))


def answer_prompt(db: Session | Connection, call_sid: str, step: int, event: flow.Event, render_twiml: Renderer,
                  now: dt.datetime | None = None) -> str:
    """Apply the caller's input (speech, keys or silence) to the prompt of ``step``.

    ``step`` is the step number carried by the ``<Gather>`` action URL. The same step
    posted again returns the stored reply; a stale step gets the latest prompt again.
    Raises UnknownCall for a CallSid without a conversation.

    Most turns store an answer (or nothing) and ask the next question: those are read and
    written with Core statements alone (:func:`_store_plain_turn`); so is the common end of
    a screening (:func:`_store_last_turn`, ``services.screening_end``); a turn that changes
    more (a name change, a knockout, a late answer) goes through the ORM.

    The conversation is read and the turn computed (engine, TwiML) before any lock is
    taken: on SQLite outside the write lock (``adapters.db.reads_before_write_lock``), on
    PostgreSQL without ``FOR UPDATE``. A plain turn's first write then claims the step only
    if the conversation is still at the step and status it was read at (a conditional
    UPDATE), and so does the common end of a screening (``screening_end.finish(seen_step=...)``,
    which also locks the row); other turns read the row again, locked, and keep the computed
    turn if it has not moved. When another webhook or the status callback moved it in between, the turn is
    computed again under the lock: a duplicate gets the stored reply, a late answer is kept.

    ``db``: the Connection of ``UnitOfWork.run(orm=False)`` (the webhook's: a plain turn pays
    no Session), or a Session; a turn that needs the ORM gets one joined to the same
    transaction (``unit_of_work.orm_session``).

    Safe to run with ``UnitOfWork.run(..., autocommit_first=True)``: on PostgreSQL a stored
    reply is then one statement in all, a plain turn with at most one answer two (the read
    and its single write statement, :func:`_store_in_one_statement`); anything more begins a
    transaction first (``adapters.db.begin_here``).
    """
    now = now or utcnow()
    connection = reads_before_write_lock(db)
    params = {"call_sid": call_sid, "step": step}
    # Read and computed before any lock (SQLite: outside the write lock; PostgreSQL: without
    # FOR UPDATE); the plain turn's first write claims the step only if the conversation is
    # still where it was read (_store_plain_turn), else the turn is taken again under the lock.
    seen = _TURN_ROW_SEEN.execute(connection, params).one_or_none()
    if seen is None:
        raise UnknownCall(call_sid)
    if seen.stored is not None:
        return seen.stored
    advanced = None
    if step == seen.step + 1 and seen.status == ConversationStatus.in_progress:
        advanced = _advance(db, seen, event, now)
        if advanced.plain:
            twiml = _store_plain_turn(connection, seen, advanced, event, step, render_twiml, now)
            if twiml is not None:
                return twiml
        elif screening_end.applies(seen, advanced.turn):
            # The end's first write claims the turn and takes the lock (SQLite's write lock;
            # PostgreSQL's row lock, FOR UPDATE in the claim): no second read of the row.
            begin_here(connection)
            session = orm_session(db)
            twiml = _store_last_turn(session, seen, advanced, event, step, render_twiml, now, seen_step=seen.step)
            if isinstance(twiml, str):
                return twiml
            if twiml is _DECLINED:  # claimed, locked and not the common end after all
                return _record_orm_turn(session, _conversation(session, seen.id), advanced, event, step,
                                        render_twiml, now)
    # A turn that changes more (the end, a name), or a plain one whose claim failed: read
    # again, locked; the turn computed above stands if the conversation has not moved since.
    begin_here(connection)
    row = _TURN_ROW.execute(connection, params).one_or_none()  # locked until the transaction ends
    if row is None:
        raise UnknownCall(call_sid)
    if row.stored is not None:
        return row.stored
    if step != row.step + 1:
        return _stored_turn(connection, row.id, row.step)
    # The caller's last words can arrive after Twilio's "completed" status callback (the
    # Gather's action is posted once the speech is recognised): they are kept, not dropped.
    late = (row.status == ConversationStatus.abandoned and not isinstance(event, flow.Silence)
            and row.follow_up_reason == FollowUpReason.hung_up)
    if row.status != ConversationStatus.in_progress and not late:
        # Twilio already reported the call over; nothing more to ask.
        return _stored_turn(connection, row.id, row.step)
    if advanced is None or row != seen:  # computed from a row that has moved since: again
        advanced = _advance(db, row, event, now)
    if not late and advanced.plain:
        twiml = _store_plain_turn(connection, row, advanced, event, step, render_twiml, now)
        assert twiml is not None, "a locked conversation cannot move"
        return twiml
    if not late and screening_end.applies(row, advanced.turn):
        twiml = _store_last_turn(orm_session(db), row, advanced, event, step, render_twiml, now)
        if isinstance(twiml, str):
            return twiml
    session = orm_session(db)
    return _record_orm_turn(session, _conversation(session, row.id), advanced, event, step, render_twiml, now,
                            late=late)


def _record_orm_turn(session: Session, conversation: Conversation, advanced: "_Advanced", event: flow.Event,
                     step: int, render_twiml: Renderer, now: dt.datetime, late: bool = False) -> str:
    """Store a turn that changes more than a plain one (the end, a name; or a late answer)
    on the locked ``conversation`` through the ORM; returns its TwiML."""
    conversation.state = advanced.state.to_dict()
    conversation.step = step
    if late:
        conversation.status, hung_up_at = ConversationStatus.in_progress, conversation.ended_at
    twiml = _record_turn(session, conversation, advanced.profile, event, advanced.turn, step, render_twiml, now)
    if late:
        _after_late_answer(conversation, hung_up_at)
    return twiml


@dataclass(frozen=True)
class _Advanced:
    """A turn computed by the engine from a conversation's row, not yet stored."""

    question_ids: dict[str, int]
    profile: "_Profile"
    state: flow.CallState
    turn: flow.Turn

    @property
    def plain(self) -> bool:
        """Stored with Core statements alone (:func:`_store_plain_turn`): it does not end
        the call, and only answers questions or picks the language or the job."""
        return not self.turn.ended and all(isinstance(e, _PLAIN_EFFECTS) for e in self.turn.effects)


def _advance(db: Session | Connection, row, event: flow.Event, now: dt.datetime,
             context: "ContextBuilder | None" = None) -> _Advanced:
    """The engine's next state and turn for ``event`` on the conversation's ``row`` (a
    ``_TURN_ROW``, or a row with the same columns); reads only (the script and profile are
    cached per agent version). ``context``: the flow's context for the turn (default: a
    call's, :func:`_turn_context`; a text's comes from ``sms_screening.turns``). ``db``: a
    Session, or a ``run(orm=False)`` Connection (a cache miss then joins a Session to it)."""
    script, question_ids = compiled_by_id(db, row.agent_id, row.script_version)
    profile = _profile(db, row.agent_id, row.script_version)
    state = flow.CallState.from_dict(row.state)
    ctx = (context or _turn_context)(core_connection(db), profile, row, now, state.phase)
    state, turn = flow.advance(script, state, event, ctx)
    return _Advanced(question_ids, profile, state, turn)


@dataclass(frozen=True)
class _Profile:
    """What a turn needs of its agent besides the script, built once per agent and script
    version (which a change to the agent or its company renews: ``services.scripts``)."""

    timezone: ZoneInfo
    speech: SpeechSettings
    setup: VoiceSetup  # start_recording False: only the first TwiML starts it
    company_id: int
    company_ats: duplicates.CompanyATS
    posting_ids: dict[str, int]  # the company's postings (open or not) by key
    region: str = "US"  # ISO 3166, of the receptionist's own number: a number said is read in it
    switchboard: frozenset[str] = frozenset()  # the company's own lines (E.164): their calls are unknown callers


def _profile(db: Session | Connection, agent_id: int, version: str | None) -> _Profile:
    def build() -> _Profile:
        session = orm_session(db)
        agent = session.get(Agent, agent_id)
        speech = SpeechSettings.parse(agent.speech or {})
        own = min((n.e164 for n in agent.phone_numbers), default=None)
        return _Profile(ZoneInfo(agent.timezone), speech, VoiceSetup(agent.voices or {}, speech), agent.company_id,
                        duplicates.CompanyATS(agent.company.slug, dict(agent.company.ats_config or {})),
                        dict(session.connection().execute(_POSTING_IDS, {"company_id": agent.company_id}).all()),
                        region_of(own), frozenset(agent.switchboard_numbers or ()))
    return per_version("call profile", agent_id, version, build)


# (connection, profile, row, now, phase) -> the flow's context for a turn in ``phase``.
ContextBuilder = Callable[..., flow.CallContext]
# Shared with the SMS channel (``sms_screening.turns``): a text's plain turn is stored as a call's.
advance_turn = _advance


def _turn_context(connection, profile: _Profile, row, now: dt.datetime, phase: Phase) -> flow.CallContext:
    """The flow's context for a turn in ``phase`` (Core statements only): the caller's latest
    earlier conversation for the ``HISTORY_PHASES``, their applications on file for
    ``flow.READS_ON_FILE``, nothing more for the others."""
    summary = None
    if phase in HISTORY_PHASES:
        summary = _previous_application(connection, row.candidate_id, row.id, profile.timezone, row.language)
    on_file = ()
    if phase in flow.READS_ON_FILE:
        on_file = duplicates.applications_on_file(connection, profile.company_ats, profile.company_id,
                                                  profile.timezone, row.candidate_id, row.application_id)
    return flow.CallContext(today=now.astimezone(profile.timezone).date(), channel=Channel.voice, application=summary,
                            can_text=can_text(row), min_speech_confidence=profile.speech.min_confidence,
                            on_file=on_file, ask_text_number=needs_text_number(row), region=profile.region)


_conversations, _agents, _candidates = Conversation.__table__, Agent.__table__, Candidate.__table__
_postings = Posting.__table__
# One statement per turn (built once): the conversation of a CallSid, what the turn needs of
# its agent and candidate, and the reply already stored for the step if any. _TURN_ROW locks
# the conversation until the transaction ends (``FOR UPDATE OF conversations`` on PostgreSQL;
# on SQLite, it takes the write lock: adapters.db.reads_before_write_lock).
_TURN_ROW_SEEN = Prepared(
    select(_conversations.c.id, _conversations.c.state, _conversations.c.step, _conversations.c.status,
           _conversations.c.follow_up_reason, _conversations.c.transcript_lines, _conversations.c.agent_id,
           _conversations.c.candidate_id, _conversations.c.application_id, _agents.c.script_version,
           _conversations.c.language.label("conversation_language"), _conversations.c.posting_id,
           _candidates.c.phone, _candidates.c.opted_out, _candidates.c.language,
           select(CallTurn.__table__.c.twiml)
           .where(CallTurn.__table__.c.conversation_id == _conversations.c.id,
                  CallTurn.__table__.c.step == bindparam("step")).scalar_subquery().label("stored"))
    .join(_agents, _agents.c.id == _conversations.c.agent_id)
    .join(_candidates, _candidates.c.id == _conversations.c.candidate_id)
    .where(_conversations.c.call_sid == bindparam("call_sid")))
_TURN_ROW = Prepared(_TURN_ROW_SEEN.statement.with_for_update(of=_conversations))
# A turn whose effects are all of these is stored with Core statements (_store_plain_turn).
_PLAIN_EFFECTS = (flow.AnswerGiven, flow.LanguageChosen, flow.PostingChosen)
# The plain turn's first write: the step claimed only if the conversation is still at the
# step it was read at and in progress (no other turn, no status callback came in between).
# ``active_at``: the caller's input's time, None for silence (the last activity stays).
_CLAIM_TURN = (update(_conversations)
               .where(_conversations.c.id == bindparam("conversation_id"),
                      _conversations.c.step == bindparam("seen_step"),
                      _conversations.c.status == ConversationStatus.in_progress)
               .values(state=bindparam("state"), step=bindparam("step"), transcript_lines=bindparam("lines"),
                       language=bindparam("language"), last_activity_at=func.coalesce(
                           bindparam("active_at", type_=_conversations.c.last_activity_at.type),
                           _conversations.c.last_activity_at)))
_CLAIMS = {"voice": Prepared(_CLAIM_TURN), "sms": Prepared(_CLAIM_TURN.values(nudged_at=None))}
_UPDATE_POSTING = Prepared(update(_conversations).where(_conversations.c.id == bindparam("conversation_id"))
                           .values(posting_id=bindparam("posting_id"), application_id=bindparam("application_id")))


def _opened_for_conversation():
    """PostgreSQL: ``conversations.open_application`` and :data:`_UPDATE_POSTING` in one
    statement, ``WITH opened AS (INSERT INTO applications ... ON CONFLICT (candidate_id,
    posting_id) DO UPDATE SET screening_outcome = 'in_progress' ... RETURNING id, posting_id)
    UPDATE conversations SET posting_id = (SELECT posting_id FROM opened), ...``: the
    candidate's application to the posting, new or (re)started, set on the conversation.
    A racing twin waits for the other's row and restarts it, as the lookup-then-insert did
    after its retry (PostgreSQL, "INSERT ... ON CONFLICT")."""
    opened = _opened()
    # Parameters not named as a column of conversations: the UPDATE would SET those too.
    return (update(_conversations).where(_conversations.c.id == bindparam("conversation_id"))
            .values(posting_id=select(opened.c.posting_id).scalar_subquery(),
                    application_id=select(opened.c.id).scalar_subquery()).add_cte(opened))


def _opened(gate=None):
    """The CTE ``opened`` of :func:`_opened_for_conversation`: the application of
    ``applicant_id`` to ``chosen_posting_id`` inserted or restarted, returning its id and
    posting_id. ``gate`` (a CTE): only when it has a row (``INSERT ... SELECT ... FROM gate``)."""
    applications = Application.__table__
    # A data-modifying CTE gets no Python-side defaults (SQLAlchemy fills them for the
    # top-level statement only): each column with one is given.
    values = {"candidate_id": bindparam("applicant_id"), "posting_id": bindparam("chosen_posting_id"),
              "agent_id": bindparam("screening_agent_id"),
              "screening_outcome": literal(ScreeningOutcome.in_progress, applications.c.screening_outcome.type),
              "duplicate_check": literal(DuplicateCheck.not_started, applications.c.duplicate_check.type),
              "routing": literal(RoutingState.not_routed, applications.c.routing.type),
              "created_at": bindparam("opened_at", type_=applications.c.created_at.type),
              "updated_at": bindparam("opened_at", type_=applications.c.updated_at.type)}
    if gate is None:
        new = postgresql_insert(applications).values(values)
    else:
        new = postgresql_insert(applications).from_select(list(values), select(*values.values()).select_from(gate))
    return (new.on_conflict_do_update(index_elements=["candidate_id", "posting_id"], set_={
        "screening_outcome": new.excluded.screening_outcome, "updated_at": new.excluded.updated_at})
        .returning(applications.c.id, applications.c.posting_id).cte("opened"))


_POSTING_IDS = select(_postings.c.key, _postings.c.id).where(_postings.c.company_id == bindparam("company_id"))
_UPDATE_LANGUAGE = Prepared(update(_candidates).where(_candidates.c.id == bindparam("candidate_id"))
                    .values(language=bindparam("language")))
_INSERT_TWIML = Prepared(insert(CallTurn.__table__), keys=("conversation_id", "step", "twiml", "created_at"))
_phone_numbers = PhoneNumber.__table__
# In one statement: the agent answering the dialed number, the candidate calling from the
# caller's number (none yet, or a hidden caller ID: a NULL never equals) and the conversation
# a retried request already started.
_ANSWERING = Prepared(
    select(_agents.c.id.label("agent_id"), _agents.c.kind, _agents.c.script_version, _agents.c.recording,
           _candidates.c.id.label("candidate_id"), _candidates.c.opted_out, _candidates.c.email,
           _CONVERSATION_OF_CALL.scalar_subquery().label("existing"))
    .select_from(_agents).join(_phone_numbers, _phone_numbers.c.agent_id == _agents.c.id)
    .outerjoin(_candidates, _candidates.c.phone == bindparam("phone"))
    .where(_phone_numbers.c.e164 == bindparam("to")))
_NEW_CANDIDATE = Prepared(insert(_candidates).returning(_candidates.c.id), keys=("phone", "opted_out"))
_STARTED_COLUMNS = ("channel", "agent_id", "candidate_id", "call_sid", "to_number", "forwarded_from", "source",
                    "language", "state", "step", "transcript_lines", "status", "started_at")
_NEW_CONVERSATION = Prepared(insert(_conversations).returning(_conversations.c.id), keys=_STARTED_COLUMNS)


def _store_plain_turn(connection, row, advanced: _Advanced, event: flow.Event, step: int, render_twiml: Renderer,
                      now: dt.datetime) -> str | None:
    """Store a turn that only answers questions or picks the language or the job, then asks
    the next question: the conversation's row (for a language, the candidate's; for a job,
    the application and the candidate list's row), transcript lines, answers and the TwiML,
    in Core statements (no ORM object). None, with nothing written, when the conversation
    is no longer at ``row.step`` or in progress (``row`` was read without a lock)."""
    turn = advanced.turn
    said, texts = _worded(turn)
    twiml = render_twiml(turn, said, step, advanced.profile.setup)
    lines = turn_lines(event, texts)
    answers = [e for e in turn.effects if isinstance(e, flow.AnswerGiven)]
    language = any(isinstance(e, flow.LanguageChosen) for e in turn.effects)
    if connection.dialect.name == "postgresql" and len(answers) <= 1:
        chosen = len(answers) + language < len(turn.effects)  # a job chosen: more writes after the claim
        postings = [advanced.profile.posting_ids.get(e.posting_key) for e in turn.effects
                    if isinstance(e, flow.PostingChosen)]
        opening = postings[0] if len(postings) == 1 else None  # its application opened by the claim's statement
        if chosen:
            begin_here(connection)  # several writes: one transaction
        stored = _store_in_one_statement(connection, row, advanced, _claim(row, advanced, event, step, lines, now),
                                         lines, answers, language, twiml, now, opening)
        if stored is not None and opening is not None:
            candidate_list.refresh(connection, [row.candidate_id])  # as _open_chosen does after it
        elif stored is not None and chosen:
            _open_chosen(connection, row, advanced)
        return stored
    begin_here(connection)  # several writes: one transaction
    if not store_plain_turn(connection, row, advanced, event, step, lines, now):
        return None
    # A racing duplicate of this step fails here (primary key); its retry returns the stored reply.
    _INSERT_TWIML.execute(connection, {"conversation_id": row.id, "step": step, "twiml": twiml, "created_at": now})
    return twiml


def _claim(row, advanced: _Advanced, event: flow.Event, step: int, lines: list, now: dt.datetime) -> dict:
    """The parameters of :data:`_CLAIM_TURN` for the turn ``advanced`` of ``row`` at ``step``."""
    language = next((e.language for e in advanced.turn.effects if isinstance(e, flow.LanguageChosen)),
                    row.conversation_language)
    return {"conversation_id": row.id, "seen_step": row.step, "state": advanced.state.to_dict(), "step": step,
            "lines": (row.transcript_lines or 0) + len(lines), "language": language,
            "active_at": None if isinstance(event, flow.Silence) else now}


def store_plain_turn(connection, row, advanced: _Advanced, event: flow.Event, step: int,
                     lines: list[tuple], now: dt.datetime, channel: str = "voice") -> bool:
    """Store a plain turn (``advanced.plain``) of the conversation ``row`` (the columns of
    ``_TURN_ROW``) as ``step``, in Core statements, the reply aside: the claim of the step
    (:data:`_CLAIM_TURN`, for ``channel`` "sms" also clearing ``nudged_at``: a text answers
    the nudge), the transcript ``lines`` ((speaker, text) pairs), the answers, a language
    or a job picked (the application and the candidate list's row). False, with nothing
    written, when the conversation is no longer at ``row.step`` or in progress. Shared by
    both channels: the caller stores its reply (TwiML of the step, the text's reply)."""
    if _CLAIMS[channel].execute(connection, _claim(row, advanced, event, step, lines, now)).rowcount != 1:
        return False  # the first write: on SQLite it takes the write lock; on PostgreSQL it locks the row
    insert_transcript(connection, row.id, row.transcript_lines or 0, lines, now)
    for effect in advanced.turn.effects:
        if isinstance(effect, flow.AnswerGiven):
            insert_answer(connection, row.id, advanced.question_ids[effect.question_key], effect, now)
        elif isinstance(effect, flow.LanguageChosen):
            _UPDATE_LANGUAGE.execute(connection, {"candidate_id": row.candidate_id, "language": effect.language})
    _open_chosen(connection, row, advanced)
    return True


def _open_chosen(connection, row, advanced: _Advanced) -> None:
    """The writes of a job chosen in the plain turn ``advanced`` (``flow.PostingChosen``), after
    its claim: the application opened (or found) and set on the conversation, and the candidate
    list's row refreshed (it reads the rows written before it in the transaction). An unknown
    key (a posting closed mid-call) leaves the application as it was."""
    opened = False
    for effect in advanced.turn.effects:
        if isinstance(effect, flow.PostingChosen):
            posting_id = advanced.profile.posting_ids.get(effect.posting_key)
            if posting_id is None:
                continue
            opened = True
            if connection.dialect.name == "postgresql":
                _OPENED_FOR_CONVERSATION.execute(connection, {
                    "conversation_id": row.id, "applicant_id": row.candidate_id, "chosen_posting_id": posting_id,
                    "screening_agent_id": row.agent_id, "opened_at": utcnow()})
                continue
            _UPDATE_POSTING.execute(connection, {
                "conversation_id": row.id, "posting_id": posting_id,
                "application_id": open_application(connection, row.candidate_id, posting_id, row.agent_id)})
    if opened:  # an application (re)opened: the candidate list's row follows
        candidate_list.refresh(connection, [row.candidate_id])


def _store_in_one_statement(connection, row, advanced: _Advanced, claim: dict, lines: list, answers: list,
                            language: bool, twiml: str, now: dt.datetime, posting_id: int | None = None) -> str | None:
    """PostgreSQL: :func:`_store_plain_turn` for a turn with at most one answer and at most a
    language chosen (``language``), in one statement (one round trip instead of four or
    more): the claim, the transcript lines, the answer, the candidate's language and the
    TwiML (:data:`_PLAIN_WRITES`); ``posting_id``, the one job chosen: its application
    opened and set on the conversation too. None, with nothing written, when the claim fails.
    The candidate list's row of a job chosen is refreshed after it, in the transaction begun
    before it (as :func:`_open_chosen` writes a job chosen otherwise)."""
    params = {**claim, "twiml": twiml, "now": now, **lines_params(row.transcript_lines or 0, lines)}
    if answers:
        values = answer_values(row.id, advanced.question_ids[answers[0].question_key], answers[0], now)
        params.update({f"answer_{name}": value for name, value in values.items()})
    if posting_id is not None:
        params.update(applicant_id=row.candidate_id, chosen_posting_id=posting_id, screening_agent_id=row.agent_id,
                      opened_at=now)
    stored = _PLAIN_WRITES[bool(answers), language, posting_id is not None].execute(connection, params).first()
    return twiml if stored is not None else None


def _plain_writes(with_answer: bool, with_language: bool, with_posting: bool = False):
    """``WITH claimed AS (UPDATE conversations ... RETURNING id, candidate_id), lines AS (INSERT
    INTO transcript_lines SELECT ... FROM claimed JOIN unnest(...)) [, answer AS (INSERT INTO
    answers SELECT ... FROM claimed)] [, language AS (UPDATE candidates ... FROM claimed)]
    INSERT INTO call_turns SELECT ... FROM claimed RETURNING ...``: each write happens only if
    the claim did (PostgreSQL's data-modifying CTEs, "WITH Queries"); a claim that waited for
    a racing turn's row lock re-checks its WHERE on the committed row and claims nothing.

    ``with_posting``: first ``gate AS (SELECT id FROM conversations WHERE <the claim's
    conditions> FOR UPDATE), opened AS (INSERT INTO applications ... SELECT ... FROM gate ON
    CONFLICT ...)`` (:func:`_opened`), the claim setting the conversation's posting_id and
    application_id from ``opened``. The gate locks the conversation first (as the claim did
    before ``_OPENED_FOR_CONVERSATION``) and, like the claim, re-checks the locked row: both
    see it moved or neither does, so no application is touched for a claim that fails."""
    claim = _CLAIM_TURN
    ctes = []
    if with_posting:
        gate = select(_conversations.c.id).where(_CLAIM_TURN.whereclause).with_for_update().cte("gate")
        opened = _opened(gate)
        claim = claim.values(posting_id=select(opened.c.posting_id).scalar_subquery(),
                             application_id=select(opened.c.id).scalar_subquery())
        ctes += [gate, opened]
    claimed = claim.returning(_conversations.c.id, _conversations.c.candidate_id).cte("claimed")
    now = bindparam("now", type_=CallTurn.__table__.c.created_at.type)
    answers_t = Answer.__table__
    ctes.append(lines_cte(claimed, now))
    if with_answer:
        names = [c.name for c in answers_t.c if c.name not in ("id", "conversation_id")]
        ctes.append(insert(answers_t).from_select(["conversation_id", *names], select(
            claimed.c.id, *(bindparam(f"answer_{name}", type_=answers_t.c[name].type) for name in names))).cte("answer"))
    if with_language:  # as _UPDATE_LANGUAGE, for the claimed conversation's candidate
        ctes.append(update(_candidates).where(_candidates.c.id == claimed.c.candidate_id)
                    .values(language=bindparam("language"), updated_at=now).cte("language"))
    return reply_insert(claimed, now).add_cte(*ctes)


def _started_writes(new_caller: bool, checked: bool):
    """PostgreSQL: a call's start in one statement, ``WITH [caller AS (INSERT INTO candidates
    ... RETURNING id),] started AS (INSERT INTO conversations ... RETURNING id, candidate_id),
    lines AS (INSERT INTO transcript_lines ...) [, checked AS (INSERT INTO ats_checks ...),
    queued AS (INSERT INTO outbox ...)] INSERT INTO call_turns ... RETURNING conversation_id,
    candidate_id [, item_id]``, the conversation's columns bound by name. ``new_caller``: the
    candidate inserted first (``phone``; the bound ``candidate_id`` unused); ``checked``: the
    ATS lookup by phone (prefetch) and its job's outbox row (``duplicates.new_check_ctes``:
    ``company_id``, ``phone``, ``email``, ``job_kind``), the job's id returned as ``item_id``.
    A racing duplicate fails on the CallSid or the new caller's phone (unique) and writes
    nothing."""
    names = [c.name for c in _conversations.c if c.name in _STARTED_COLUMNS]
    values = {name: bindparam(name, type_=_conversations.c[name].type) for name in names}
    now = bindparam("started_at", type_=_conversations.c.started_at.type)
    ctes = []
    if new_caller:  # a CTE gets no Python-side defaults: each column with one is given
        caller = insert(_candidates).values(
            phone=bindparam("phone", type_=_candidates.c.phone.type), opted_out=False, created_at=now,
            updated_at=now).returning(_candidates.c.id).cte("caller")
        values["candidate_id"] = select(caller.c.id).scalar_subquery()
        ctes.append(caller)
    started = insert(_conversations).values(values).returning(
        _conversations.c.id, _conversations.c.candidate_id).cte("started")
    ctes.append(lines_cte(started, now))
    statement = reply_insert(started, now).returning(select(started.c.candidate_id).scalar_subquery().label("candidate_id"))
    if checked:
        check, queued = duplicates.new_check_ctes({
            "conversation_id": select(started.c.id).scalar_subquery(),
            "candidate_id": select(started.c.candidate_id).scalar_subquery(),
            "purpose": literal(duplicates.PREFETCH), "status": literal("pending"), "application_id": null(),
            "created_at": now})
        ctes += [check, queued]
        statement = statement.returning(select(queued.c.id).scalar_subquery().label("item_id"))
    return statement.add_cte(*ctes)


# Built once, by (with an answer, with a language chosen[, with a job chosen]).
_OPENED_FOR_CONVERSATION = Prepared(_opened_for_conversation())
_PLAIN_WRITES = {(answer, language, posting): Prepared(_plain_writes(answer, language, posting))
                 for answer in (False, True) for language in (False, True) for posting in (False, True)}
_STARTED_WRITES = {(new_caller, checked): Prepared(_started_writes(new_caller, checked))
                   for new_caller in (False, True) for checked in (False, True)}


# _store_last_turn: ``finish`` declined the turn (the conversation claimed; nothing written
# that the ORM path writes otherwise).
_DECLINED = object()


def _store_last_turn(session: Session, row, advanced: _Advanced, event: flow.Event, step: int,
                     render_twiml: Renderer, now: dt.datetime, seen_step: int | None = None) -> str | object | None:
    """Store the common last turn of a screening (``screening_end.applies``) in Core statements:
    its end (``screening_end.finish``), transcript lines and TwiML. ``_DECLINED`` when
    ``finish`` declines it (nothing written that the ORM path would write otherwise); None,
    with nothing written, when ``seen_step`` is given (``row`` read without a lock) and the
    conversation has moved since."""
    turn, profile = advanced.turn, advanced.profile
    said, texts = _worded(turn)
    lines = turn_lines(event, texts)
    first = row.transcript_lines or 0
    connection = session.connection()
    reply = None
    if connection.dialect.name == "postgresql":  # the lines and the TwiML written by finish's last statement
        reply = {"twiml": render_twiml(turn, said, step, profile.setup), **lines_params(first, lines)}
    finished = screening_end.finish(session, row, advanced.question_ids, profile.company_id,
                                    now.astimezone(profile.timezone).date(), event, advanced.state, turn, step,
                                    first + len(lines), now, seen_step=seen_step, reply=reply)
    if not finished:
        return None if finished is None else _DECLINED
    if reply is not None:
        return reply["twiml"]
    insert_transcript(connection, row.id, first, lines, now)
    return _reply(connection, row.id, turn, said, step, profile, render_twiml, now)


def _reply(connection, conversation_id: int, turn: flow.Turn, said: list[tuple[str, str]], step: int,
           profile: _Profile, render_twiml: Renderer, now: dt.datetime) -> str:
    """The turn's TwiML, stored for the step (a retried webhook gets it again)."""
    twiml = render_twiml(turn, said, step, profile.setup)
    # A racing duplicate of this step fails here (primary key); its retry returns the stored reply.
    _INSERT_TWIML.execute(connection, {"conversation_id": conversation_id, "step": step, "twiml": twiml,
                                       "created_at": now})
    return twiml


def _worded(turn: flow.Turn) -> tuple[list[tuple[str, str]], list[str]]:
    """The turn's lines worded once for the voice: (what is said, as (words, language) parts
    for the TwiML; each line's words, for the transcript)."""
    parts = [render_parts(line, turn.language, "voice") for line in turn.lines]
    return [part for line in parts for part in line], [" ".join(words for words, _ in line) for line in parts]


def _conversation(session: Session, conversation_id: int) -> Conversation:
    """The conversation, locked until the transaction ends (``FOR UPDATE OF conversations``;
    on SQLite the write lock), with the rows a turn that changes more than answers may
    touch, loaded in the same statement."""
    return session.get(Conversation, conversation_id, with_for_update={"of": Conversation}, options=[
        joinedload(Conversation.agent), joinedload(Conversation.candidate),
        joinedload(Conversation.posting), joinedload(Conversation.application)])


def _after_late_answer(conversation: Conversation, hung_up_at: dt.datetime) -> None:
    """A late answer that ended the screening withdraws the hang-up flag; one that did not
    leaves the call abandoned, as the status callback had it. It ended when the caller hung up."""
    conversation.ended_at = hung_up_at
    if conversation.status == ConversationStatus.in_progress:
        conversation.status = ConversationStatus.abandoned
        if conversation.application is not None:
            conversation.application.screening_outcome = ScreeningOutcome.incomplete
    else:
        conversation.clear_flag(FollowUpReason.hung_up)


def end_call(connection: Connection, call_sid: str, call_status: str, duration_s: int | None = None,
             now: dt.datetime | None = None) -> bool:
    """The status callback: when ``call_status`` is final, close the conversation, in the
    transaction of ``connection`` (the unit of work's ``run(..., orm=False)``; safe with
    ``autocommit_first``: the common case is then one statement, its own transaction).

    A call that hung up before the flow ended becomes ``abandoned`` and is flagged for
    follow-up; every answer given is kept. Returns True when it changed something
    (a repeated callback changes nothing). Raises UnknownCall for a CallSid without a
    conversation.
    """
    if call_status not in FINAL_CALL_STATUSES:
        return False
    now = now or utcnow()
    # The common case, a call whose screening already ended (or ended otherwise), in one
    # Core UPDATE, without a Session's cost; a call still in progress (a hang-up), a repeat
    # or an unknown CallSid go on through the ORM below.
    closed = _CLOSE_ENDED.execute(connection, {"sid": call_sid, "now": now, "duration": duration_s}).first()
    if closed is not None:
        log.info("%s", ended_line(call_sid, call_status, closed.status, closed.application_id, closed.posting_key,
                                  closed.outcome, closed.score, closed.follow_up_note))
        return True
    # A Session joined to this transaction: its commit flushes and runs the flush hooks (the
    # candidate list's refresh) but leaves the commit itself to the unit of work
    # (SQLAlchemy, "Joining a Session into an External Transaction"). No outbox row is
    # written here: the unit of work would not enqueue one (run(orm=False)).
    begin_here(connection)  # the row locked below until the end
    with Session(bind=connection, join_transaction_mode="rollback_only") as session:
        changed = _end_unfinished(session, call_sid, call_status, duration_s, now)
        session.commit()
    return changed


SILENT_CALLS_BATCH = 500  # calls closed per sweep


def close_silent_calls(session: Session, settings, now: dt.datetime) -> list[int]:
    """The sweep's timer for calls whose status callback never came: Twilio does not retry
    it (our answer was a 503 while the database was down, or it was lost on the way), so a
    caller who hung up then would stay "in progress" for ever. A voice conversation in
    progress with no caller input for ``settings.call_silent_after_s`` seconds (none of our
    prompts waits that long) is closed as the callback would have closed it: abandoned,
    flagged ``hung_up`` for follow-up, every answer kept, ``ended_at`` its last input.
    Returns [] (no outbox rows)."""
    cutoff = now - dt.timedelta(seconds=settings.call_silent_after_s)
    last_input = func.coalesce(Conversation.last_activity_at, Conversation.started_at)
    silent = session.execute(
        select(Conversation.call_sid, last_input)
        .where(Conversation.channel == Channel.voice, Conversation.status == ConversationStatus.in_progress,
               Conversation.started_at <= cutoff, last_input <= cutoff)
        .limit(SILENT_CALLS_BATCH)).all()
    for call_sid, at in silent:
        _end_unfinished(session, call_sid, "no status callback", None, at)
    if silent:
        log.warning("sweep: %d call(s) in progress without input for %d s closed as hung up (their "
                    "status callback never came)", len(silent), settings.call_silent_after_s)
    return []


def _end_unfinished(session: Session, call_sid: str, call_status: str, duration_s: int | None,
                    now: dt.datetime) -> bool:
    """:func:`end_call` for a call the common UPDATE did not close."""
    conversation = session.scalars(
        select(Conversation).filter_by(call_sid=call_sid).with_for_update()).one_or_none()
    if conversation is None:
        raise UnknownCall(call_sid)
    if conversation.ended_at is not None and conversation.call_duration is not None:
        return False
    if conversation.status == ConversationStatus.in_progress and \
            conversation.state.get("phase") in flow.TEXT_NUMBER_PHASES:
        # Hung up when asked for a number to text: the screening was done; completed, no text.
        state, turn = flow.close_unanswered(flow.CallState.from_dict(conversation.state))
        conversation.state = state.to_dict()
        apply_effects(session, conversation, turn.effects, now)
        duplicates.after_screening(session, conversation, now)
    elif conversation.status == ConversationStatus.in_progress:
        conversation.status = ConversationStatus.abandoned
        where = conversation.state.get("phase", "start")
        conversation.flag(FollowUpReason.hung_up, f"caller hung up ({call_status}) during {where}")
        if conversation.application is not None:
            conversation.application.screening_outcome = ScreeningOutcome.incomplete
    conversation.ended_at = conversation.ended_at or now
    if duration_s is not None:
        conversation.call_duration = duration_s
    application = conversation.application
    log.info("%s", ended_line(call_sid, call_status, conversation.status, conversation.application_id,
                              application.posting.key if application is not None else None,
                              application.screening_outcome if application is not None else None,
                              application.score if application is not None else None,
                              conversation.follow_up_note))
    return True


def ended_line(call_sid: str, call_status: str, status: ConversationStatus, application_id: int | None,
               posting_key: str | None, outcome: str | None, score: float | None, follow_up: str | None) -> str:
    """The log line of a call's end: what happened to it, with no personal data, e.g.
    ``call CA.. ended: completed, conversation completed; application 7 (forklift-operator):
    qualified, score 82`` or ``... conversation abandoned; application 8 (picker): incomplete;
    follow-up: caller hung up (completed) during question``. ``score`` 0-100 or None; the
    follow-up note is the flow's own words (question keys and phases, never what was said)."""
    line = f"call {call_sid} ended: {call_status}, conversation {ConversationStatus(status).value}"
    if application_id is not None:
        line += f"; application {application_id} ({posting_key}): {outcome}"
        if score is not None:
            line += f", score {score:g}"
    if follow_up:
        line += f"; follow-up: {follow_up}"
    return line


_ENDED_APP, _ENDED_POSTING = aliased(Application, name="ended_app"), aliased(Posting, name="ended_posting")
_OF_ENDED_CALL = literal_column("ended_app.id") == literal_column("conversations.application_id")
_CLOSE_ENDED = Prepared(
    update(Conversation)
    .where(Conversation.call_sid == bindparam("sid"), Conversation.status != ConversationStatus.in_progress,
           or_(Conversation.ended_at.is_(None), Conversation.call_duration.is_(None)))
    .values(ended_at=func.coalesce(Conversation.ended_at, bindparam("now", type_=Conversation.ended_at.type)),
            call_duration=func.coalesce(bindparam("duration", type_=Integer), Conversation.call_duration))
    # What the log line says of the call's end (ended_line): its application's job, outcome and
    # score, by subqueries on aliases. Their conditions are literal columns: SQLite's RETURNING
    # is compiled without table names, and "id = application_id" was then ambiguous.
    .returning(Conversation.status, Conversation.application_id, Conversation.follow_up_note,
               *(select(column).where(_OF_ENDED_CALL).scalar_subquery().label(name)
                 for name, column in (("outcome", _ENDED_APP.screening_outcome), ("score", _ENDED_APP.score))),
               select(_ENDED_POSTING.key).select_from(_ENDED_APP, _ENDED_POSTING)
               .where(_OF_ENDED_CALL, literal_column("ended_posting.id") == literal_column("ended_app.posting_id"))
               .scalar_subquery().label("posting_key")))


def store_recording(session: Session, call_sid: str, recording_sid: str, url: str | None, duration_s: int | None,
                    status: str | None) -> bool:
    """The recording status callback: reference the call's recording on its conversation
    (Twilio's RecordingSid, RecordingUrl, RecordingDuration, RecordingStatus; the audio stays
    at Twilio). Idempotent and independent of ``/voice/status`` (either may come first); a
    late callback never turns a completed recording back. Returns True when it changed
    something. Raises UnknownCall for a CallSid without a conversation."""
    conversation = session.scalars(
        select(Conversation).filter_by(call_sid=call_sid).with_for_update()).one_or_none()
    if conversation is None:
        raise UnknownCall(call_sid)
    if conversation.recording_status == "completed" and status != "completed":
        return False
    new = {"recording_sid": recording_sid, "recording_url": url or conversation.recording_url,
           "recording_duration": duration_s if duration_s is not None else conversation.recording_duration,
           "recording_status": status or conversation.recording_status}
    if all(getattr(conversation, name) == value for name, value in new.items()):
        return False
    for name, value in new.items():
        setattr(conversation, name, value)
    log.info("call %s: recording %s %s", call_sid, recording_sid, status or "(no status)")
    return True


# ---------------------------------------------------------------- helpers


def _safe_e164(raw: str | None) -> str | None:
    try:
        return to_e164(raw or "")
    except ValueError:
        return None


def local_today(agent: Agent, now: dt.datetime) -> dt.date:
    """The call's date in the agent's own time zone (for "next Monday")."""
    return now.astimezone(ZoneInfo(agent.timezone)).date()


_PREVIOUS = Prepared(select(_conversations.c.started_at, _conversations.c.status, _postings.c.title,
                            Application.__table__.c.routing)
                     .outerjoin(_postings, _postings.c.id == _conversations.c.posting_id)
                     .outerjoin(Application.__table__,
                                Application.__table__.c.id == _conversations.c.application_id)
                     .where(_conversations.c.candidate_id == bindparam("candidate_id"),
                            _conversations.c.id != bindparam("exclude"))
                     .order_by(_conversations.c.started_at.desc()).limit(1))


def _previous_application(connection, candidate_id: int, exclude: int, tz: ZoneInfo,
                          language: str | None) -> flow.ApplicationSummary | None:
    """The caller's latest conversation other than ``exclude`` (one statement), as the flow's
    summary: its date in ``tz``, its status and the job's title in ``language``; None when none.
    Once a recruiter or routing decided (approved, invited, dismissed), that is the status
    the caller hears, not the screening's "completed"."""
    previous = _PREVIOUS.execute(connection, {"candidate_id": candidate_id, "exclude": exclude}).first()
    if previous is None:
        return None
    role = previous.title.get(language or "en") if previous.title else None
    decided = previous.routing in _DECIDED
    return flow.ApplicationSummary(previous.started_at.astimezone(tz).date(),
                                   (previous.routing if decided else previous.status).value, role)


_DECIDED = frozenset({RoutingState.approved, RoutingState.invited, RoutingState.dismissed})


_STORED_TWIML = Prepared(select(CallTurn.__table__.c.twiml).where(
    CallTurn.__table__.c.conversation_id == bindparam("id"), CallTurn.__table__.c.step == bindparam("step")))


def _stored_turn(db: Session | Connection, conversation_id: int, step: int) -> str:
    stored = _STORED_TWIML.execute(core_connection(db), {"id": conversation_id, "step": step}).scalar()
    if stored is None:  # cannot happen unless rows were deleted by hand
        raise UnknownCall(f"conversation {conversation_id} has no step {step}")
    return stored


def _record_turn(session: Session, conversation: Conversation, profile: _Profile, event, turn: flow.Turn,
                 step: int, render_twiml: Renderer, now: dt.datetime) -> str:
    """Store a turn through the ORM (transcript, effects) and its TwiML; a finished screening
    gets its confirmation text queued in the same transaction."""
    record_turn(session, conversation, event, turn, "voice", now)
    if turn.ended and conversation.status == ConversationStatus.completed:
        # A returning caller who applied to nothing new gets no second confirmation text.
        if conversation.application is not None or not conversation.state.get("on_file"):
            queue_confirmation(session, conversation, now)
        duplicates.after_screening(session, conversation, now)
    said, _ = _worded(turn)
    return _reply(session.connection(), conversation.id, turn, said, step, profile, render_twiml, now)
