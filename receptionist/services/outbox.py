"""The outbox: writing texts to send (same transaction as the change that causes them).

Sending is done by RQ jobs (``receptionist.jobs``); this module only writes rows and
refuses texts to candidates who opted out (consent), recording why.
"""
from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Candidate, OutboundMessage, OutboxStatus
from ..phones import mask

log = logging.getLogger(__name__)

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
    return message
