"""A burst of commits costs one RQ job, not one each: a commit made while a batch job waits
enqueues nothing, and that job runs every pending row as it starts (``jobs.outbox.run_items``,
``adapters.queue.enqueue_outbox_batch``), handing the rows beyond its share back to the queue
so every worker takes part. On an idle queue a job waits out its batch window
(``OUTBOX_BATCH_WINDOW_MS``) first, so a steady stream of commits shares jobs too. Each row is still claimed on its own: sent once, none left behind.
And the worker (``cli.queue.PatientWorker``) runs an outbox job in 5 Redis round trips with
RQ's bookkeeping intact. Real Redis, a real RQ worker, SQLite and PostgreSQL.
"""
from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import types

import pytest
from redis.connection import Connection
from rq import Queue
from rq.job import Job, JobStatus
from rq.registry import FailedJobRegistry, FinishedJobRegistry, StartedJobRegistry
from rq.worker import WorkerStatus

from receptionist import bootstrap
from receptionist.adapters import queue as rq_queue
from receptionist.adapters.models import OutboxStatus
from receptionist.cli.queue import PatientWorker
from receptionist.jobs import outbox as outbox_jobs
from receptionist.settings import Settings
from tests.test_outbox_batches import KIND, jobs_container, rows, write_rows  # noqa: F401  (fixture)
from tests.test_outbox_delivery import redis_test_url  # noqa: F401  (fixture)
from tests.test_unit_of_work import live_container  # noqa: F401  (fixture)


def work(container) -> None:
    """``flask --app app worker --burst``'s worker, in this process."""
    q = rq_queue.queue(container.settings)
    PatientWorker([q], connection=q.connection).work(burst=True, with_scheduler=False)


def counting_handler(container) -> collections.Counter:
    runs: collections.Counter = collections.Counter()
    container.outbox_handlers[KIND] = lambda item, c: runs.update([item.payload["n"]]) or outbox_jobs.Done()
    return runs


def finished(container) -> list[str]:
    return FinishedJobRegistry(queue=rq_queue.queue(container.settings)).get_job_ids()


def test_commits_made_while_a_job_waits_are_run_by_it_and_a_later_commit_gets_its_own(jobs_container):
    container = jobs_container
    runs = counting_handler(container)
    q = rq_queue.queue(container.settings)
    [first] = write_rows(container, 1)
    write_rows(container, 2, 3)
    write_rows(container, 4)
    assert q.job_ids == [rq_queue.outbox_job_id(first)]  # one job for three commits

    work(container)
    assert runs == {1: 1, 2: 1, 3: 1, 4: 1}
    assert rows(container) == {n: (OutboxStatus.sent, 1) for n in (1, 2, 3, 4)}
    assert finished(container) == [rq_queue.outbox_job_id(first)]

    [later] = write_rows(container, 5)  # the job took the count as it started: this one enqueues
    assert q.job_ids == [rq_queue.outbox_job_id(later)]
    work(container)
    assert runs[5] == 1 and rows(container)[5] == (OutboxStatus.sent, 1)


def windowed(container, monkeypatch, window_ms: int):
    """The same container with ``outbox_batch_window_ms``, used by the worker's jobs."""
    settings = dataclasses.replace(container.settings, outbox_batch_window_ms=window_ms)
    windowed = bootstrap.build(settings, database=container.database)
    monkeypatch.setattr(bootstrap, "_current", windowed)
    return windowed


def test_a_job_waits_out_its_batch_window_and_runs_the_commits_made_meanwhile(jobs_container, monkeypatch):
    container = windowed(jobs_container, monkeypatch, 250)
    runs = counting_handler(container)
    q = rq_queue.queue(container.settings)
    slept: list[float] = []

    def sleep(seconds: float) -> None:  # while the job waits, other webhooks commit
        slept.append(seconds)
        write_rows(container, 2)
        write_rows(container, 3, 4)
        assert q.job_ids == []  # they enqueue no job of their own: the waiting job takes them

    monkeypatch.setattr(outbox_jobs, "time", types.SimpleNamespace(sleep=sleep))
    [first] = write_rows(container, 1)
    work(container)
    assert len(slept) == 1 and 0 < slept[0] <= 0.25  # from its enqueue, never more than the window
    assert runs == {1: 1, 2: 1, 3: 1, 4: 1}
    assert rows(container) == {n: (OutboxStatus.sent, 1) for n in (1, 2, 3, 4)}
    assert finished(container) == [rq_queue.outbox_job_id(first)]  # three commits, one job

    [later] = write_rows(container, 5)  # after the job took the count: a job of its own
    assert q.job_ids == [rq_queue.outbox_job_id(later)]


def test_a_job_that_waited_its_window_in_the_queue_does_not_wait_again(jobs_container, monkeypatch):
    container = windowed(jobs_container, monkeypatch, 250)
    runs = counting_handler(container)
    slept: list[float] = []
    monkeypatch.setattr(outbox_jobs, "time", types.SimpleNamespace(sleep=slept.append))
    write_rows(container, 1)
    # a backlog: the worker reaches the job a second after its enqueue
    monkeypatch.setattr(outbox_jobs, "rq_now", lambda: dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=1))
    work(container)
    assert slept == [] and runs == {1: 1}


def test_a_commit_after_the_drain_read_is_not_left_behind(jobs_container, monkeypatch):
    container = jobs_container
    runs = counting_handler(container)
    write_rows(container, 1)
    write_rows(container, 2)
    real_due = outbox_jobs.outbox.due
    late: list[int] = []

    def due(conn, now, limit):
        found = real_due(conn, now, limit)
        if not late:  # another webhook commits right after this job read the pending rows
            late.extend(write_rows(container, 3))
        return found

    monkeypatch.setattr(outbox_jobs.outbox, "due", due)
    work(container)
    assert runs == {1: 1, 2: 1, 3: 1}  # the late row got a job of its own, run in the same burst
    assert rows(container) == {n: (OutboxStatus.sent, 1) for n in (1, 2, 3)}
    assert rq_queue.outbox_job_id(late[0]) in finished(container)


def test_a_drain_shares_a_big_burst_out_in_jobs_and_finds_rows_beyond_its_read(jobs_container, monkeypatch):
    container = jobs_container
    runs = counting_handler(container)
    monkeypatch.setattr(outbox_jobs, "DRAIN_ROWS_PER_JOB", 2)
    monkeypatch.setattr(outbox_jobs, "DRAIN_READ", 5)  # a full read: its last job drains again
    for n in range(1, 13):
        write_rows(container, n)
    assert len(rq_queue.queue(container.settings).job_ids) == 1

    work(container)
    assert runs == {n: 1 for n in range(1, 13)}
    assert rows(container) == {n: (OutboxStatus.sent, 1) for n in range(1, 13)}
    assert 1 < len(finished(container)) < 12  # shared out, still fewer jobs than commits


def test_an_enqueue_that_fails_lets_the_next_commit_enqueue(jobs_container, monkeypatch):
    container = jobs_container
    runs = counting_handler(container)
    q = rq_queue.queue(container.settings)
    real = rq_queue.enqueue_outbox_job
    monkeypatch.setattr(rq_queue, "enqueue_outbox_job", lambda settings, ids, drain=True: [])  # Redis hiccup
    write_rows(container, 1)
    assert q.job_ids == []
    monkeypatch.setattr(rq_queue, "enqueue_outbox_job", real)
    [second] = write_rows(container, 2)
    assert q.job_ids == [rq_queue.outbox_job_id(second)]  # not skipped: no job was waiting
    work(container)
    assert runs == {2: 1}
    assert rows(container)[1] == (OutboxStatus.pending, 0)  # as before: the reconciler's to enqueue


@pytest.fixture
def round_trips(monkeypatch):
    """Requests sent to Redis by this process (a pipeline is one)."""
    sent = collections.Counter()
    real = Connection.send_packed_command

    def send(self, command, check_health=True):
        sent["n"] += 1
        return real(self, command, check_health)

    monkeypatch.setattr(Connection, "send_packed_command", send)
    return sent


def test_the_worker_runs_an_outbox_job_in_five_round_trips_with_rqs_records_kept(jobs_container, round_trips):
    container = jobs_container
    counting_handler(container)
    q = rq_queue.queue(container.settings)
    worker = PatientWorker([q], connection=q.connection)
    write_rows(container, 1)
    worker.work(burst=True, with_scheduler=False)  # the worker's start and stop, and one job
    per_run = round_trips["n"]
    ids = [write_rows(container, n)[0] for n in (2, 3, 4)]  # three jobs: the commits are
    for item_id in ids:  # run one by one, so none drains another's rows
        round_trips["n"] = 0
        PatientWorker([q], connection=q.connection).work(burst=True, with_scheduler=False, max_jobs=1)
        assert round_trips["n"] <= per_run

    worker = PatientWorker([q], connection=q.connection)
    [last] = write_rows(container, 5)
    round_trips["n"] = 0
    worker.work(burst=True, with_scheduler=False)
    with_job = round_trips["n"]
    round_trips["n"] = 0
    PatientWorker([q], connection=q.connection).work(burst=True, with_scheduler=False)
    without_job = round_trips["n"]
    # A job: suspension check, dequeue (LMOVE, HGETALL), start, end; its own take of the
    # drain count (1); the worker's own are the rest. RQ's SimpleWorker: 11 + 1.
    assert with_job - without_job <= 6

    job = Job.fetch(rq_queue.outbox_job_id(last), connection=q.connection)
    assert job.get_status() == JobStatus.FINISHED and job.return_value() == {"sent": 1}
    assert rq_queue.outbox_job_id(last) in FinishedJobRegistry(queue=q).get_job_ids()
    assert StartedJobRegistry(queue=q).get_job_ids() == []
    assert job.ttl is None and q.connection.ttl(job.key) > 0  # kept for its result_ttl
    assert worker.get_state() == WorkerStatus.IDLE or worker.get_state() is None


def test_a_failing_outbox_job_is_recorded_failed_and_a_job_with_a_ttl_outlives_its_run(jobs_container):
    container = jobs_container
    q = rq_queue.queue(container.settings)

    def broken(item, c):
        raise RuntimeError("a bug in a handler")

    container.outbox_handlers[KIND] = broken
    first, _ = write_rows(container, 1, 2)  # a batch: no RQ retry of its own
    work(container)
    job = Job.fetch(f"{rq_queue.outbox_job_id(first)}-and-1", connection=q.connection)
    assert job.get_status() == JobStatus.FAILED and job.id in FailedJobRegistry(queue=q).get_job_ids()
    assert "a bug in a handler" in job.latest_result().exc_string
    assert StartedJobRegistry(queue=q).get_job_ids() == []

    # A job enqueued with a ttl (RQ's cron does) must not expire while it runs: the worker
    # persists its key in the start's MULTI instead of Job.perform's own round trip.
    timed = Queue(rq_queue.QUEUE_NAME, connection=q.connection).enqueue(
        "tests.test_outbox_drain.key_ttl_now", ttl=30)
    work(container)
    assert timed.get_status(refresh=True) == JobStatus.FINISHED
    assert timed.return_value() == -1  # no expiry while it ran


def key_ttl_now() -> int:
    """A job: its own key's TTL in Redis while it runs (-1: none)."""
    from rq import get_current_job

    job = get_current_job()
    return job.connection.ttl(job.key)


@pytest.mark.parametrize(("raw", "expected"), [("", 200), ("0", 0), ("750", 750)])
def test_the_batch_window_comes_from_the_environment(monkeypatch, raw, expected):
    monkeypatch.setenv("OUTBOX_BATCH_WINDOW_MS", raw)
    assert Settings.from_env().outbox_batch_window_ms == expected


@pytest.mark.parametrize(("raw", "message"), [
    ("-5", "OUTBOX_BATCH_WINDOW_MS must be a whole number of milliseconds, at least 0, not -5"),
    ("5000", "OUTBOX_BATCH_WINDOW_MS must be at most 2000 milliseconds, not 5000"),
    ("0.2s", "OUTBOX_BATCH_WINDOW_MS must be a whole number of milliseconds, not '0.2s'"),
])
def test_a_bad_batch_window_is_refused_by_name(monkeypatch, raw, message):
    monkeypatch.setenv("OUTBOX_BATCH_WINDOW_MS", raw)
    with pytest.raises(ValueError) as refused:
        Settings.from_env()
    assert str(refused.value) == message
