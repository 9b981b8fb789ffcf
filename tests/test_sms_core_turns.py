"""The texts stored in Core statements (``sms_screening.turns``): a YES to the confirmation
and a plain screening answer write what the ORM path writes; on SQLite and PostgreSQL."""
from __future__ import annotations

from sqlalchemy import select

from receptionist.adapters.models import (Answer, Application, ATSCheck, Candidate, Channel, Conversation,
                                          FollowUpReason, InboundMessage, OutboxItem, TranscriptLine)
from receptionist.services import duplicates

from .test_sms_inbound import PHONE, RECEPTIONIST, completed_call, pytestmark, sms_params, text  # noqa: F401


def test_yes_confirms_queues_one_check_and_a_retry_changes_nothing(twilio, db):
    completed_call(twilio)
    with db.transaction() as s:
        conv = s.scalars(select(Conversation).where(Conversation.channel == Channel.voice)).one()
        conv.flag(FollowUpReason.details_unconfirmed, "details not confirmed by text")
    params = sms_params("YES", to=RECEPTIONIST)
    first = twilio.post("/sms/inbound", params)
    assert "all set" in first.get_data(as_text=True) and "email address" in first.get_data(as_text=True)
    again = twilio.post("/sms/inbound", params)  # Twilio's retry of the same MessageSid
    assert again.data == first.data
    assert "all set" in text(twilio, "yes", to=RECEPTIONIST)  # a second YES: no second check
    with db.transaction() as s:
        conv = s.scalars(select(Conversation).where(Conversation.channel == Channel.voice)).one()
        assert conv.confirmation_status == "confirmed" and conv.confirmed_at is not None
        assert conv.follow_up_reason is None and conv.follow_up_note is None
        checks = s.scalars(select(ATSCheck).filter_by(conversation_id=conv.id, purpose=duplicates.CONFIRMED)).all()
        assert len(checks) == 1 and checks[0].application_id == conv.application_id
        assert s.scalars(select(OutboxItem).filter_by(idempotency_key=f"ats_check:{checks[0].id}")).one()
        assert s.get(Application, conv.application_id).duplicate_check == "pending"
        seqs = s.scalars(select(TranscriptLine.seq).filter_by(conversation_id=conv.id)
                         .order_by(TranscriptLine.seq)).all()
        assert seqs == list(range(1, len(seqs) + 1)) and conv.transcript_lines == len(seqs)
        said = s.scalars(select(TranscriptLine.text).filter_by(conversation_id=conv.id)
                         .order_by(TranscriptLine.seq.desc()).limit(3)).all()
        assert said[2] == "yes" and "all set" in said[1] and "email address" in said[0]  # the second YES
        stored = s.scalars(select(InboundMessage).filter_by(message_sid=params["MessageSid"])).one()
        assert stored.conversation_id == conv.id and stored.reply == first.get_data(as_text=True)


def test_a_plain_answer_clears_the_nudge(twilio, db):
    text(twilio, "JOBS")
    text(twilio, "1")
    with db.transaction() as s:
        conv = s.scalars(select(Conversation).where(Conversation.channel == Channel.sms)).one()
        conv.nudged_at, step = conv.started_at, conv.step
    assert "18 years of age" in text(twilio, "2")
    with db.transaction() as s:
        conv = s.scalars(select(Conversation).where(Conversation.channel == Channel.sms)).one()
        assert conv.nudged_at is None and conv.step == step + 1 and conv.last_activity_at is not None


def test_a_stop_committed_while_an_answer_is_computed_wins(twilio, db, monkeypatch):
    """The answer is read and computed before any lock; a STOP from the same number committed
    in between is seen when the answer locks the sender: no reply, no answer stored."""
    from sms_screening import turns
    text(twilio, "JOBS")
    text(twilio, "1")
    computing = turns.advance_turn

    def stop_meanwhile(*args, **kwargs):
        with db.transaction() as other:
            other.scalars(select(Candidate).filter_by(phone=PHONE)).one().opted_out = True
        return computing(*args, **kwargs)

    monkeypatch.setattr(turns, "advance_turn", stop_meanwhile)
    assert text(twilio, "2") == ""
    with db.transaction() as s:
        conv = s.scalars(select(Conversation).where(Conversation.channel == Channel.sms)).one()
        assert s.scalars(select(Answer).filter_by(conversation_id=conv.id)).all() == []
        assert s.scalars(select(InboundMessage).filter_by(body="2")).one().conversation_id is None
