"""The RQ queue: one Redis connection per URL, and idempotent enqueueing of outbox sends.

Jobs run in ``flask --app app worker`` (an RQ worker with its scheduler, which runs the
delayed retries) and the periodic sweep comes from ``flask --app app cron`` (RQ's cron).
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Iterable

from redis import Redis
from rq import Queue, Retry
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job, JobStatus

from .redis_server import redis_url

log = logging.getLogger(__name__)

QUEUE_NAME = "receptionist"
SEND_JOB = "receptionist.jobs.send_message"  # by name: the jobs module imports this one
SEND_RETRIES = 4
SEND_RETRY_INTERVALS = [10, 30, 120, 600]  # seconds before retry 1..4 (RQ's scheduler runs them)

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


def send_job_id(message_id: int) -> str:
    """The RQ job id of an outbox row's send job: one job per row at a time."""
    return f"outbox-{message_id}"


def enqueue_sends(settings, message_ids: Iterable[int]) -> list[int]:
    """Enqueue ``receptionist.jobs.send_message(id)`` for each outbox id; returns the ids
    enqueued now. Never raises.

    Idempotent per row: an id whose job is still queued, scheduled (a pending retry),
    started or deferred is skipped (RQ ``Job.fetch`` status), one that finished or failed
    is replaced. The job itself claims the row, so even a duplicate never sends twice.
    When Redis is unreachable this logs a warning and returns what it managed: the rows
    stay ``pending`` and the sweep's reconciler enqueues them later.
    """
    ids = list(dict.fromkeys(message_ids))  # unique, in order
    done: list[int] = []
    if not ids:
        return done
    try:
        q = queue(settings)
        for message_id in ids:
            if _enqueue_once(q, message_id):
                done.append(message_id)
    except Exception as exc:  # Redis down, embedded server failed to start, ...
        left = [i for i in ids if i not in done]
        log.warning("could not enqueue outbox %s (%s: %s); the reconciler will pick them up",
                    left, type(exc).__name__, exc)
    return done


def _enqueue_once(q: Queue, message_id: int) -> bool:
    job_id = send_job_id(message_id)
    for _ in range(3):
        try:
            # unique=True: Lua-atomic "create unless the job key exists".
            q.enqueue(SEND_JOB, message_id, job_id=job_id, unique=True,
                      retry=Retry(max=SEND_RETRIES, interval=SEND_RETRY_INTERVALS))
            return True
        except DuplicateJobError:
            try:
                job = Job.fetch(job_id, connection=q.connection)
            except NoSuchJobError:
                continue  # expired in between: create it
            if job.get_status(refresh=False) in _WILL_RUN:
                return False
            # Finished or failed earlier (its record is kept for a while): start afresh.
            job.delete()
    return False
