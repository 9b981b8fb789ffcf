"""Storing a conversation's turns, for both channels: transcript lines and the facts
(effects) the flow established, in the caller's transaction."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from ..adapters.db import Prepared
from ..adapters.models import (Answer, AnswerSource, Application, Conversation, ConversationStatus, Posting,
                               ScreeningOutcome, Speaker, TranscriptLine)
from ..engine import flow
from ..engine.texts import render
from ..engine.vocabulary import WebhookEvent
from .routing import route_if_ready
from .scores import score_of, stored_answers
from .scripts import question_id
from .text_numbers import record_said_number
from .webhooks import emit


# Built once: a Core statement constructed per call costs more than its execution on SQLite.
_INSERT_LINE = Prepared(insert(TranscriptLine.__table__), keys=("conversation_id", "seq", "speaker", "text", "at"))
_INSERT_ANSWER = Prepared(insert(Answer.__table__), keys=(
    "conversation_id", "question_id", "raw_text", "source", "value", "confidence", "knocked_out", "created_at",
    "speech_confidence", "interpreter_confidence", "confirmed"))


def _heard(event: flow.Event | None) -> str | None:
    if isinstance(event, flow.Repeat):  # the caller said nothing new: our side lost their input
        return None
    if isinstance(event, flow.Speech):
        return event.text.strip() or None
    if isinstance(event, flow.Digits):
        return event.digits if event.source == "sms" else f"[pressed {event.digits}]"
    if isinstance(event, flow.Silence):
        return "[no answer]"
    return None


def insert_transcript(connection, conversation_id: int, first_seq: int, lines: list[tuple[Speaker, str]],
                      now: dt.datetime) -> int:
    """Insert ``lines`` ((speaker, text) pairs) after line ``first_seq`` of the conversation's
    transcript, in one statement on ``connection``; returns the new line count."""
    if lines:
        _INSERT_LINE.execute(connection, [
            {"conversation_id": conversation_id, "seq": first_seq + n, "speaker": speaker, "text": text, "at": now}
            for n, (speaker, text) in enumerate(lines, start=1)])
    return first_seq + len(lines)


def turn_lines(event: flow.Event | None, texts: list[str]) -> list[tuple[Speaker, str]]:
    """The transcript lines of one turn: what the candidate sent (if anything), then the agent's ``texts``."""
    heard = _heard(event)
    return ([(Speaker.candidate, heard)] if heard else []) + [(Speaker.agent, t) for t in texts]


def insert_answer(connection, conversation_id: int, question_id: int, effect: flow.AnswerGiven,
                  now: dt.datetime) -> None:
    """Store one answer (``effect``) to question ``question_id``: one INSERT on ``connection``.
    A second answer to the same question in the conversation raises IntegrityError."""
    _INSERT_ANSWER.execute(connection, answer_values(conversation_id, question_id, effect, now))


def answer_values(conversation_id: int, question_id: int, effect: flow.AnswerGiven, now: dt.datetime) -> dict:
    """The ``answers`` row of one answer (``effect``) to question ``question_id``, by column name."""
    return dict(
        conversation_id=conversation_id, question_id=question_id, raw_text=effect.raw_text,
        source=AnswerSource(effect.source), value={"value": flow.json_value(effect.value)},
        confidence=effect.confidence, knocked_out=effect.knocked_out, created_at=now,
        speech_confidence=effect.speech_confidence, interpreter_confidence=effect.interpreter_confidence,
        confirmed=effect.confirmed)


def add_transcript(session: Session, conversation: Conversation, lines: list[tuple[Speaker, str]],
                   now: dt.datetime) -> None:
    """Append ``lines`` ((speaker, text) pairs) to the conversation's transcript, in order.

    The one way lines are written: ``conversation.transcript_lines`` counts them (so the next
    ``seq`` needs no query), and they go in one INSERT on the session's connection, without
    flushing the session's pending changes first (the conversation's own update then goes in
    the webhook's one flush). A ``conversation.transcript`` already loaded is not refreshed.
    """
    if not lines:
        return
    if conversation.id is None:
        session.flush()
    conversation.transcript_lines = insert_transcript(
        session.connection(), conversation.id, conversation.transcript_lines or 0, lines, now)


def record_turn(session: Session, conversation: Conversation, event: flow.Event | None, turn: flow.Turn,
                channel: str, now: dt.datetime) -> list[str]:
    """Store what the candidate sent and what the agent answered, apply the turn's effects;
    returns the agent's lines worded for ``channel`` ("voice" or "sms")."""
    texts = [render(line, turn.language, channel) for line in turn.lines]
    add_transcript(session, conversation, turn_lines(event, texts), now)
    if event is not None and not isinstance(event, flow.Silence):
        conversation.last_activity_at = now
    apply_effects(session, conversation, turn.effects, now)
    return texts


# A conversation's end, as its application's screening outcome.
SCREENING_OUTCOMES = {
    ConversationStatus.completed: ScreeningOutcome.qualified,
    ConversationStatus.knocked_out: ScreeningOutcome.knocked_out,
    ConversationStatus.abandoned: ScreeningOutcome.incomplete,
    ConversationStatus.in_progress: ScreeningOutcome.in_progress,
}


_applications = Application.__table__
_APPLICATION_ID = Prepared(select(_applications.c.id).where(_applications.c.candidate_id == bindparam("candidate_id"),
                                                            _applications.c.posting_id == bindparam("posting_id")))
_NEW_APPLICATION = Prepared(insert(_applications).returning(_applications.c.id),
                            keys=("candidate_id", "posting_id", "agent_id", "screening_outcome"))
_RESTART_SCREENING = Prepared(update(_applications).where(_applications.c.id == bindparam("application_id"))
                              .values(screening_outcome=ScreeningOutcome.in_progress))


def open_application(connection, candidate_id: int, posting_id: int, agent_id: int) -> int:
    """The id of the candidate's application to the posting, its screening (re)started: the
    existing one (a second call about the same job feeds it; its outcome starts over) or a new
    one screened by ``agent_id``. Core statements on ``connection``; the candidate list's row
    is the caller's to refresh (``candidate_list.refresh``)."""
    found = _APPLICATION_ID.execute(connection, {"candidate_id": candidate_id, "posting_id": posting_id}).scalar()
    if found is None:
        return _NEW_APPLICATION.execute(connection, {
            "candidate_id": candidate_id, "posting_id": posting_id, "agent_id": agent_id,
            "screening_outcome": ScreeningOutcome.in_progress}).scalar_one()
    _RESTART_SCREENING.execute(connection, {"application_id": found})
    return found


def application_for(session: Session, conversation: Conversation) -> Application:
    """:func:`open_application` for ``conversation``'s candidate and posting, as an ORM object."""
    session.flush()  # a conversation begun in this transaction has its candidate's id
    application_id = open_application(session.connection(), conversation.candidate_id, conversation.posting.id,
                                      conversation.agent_id)
    return session.get(Application, application_id, populate_existing=True)


def apply_effects(session: Session, conversation: Conversation, effects, now: dt.datetime) -> None:
    """Store the facts a turn established (answers, language, posting, name, e-mail, a number
    to text, a follow-up for a recruiter, the end).

    An answer is one Core INSERT on the session's connection, at once (so what follows in the
    same turn, e.g. the score at the end, reads it), with the question id from the agent's
    cached script; a ``conversation.answers`` already loaded is not refreshed."""
    for effect in effects:
        if isinstance(effect, flow.LanguageChosen):
            conversation.language = effect.language
            conversation.candidate.language = effect.language
        elif isinstance(effect, flow.PostingChosen):
            conversation.posting = session.scalars(select(Posting).filter_by(
                company_id=conversation.agent.company_id, key=effect.posting_key)).one_or_none()
            if conversation.posting is not None:
                conversation.application = application_for(session, conversation)
        elif isinstance(effect, flow.AnswerGiven):
            insert_answer(session.connection(), conversation.id,
                          question_id(conversation.agent, effect.question_key), effect, now)
        elif isinstance(effect, flow.NameGiven):
            conversation.candidate.name = effect.name
        elif isinstance(effect, flow.EmailGiven):
            conversation.candidate.email = effect.email
        elif isinstance(effect, flow.TextNumberGiven):
            record_said_number(conversation, effect.number, now)
        elif isinstance(effect, flow.FollowUp):
            conversation.flag(effect.reason, effect.note)
        elif isinstance(effect, flow.Ended):
            conversation.status = ConversationStatus(effect.status)
            conversation.ended_at = now
            if effect.follow_up is not None:
                conversation.flag(effect.follow_up, effect.note or effect.follow_up)
            if conversation.application is not None:
                conversation.application.screening_outcome = SCREENING_OUTCOMES[conversation.status]
                # Only a screening that qualified is scored: a knockout's or an unfinished one's
                # partial answers would rank as a real 0 (the hang-up path leaves it unset too).
                conversation.application.score = score_of(conversation, now, stored_answers(
                    session, conversation)) if conversation.status is ConversationStatus.completed else None
                route_if_ready(session, conversation.application)
            emit(session, conversation.agent.company_id, WebhookEvent.conversation_completed,
                 {"conversation_id": conversation.id, "status": str(conversation.status),
                  "channel": str(conversation.channel), "candidate_id": conversation.candidate_id,
                  "application_id": conversation.application_id})
