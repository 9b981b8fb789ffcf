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

from sqlalchemy import Integer, bindparam, func, insert, or_, select, update
from sqlalchemy.orm import Session, joinedload

from ..adapters.twiml import VoiceSetup
from ..engine import flow
from ..engine.texts import render_parts
from ..engine.vocabulary import Phase
from ..adapters.models import (Agent, AgentKind, CallTurn, Candidate, Channel, Conversation, ConversationStatus, Posting,
                               FollowUpReason, ScreeningOutcome,
                      PhoneNumber, utcnow)
from ..phones import mask, to_e164
from ..settings import SpeechSettings
from . import duplicates
from .confirmation import can_text, queue_confirmation
from . import candidate_list, screening_end
from .conversations import insert_answer, insert_transcript, open_application, record_turn, turn_lines
from .scripts import compiled_by_id, per_version

log = logging.getLogger(__name__)

# (turn, [(text, language)], step, setup) -> TwiML; supplied by the web layer, which knows the URLs.
Renderer = Callable[[flow.Turn, list[tuple[str, str]], int, VoiceSetup], str]

# Twilio CallStatus values after which the call is over (Twilio, "Call resource: status").
FINAL_CALL_STATUSES = {"completed", "busy", "failed", "no-answer", "canceled"}
# The phases whose handler reads the caller's earlier application (``CallContext.application``:
# the menu's "check on an application"); other turns skip that query.
HISTORY_PHASES = frozenset({Phase.menu})


class UnknownNumber(LookupError):
    """No receptionist answers the dialed number (``To``)."""


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


def start_call(session: Session, call: InboundCall, render_twiml: Renderer, now: dt.datetime | None = None) -> str:
    """Answer a new call: create the conversation, say the greeting, ask the first question.

    A retried request for the same CallSid returns the first reply again. Raises
    UnknownNumber when no receptionist answers ``call.to_number``.

    Core statements only (no ORM object): one SELECT for the agent, the caller and a retry's
    conversation; the candidate (a new number, or a hidden caller ID: a new record each call),
    the conversation, its transcript, the ATS lookup (prefetch), the candidate list's row and
    the TwiML inserted. ``flow.start`` asks first (the language or the menu): its turn has no
    effects, and neither the caller's history nor their applications on file are read.
    """
    now = now or utcnow()
    connection = session.connection()
    to, phone = _safe_e164(call.to_number), _safe_e164(call.from_number)
    found = connection.execute(_ANSWERING, {"call_sid": call.call_sid, "to": to, "phone": phone}).first() \
        if to else None
    existing = found.existing if found is not None else connection.scalar(
        _CONVERSATION_OF_CALL, {"call_sid": call.call_sid})
    if existing is not None:
        return _stored_turn(session, existing, 0)
    if found is None or found.kind != AgentKind.receptionist:
        raise UnknownNumber(call.to_number)
    script, _ = compiled_by_id(session, found.agent_id, found.script_version)
    profile = _profile(session, found.agent_id, found.script_version)
    candidate_id = found.candidate_id
    if candidate_id is None:
        candidate_id = connection.execute(_NEW_CANDIDATE, {"phone": phone, "opted_out": False}).scalar_one()
    caller = _Caller(phone, bool(found.opted_out))
    state, turn = flow.start(script, flow.CallContext(
        today=now.astimezone(profile.timezone).date(), channel="voice", can_text=can_text(caller),
        min_speech_confidence=profile.speech.min_confidence))
    said, texts = _worded(turn)
    lines = turn_lines(None, texts)
    conversation_id = connection.execute(_NEW_CONVERSATION, {
        "channel": Channel.voice, "agent_id": found.agent_id, "candidate_id": candidate_id,
        "call_sid": call.call_sid, "to_number": to or call.to_number[:16], "forwarded_from": call.forwarded_from,
        "source": (call.source or None) and call.source[:80], "language": state.language, "state": state.to_dict(),
        "step": 0, "transcript_lines": len(lines), "status": ConversationStatus.in_progress,
        "started_at": now}).scalar_one()
    insert_transcript(connection, conversation_id, 0, lines, now)
    if phone is not None:  # read after the menu, never waited for
        duplicates.write_check(session, company_id=profile.company_id, candidate_id=candidate_id, phone=phone,
                               email=found.email, purpose=duplicates.PREFETCH, conversation_id=conversation_id)
    candidate_list.refresh(connection, [candidate_id], new=found.candidate_id is None)
    twiml = render_twiml(turn, said, 0, replace(profile.setup, start_recording=bool(found.recording)))
    # A racing duplicate of this call fails on the CallSid (unique); its retry returns this reply.
    connection.execute(_INSERT_TWIML, {"conversation_id": conversation_id, "step": 0, "twiml": twiml,
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


def answer_prompt(session: Session, call_sid: str, step: int, event: flow.Event, render_twiml: Renderer,
                  now: dt.datetime | None = None) -> str:
    """Apply the caller's input (speech, keys or silence) to the prompt of ``step``.

    ``step`` is the step number carried by the ``<Gather>`` action URL. The same step
    posted again returns the stored reply; a stale step gets the latest prompt again.
    Raises UnknownCall for a CallSid without a conversation.

    Most turns store an answer (or nothing) and ask the next question: those are read and
    written with Core statements alone (:func:`_store_plain_turn`); a turn that reads the
    caller's history or changes more (a language, a posting, a name, the end) goes through
    the ORM.
    """
    now = now or utcnow()
    row = session.connection().execute(_TURN_ROW, {"call_sid": call_sid, "step": step}).one_or_none()
    if row is None:
        raise UnknownCall(call_sid)
    if row.stored is not None:
        return row.stored
    if step != row.step + 1:
        return _stored_turn(session, row.id, row.step)
    # The caller's last words can arrive after Twilio's "completed" status callback (the
    # Gather's action is posted once the speech is recognised): they are kept, not dropped.
    late = (row.status == ConversationStatus.abandoned and not isinstance(event, flow.Silence)
            and row.follow_up_reason == FollowUpReason.hung_up)
    if row.status != ConversationStatus.in_progress and not late:
        # Twilio already reported the call over; nothing more to ask.
        return _stored_turn(session, row.id, row.step)
    script, question_ids = compiled_by_id(session, row.agent_id, row.script_version)
    profile = _profile(session, row.agent_id, row.script_version)
    state = flow.CallState.from_dict(row.state)
    conversation = _conversation(session, row.id) if late else None
    ctx = _turn_context(session.connection(), profile, row, now, state.phase)
    state, turn = flow.advance(script, state, event, ctx)
    if conversation is None and not turn.ended and all(isinstance(e, _PLAIN_EFFECTS) for e in turn.effects):
        return _store_plain_turn(session.connection(), row, question_ids, profile, event, state, turn, step,
                                 render_twiml, now)
    if conversation is None and screening_end.applies(row, turn):
        twiml = _store_last_turn(session, row, question_ids, profile, event, state, turn, step, render_twiml, now)
        if twiml is not None:
            return twiml
    conversation = conversation or _conversation(session, row.id)
    conversation.state = state.to_dict()
    conversation.step = step
    if late:
        conversation.status, hung_up_at = ConversationStatus.in_progress, conversation.ended_at
    twiml = _record_turn(session, conversation, profile, event, turn, step, render_twiml, now)
    if late:
        _after_late_answer(conversation, hung_up_at)
    return twiml


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


def _profile(session: Session, agent_id: int, version: str | None) -> _Profile:
    def build() -> _Profile:
        agent = session.get(Agent, agent_id)
        speech = SpeechSettings.parse(agent.speech or {})
        return _Profile(ZoneInfo(agent.timezone), speech, VoiceSetup(agent.voices or {}, speech), agent.company_id,
                        duplicates.CompanyATS(agent.company.slug, dict(agent.company.ats_config or {})),
                        dict(session.connection().execute(_POSTING_IDS, {"company_id": agent.company_id}).all()))
    return per_version("call profile", agent_id, version, build)


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
    return flow.CallContext(today=now.astimezone(profile.timezone).date(), channel="voice", application=summary,
                            can_text=can_text(row), min_speech_confidence=profile.speech.min_confidence,
                            on_file=on_file)


_conversations, _agents, _candidates = Conversation.__table__, Agent.__table__, Candidate.__table__
_postings = Posting.__table__
# One statement per turn (built once): the conversation of a CallSid, locked until the
# transaction ends (``FOR UPDATE OF conversations`` on PostgreSQL; SQLite's write lock is
# taken at BEGIN), what the turn needs of its agent and candidate, and the reply already
# stored for the step if any.
_TURN_ROW = (
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
    .where(_conversations.c.call_sid == bindparam("call_sid"))
    .with_for_update(of=_conversations))
# A turn whose effects are all of these is stored with Core statements (_store_plain_turn).
_PLAIN_EFFECTS = (flow.AnswerGiven, flow.LanguageChosen, flow.PostingChosen)
_UPDATE_TURN = (update(_conversations).where(_conversations.c.id == bindparam("conversation_id"))
                .values(state=bindparam("state"), step=bindparam("step"), transcript_lines=bindparam("lines"),
                        language=bindparam("language"), posting_id=bindparam("posting_id"),
                        application_id=bindparam("application_id")))
_POSTING_IDS = select(_postings.c.key, _postings.c.id).where(_postings.c.company_id == bindparam("company_id"))
_UPDATE_ANSWERED = _UPDATE_TURN.values(last_activity_at=bindparam("now"))
_UPDATE_LANGUAGE = (update(_candidates).where(_candidates.c.id == bindparam("candidate_id"))
                    .values(language=bindparam("language")))
_INSERT_TWIML = insert(CallTurn.__table__)
_phone_numbers = PhoneNumber.__table__
# In one statement: the agent answering the dialed number, the candidate calling from the
# caller's number (none yet, or a hidden caller ID: a NULL never equals) and the conversation
# a retried request already started.
_ANSWERING = (
    select(_agents.c.id.label("agent_id"), _agents.c.kind, _agents.c.script_version, _agents.c.recording,
           _candidates.c.id.label("candidate_id"), _candidates.c.opted_out, _candidates.c.email,
           _CONVERSATION_OF_CALL.scalar_subquery().label("existing"))
    .select_from(_agents).join(_phone_numbers, _phone_numbers.c.agent_id == _agents.c.id)
    .outerjoin(_candidates, _candidates.c.phone == bindparam("phone"))
    .where(_phone_numbers.c.e164 == bindparam("to")))
_NEW_CANDIDATE = insert(_candidates).returning(_candidates.c.id)
_NEW_CONVERSATION = insert(_conversations).returning(_conversations.c.id)


def _store_plain_turn(connection, row, question_ids: dict[str, int], profile: _Profile, event: flow.Event,
                      state: flow.CallState, turn: flow.Turn, step: int, render_twiml: Renderer,
                      now: dt.datetime) -> str:
    """Store a turn that only answers questions or picks the language or the job, then asks
    the next question: transcript lines, answers, the conversation's row (for a language, the
    candidate's; for a job, the application and the candidate list's row) and the TwiML, in
    Core statements (no ORM object)."""
    said, texts = _worded(turn)
    lines = insert_transcript(connection, row.id, row.transcript_lines or 0, turn_lines(event, texts), now)
    params = {"conversation_id": row.id, "state": state.to_dict(), "step": step, "lines": lines,
              "language": row.conversation_language, "posting_id": row.posting_id,
              "application_id": row.application_id}
    opened = False
    for effect in turn.effects:
        if isinstance(effect, flow.AnswerGiven):
            insert_answer(connection, row.id, question_ids[effect.question_key], effect, now)
        elif isinstance(effect, flow.LanguageChosen):
            params["language"] = effect.language
            connection.execute(_UPDATE_LANGUAGE, {"candidate_id": row.candidate_id, "language": effect.language})
        else:  # flow.PostingChosen; an unknown key (a posting closed mid-call) leaves the application as it was
            params["posting_id"] = profile.posting_ids.get(effect.posting_key)
            if params["posting_id"] is not None:
                opened = True
                params["application_id"] = open_application(connection, row.candidate_id, params["posting_id"],
                                                            row.agent_id)
    if isinstance(event, flow.Silence):
        connection.execute(_UPDATE_TURN, params)
    else:
        connection.execute(_UPDATE_ANSWERED, {**params, "now": now})
    if opened:  # an application (re)opened: the candidate list's row follows
        candidate_list.refresh(connection, [row.candidate_id])
    twiml = render_twiml(turn, said, step, profile.setup)
    # A racing duplicate of this step fails here (primary key); its retry returns the stored reply.
    connection.execute(_INSERT_TWIML, {"conversation_id": row.id, "step": step, "twiml": twiml, "created_at": now})
    return twiml


def _store_last_turn(session: Session, row, question_ids: dict[str, int], profile: _Profile, event: flow.Event,
                     state: flow.CallState, turn: flow.Turn, step: int, render_twiml: Renderer,
                     now: dt.datetime) -> str | None:
    """Store the common last turn of a screening (``screening_end.applies``) in Core statements:
    its end (``screening_end.finish``), transcript lines and TwiML. None when ``finish``
    declines it (nothing written that the ORM path would write otherwise)."""
    said, texts = _worded(turn)
    lines = turn_lines(event, texts)
    first = row.transcript_lines or 0
    if not screening_end.finish(session, row, question_ids, profile.company_id,
                                now.astimezone(profile.timezone).date(), event, state, turn, step,
                                first + len(lines), now):
        return None
    insert_transcript(session.connection(), row.id, first, lines, now)
    return _reply(session.connection(), row.id, turn, said, step, profile, render_twiml, now)


def _reply(connection, conversation_id: int, turn: flow.Turn, said: list[tuple[str, str]], step: int,
           profile: _Profile, render_twiml: Renderer, now: dt.datetime) -> str:
    """The turn's TwiML, stored for the step (a retried webhook gets it again)."""
    twiml = render_twiml(turn, said, step, profile.setup)
    # A racing duplicate of this step fails here (primary key); its retry returns the stored reply.
    connection.execute(_INSERT_TWIML, {"conversation_id": conversation_id, "step": step, "twiml": twiml,
                                       "created_at": now})
    return twiml


def _worded(turn: flow.Turn) -> tuple[list[tuple[str, str]], list[str]]:
    """The turn's lines worded once for the voice: (what is said, as (words, language) parts
    for the TwiML; each line's words, for the transcript)."""
    parts = [render_parts(line, turn.language, "voice") for line in turn.lines]
    return [part for line in parts for part in line], [" ".join(words for words, _ in line) for line in parts]


def _conversation(session: Session, conversation_id: int) -> Conversation:
    """The conversation (already locked by this transaction's turn row) with the rows a turn
    that changes more than answers may touch, loaded in the same statement."""
    return session.get(Conversation, conversation_id, options=[
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


def end_call(session: Session, call_sid: str, call_status: str, duration_s: int | None = None,
             now: dt.datetime | None = None) -> bool:
    """The status callback: when ``call_status`` is final, close the conversation.

    A call that hung up before the flow ended becomes ``abandoned`` and is flagged for
    follow-up; every answer given is kept. Returns True when it changed something
    (a repeated callback changes nothing).
    """
    if call_status not in FINAL_CALL_STATUSES:
        return False
    now = now or utcnow()
    # The common case, a call whose screening already ended (or ended otherwise), in one
    # UPDATE; a call still in progress (a hang-up), a repeat or an unknown CallSid go on below.
    closed = session.connection().execute(_CLOSE_ENDED, {"sid": call_sid, "now": now, "duration": duration_s}).first()
    if closed is not None:
        log.info("call %s ended: %s, conversation %s", call_sid, call_status, closed.status.value)
        return True
    conversation = session.scalars(
        select(Conversation).filter_by(call_sid=call_sid).with_for_update()).one_or_none()
    if conversation is None:
        raise UnknownCall(call_sid)
    if conversation.ended_at is not None and conversation.call_duration is not None:
        return False
    if conversation.status == ConversationStatus.in_progress:
        conversation.status = ConversationStatus.abandoned
        where = conversation.state.get("phase", "start")
        conversation.flag(FollowUpReason.hung_up, f"caller hung up ({call_status}) during {where}")
        if conversation.application is not None:
            conversation.application.screening_outcome = ScreeningOutcome.incomplete
    conversation.ended_at = conversation.ended_at or now
    if duration_s is not None:
        conversation.call_duration = duration_s
    log.info("call %s ended: %s, conversation %s", call_sid, call_status, conversation.status.value)
    return True


_CLOSE_ENDED = (
    update(Conversation)
    .where(Conversation.call_sid == bindparam("sid"), Conversation.status != ConversationStatus.in_progress,
           or_(Conversation.ended_at.is_(None), Conversation.call_duration.is_(None)))
    .values(ended_at=func.coalesce(Conversation.ended_at, bindparam("now", type_=Conversation.ended_at.type)),
            call_duration=func.coalesce(bindparam("duration", type_=Integer), Conversation.call_duration))
    .returning(Conversation.status))


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


_PREVIOUS = (select(_conversations.c.started_at, _conversations.c.status, _postings.c.title)
             .outerjoin(_postings, _postings.c.id == _conversations.c.posting_id)
             .where(_conversations.c.candidate_id == bindparam("candidate_id"),
                    _conversations.c.id != bindparam("exclude"))
             .order_by(_conversations.c.started_at.desc()).limit(1))


def _previous_application(connection, candidate_id: int, exclude: int, tz: ZoneInfo,
                          language: str | None) -> flow.ApplicationSummary | None:
    """The caller's latest conversation other than ``exclude`` (one statement), as the flow's
    summary: its date in ``tz``, its status and the job's title in ``language``; None when none."""
    previous = connection.execute(_PREVIOUS, {"candidate_id": candidate_id, "exclude": exclude}).first()
    if previous is None:
        return None
    role = previous.title.get(language or "en") if previous.title else None
    return flow.ApplicationSummary(previous.started_at.astimezone(tz).date(), previous.status.value, role)


def _stored_turn(session: Session, conversation_id: int, step: int) -> str:
    stored = session.get(CallTurn, (conversation_id, step))
    if stored is None:  # cannot happen unless rows were deleted by hand
        raise UnknownCall(f"conversation {conversation_id} has no step {step}")
    return stored.twiml


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
