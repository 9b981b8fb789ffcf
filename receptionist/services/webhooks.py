"""Outbound webhooks: recruiters register URLs for events; each event becomes one outbox row
(kind ``webhook``) per subscribed URL, delivered signed by ``jobs.webhooks.deliver``.

A delivery is a POST of JSON ``{"id", "event", "created_at", "data"}`` with headers
``X-Receptionist-Event``, ``X-Receptionist-Delivery`` (the outbox id: the same on a retry)
and ``X-Receptionist-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>``
(the scheme of Stripe's webhooks). The secret is made at registration and shown once.
"""
from __future__ import annotations

import secrets
import uuid
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import bindparam, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from ..adapters.db import Prepared
from ..adapters.models import Webhook, utcnow
from ..engine.vocabulary import OutboxKind, WebhookEvent
from .errors import Invalid, NotFound
from .outbox import add
from .unit_of_work import core_connection, orm_session

Event = WebhookEvent


def register(session: Session, company_id: int, url: str, events: list[str]) -> Webhook:
    """Subscribe ``url`` (http or https) to ``events`` (``WebhookEvent`` values, at least one).
    Returns the webhook; its ``secret`` (``whsec_`` + 32 bytes, urlsafe) is to be shown once.
    Raises :class:`Invalid` naming ``url`` or ``events``."""
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise Invalid("url", "an absolute http:// or https:// URL")
    if not events:
        raise Invalid("events", f"at least one of {', '.join(e.value for e in WebhookEvent)}")
    unknown = [e for e in events if e not in {v.value for v in WebhookEvent}]
    if unknown:
        raise Invalid("events", f"unknown {', '.join(map(str, unknown))} "
                                f"(known: {', '.join(e.value for e in WebhookEvent)})")
    webhook = Webhook(company_id=company_id, url=url, events=sorted(set(events)),
                      secret="whsec_" + secrets.token_urlsafe(32))
    session.add(webhook)
    session.flush()
    return webhook


def list_(session: Session, company_id: int) -> list[Webhook]:
    """The company's webhooks, oldest first."""
    return list(session.scalars(select(Webhook).filter_by(company_id=company_id).order_by(Webhook.id)))


def delete(session: Session, company_id: int, webhook_id: int) -> None:
    """Remove a webhook (deliveries already written still run). Raises :class:`NotFound`."""
    webhook = session.get(Webhook, webhook_id)
    if webhook is None or webhook.company_id != company_id:
        raise NotFound(f"no webhook {webhook_id}")
    session.delete(webhook)


def emit(session: Session | Connection, company_id: int, event: WebhookEvent | str,
         payload: dict[str, Any]) -> list[int]:
    """Write one delivery (outbox row, kind ``webhook``) per webhook of the company subscribed
    to ``event``; returns their outbox ids. The row's payload holds url, event and body;
    the secret is read at send time (a deleted webhook's deliveries are cancelled).
    ``session``: a Session, or the Connection of ``UnitOfWork.run(orm=False)``."""
    event = WebhookEvent(event)
    ids = []
    # Core columns, no ORM objects: most events of most companies find no subscriber.
    for webhook_id, url, events in _SUBSCRIBERS.execute(core_connection(session), {"company_id": company_id}).all():
        if event.value not in events:
            continue
        event_id = f"evt_{uuid.uuid4().hex}"
        body = {"id": event_id, "event": event.value, "created_at": utcnow().isoformat(), "data": payload}
        item = add(orm_session(session), kind=OutboxKind.webhook, purpose=event.value[:40],
                   idempotency_key=f"webhook:{webhook_id}:{event_id}",
                   payload={"webhook_id": webhook_id, "url": url, "event": event.value, "body": body},
                   recipient=url[:320], application_id=payload.get("application_id"))
        ids.append(item.id)
    return ids


# Prepared: every routing change and call end reads it, mostly to find nobody.
_SUBSCRIBERS = Prepared(select(Webhook.id, Webhook.url, Webhook.events).where(Webhook.company_id == bindparam("company_id"))
                .order_by(Webhook.id))


def secret_of(session: Session, webhook_id: int) -> str | None:
    """The signing secret of a webhook, None when it was deleted (the delivery job's read)."""
    webhook = session.get(Webhook, webhook_id)
    return webhook.secret if webhook is not None else None
