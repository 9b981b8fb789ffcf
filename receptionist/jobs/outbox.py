"""Running outbox items: one RQ job per transaction's new rows (``run_items``; ``run_item``
for one row), each row dispatched to the handler of its kind.

Why not one job per row: RQ's own work per job (about 20 Redis round trips: dequeue,
registries, heartbeats, the result) cost as much CPU as a job's useful work, and a call's
rows come in groups (the end of a screening writes the confirmation and the invite; the
invite's result writes the link text). A job runs its rows in order and then the rows their
handlers write, with each row still claimed on its own, so a duplicate job, the
reconciler's job for a row, or a retry never runs a row twice.

A handler gets a :class:`~receptionist.services.outbox.Claimed` snapshot and the process's
:class:`~receptionist.bootstrap.Container`, runs outside any transaction (no row is locked
during a network call), and answers with an outcome: :class:`Done`, :class:`Retry`,
:class:`Fail` or :class:`Cancel`. Handlers are registered per kind in ``bootstrap``.
"""
from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Union

from rq import get_current_job
from rq.timeouts import JobTimeoutException
from rq.utils import now as rq_now
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from ..adapters.models import utcnow
from ..adapters.queue import OUTBOX_RETRY_INTERVALS_S
from ..adapters.sms import SendError
from ..phones import mask
from ..services import outbox
from ..services.outbox import LOST_MID_SEND_ASK, Claimed
from ..services.unit_of_work import collect_new_outbox

if TYPE_CHECKING:
    from ..bootstrap import Container

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 1 + len(OUTBOX_RETRY_INTERVALS_S)  # runs of one row before a retryable error becomes final


@dataclass(frozen=True)
class Done:
    """Handed over: the provider's id and first status, if it has them. ``record``: the
    handler's own write of the result (``record(session)``), committed in the same
    transaction as the row's ``sent`` (one transaction, not two); should it fail, the row
    stays ``sending`` as when a handler raises. ``core``: ``record`` takes the Connection of
    ``UnitOfWork.run(orm=False)`` as well (Core statements; ``orm_session`` for a rare ORM
    path), so the transaction sets up no Session (about 0.1 ms)."""

    provider_ref: str | None = None
    provider_status: str | None = None
    record: Callable[[Session], object] | Callable[[Session | Connection], object] | None = None
    core: bool = False


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
    the reconciler fails it later rather than risk doing it twice. Rows the handler writes
    are enqueued as usual (:func:`run_items` runs them itself).
    """
    container = container or _container()
    # A claim, and a plain ``sent``, are one statement each: on PostgreSQL without BEGIN/COMMIT.
    claimed = container.uow.run(lambda s: outbox.claim(s, item_id), orm=False, autocommit_first=True)
    ran = _handle(item_id, claimed, container)
    if ran.write is not None:
        container.uow.run(ran.write, orm=ran.orm, autocommit_first=ran.single)
        ran.log()
    if ran.result == "retry":
        raise RetryLater(ran.error)
    return ran.result


MAX_ROWS_PER_JOB = 50  # beyond this, rows a batch's handlers write go back to the queue
# A drain keeps this many of the pending rows it finds, and hands the rest straight back to
# the queue in jobs of this many, so a burst runs on every worker at once (a job runs its rows
# one after another, each with its network call).
DRAIN_ROWS_PER_JOB = 10
DRAIN_READ = 1000  # pending ids a drain reads at most; when it finds that many, its last job drains again


def run_items(item_ids: list[int], container: "Container | None" = None, drain: bool = True) -> dict[str, int]:
    """The RQ job for the outbox rows one transaction wrote (``adapters.queue.enqueue_outbox_batch``):
    each is run as :func:`run_item` runs it, in order, and the rows their handlers write (an
    invite's link text, a check's writeback) are run next in the same job instead of each
    paying for a job of its own. Returns how many rows ended each way ({"sent": 2, ...}).

    Each row is claimed on its own, so a duplicate job, or the reconciler's job for a row of
    a batch still waiting, does nothing twice; a row's ``sent`` is written in the transaction
    that claims the next row. A row that fails in a way a retry may cure goes back to
    ``pending`` and is retried by RQ: the job's own row (a job of one row, ``outbox-{id}``)
    by raising :class:`RetryLater` once the others are done, any other row by a job of its
    own scheduled at its ``next_attempt_at``; if that cannot be scheduled, the reconciler
    finds the row overdue. One row's handler raising leaves that row ``sending`` (see
    :func:`run_item`), the others still run, and the first such error is raised at the end.
    Rows not reached (more than ``MAX_ROWS_PER_JOB``, or the job interrupted) are enqueued.

    ``drain``: the job first lets the commits of the next moment join it: it starts its work
    ``Settings.outbox_batch_window_ms`` after its enqueue (:func:`_batch_window`). When commits
    were made while it waited (their rows got no job: ``adapters.queue.enqueue_outbox_batch``),
    it also runs the rows pending and due when it starts, oldest first:
    ``DRAIN_ROWS_PER_JOB`` of them after its own, the rest handed back
    to the queue at once in jobs of that many. It takes the count of those commits before it
    reads, so a row committed after the read gets a job of its own.
    """
    from ..adapters.queue import enqueue_outbox_job, schedule_outbox_retry, take_drain

    container = container or _container()
    uow = container.uow
    todo = list(dict.fromkeys(item_ids))
    own = todo[0] if len(todo) == 1 else None  # the row RQ's Retry of this job is for
    if drain:
        _batch_window(container.settings.outbox_batch_window_ms / 1000)
    if drain and take_drain(container.settings):
        _drain(container, todo)
    counts: dict[str, int] = {}
    own_retry: str | None = None
    failure: BaseException | None = None
    done = 0
    sent: _Ran | None = None  # a row handled, its ``sent`` not written yet

    def claim_after(session: Session | Connection, item_id: int) -> Claimed | None:
        if sent is not None and sent.sent is not None:  # a plain ``sent``: written by the claim itself
            return outbox.claim(session, item_id, sent={**sent.sent, "now": utcnow()})
        if sent is not None:
            sent.write(session)
        return outbox.claim(session, item_id)

    # One pooled connection for the job's transactions (claims, outcomes, the handlers' writes).
    with collect_new_outbox() as written, uow.database.pinned():  # written: in commit order
        try:
            while True:
                if done >= min(len(todo), MAX_ROWS_PER_JOB):  # the last row's ``sent`` may write more rows
                    if sent is None:
                        break
                    uow.run(sent.write, orm=sent.orm, autocommit_first=sent.single)
                    sent.log()
                    sent = None
                    todo.extend(i for i in written if i not in todo)
                    continue
                item_id = todo[done]
                try:
                    # Core only (no Session) unless the handled row's result is an ORM write.
                    # Alone (autocommit_first), the claim is one statement, and so is a plain
                    # ``sent`` with it on PostgreSQL (``outbox.claim(sent=...)``); after another
                    # handled row, two writes in one transaction.
                    claimed = uow.run(lambda s: claim_after(s, item_id), orm=sent is not None and sent.orm,
                                      autocommit_first=sent is None or sent.sent is not None)
                except Exception:
                    if sent is not None:  # the claim failed, not the handled row: keep its result
                        _write_alone(uow, sent)
                        sent = None
                    raise
                done += 1
                if sent is not None:
                    sent.log()
                    sent = None
                try:
                    ran = _handle(item_id, claimed, container)
                    if ran.result == "sent":
                        sent = ran
                    elif ran.write is not None:
                        uow.run(ran.write)
                        ran.log()
                except JobTimeoutException:  # the job's time is up (RQ's timeout): the rest go back
                    raise
                except Exception as exc:  # the row stays ``sending`` (run_item); the others go on
                    log.exception("outbox %s: handler raised; left for the reconciler", item_id)
                    failure, ran = failure or exc, _Ran("error")
                counts[ran.result] = counts.get(ran.result, 0) + 1
                if ran.result == "retry" and item_id == own:
                    own_retry = ran.error
                elif ran.result == "retry":
                    schedule_outbox_retry(container.settings, item_id, ran.retry_at, ran.attempts)
                todo.extend(i for i in written if i not in todo)
        finally:
            if todo[done:]:  # each named: no drain needed
                enqueue_outbox_job(container.settings, todo[done:], drain=False)
    if failure is not None:
        raise failure
    if own_retry is not None:
        raise RetryLater(own_retry)
    return counts


def _batch_window(window_s: float) -> None:
    """Sleep until ``window_s`` after the current RQ job's enqueue (not at all when it waited
    that long in the queue, or outside a job).

    Why: on an idle queue a job starts within a millisecond of its commit, so under a steady
    stream of calls each commit paid for a job of its own (RQ's ~2 ms of CPU a job, and the
    web's enqueue). Commits made while a job waits only count themselves, and the job runs
    their rows too, so a stream of N commits in a window costs one job and one enqueue. A
    text leaves at most ``window_s`` later (the target is 5 s at p95); the sleeping worker
    uses no CPU. Bounded by ``window_s`` whatever the clocks of web and worker say."""
    if window_s <= 0:
        return
    job = get_current_job()
    if job is None or job.enqueued_at is None:
        return
    waited = (rq_now() - job.enqueued_at).total_seconds()
    if waited < window_s:
        time.sleep(min(window_s, window_s - waited))


def _drain(container: "Container", todo: list[int]) -> None:
    """Add to ``todo`` the first ``DRAIN_ROWS_PER_JOB`` rows pending and due that it does
    not hold, and enqueue the others in jobs of that many (the last one draining again
    when the read was full, so rows beyond it are found too)."""
    from ..adapters.queue import enqueue_outbox_job

    found = container.uow.read(lambda conn: outbox.due(conn, utcnow(), DRAIN_READ))
    held = set(todo)
    others = [i for i in found if i not in held]
    todo.extend(others[:DRAIN_ROWS_PER_JOB])
    rest = [others[n:n + DRAIN_ROWS_PER_JOB] for n in range(DRAIN_ROWS_PER_JOB, len(others), DRAIN_ROWS_PER_JOB)]
    for n, chunk in enumerate(rest, start=1):
        enqueue_outbox_job(container.settings, chunk, drain=n == len(rest) and len(found) >= DRAIN_READ)


def _write_alone(uow, ran: "_Ran") -> None:
    """Write a handled row's outcome in a transaction of its own, after the one it shared
    failed; if this fails too the row stays ``sending`` (the reconciler settles it)."""
    try:
        uow.run(ran.write)
        ran.log()
    except Exception:
        log.exception("outbox: a handled row's outcome could not be written; left for the reconciler")


def _container() -> "Container":
    from ..bootstrap import current
    return current()


@dataclass(frozen=True)
class _Ran:
    """How one row's run ended: ``result`` as :func:`run_item` returns it, the outcome's
    write (``write(session)``, None when there is nothing to write) and its log line
    (``log()``, after the commit); for "retry" the error, when the row is due again (UTC)
    and the attempts made so far."""

    result: str
    write: Callable[[Session], object] | None = None
    log: Callable[[], None] = lambda: None
    error: str | None = None
    retry_at: dt.datetime | None = None
    attempts: int = 0
    orm: bool = True  # ``write`` needs a Session (False: a Connection will do)
    single: bool = False  # ``write`` is one statement: on PostgreSQL autocommitted (``autocommit_first``)
    sent: dict | None = None  # ``write`` is ``outbox.record_sent`` alone, with these arguments but ``now``


def _handle(item_id: int, claimed: Claimed | None, container: "Container") -> _Ran:
    """Run the handler of a claimed row (None: not claimed) and say what to write."""
    if claimed is None:
        log.info("outbox %s: not pending (done or claimed already); nothing to do", item_id)
        return _Ran("skipped")
    if claimed.cancelled:
        return _Ran("cancelled")
    handler = container.outbox_handlers.get(claimed.kind)
    outcome = handler(claimed, container) if handler is not None else Fail(f"no handler for kind {claimed.kind!r}")
    if isinstance(outcome, Done):
        def write_sent(s: Session) -> None:
            if outcome.record is not None:
                outcome.record(s)
            outbox.record_sent(s, item_id, now=utcnow(), provider_ref=outcome.provider_ref,
                               provider_status=outcome.provider_status)
        # The row's one line (a handler logs nothing on success): a text's masked number and
        # MessageSid, after the commit. Formatted only when INFO is on (logging's lazy args).
        def log_sent() -> None:
            log.info("outbox %s: %s %s to %s done (%s%s)", item_id, claimed.kind, claimed.purpose,
                     mask(claimed.recipient) if claimed.kind == "sms" else "-", outcome.provider_status or "ok",
                     f" as {outcome.provider_ref}" if outcome.provider_ref else "")
        plain = outcome.record is None
        return _Ran("sent", write_sent, log_sent, orm=not plain and not outcome.core, single=plain,
                    sent={"item_id": item_id, "provider_ref": outcome.provider_ref,
                          "provider_status": outcome.provider_status} if plain else None)
    if isinstance(outcome, Cancel):
        return _Ran("cancelled", lambda s: outbox.record_cancelled(s, item_id, reason=outcome.reason))
    if isinstance(outcome, Retry) and claimed.attempts < MAX_ATTEMPTS:
        due = utcnow() + dt.timedelta(seconds=OUTBOX_RETRY_INTERVALS_S[claimed.attempts - 1])
        return _Ran("retry", lambda s: outbox.release_for_retry(s, item_id, error=outcome.error, next_attempt_at=due,
                                                                provider_error_code=outcome.provider_error_code),
                    lambda: log.warning("outbox %s: attempt %d of %s failed, will retry: %s", item_id,
                                        claimed.attempts, claimed.kind, outcome.error),
                    outcome.error, due, claimed.attempts)
    error = outcome.error if isinstance(outcome, Fail) else f"gave up after {claimed.attempts} attempts: {outcome.error}"
    return _Ran("failed", lambda s: outbox.record_failed(s, item_id, error=error,
                                                         provider_error_code=outcome.provider_error_code),
                lambda: log.error("outbox %s: %s %s failed: %s", item_id, claimed.kind, claimed.purpose, error))


def send_sms(item: Claimed, container: "Container") -> Outcome:
    """The handler of ``sms`` items: payload ``{"to", "from", "body"}`` through the container's
    SMS sender. Twilio's error codes (twilio.com/docs/api/errors) decide retry or failure.
    A text whose earlier job died mid-send (``item.lost_since``) is first looked for at
    Twilio: found, it is recorded as sent (its MessageSid), not sent again; a retry of it
    keeps the mark (``LOST_MID_SEND_ASK`` heads its error), so it is asked again."""
    p = item.payload
    lost = f"{LOST_MID_SEND_ASK}; " if item.lost_since is not None else ""
    try:
        if item.lost_since is not None:
            found = container.sms.find_sent(to=p["to"], from_=p["from"], body=p["body"], since=item.lost_since)
            if found is not None:
                log.info("outbox %s: the text lost mid-send reached Twilio (%s): not sent again", item.id, found.sid)
                return Done(found.sid, found.status)
        result = container.sms.send(to=p["to"], from_=p["from"], body=p["body"], purpose=item.purpose)
    except SendError as exc:
        if exc.retryable:
            return Retry(lost + str(exc), exc.code)
        return Fail(str(exc), exc.code)
    return Done(result.sid, result.status)
