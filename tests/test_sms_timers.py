"""Reminders, nudges and expiry, as the periodic sweep runs them (clock moved forward)."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from receptionist.adapters.models import Channel, Conversation, ConversationStatus, OutboxItem, utcnow
from sms_screening.timers import confirmation_timers, screening_timers

from .test_sms_inbound import PHONE, RECEPTIONIST, completed_call, text

pytestmark = pytest.mark.usefixtures("sample_company")


def sweep(db, settings, fn, after_seconds: int) -> list[int]:
    with db.transaction() as s:
        return fn(s, settings, utcnow() + dt.timedelta(seconds=after_seconds))


def outbox(db, purpose) -> list[OutboxItem]:
    with db.transaction() as s:
        return s.scalars(select(OutboxItem).filter_by(purpose=purpose)).all()


def voice_conversation(db) -> Conversation:
    with db.transaction() as s:
        return s.scalars(select(Conversation).where(Conversation.channel == Channel.voice)).one()


def test_one_reminder_then_unconfirmed_and_flagged(twilio, db, settings):
    completed_call(twilio)
    assert sweep(db, settings, confirmation_timers, settings.confirmation_reminder_after_s - 60) == []
    [reminder_id] = sweep(db, settings, confirmation_timers, settings.confirmation_reminder_after_s + 1)
    [reminder] = outbox(db, "confirmation_reminder")
    assert reminder.id == reminder_id and reminder.recipient == PHONE and "reply YES" in reminder.payload["body"]
    assert sweep(db, settings, confirmation_timers, settings.confirmation_reminder_after_s + 120) == []
    assert len(outbox(db, "confirmation_reminder")) == 1
    sweep(db, settings, confirmation_timers, settings.confirmation_expires_after_s + 1)
    conv = voice_conversation(db)
    assert conv.confirmation_status == "unconfirmed" and conv.needs_follow_up
    assert conv.status == ConversationStatus.completed  # still in the pipeline
    # A late YES still confirms, and clears the flag.
    assert "all set" in text(twilio, "yes", to=RECEPTIONIST)
    conv = voice_conversation(db)
    assert conv.confirmation_status == "confirmed" and not conv.needs_follow_up


def test_a_reply_before_the_reminder_means_no_reminder(twilio, db, settings):
    completed_call(twilio)
    text(twilio, "YES", to=RECEPTIONIST)
    assert sweep(db, settings, confirmation_timers, settings.confirmation_reminder_after_s + 1) == []


def test_one_nudge_after_silence_then_expiry(twilio, db, settings):
    text(twilio, "JOBS")
    text(twilio, "1")
    assert sweep(db, settings, screening_timers, settings.sms_nudge_after_s - 60) == []
    [nudge_id] = sweep(db, settings, screening_timers, settings.sms_nudge_after_s + 1)
    [nudge] = outbox(db, "nudge")
    body = nudge.payload["body"]
    assert "Still there?" in body and "Which job" in body and "1: Warehouse Associate" in body
    assert sweep(db, settings, screening_timers, settings.sms_nudge_after_s + 600) == []  # only one nudge
    sweep(db, settings, screening_timers, settings.sms_expires_after_s + 1)
    with db.transaction() as s:
        conv = s.scalars(select(Conversation).where(Conversation.channel == Channel.sms)).one()
        assert conv.status == ConversationStatus.abandoned and conv.needs_follow_up


def test_a_reply_after_a_nudge_allows_another_nudge_later(twilio, db, settings):
    text(twilio, "JOBS")
    sweep(db, settings, screening_timers, settings.sms_nudge_after_s + 1)
    text(twilio, "1")
    with db.transaction() as s:
        conv = s.scalars(select(Conversation)).one()
        conv.last_activity_at = utcnow() - dt.timedelta(seconds=settings.sms_nudge_after_s + 5)
    assert len(sweep(db, settings, screening_timers, 0)) == 1
    assert len(outbox(db, "nudge")) == 2


def test_the_sweep_job_runs_the_sms_timers(container):
    from receptionist.services.calls import close_silent_calls

    # wired by the composition root, with the calls' own timer
    assert container.sweeps == [confirmation_timers, screening_timers, close_silent_calls]
