"""Running a webhook's work as one transaction, then handing new outbox rows to the queue."""
from __future__ import annotations

import logging

from flask import current_app
from sqlalchemy.exc import IntegrityError, OperationalError

from receptionist.services.outbox import NEW_PENDING

log = logging.getLogger(__name__)
ATTEMPTS = 3


def in_transaction(action):
    """Run ``action(session)`` in one transaction and return its result.

    A duplicate webhook racing this one (a unique key taken first) is answered by running
    the action again, which then finds the stored reply; a busy database is retried.
    Outbox rows left pending are enqueued after the commit, never before (a job must not
    look for a row that is not committed); if Redis is down the reconciler sends them later.
    """
    db = current_app.extensions["db"]
    for attempt in range(1, ATTEMPTS + 1):
        try:
            with db.transaction() as session:
                result = action(session)
                pending = list(session.info.get(NEW_PENDING, ()))
            break
        except IntegrityError:
            if attempt == ATTEMPTS:
                raise
            log.info("duplicate webhook raced another; answering from the stored reply")
        except OperationalError:
            if attempt == ATTEMPTS:
                raise
            log.warning("database busy, retrying webhook", exc_info=True)
    if pending:
        from receptionist.adapters.queue import enqueue_sends
        enqueue_sends(current_app.config["SETTINGS"], pending)
    return result
