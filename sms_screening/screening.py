"""The SMS screening agent: the same flow engine as the phone, over text."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from receptionist.engine import flow, interpret
from receptionist.engine.script import AgentScript
from receptionist.engine.texts import Line, render
from receptionist.adapters.models import (Agent, Candidate, Channel, Conversation, ConversationStatus, FollowUpReason,
                                          ScreeningOutcome, Speaker)
from receptionist.services import duplicates
from receptionist.services.calls import local_today
from receptionist.services.conversations import add_transcript, record_turn
from receptionist.services.scripts import script_for

from .cleaning import answer_text
from .replies import is_courtesy



def text_event(body: str) -> flow.Event:
    """A text as a flow event: only digits (and spaces) -> Digits, else Speech, empty -> Silence."""
    stripped = (body or "").strip()
    if not stripped:
        return flow.Silence()
    compact = stripped.replace(" ", "").rstrip(".")
    if compact.isdigit() and len(compact) <= 8:
        return flow.Digits(compact, source="sms")
    return flow.Speech(stripped, 1.0, source="sms")


def without_our_question(said: str, script: AgentScript, state: dict | flow.CallState) -> str:
    """``said`` without the open question pasted into it ("Monday\nWhen is the earliest you
    could start? Reply with a date, like next Monday or 3/15, or NOW." -> "Monday"):
    ``cleaning.answer_text`` given the question as we texted it. ``state``: the screening's
    (``Conversation.state``, or a ``flow.CallState``). A text of one line is returned as is."""
    if "\n" not in said:
        return said
    state = state if isinstance(state, flow.CallState) else flow.CallState.from_dict(state)
    prompt = flow.current_prompt(script, state)
    return answer_text(said, [render(prompt, state.language, "sms")]) if prompt else said


def open_screening(session: Session, agent: Agent, candidate: Candidate) -> Conversation | None:
    """The candidate's unfinished SMS screening with ``agent``, if any (newest first)."""
    return session.scalars(
        select(Conversation)
        .where(Conversation.agent_id == agent.id, Conversation.candidate_id == candidate.id,
               Conversation.channel == Channel.sms, Conversation.status == ConversationStatus.in_progress)
        .order_by(Conversation.started_at.desc()).limit(1)).first()


def expire(conversation: Conversation, now: dt.datetime) -> None:
    """Close a screening the candidate left silent too long; answers are kept, a recruiter follows up."""
    conversation.status = ConversationStatus.abandoned
    conversation.ended_at = now
    conversation.flag(FollowUpReason.sms_expired, "SMS screening expired after silence")
    if conversation.application is not None:
        conversation.application.screening_outcome = ScreeningOutcome.incomplete


def handle_screening_reaction(session: Session, agent: Agent, candidate: Candidate, body: str, now: dt.datetime,
                              expires_after: int) -> tuple[Conversation | None, list[str]]:
    """A reaction to one of our texts (``reactions.read_reaction``: ``Liked “Which shift…”``)
    during a screening: not an answer, whatever it quotes. The open question is asked again
    after a line saying so, and both go in the transcript; with no screening open (or one
    silent longer than ``expires_after`` seconds) a reaction starts none and gets no reply.
    Returns the conversation (or None) and the reply texts."""
    conversation = open_screening(session, agent, candidate)
    if conversation is None or (now - (conversation.last_activity_at or conversation.started_at)
                                ).total_seconds() > expires_after:
        return None, []
    state = flow.CallState.from_dict(conversation.state)
    prompt = flow.current_prompt(script_for(agent), state)
    lines = [Line("reaction_not_answer")] + ([prompt] if prompt else [])
    reply = "\n".join(render(line, state.language, "sms") for line in lines)
    conversation.nudged_at = None  # they are there: a new silence may be nudged once again
    add_transcript(session, conversation, [(Speaker.candidate, body), (Speaker.agent, reply)], now)
    conversation.last_activity_at = now
    return conversation, [reply]


def handle_screening_text(session: Session, agent: Agent, candidate: Candidate, body: str, to_number: str,
                          now: dt.datetime, expires_after: int, computed=None) -> tuple[Conversation | None, list[str]]:
    """Continue the candidate's screening with ``body`` (resuming after any silence shorter
    than ``expires_after`` seconds), or start one: any first text (e.g. JOBS) starts it, in the
    candidate's language when it is on file (``candidates.language``; else it is asked).
    An e-mail address texted with no screening open, by a candidate with an application on
    file, is saved and answered (:func:`_email_after_application`) instead; one texted while a
    screening waits for another answer is saved by the flow (``flow.EmailGiven``).
    ``computed``: the turn ``turns.plain_answer`` computed before the lock (a ``turns.Computed``),
    taken as is when the screening is still at its step. Returns the conversation (None when
    none was started) and the reply texts."""
    conversation = open_screening(session, agent, candidate)
    unfinished = False
    if conversation is not None:
        idle_since = conversation.last_activity_at or conversation.started_at
        if (now - idle_since).total_seconds() > expires_after:
            expire(conversation, now)
            conversation, unfinished = None, True
    if conversation is not None:  # as turns.plain_answer reads it
        body = without_our_question(body, script_for(agent), conversation.state)
    if computed is not None and conversation is not None and (computed.conversation_id, computed.step) == (
            conversation.id, conversation.step):
        return conversation, _store_turn(session, conversation, computed.state, computed.turn, text_event(body), now,
                                         step_on=True)
    script = script_for(agent)
    # What is on file is read only where the flow may begin an application (or begin again
    # in another language).
    reads = (conversation is None or flow.CallState.from_dict(conversation.state).phase in flow.READS_ON_FILE
             or flow.asks_to_switch(conversation.state, body))
    on_file = duplicates.on_file(session, agent, candidate, conversation and conversation.application_id) \
        if reads else ()
    started = conversation is None
    # A new texter's first words tell their language when no earlier choice is on file
    # ("hi is this for the warehouse job?", not a keyword such as "JOBS"): greeted in it, the
    # others offered.
    language = candidate.language or (interpret.language_of(body, script.languages, min_words=2) if started
                                      else None)
    unfinished = started and not on_file and (unfinished or _last_ended_unfinished(session, agent, candidate))
    ctx = flow.sms_context(local_today(agent, now), on_file=on_file, language=language, unfinished=unfinished)
    email = interpret.email(body) if started and on_file else None
    if email is not None:
        return None, _email_after_application(candidate, email.value, script)
    if started and on_file and is_courtesy(body):  # "gracias!" after applying: no new screening
        return None, [_in_language_of(candidate, script, Line("welcome"), Line("application_in"))]
    if started:
        state, turn = flow.start(script, ctx, said=body)
        if state.language == language and not candidate.language:
            candidate.language = language  # kept as if chosen: the next thread starts in it too
        conversation = Conversation(channel=Channel.sms, agent=agent, candidate=candidate, to_number=to_number,
                                    language=state.language, state=state.to_dict(), step=0, started_at=now,
                                    source="sms")
        session.add(conversation)
        session.flush()
        duplicates.prefetch(session, conversation)
        event: flow.Event = flow.Speech(body.strip() or "(empty)", 1.0, source="sms")
    else:
        event = text_event(body)
        state, turn = flow.advance(script, flow.CallState.from_dict(conversation.state), event, ctx)
    return conversation, _store_turn(session, conversation, state, turn, event, now, step_on=not started)


def _last_ended_unfinished(session: Session, agent: Agent, candidate: Candidate) -> bool:
    """Whether the candidate's latest SMS screening with ``agent`` ended unfinished (abandoned:
    not understood, or expired), so that a new thread says it starts again."""
    status = session.scalars(
        select(Conversation.status)
        .where(Conversation.agent_id == agent.id, Conversation.candidate_id == candidate.id,
               Conversation.channel == Channel.sms)
        .order_by(Conversation.started_at.desc(), Conversation.id.desc()).limit(1)).first()
    return status == ConversationStatus.abandoned


def _email_after_application(candidate: Candidate, email: str, script: AgentScript) -> list[str]:
    """An e-mail address texted after the application is in (the SMS screening asks for none):
    kept on the candidate, and answered in their language with how to apply for another job,
    rather than taken as the first text of a new screening."""
    candidate.email = email
    return [_in_language_of(candidate, script, Line("email_saved", {"email": email}), Line("application_in"))]


def _in_language_of(candidate: Candidate, script: AgentScript, *lines: Line) -> str:
    """``lines`` as one text in the candidate's language (the script's default when none is on file)."""
    lang = candidate.language if candidate.language in script.languages else script.default_language
    return "\n".join(render(line, lang, "sms") for line in lines)


def _store_turn(session: Session, conversation: Conversation, state: flow.CallState, turn: flow.Turn,
                event: flow.Event, now: dt.datetime, step_on: bool) -> list[str]:
    """Store the screening's turn (through the ORM) and return its reply texts (one, or none)."""
    if step_on:
        conversation.step += 1
    conversation.state = state.to_dict()
    conversation.nudged_at = None  # a new silence may be nudged once again
    texts = record_turn(session, conversation, event, turn, "sms", now)
    if turn.ended and conversation.status == ConversationStatus.completed:
        duplicates.after_screening(session, conversation, now)
    return ["\n".join(texts)] if texts else []
