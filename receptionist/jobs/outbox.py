"""Running outbox items: one RQ job per row, dispatched to the handler of the row's kind.

A handler gets a :class:`~receptionist.services.outbox.Claimed` snapshot and the process's
:class:`~receptionist.bootstrap.Container`, runs outside any transaction (no row is locked
during a network call), and answers with an outcome: :class:`Done`, :class:`Retry`,
:class:`Fail` or :class:`Cancel`. Handlers are registered per kind in ``bootstrap``.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Union

from ..adapters.models import utcnow
from ..adapters.queue import OUTBOX_RETRY_INTERVALS_S
from ..adapters.sms import SendError
from ..phones import mask
from ..services import outbox
from ..services.outbox import Claimed

if TYPE_CHECKING:
    from ..bootstrap import Container

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 1 + len(OUTBOX_RETRY_INTERVALS_S)  # runs of one row before a retryable error becomes final


@dataclass(frozen=True)
class Done:
    """Handed over: the provider's id and first status, if it has them."""

    provider_ref: str | None = None
    provider_status: str | None = None


@dataclass(frozen=True)
class Retry:
    """Failed in a way the same request may cure later (network, timeout, 429, 5xx)."""

    error: str
    provider_error_code: int | None = None


@dataclass(frozen=True)
class Fail:
    """Failed for good (the provider refused it); ``error`` is kept for the recruiter."""

    error: str
    provider_error_code: int | None = None


@dataclass(frozen=True)
class Cancel:
    """Not to be done after all (``reason`` kept)."""

    reason: str


Outcome = Union[Done, Retry, Fail, Cancel]
Handler = Callable[[Claimed, "Container"], Outcome]


class RetryLater(Exception):
    """Raised by :func:`run_item` after a retryable failure so RQ's ``Retry`` runs the job
    again (the row is already back to ``pending``, due at its ``next_attempt_at``)."""


def run_item(item_id: int, container: "Container | None" = None) -> str:
    """The RQ job for outbox row ``item_id``: claim it, run its kind's handler, record the outcome.

    Returns (kept as the job's result) "skipped" (not pending: done or claimed already),
    "cancelled", "sent", "failed", or raises :class:`RetryLater`. An unexpected exception
    from a handler propagates and leaves the row ``sending``: the provider may have it, so
    the reconciler fails it later rather than risk doing it twice.
    """
    if container is None:
        from ..bootstrap import current
        container = current()
    uow = container.uow
    claimed = uow.run(lambda s: outbox.claim(s, item_id))
    if claimed is None:
        log.info("outbox %s: not pending (done or claimed already); nothing to do", item_id)
        return "skipped"
    if claimed.cancelled:
        return "cancelled"
    handler = container.outbox_handlers.get(claimed.kind)
    outcome = handler(claimed, container) if handler is not None else Fail(f"no handler for kind {claimed.kind!r}")
    if isinstance(outcome, Done):
        uow.run(lambda s: outbox.record_sent(s, item_id, now=utcnow(), provider_ref=outcome.provider_ref,
                                             provider_status=outcome.provider_status))
        log.info("outbox %s: %s %s done (%s)", item_id, claimed.kind, claimed.purpose, outcome.provider_status or "ok")
        return "sent"
    if isinstance(outcome, Cancel):
        uow.run(lambda s: outbox.record_cancelled(s, item_id, reason=outcome.reason))
        return "cancelled"
    if isinstance(outcome, Retry) and claimed.attempts < MAX_ATTEMPTS:
        due = utcnow() + dt.timedelta(seconds=OUTBOX_RETRY_INTERVALS_S[claimed.attempts - 1])
        uow.run(lambda s: outbox.release_for_retry(s, item_id, error=outcome.error, next_attempt_at=due,
                                                   provider_error_code=outcome.provider_error_code))
        log.warning("outbox %s: attempt %d of %s failed, will retry: %s", item_id, claimed.attempts,
                    claimed.kind, outcome.error)
        raise RetryLater(outcome.error)
    error = outcome.error if isinstance(outcome, Fail) else f"gave up after {claimed.attempts} attempts: {outcome.error}"
    uow.run(lambda s: outbox.record_failed(s, item_id, error=error, provider_error_code=outcome.provider_error_code))
    log.error("outbox %s: %s %s failed: %s", item_id, claimed.kind, claimed.purpose, error)
    return "failed"


def send_sms(item: Claimed, container: "Container") -> Outcome:
    """The handler of ``sms`` items: payload ``{"to", "from", "body"}`` through the container's
    SMS sender. Twilio's error codes (twilio.com/docs/api/errors) decide retry or failure."""
    p = item.payload
    try:
        result = container.sms.send(to=p["to"], from_=p["from"], body=p["body"], purpose=item.purpose)
    except SendError as exc:
        if exc.retryable:
            return Retry(str(exc), exc.code)
        return Fail(str(exc), exc.code)
    log.info("outbox %s: text to %s handed over as %s", item.id, mask(p["to"]), result.sid)
    return Done(result.sid, result.status)
