"""The unit of work: one transaction, retried when it may succeed, then the outbox handed to the queue.

Every entry point runs its use case through :meth:`UnitOfWork.run` (webhooks, RQ jobs, CLI
commands, later the recruiter API): nothing above the service layer opens a transaction.
Side effects are outbox rows (``services.outbox.add``) written inside the transaction; the
ids of the new pending rows are collected on the session and enqueued only after the
commit (a job must never look for a row that is not committed). If the queue is down the
rows stay pending and the reconciler (``jobs.sweeps``) enqueues them later.
"""
from __future__ import annotations

import contextlib
import contextvars
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from ..adapters.db import Database, begin_here

log = logging.getLogger(__name__)
T = TypeVar("T")

NEW_OUTBOX = "outbox_new_pending"  # session.info key: ids of pending outbox rows written in this transaction
DEFAULT_ATTEMPTS = 3
# No new attempt starts this long after the first began: with the database's own waits
# bounded (``adapters.db``: at most ~8 s for one attempt), a webhook still answers within 10 s.
RETRY_BUDGET_S = 1.5

# Hands outbox ids to the queue after commit; must never raise (``adapters.queue.enqueue_outbox``).
Enqueue = Callable[[Iterable[int]], object]


class UnitOfWork:
    """Runs use cases as single transactions on ``database``, then calls ``enqueue`` with the
    ids of the outbox rows they wrote.

    ``attempts``: how many times a transaction is tried when it fails with an error a retry
    can cure: a unique key taken by a racing duplicate (``IntegrityError``: the retry finds
    the stored result, e.g. a webhook's stored reply) or a busy database (``OperationalError``).
    A connection found dead (invalidated) is tried again once, on a fresh one; a database
    still gone after that, or slow (``RETRY_BUDGET_S`` spent), is not tried again: the
    entrypoint answers its failure reply in time instead.
    """

    def __init__(self, database: Database, enqueue: Enqueue | None = None, attempts: int = DEFAULT_ATTEMPTS):
        self.database = database
        self.enqueue = enqueue
        self.attempts = attempts

    def run(self, action: Callable[[Session], T], *, orm: bool = True, autocommit_first: bool = False) -> T:
        """``action(session)`` in one transaction; returns its result.

        Retried up to ``attempts`` times on ``IntegrityError``/``OperationalError``; the last
        error is raised (nothing of a failed attempt is kept). After the commit, new pending
        outbox rows are enqueued (never before). ``orm=False``: ``action`` gets a Connection
        instead (Core statements: an outbox claim, a status callback, a plain answer), without
        a Session's cost (about 0.1 ms a transaction); a rare path of it that needs the ORM
        asks :func:`orm_session` for a Session joined to the same transaction, which is
        flushed (its commit hooks run) and whose outbox rows are enqueued as with ``orm=True``.

        ``autocommit_first``: on PostgreSQL, ``action``'s statements each commit alone until it
        calls ``adapters.db.begin_here`` (then one transaction, as above): reads that need no
        common snapshot, then either a single write statement (a transaction of its own: a
        webhook's conditional claim; reads may follow it) or ``begin_here`` before anything
        else. Saves the ``BEGIN`` and ``COMMIT`` round trips of a webhook answered by one read,
        or by a read and one write. On SQLite nothing changes.
        """
        started = time.monotonic()
        for attempt in range(1, self.attempts + 1):
            joined = _joined.set(_CoreRun()) if not orm else None
            try:
                with (self.database.transaction(autocommit_first) if orm
                      else self.database.connection(autocommit_first)) as session:
                    result = action(session)
                    new_ids = list(session.info.get(NEW_OUTBOX, ())) if orm else _flush_joined()
                break
            except IntegrityError:
                if attempt == self.attempts:
                    raise
                log.info("a concurrent request took the same key; trying again (attempt %d)", attempt + 1)
            except OperationalError as exc:
                # An invalidated connection is tried again once: a pooled connection found
                # dead (the server restarted while it sat in the pool; adapters.db pings only
                # after idling) and the pool replaced. Gone for good: the new one fails too.
                if (attempt == self.attempts or (exc.connection_invalidated and attempt > 1)
                        or time.monotonic() - started > RETRY_BUDGET_S):
                    raise
                log.warning("database busy or unavailable (%s); trying again (attempt %d)",
                            type(exc.orig).__name__ if exc.orig is not None else "OperationalError", attempt + 1)
            finally:
                if joined is not None:
                    if _joined.get().session is not None:
                        _joined.get().session.close()
                    _joined.reset(joined)
        collector = _collector.get()
        if new_ids and collector is not None:
            collector.extend(new_ids)
        elif new_ids and self.enqueue is not None:
            self.enqueue(new_ids)
        return result

    def read(self, action: Callable[[Connection], T]) -> T:
        """``action(connection)`` on a connection of its own in autocommit, for a job's read
        whose statements need no common snapshot (each sees what is committed). No
        transaction: on SQLite no write lock (``run`` takes it at BEGIN), on PostgreSQL no
        BEGIN and COMMIT. Nothing written here is guarded: reads only."""
        with self.database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            return action(conn)


class _CoreRun:
    """What a ``run(orm=False)`` attempt collects besides its Connection: the Session
    ``orm_session`` joined to its transaction (if any), the outbox ids noted on the
    Connection itself (``note_new_outbox``)."""

    def __init__(self):
        self.session: Session | None = None
        self.new_ids: list[int] = []


_joined: contextvars.ContextVar[_CoreRun | None] = contextvars.ContextVar("core_run", default=None)


def orm_session(db: Session | Connection) -> Session:
    """A Session for ``db``: ``db`` itself when it is one; for the Connection of a
    ``UnitOfWork.run(orm=False)`` action, a Session joined to its transaction, made at the
    first call and reused (SQLAlchemy, "Joining a Session into an External Transaction"),
    for the rare paths of a Core use case that need the ORM. The unit of work flushes it
    before the commit (running its commit hooks, e.g. the candidate list's refresh) and
    enqueues the outbox rows written through it. The ORM's writes are never autocommitted:
    on a connection of ``autocommit_first`` the transaction begins here (``begin_here``).
    Raises RuntimeError for a Connection outside such a run."""
    if isinstance(db, Session):
        return db
    run = _joined.get()
    if run is None:
        raise RuntimeError("orm_session(connection) outside UnitOfWork.run(orm=False)")
    if run.session is None:
        begin_here(db)
        run.session = Session(bind=db, join_transaction_mode="rollback_only", expire_on_commit=False)
    return run.session


def core_connection(db: Session | Connection) -> Connection:
    """The Connection of ``db`` (a Session's, or ``db`` itself)."""
    return db.connection() if isinstance(db, Session) else db


def _flush_joined() -> list[int]:
    """Commit the Session ``orm_session`` joined to this run's transaction, if any: it
    flushes and runs the commit hooks, and leaves the commit itself to the run
    (``join_transaction_mode="rollback_only"``); the ids of the outbox rows written in the
    run (noted on its Connection, or through that Session)."""
    run = _joined.get()
    new_ids = list(run.new_ids)
    if run.session is not None:
        run.session.commit()
        new_ids.extend(run.session.info.get(NEW_OUTBOX, ()))
    return new_ids


# Set by ``collect_new_outbox``: committed outbox ids go to this list instead of the queue.
_collector: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar("outbox_collector", default=None)


@contextlib.contextmanager
def collect_new_outbox() -> Iterator[list[int]]:
    """Within this block (this thread or task), the ids of outbox rows committed by any
    :meth:`UnitOfWork.run` are appended to the yielded list instead of being enqueued: an
    outbox job runs the rows its own handler wrote itself (``jobs.outbox.run_items``) rather
    than paying a queue round trip for each. Whoever collects must run or enqueue them."""
    collected: list[int] = []
    token = _collector.set(collected)
    try:
        yield collected
    finally:
        _collector.reset(token)


def note_new_outbox(session: Session | Connection, item_id: int) -> None:
    """Remember that ``item_id`` (a pending outbox row) was written in ``session``'s transaction
    (or the Connection's of a ``UnitOfWork.run(orm=False)``), so the unit of work enqueues it
    after the commit. Raises RuntimeError for a Connection outside such a run."""
    if isinstance(session, Session):
        session.info.setdefault(NEW_OUTBOX, []).append(item_id)
        return
    run = _joined.get()
    if run is None:
        raise RuntimeError("an outbox row written on a Connection outside UnitOfWork.run(orm=False)")
    run.new_ids.append(item_id)
