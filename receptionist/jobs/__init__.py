"""RQ jobs: module-level functions the worker imports by name (``receptionist.jobs.<name>``).

Each job builds what it needs from ``Settings.from_env()`` and a per-process ``Database``,
and keeps every database transaction short: none is open during an HTTP call.

    send_message(message_id)  send one outbox row (enqueued by ``adapters.queue.enqueue_sends``)
    sweep()                   the periodic job (``flask --app app cron``): the outbox
                              reconciler, then every timer in ``SWEEPS``
"""
from __future__ import annotations

import datetime as dt
import importlib
import logging
import os
import uuid
from collections.abc import Callable

from sqlalchemy.orm import Session

from receptionist.adapters.db import Database
from receptionist.adapters.queue import SEND_RETRIES, enqueue_sends  # noqa: F401  (enqueue_sends: re-exported)
from receptionist.adapters.twilio_sms import SendError, make_client, send_sms
from receptionist.adapters.models import utcnow
from receptionist.phones import mask
from receptionist.services import outbox
from receptionist.settings import Settings

log = logging.getLogger(__name__)

# Timers run by sweep(), e.g. confirmation reminders and SMS nudges: each is called as
# ``fn(session, settings, now)`` in its own transaction and returns outbox ids to enqueue.
# Named by dotted path so the core does not import the SMS channel (data flows one way).
Sweep = Callable[[Session, Settings, dt.datetime], list[int]]
SWEEPS: list[Sweep | str] = [
    "sms_screening.timers.confirmation_timers",  # reminder, then unconfirmed
    "sms_screening.timers.screening_timers",     # nudge, then expiry
]


def _resolve(fn: Sweep | str) -> Sweep:
    if isinstance(fn, str):
        module, _, name = fn.rpartition(".")
        return getattr(importlib.import_module(module), name)
    return fn

MAX_ATTEMPTS = 1 + SEND_RETRIES  # a row's sends before a retryable error becomes final

_databases: dict[str, Database] = {}
_pid = os.getpid()


def database(url: str) -> Database:
    """The process's ``Database`` for ``url``. RQ's worker forks a process per job: pooled
    connections inherited from a parent are left to it, never shared."""
    global _pid
    if os.getpid() != _pid:
        for inherited in _databases.values():
            inherited.engine.dispose(close=False)
        _databases.clear()
        _pid = os.getpid()
    if url not in _databases:
        _databases[url] = Database(url)
    return _databases[url]


def reset() -> None:
    """Dispose the cached databases (tests, after changing ``DATABASE_URL``)."""
    for db in _databases.values():
        db.dispose()
    _databases.clear()


def send_message(message_id: int) -> str:
    """Send outbox row ``message_id`` once; returns the outcome (kept as the job's result):
    "skipped" (not pending: sent or claimed already), "refused", "sent" (development),
    Twilio's status ("queued"), or "failed".

    Without ``TWILIO_ACCOUNT_SID`` (development) the text is logged, not sent. Raises
    ``SendError`` after a retryable failure (network, timeout, 429, 5xx) with the row back
    to ``pending``, so RQ's ``Retry`` runs the job again; after ``MAX_ATTEMPTS`` sends or a
    non-retryable error (Twilio error codes, twilio.com/docs/api/errors) the row is ``failed``.
    """
    settings = Settings.from_env()
    db = database(settings.database_url)
    with db.transaction() as session:
        claimed = outbox.claim_for_sending(session, message_id)
    if claimed is None:
        log.info("outbox %s: not pending (sent or claimed already); nothing to do", message_id)
        return "skipped"
    if claimed.refused:
        return "refused"

    if not settings.twilio_account_sid:
        log.info("SMS to %s from %s: %s", mask(claimed.to), mask(claimed.from_), claimed.body)
        with db.transaction() as session:
            outbox.record_sent(session, claimed.id, provider_sid="SMdev" + uuid.uuid4().hex,
                               twilio_status="sent", now=utcnow())
        return "sent"

    client = make_client(settings.twilio_account_sid, settings.twilio_auth_token, settings.twilio_api_base_url)
    callback = f"{settings.public_base_url}/sms/status" if settings.public_base_url else None
    try:
        result = send_sms(client, to=claimed.to, from_=claimed.from_, body=claimed.body, status_callback=callback)
    except SendError as exc:
        if exc.retryable and claimed.attempts < MAX_ATTEMPTS:
            with db.transaction() as session:
                outbox.release_for_retry(session, claimed.id, error_code=exc.code, error=str(exc))
            log.warning("outbox %s: attempt %d to %s failed, will retry: %s", claimed.id, claimed.attempts,
                        mask(claimed.to), exc)
            raise
        error = str(exc) if not exc.retryable else f"gave up after {claimed.attempts} attempts: {exc}"
        with db.transaction() as session:
            outbox.record_failed(session, claimed.id, error_code=exc.code, error=error)
        log.error("outbox %s: text to %s failed: %s", claimed.id, mask(claimed.to), error)
        return "failed"
    # Anything else raised above leaves the row "sending": Twilio may have it, so the
    # reconciler fails it later rather than risk a second text.
    with db.transaction() as session:
        outbox.record_sent(session, claimed.id, provider_sid=result.sid, twilio_status=result.status, now=utcnow())
    log.info("outbox %s: sent to %s as %s (%s)", claimed.id, mask(claimed.to), result.sid, result.status)
    return result.status


def sweep() -> dict:
    """The periodic job: the outbox reconciler, then each timer in ``SWEEPS``, each in its
    own transaction (one failing is logged and the others still run); then enqueues every
    outbox id they returned. Returns ``{"enqueued": [...], "failed": [names]}``.
    """
    settings = Settings.from_env()
    db = database(settings.database_url)
    now = utcnow()
    ids: list[int] = []
    failed: list[str] = []
    steps: list[Callable[[Session], list[int]]] = [lambda s: outbox.reconcile_outbox(s, now)]
    sweeps = [_resolve(fn) for fn in SWEEPS]
    steps += [(lambda s, fn=fn: fn(s, settings, now)) for fn in sweeps]
    names = ["reconcile_outbox"] + [getattr(fn, "__qualname__", repr(fn)) for fn in sweeps]
    for name, step in zip(names, steps):
        try:
            with db.transaction() as session:
                ids += list(step(session) or [])
        except Exception:
            log.exception("sweep: %s failed; continuing with the others", name)
            failed.append(name)
    enqueued = enqueue_sends(settings, ids)
    if enqueued:
        log.info("sweep: enqueued outbox %s", enqueued)
    return {"enqueued": enqueued, "failed": failed}
