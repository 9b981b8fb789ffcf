"""Timed work of the SMS channel, run by the periodic sweep job (``receptionist.jobs.sweep``):

- confirmation after a call: one reminder after ``confirmation_reminder_after_s`` seconds
  without a reply, then, after ``confirmation_expires_after_s``, the record is marked
  unconfirmed and flagged for a recruiter (it stays in the pipeline);
- SMS screening: one nudge after ``sms_nudge_after_s`` seconds of silence, expiry after
  ``sms_expires_after_s`` (answers kept, flagged for follow-up).

Each function takes (session, settings, now) and returns the ids of outbox rows to send.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from receptionist.engine import flow
from receptionist.engine.texts import Line, render
from receptionist.adapters.models import Channel, ConfirmationStatus, Conversation, ConversationStatus, FollowUpReason
from receptionist.engine.vocabulary import OutboxPurpose
from receptionist.services.outbox import queue_sms
from receptionist.services.scripts import build_script
from receptionist.services.text_numbers import text_to

from .screening import expire

BATCH = 500  # rows per sweep: a backlog drains over a few sweeps instead of one long transaction


def _before(now: dt.datetime, seconds: int) -> dt.datetime:
    return now - dt.timedelta(seconds=seconds)


def confirmation_timers(session, settings, now: dt.datetime) -> list[int]:
    """Remind once, then mark unconfirmed, the confirmations nobody answered."""
    ids = []
    pending = select(Conversation).where(Conversation.confirmation_status == ConfirmationStatus.pending)
    for conv in session.scalars(pending.where(
            Conversation.confirmation_sent_at <= _before(now, settings.confirmation_expires_after_s)).limit(BATCH)):
        conv.confirmation_status = ConfirmationStatus.unconfirmed
        conv.flag(FollowUpReason.details_unconfirmed, "details not confirmed by text")
    for conv in session.scalars(pending.where(
            Conversation.confirmation_reminded_at.is_(None),
            Conversation.confirmation_sent_at <= _before(now, settings.confirmation_reminder_after_s)).limit(BATCH)):
        body = render(Line("confirm_reminder", {"company": conv.agent.company.name}), conv.language, "sms")
        message = queue_sms(session, to=text_to(conv), from_=conv.to_number, body=body,
                            purpose=OutboxPurpose.confirmation_reminder, idempotency_key=f"confirmation-reminder:{conv.id}",
                            candidate=conv.candidate, conversation=conv, agent=conv.agent)
        conv.confirmation_reminded_at = now
        ids.append(message.id)
    return ids


def screening_timers(session, settings, now: dt.datetime) -> list[int]:
    """Nudge once the SMS screenings that went quiet; expire the ones silent too long."""
    ids = []
    open_sms = select(Conversation).where(Conversation.channel == Channel.sms,
                                          Conversation.status == ConversationStatus.in_progress)
    for conv in session.scalars(open_sms.where(
            Conversation.last_activity_at <= _before(now, settings.sms_expires_after_s)).limit(BATCH)):
        expire(conv, now)
    for conv in session.scalars(open_sms.where(
            Conversation.nudged_at.is_(None),
            Conversation.last_activity_at <= _before(now, settings.sms_nudge_after_s)).limit(BATCH)):
        state = flow.CallState.from_dict(conv.state)
        question = flow.current_prompt(build_script(conv.agent), state)
        if question is None:
            continue
        body = render(Line("nudge"), state.language, "sms") + "\n" + render(question, state.language, "sms")
        message = queue_sms(session, to=conv.candidate.phone, from_=conv.to_number, body=body, purpose=OutboxPurpose.nudge,
                            idempotency_key=f"nudge:{conv.id}:{conv.step}", candidate=conv.candidate,
                            conversation=conv, agent=conv.agent)
        conv.nudged_at = now
        ids.append(message.id)
    return ids
