"""Storing a conversation's turns, for both channels: transcript lines and the facts
(effects) the flow established, in the caller's transaction."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..engine import flow
from ..engine.texts import render
from ..adapters.models import (Answer, AnswerSource, Conversation, ConversationStatus, Posting, ScreeningQuestion, Speaker,
                      TranscriptLine)


def _heard(event: flow.Event | None) -> str | None:
    if isinstance(event, flow.Speech):
        return event.text.strip() or None
    if isinstance(event, flow.Digits):
        return event.digits if event.source == "sms" else f"[pressed {event.digits}]"
    if isinstance(event, flow.Silence):
        return "[no answer]"
    return None


def add_transcript(session: Session, conversation: Conversation, lines: list[tuple[Speaker, str]],
                   now: dt.datetime) -> None:
    """Append ``lines`` ((speaker, text) pairs) to the conversation's transcript, in order."""
    seq = session.scalar(select(func.coalesce(func.max(TranscriptLine.seq), 0))
                         .where(TranscriptLine.conversation_id == conversation.id))
    for speaker, text in lines:
        seq += 1
        session.add(TranscriptLine(conversation=conversation, seq=seq, speaker=speaker, text=text, at=now))


def record_turn(session: Session, conversation: Conversation, event: flow.Event | None, turn: flow.Turn,
                channel: str, now: dt.datetime) -> list[str]:
    """Store what the candidate sent and what the agent answered, apply the turn's effects;
    returns the agent's lines worded for ``channel`` ("voice" or "sms")."""
    texts = [render(line, turn.language, channel) for line in turn.lines]
    heard = _heard(event)
    lines = ([(Speaker.candidate, heard)] if heard else []) + [(Speaker.agent, t) for t in texts]
    add_transcript(session, conversation, lines, now)
    if event is not None and not isinstance(event, flow.Silence):
        conversation.last_activity_at = now
    apply_effects(session, conversation, turn.effects, now)
    return texts


def _json_value(value):
    return value.isoformat() if isinstance(value, dt.date) else value


def apply_effects(session: Session, conversation: Conversation, effects, now: dt.datetime) -> None:
    """Store the facts a turn established (answers, language, posting, name, the end)."""
    for effect in effects:
        if isinstance(effect, flow.LanguageChosen):
            conversation.language = effect.language
            conversation.candidate.language = effect.language
        elif isinstance(effect, flow.PostingChosen):
            conversation.posting = session.scalars(select(Posting).filter_by(
                company_id=conversation.agent.company_id, key=effect.posting_key)).one_or_none()
        elif isinstance(effect, flow.AnswerGiven):
            question = session.scalars(select(ScreeningQuestion).filter_by(
                agent_id=conversation.agent_id, key=effect.question_key)).one()
            session.add(Answer(conversation=conversation, question=question, raw_text=effect.raw_text,
                               source=AnswerSource(effect.source), value={"value": _json_value(effect.value)},
                               confidence=effect.confidence, knocked_out=effect.knocked_out, created_at=now))
        elif isinstance(effect, flow.NameGiven):
            conversation.candidate.name = effect.name
        elif isinstance(effect, flow.Ended):
            conversation.status = ConversationStatus(effect.status)
            conversation.ended_at = now
            if effect.follow_up_reason:
                conversation.needs_follow_up = True
                conversation.follow_up_reason = effect.follow_up_reason
