"""The periodic sweep (RQ's cron runs it every ``SWEEP_INTERVAL_S``): the outbox reconciler,
then every timer the composition root registered (both channels' reminders, nudges, expiry)."""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from ..adapters.models import utcnow
from ..adapters.queue import backlog_age, enqueue_outbox, mark_swept
from ..services import outbox
from ..services.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from ..bootstrap import Container

log = logging.getLogger(__name__)


def sweep(container: "Container | None" = None) -> dict:
    """Run the reconciler, then each registered timer, each in its own transaction (one
    failing is logged and the others still run); then enqueue every outbox id they returned,
    replacing scheduled jobs (the reconciler returns only overdue rows: their scheduler is gone). Returns ``{"enqueued": [...], "failed": [names]}``.

    A timer is ``fn(session, settings, now) -> list[outbox ids]``.
    """
    if container is None:
        from ..bootstrap import current
        container = current()
    now = utcnow()
    # Without the after-commit enqueue: everything found is enqueued once, below.
    uow = UnitOfWork(container.uow.database, enqueue=None, attempts=1)
    ids: list[int] = []
    failed: list[str] = []
    try:
        backlog = backlog_age(container.settings, now)
        ids += uow.run(lambda s: outbox.reconcile(s, now, backlog))
    except Exception:
        log.exception("sweep: the outbox reconciler failed; continuing with the timers")
        failed.append("reconcile")
    for timer in list(container.sweeps):
        name = getattr(timer, "__qualname__", repr(timer))
        try:
            ids += list(uow.run(lambda s, fn=timer: fn(s, container.settings, now)) or [])
        except Exception:
            log.exception("sweep: %s failed; continuing with the others", name)
            failed.append(name)
    enqueued = enqueue_outbox(container.settings, ids, replace_overdue=True)
    try:
        mark_swept(container.settings, utcnow())  # the health check's "cron" line
    except Exception as exc:  # Redis gone again: the next sweep records it
        log.warning("sweep: could not record its time (%s)", type(exc).__name__)
    if enqueued:
        log.info("sweep: enqueued outbox %s", enqueued)
    return {"enqueued": enqueued, "failed": failed}
