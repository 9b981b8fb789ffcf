"""The RQ queue: one Redis connection per URL, and idempotent enqueueing of outbox items.

Jobs run in ``flask --app app worker`` (an RQ worker with its scheduler, which runs the
delayed retries) and the periodic sweep comes from ``flask --app app cron`` (RQ's cron).
"""
from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Iterable

from redis import Redis
from redis.exceptions import TimeoutError as RedisTimeout
from rq import Queue, Retry, Worker
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job, JobStatus

from .redis_server import redis_url

log = logging.getLogger(__name__)

QUEUE_NAME = "receptionist"
OUTBOX_JOB = "receptionist.jobs.outbox.run_item"  # by name: the jobs package imports this one
OUTBOX_BATCH_JOB = "receptionist.jobs.outbox.run_items"  # a transaction's new rows, and the rows they lead to
OUTBOX_RETRY_INTERVALS_S = (10, 30, 120, 600)  # before retry 1..4 (RQ's scheduler runs them)

# A job in one of these states will still run: enqueueing it again would only duplicate work.
_WILL_RUN = {JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.STARTED, JobStatus.DEFERRED}

_connections: dict[str, Redis] = {}
_lock = threading.Lock()


def connection(settings) -> Redis:
    """The process's ``Redis`` client for ``redis_url(settings)`` (created once per URL).

    Short socket timeouts: a webhook that enqueues must not hang on an unreachable Redis.
    RQ's worker raises the read timeout on its own connection for its blocking dequeue.
    """
    url = redis_url(settings)
    with _lock:
        conn = _connections.get(url)
        if conn is None:
            conn = _connections[url] = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
        return conn


def queue(settings) -> Queue:
    """The ``receptionist`` queue on :func:`connection`."""
    return Queue(QUEUE_NAME, connection=connection(settings))


_REGISTERED = "_receptionist_queues_registered"  # Redis client attribute: queue keys added to ``rq:queues``


def _enqueue_unique(q: Queue, func: str, *args, **kwargs) -> None:
    """``q.enqueue(func, *args, unique=True, **kwargs)`` in one Redis round trip instead of two.

    RQ's ``enqueue_job`` first adds the queue to its set of queues (a MULTI/SADD/EXEC
    round trip, for every job), then runs its unique-enqueue Lua script (``save_unique_job``,
    which ignores any pipeline). Given a pipeline, RQ leaves the SADD on it unsent: it is
    sent once per Redis client and queue, and dropped afterwards (the set only lists queues for
    ``rq info`` and ``Queue.all``; workers read their queues by name). Raises as ``enqueue``.
    """
    pipe = q.connection.pipeline(transaction=False)
    try:
        q.enqueue(func, *args, unique=True, pipeline=pipe, **kwargs)
        registered = q.connection.__dict__.setdefault(_REGISTERED, set())
        if q.key not in registered:
            pipe.execute()
            registered.add(q.key)
    finally:
        pipe.reset()


def outbox_job_id(item_id: int) -> str:
    """The RQ job id of an outbox row's job: one job per row at a time."""
    return f"outbox-{item_id}"


def enqueue_outbox(settings, item_ids: Iterable[int], replace_overdue: bool = False,
                   batch: bool = False) -> list[int]:
    """Enqueue ``receptionist.jobs.outbox.run_item(id)`` for each outbox id; returns the ids
    enqueued now. Never raises.

    Idempotent per row: an id whose job is still queued, scheduled (a pending retry),
    started or deferred is skipped (RQ ``Job.fetch`` status), one that finished or failed
    is replaced. ``replace_overdue`` (the reconciler, which passes only rows past their due
    time) also replaces a *scheduled* job: its retry is overdue, so the scheduler holding it
    is gone. The job itself claims the row, so even a duplicate never runs twice.
    When Redis is unreachable this logs a warning and returns what it managed: the rows
    stay ``pending`` and the sweep's reconciler enqueues them later. ``batch``: each job is
    ``run_items([id])`` (runs the rows its handler writes too; see :func:`enqueue_outbox_batch`).
    """
    ids = list(dict.fromkeys(item_ids))  # unique, in order
    done: list[int] = []
    if not ids:
        return done
    try:
        q = queue(settings)
        for item_id in ids:
            if _enqueue_once(q, item_id, replace_overdue, batch):
                done.append(item_id)
    except Exception as exc:  # Redis down, embedded server failed to start, ...
        left = [i for i in ids if i not in done]
        log.warning("could not enqueue outbox %s (%s: %s); the reconciler will pick them up",
                    left, type(exc).__name__, exc)
    return done


# Counts the commits handed to a batch job that has not started yet: the first (1) enqueues
# the job; a later one (2, 3, ...) enqueues nothing, for that job drains every pending row as
# it starts (``take_drain`` then ``jobs.outbox.run_items``): a burst of N commits costs one
# job, not N. The expiry (from the first commit) bounds the harm of a job lost meanwhile:
# the rows wait for the next job's drain or the reconciler, never lost.
DRAIN_KEY = "receptionist:outbox:waiting-commits"
DRAIN_KEY_TTL_S = 10

# A Redis that accepts connections but does not answer (frozen, a partition dropping packets)
# costs each commit the client's socket_timeout (5 s): a caller would hear that much silence
# on every turn that writes a text. After one such timeout this process hands no rows to
# Redis for this long; they stay pending for the next commit after it, a job's drain or the
# reconciler (a refused connection fails at once: no pause needed).
ENQUEUE_PAUSE_AFTER_TIMEOUT_S = 15
_enqueue_paused_until = 0.0  # time.monotonic()


def enqueue_outbox_batch(settings, item_ids: Iterable[int]) -> list[int]:
    """Hand the outbox rows one transaction wrote to the queue; returns the ids handed over
    (``[]`` when none could be). The unit of work's enqueue; never raises.

    One round trip (a script) counts the commit in ``DRAIN_KEY``. When a job is waiting
    already (the count was above 0), it will run these rows too: it takes the count before it
    reads the pending rows (:func:`take_drain`), so after this commit. Otherwise the rows get a job of
    their own (:func:`enqueue_outbox_job`); should that fail, the count is dropped, so the
    next commit enqueues again (these rows stay pending for a drain or the reconciler).
    After Redis timed out, nothing is tried for ENQUEUE_PAUSE_AFTER_TIMEOUT_S."""
    global _enqueue_paused_until
    ids = list(dict.fromkeys(item_ids))
    if not ids or time.monotonic() < _enqueue_paused_until:  # see ENQUEUE_PAUSE_AFTER_TIMEOUT_S
        return []
    try:
        if _count_commit(connection(settings)) > 1:
            return ids
    except Exception as exc:
        paused = isinstance(exc, (RedisTimeout, TimeoutError))
        if paused:
            _enqueue_paused_until = time.monotonic() + ENQUEUE_PAUSE_AFTER_TIMEOUT_S
        log.warning("could not enqueue outbox %s (%s: %s); the reconciler will pick them up%s",
                    ids, type(exc).__name__, exc,
                    f"; no enqueue from this process for {ENQUEUE_PAUSE_AFTER_TIMEOUT_S} s" if paused else "")
        return []
    done = enqueue_outbox_job(settings, ids)
    if not done:
        take_drain(settings)
    return done


# INCR, and the expiry with the first count only (atomic: a key can never be left without one).
_COUNT_COMMIT = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return n
"""


def _count_commit(conn: Redis) -> int:
    script = conn.__dict__.get("_receptionist_count_commit")
    if script is None:  # registered once per client: EVALSHA, one command a commit
        script = conn.__dict__["_receptionist_count_commit"] = conn.register_script(_COUNT_COMMIT)
    return int(script(keys=[DRAIN_KEY], args=[DRAIN_KEY_TTL_S]))


def take_drain(settings) -> bool:
    """Take ``DRAIN_KEY`` (GET and DEL in one MULTI): the next commit enqueues a job of its
    own. True when other commits may have left rows to this job: a count above 1, or none
    (it expired, or another job took it; Redis unreachable), so the job reads every pending
    row; False when this job's own commit was the only one (the count is 1), so nothing
    else waits for it."""
    try:
        with connection(settings).pipeline() as pipe:
            pipe.get(DRAIN_KEY)
            pipe.delete(DRAIN_KEY)
            count = pipe.execute()[0]
    except Exception as exc:
        log.warning("could not take %s (%s: %s)", DRAIN_KEY, type(exc).__name__, exc)
        return True
    return count is None or int(count) != 1


def enqueue_outbox_job(settings, item_ids: Iterable[int], drain: bool = True) -> list[int]:
    """Enqueue the outbox rows one transaction wrote as ONE job,
    ``receptionist.jobs.outbox.run_items(ids)``, which runs them in order and then the rows
    their handlers write (an invite's link text, a check's writeback) in the same job; returns
    the ids enqueued. Never raises (see :func:`enqueue_outbox`).

    One row: the job is that row's own (``outbox-{id}``, unique, with RQ's ``Retry``), so
    everything :func:`enqueue_outbox` promises holds. Several rows: one job
    ``outbox-{first}-and-{more}`` without RQ's retry (each row that needs one gets a job of its
    own, :func:`schedule_outbox_retry`); the reconciler cannot look a row's batch up, so it
    leaves rows younger than the queue's backlog alone (:func:`backlog_age`), and a job it
    enqueues for a row still in a batch anyway finds it claimed. (RQ keeps results as usual:
    ``result_ttl=0`` made each job dearer, its delete costing more round trips than it saves.)
    ``drain=False``: a job of several rows that drains no others (``run_items``' own share of
    a drain, or what it left), so it does not take ``DRAIN_KEY`` either.
    """
    ids = list(dict.fromkeys(item_ids))
    if len(ids) <= 1:
        return enqueue_outbox(settings, ids, batch=True)
    try:
        _enqueue_unique(queue(settings), OUTBOX_BATCH_JOB, ids, job_id=f"{outbox_job_id(ids[0])}-and-{len(ids) - 1}",
                        **({} if drain else {"drain": False}))
        return ids
    except DuplicateJobError:  # the same rows enqueued already (ids are never reused)
        return []
    except Exception as exc:
        log.warning("could not enqueue outbox %s (%s: %s); the reconciler will pick them up",
                    ids, type(exc).__name__, exc)
        return []


def schedule_outbox_retry(settings, item_id: int, at: dt.datetime, attempts: int) -> bool:
    """Run outbox row ``item_id`` again at ``at`` (UTC; RQ's scheduler), as its own job
    ``outbox-{id}`` carrying RQ's ``Retry`` for the attempts after ``attempts`` (those made).
    For a row that failed inside a batch job, which cannot be retried whole. Returns whether
    it was scheduled; never raises: otherwise the row stays ``pending``, due at ``at``, and
    the reconciler enqueues it once it is overdue."""
    rest = list(OUTBOX_RETRY_INTERVALS_S[attempts:])
    try:
        queue(settings).enqueue_at(at, OUTBOX_JOB, item_id, job_id=outbox_job_id(item_id),
                                   retry=Retry(max=len(rest), interval=rest) if rest else None)
        return True
    except Exception as exc:
        log.warning("could not schedule the retry of outbox %s (%s: %s); the reconciler will pick it up",
                    item_id, type(exc).__name__, exc)
        return False


def _enqueue_once(q: Queue, item_id: int, replace_overdue: bool, batch: bool = False) -> bool:
    job_id = outbox_job_id(item_id)
    retry = Retry(max=len(OUTBOX_RETRY_INTERVALS_S), interval=list(OUTBOX_RETRY_INTERVALS_S))
    for _ in range(3):
        try:
            # unique=True: Lua-atomic "create unless the job key exists".
            if batch:
                _enqueue_unique(q, OUTBOX_BATCH_JOB, [item_id], job_id=job_id, retry=retry)
            else:
                _enqueue_unique(q, OUTBOX_JOB, item_id, job_id=job_id, retry=retry)
            return True
        except DuplicateJobError:
            try:
                job = Job.fetch(job_id, connection=q.connection)
            except NoSuchJobError:
                continue  # expired in between: create it
            status = job.get_status(refresh=False)
            if status in _WILL_RUN and not (replace_overdue and status == JobStatus.SCHEDULED):
                return False
            # Finished or failed earlier (its record is kept for a while): start afresh.
            job.delete()
    return False


def backlog_age(settings, now: dt.datetime) -> dt.timedelta:
    """How long the oldest job still waiting in the queue has waited (zero when none waits,
    or Redis cannot say). Rows written since it was enqueued may still be in a job behind
    it (several rows share a batch job, ``outbox-{first}-and-{more}``, which the reconciler
    cannot look up by row), so the reconciler leaves them to the queue."""
    try:
        head = queue(settings).get_jobs(0, 1)
    except Exception:  # Redis down: nothing waits there
        return dt.timedelta(0)
    if not head or head[0].enqueued_at is None:
        return dt.timedelta(0)
    return max(dt.timedelta(0), now - head[0].enqueued_at)


# --- what the health check reads ---------------------------------------------------------

SWEEP_STAMP_KEY = "receptionist:sweep:last"  # ISO 8601 UTC time of the last sweep's end


def mark_swept(settings, at: dt.datetime) -> None:
    """Record that a sweep ran at ``at`` (UTC), for the health check's "cron" line."""
    connection(settings).set(SWEEP_STAMP_KEY, at.isoformat())


def last_sweep(settings) -> dt.datetime | None:
    """When the last sweep ran (UTC), or None when none has (or Redis lost it in a restart)."""
    raw = connection(settings).get(SWEEP_STAMP_KEY)
    return dt.datetime.fromisoformat(raw.decode()) if raw else None


def worker_heartbeats(settings) -> list[dt.datetime]:
    """The last heartbeat (UTC) of each RQ worker registered on the queue (RQ's worker
    registry, ``Worker.all``); a worker that died is dropped by RQ once its key expires."""
    workers = Worker.all(connection=connection(settings), queue=queue(settings))
    return [w.last_heartbeat for w in workers if w.last_heartbeat is not None]
