"""The outbox: writing texts to send (same transaction as the change that causes them).

Sending is done by RQ jobs (``receptionist.jobs``); this module writes rows and refuses
texts to candidates who opted out (consent), recording why; and, for the sender, claims a
row, records each send's outcome, reconciles rows whose job was lost, and applies Twilio's
status callbacks. Each function runs inside the caller's transaction.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..adapters.models import Candidate, OutboundMessage, OutboxStatus
from ..phones import mask

log = logging.getLogger(__name__)

NEW_PENDING = "outbox_new_pending"  # session.info key: ids of rows written in this transaction
MAX_BODY = 1600  # Twilio's limit for one message body (it splits into segments itself)


def queue_sms(session: Session, *, to: str, from_: str, body: str, purpose: str, idempotency_key: str,
              candidate: Candidate | None = None, conversation=None, agent=None) -> OutboundMessage:
    """Write a text to send; returns the row (the existing one when ``idempotency_key`` was used).

    ``to``/``from_`` are E.164. When the candidate (or any candidate with that number) has
    opted out, the row is written with status ``refused`` and the reason, and never sent.
    The caller enqueues pending rows after its transaction commits (``jobs.enqueue_sends``).
    """
    existing = session.scalars(select(OutboundMessage).filter_by(idempotency_key=idempotency_key)).one_or_none()
    if existing is not None:
        return existing
    if candidate is None:
        candidate = session.scalars(select(Candidate).filter_by(phone=to)).one_or_none()
    message = OutboundMessage(
        to_number=to, from_number=from_, body=body[:MAX_BODY], purpose=purpose, idempotency_key=idempotency_key,
        candidate=candidate, conversation=conversation, agent_id=agent.id if agent is not None else None,
        status=OutboxStatus.pending)
    if candidate is not None and candidate.opted_out:
        message.status = OutboxStatus.refused
        message.error_message = "recipient opted out (STOP); not sent"
        log.info("outbox: %s text to %s refused: opted out", purpose, mask(to))
    session.add(message)
    session.flush()
    if message.status == OutboxStatus.pending:
        # Collected by the entrypoint, which enqueues them once the transaction commits.
        session.info.setdefault(NEW_PENDING, []).append(message.id)
    return message


# --- delivery: claims, results and the reconciler (sending itself is ``receptionist.jobs``) ---

PENDING_GRACE = dt.timedelta(seconds=60)  # a pending row older than this may have lost its job
SENDING_LOST_AFTER = dt.timedelta(minutes=10)  # far beyond the HTTP timeout and the job timeout
LOST_MID_SEND = "sender lost mid-send; not retried to avoid a duplicate text"
RECONCILE_BATCH = 500


def reconcile_outbox(session: Session, now: dt.datetime) -> list[int]:
    """The outbox reconciler (run by the periodic sweep); returns ids to enqueue again.

    - ``pending`` for more than ``PENDING_GRACE``: its job may be gone (Redis restarted or
      was down at enqueue time). Returned; ``queue.enqueue_sends`` skips those whose job is
      still queued or scheduled (RQ job status), so returning a live one is harmless.
    - ``sending`` (claimed) for more than ``SENDING_LOST_AFTER``: the worker died mid-send
      and Twilio may or may not have the message. Marked ``failed`` with ``LOST_MID_SEND``,
      never sent again: a missing text is better than a duplicate one.
    """
    cutoff = now - PENDING_GRACE
    # status first, then created_at: a range scan of ix_outbox_status_created.
    pending = list(session.scalars(
        select(OutboundMessage.id)
        .where(OutboundMessage.status == OutboxStatus.pending, OutboundMessage.created_at < cutoff,
               OutboundMessage.updated_at < cutoff)
        .order_by(OutboundMessage.created_at).limit(RECONCILE_BATCH)))
    lost_cutoff = now - SENDING_LOST_AFTER
    lost = list(session.scalars(
        select(OutboundMessage.id)
        .where(OutboundMessage.status == OutboxStatus.sending, OutboundMessage.created_at < lost_cutoff,
               OutboundMessage.updated_at < lost_cutoff)))
    if lost:
        # The status condition again: a sender finishing right now keeps its result.
        session.execute(
            update(OutboundMessage)
            .where(OutboundMessage.id.in_(lost), OutboundMessage.status == OutboxStatus.sending)
            .values(status=OutboxStatus.failed, error_message=LOST_MID_SEND, updated_at=now)
            .execution_options(synchronize_session=False))
        log.warning("outbox: %d text(s) lost mid-send marked failed: %s", len(lost), lost)
    if pending:
        # debug: a row waiting for its scheduled retry shows up here on every sweep.
        log.debug("outbox: %d pending text(s) to re-enqueue unless their job is alive: %s", len(pending), pending)
    return pending


@dataclass(frozen=True)
class Claimed:
    """An outbox row claimed by a sender job (a snapshot: no session needed to send it)."""

    id: int
    to: str
    from_: str
    body: str
    attempts: int  # including this one
    refused: bool  # the recipient opted out after it was queued: not to be sent


def claim_for_sending(session: Session, message_id: int) -> Claimed | None:
    """Move a ``pending`` row to ``sending`` (attempts + 1) atomically; None when it is not
    pending (sent, claimed by another job, refused, failed, gone), so no row is sent twice.

    The caller commits before sending. Consent is checked again here: a STOP that arrived
    after the text was queued marks the row ``refused`` instead.
    """
    claimed = session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.id == message_id, OutboundMessage.status == OutboxStatus.pending)
        .values(status=OutboxStatus.sending, attempts=OutboundMessage.attempts + 1)
        .execution_options(synchronize_session=False)).rowcount
    if not claimed:
        return None
    row = session.get(OutboundMessage, message_id, populate_existing=True)
    opted_out = session.scalars(select(Candidate.id).where(
        Candidate.phone == row.to_number, Candidate.opted_out.is_(True))).first() is not None
    if opted_out:
        row.status = OutboxStatus.refused
        row.error_message = "recipient opted out (STOP) before it was sent; not sent"
        log.info("outbox %s: %s text to %s refused at send time: opted out", row.id, row.purpose,
                 mask(row.to_number))
    return Claimed(id=row.id, to=row.to_number, from_=row.from_number, body=row.body,
                   attempts=row.attempts, refused=opted_out)


def record_sent(session: Session, message_id: int, *, provider_sid: str, twilio_status: str | None,
                now: dt.datetime) -> None:
    """Store Twilio's MessageSid and initial status ("queued", or "accepted" through a
    Messaging Service) for a row this job sent."""
    session.execute(
        update(OutboundMessage).where(OutboundMessage.id == message_id)
        .values(status=outbox_status(twilio_status) or OutboxStatus.queued, provider_sid=provider_sid,
                sent_at=now, error_code=None, error_message=None)
        .execution_options(synchronize_session=False))


def release_for_retry(session: Session, message_id: int, *, error_code: int | None, error: str) -> None:
    """Put a claimed row back to ``pending`` after a retryable failure (the job's retry,
    or else the reconciler, sends it again); the error is kept for the record."""
    session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.id == message_id, OutboundMessage.status == OutboxStatus.sending)
        .values(status=OutboxStatus.pending, error_code=error_code, error_message=error)
        .execution_options(synchronize_session=False))


def record_failed(session: Session, message_id: int, *, error_code: int | None, error: str) -> None:
    """Mark a claimed row ``failed`` for good (e.g. 21211 invalid To, 21610 unsubscribed)."""
    session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.id == message_id, OutboundMessage.status == OutboxStatus.sending)
        .values(status=OutboxStatus.failed, error_code=error_code, error_message=error)
        .execution_options(synchronize_session=False))


# Twilio's Message status values (Twilio, "Outbound Message Status in Status Callbacks"
# and the Message resource's ``status`` enum in its OpenAPI description) -> outbox status.
# Twilio's own "sending" is still in flight (queued here): our ``sending`` means "claimed
# by a sender job", which the reconciler would fail after ten minutes.
TWILIO_STATUSES = {
    "accepted": OutboxStatus.queued,  # Messaging Service, not yet queued
    "scheduled": OutboxStatus.queued,  # Messaging Service, send later
    "queued": OutboxStatus.queued,
    "sending": OutboxStatus.queued,
    "sent": OutboxStatus.sent,  # handed to the carrier
    "partially_delivered": OutboxStatus.sent,  # some segments delivered: not final
    "delivered": OutboxStatus.delivered,
    "read": OutboxStatus.delivered,  # WhatsApp read receipt: delivered and then some
    "undelivered": OutboxStatus.undelivered,
    "failed": OutboxStatus.failed,
    "canceled": OutboxStatus.failed,  # a scheduled message canceled before sending
}
# Only forward: a late "sent" never overwrites "delivered"; failed/undelivered are final
# except for "delivered" (a carrier's late receipt is the better truth).
_RANK = {OutboxStatus.pending: 0, OutboxStatus.sending: 0, OutboxStatus.queued: 1, OutboxStatus.sent: 2,
         OutboxStatus.undelivered: 3, OutboxStatus.failed: 3, OutboxStatus.delivered: 4}


def outbox_status(twilio_status: str | None) -> OutboxStatus | None:
    """The outbox status for a Twilio Message status ("queued", "delivered", ...); None for
    values an outbound message should not have (receiving, received) or unknown ones."""
    return TWILIO_STATUSES.get((twilio_status or "").strip().lower())


def record_delivery_status(session: Session, message_sid: str, twilio_status: str | None,
                           error_code: int | None = None) -> str:
    """Apply a status callback to the row with ``provider_sid == message_sid``.

    Returns what happened: "updated", "unchanged" (a repeat or a backwards move, e.g. a late
    "sent" after "delivered"), "unknown-sid" or "unknown-status". One conditional UPDATE, so
    two callbacks racing each other cannot move the status backwards either.
    """
    new = outbox_status(twilio_status)
    if new is None:
        return "unknown-status"
    earlier = [s for s, rank in _RANK.items() if rank < _RANK[new]]
    values: dict = {"status": new}
    if new in (OutboxStatus.failed, OutboxStatus.undelivered):
        values["error_code"] = error_code
        values["error_message"] = f"Twilio status {twilio_status}" + (
            f": error {error_code} (twilio.com/docs/api/errors/{error_code})" if error_code else "")
    elif new is OutboxStatus.delivered:
        values["error_code"] = values["error_message"] = None
    result = session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.provider_sid == message_sid, OutboundMessage.status.in_(earlier))
        .values(**values)
        .execution_options(synchronize_session=False))
    if result.rowcount:
        return "updated"
    exists = session.scalars(select(OutboundMessage.id).filter_by(provider_sid=message_sid)).first()
    return "unchanged" if exists is not None else "unknown-sid"
