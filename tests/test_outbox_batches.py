"""Outbox rows run together: the rows one transaction writes are one RQ job, and the rows
their handlers write run in that same job (``jobs.outbox.run_items``), with everything a job
per row promised: each row claimed once, a retryable failure retried on its own with backoff,
one row's crash not taking the others, nothing left behind when a job stops early.
Real Redis (``REDIS_URL``, else the embedded server), a real RQ worker, SQLite and PostgreSQL.
"""
from __future__ import annotations

import pytest
from rq.job import Job, JobStatus
from rq.registry import FailedJobRegistry, FinishedJobRegistry, ScheduledJobRegistry
from sqlalchemy import select

from receptionist import bootstrap
from receptionist.adapters import queue as rq_queue
from receptionist.adapters.models import OutboxItem, OutboxStatus, utcnow
from receptionist.jobs import outbox as outbox_jobs
from receptionist.services import outbox
from tests.test_outbox_delivery import redis_test_url  # noqa: F401  (fixture)
from tests.test_unit_of_work import live_container, run_worker  # noqa: F401  (fixture)

KIND, CHILD = "test-batch", "test-child"


@pytest.fixture
def jobs_container(live_container, monkeypatch):  # noqa: F811
    """The live container, used by the worker's jobs too."""
    monkeypatch.setattr(bootstrap, "_current", live_container)
    monkeypatch.setattr(bootstrap, "_pid", __import__("os").getpid())
    return live_container


def write_rows(container, *numbers: int, kind: str = KIND) -> list[int]:
    """One transaction writing a row of ``kind`` per number (payload ``{"n": number}``)."""
    return container.uow.run(lambda s: [outbox.add(s, kind=kind, purpose="test", idempotency_key=f"{kind}:{n}",
                                                   payload={"n": n}).id for n in numbers])


def rows(container) -> dict[int, tuple]:
    """{n: (status, attempts)} of every row."""
    with container.database.transaction() as s:
        return {r.payload["n"]: (r.status, r.attempts) for r in s.scalars(select(OutboxItem))}


def test_one_transactions_rows_are_one_job_and_a_retryable_failure_is_retried_alone(jobs_container):
    container, calls = jobs_container, []
    failures = {2: 1}  # row 2: the platform answers 503 once

    def handler(item, c):
        calls.append(item.payload["n"])
        if failures.get(item.payload["n"]):
            failures[item.payload["n"]] -= 1
            return outbox_jobs.Retry("platform answered 503")
        return outbox_jobs.Done()

    container.outbox_handlers[KIND] = handler
    first, second, third = write_rows(container, 1, 2, 3)
    q = rq_queue.queue(container.settings)
    assert q.job_ids == [f"outbox-{first}-and-2"]  # one job for the three rows

    run_worker(container)
    assert calls == [1, 2, 3]  # in the order they were written; one failing stops none
    assert rows(container) == {1: (OutboxStatus.sent, 1), 2: (OutboxStatus.pending, 1), 3: (OutboxStatus.sent, 1)}
    with container.database.transaction() as s:
        assert s.get(OutboxItem, second).next_attempt_at > utcnow()  # backoff: due later
    retry = Job.fetch(rq_queue.outbox_job_id(second), connection=q.connection)
    assert retry.id in ScheduledJobRegistry(queue=q).get_job_ids()
    assert retry.retries_left == len(rq_queue.OUTBOX_RETRY_INTERVALS_S) - 1  # the attempts after this one

    ScheduledJobRegistry(queue=q).remove(retry)  # its time has come
    q.enqueue_job(retry)
    run_worker(container)
    assert calls == [1, 2, 3, 2]  # only the failed row again
    assert rows(container) == {1: (OutboxStatus.sent, 1), 2: (OutboxStatus.sent, 2), 3: (OutboxStatus.sent, 1)}


def test_rows_a_handler_writes_run_in_the_same_job(jobs_container):
    container, calls = jobs_container, []

    def parent(item, c):  # e.g. an invite, whose result writes the link text
        calls.append(("parent", item.payload["n"]))
        c.uow.run(lambda s: outbox.add(s, kind=CHILD, purpose="test", idempotency_key=f"child:{item.id}",
                                       payload={"n": 10 + item.payload["n"]}))
        return outbox_jobs.Done()

    def child(item, c):
        calls.append(("child", item.payload["n"]))
        return outbox_jobs.Done()

    container.outbox_handlers.update({KIND: parent, CHILD: child})
    [parent_id] = write_rows(container, 1)
    run_worker(container)

    assert calls == [("parent", 1), ("child", 11)]
    assert rows(container) == {1: (OutboxStatus.sent, 1), 11: (OutboxStatus.sent, 1)}
    q = rq_queue.queue(container.settings)
    assert FinishedJobRegistry(queue=q).get_job_ids() == [rq_queue.outbox_job_id(parent_id)]  # one job ran both


def test_a_result_recorded_with_sent_writes_its_rows_and_they_run_next(jobs_container):
    container, calls = jobs_container, []

    def check(item, c):  # e.g. the ATS check: its result decides, and may write the writeback
        calls.append(item.payload["n"])
        return outbox_jobs.Done(record=lambda s: outbox.add(s, kind=CHILD, purpose="test",
                                                            idempotency_key="recorded", payload={"n": 99}))

    container.outbox_handlers.update({KIND: check, CHILD: lambda item, c: calls.append(item.payload["n"])
                                      or outbox_jobs.Done()})
    [item_id] = write_rows(container, 1)
    assert outbox_jobs.run_items([item_id], container) == {"sent": 2}
    assert calls == [1, 99]
    assert rows(container) == {1: (OutboxStatus.sent, 1), 99: (OutboxStatus.sent, 1)}


def test_a_result_that_cannot_be_recorded_leaves_the_row_to_the_reconciler(jobs_container):
    container = jobs_container

    def broken(session):
        raise RuntimeError("the database refused the result")

    container.outbox_handlers[KIND] = lambda item, c: outbox_jobs.Done(record=broken)
    [item_id] = write_rows(container, 1)
    with pytest.raises(RuntimeError, match="refused the result"):
        outbox_jobs.run_items([item_id], container)
    # Done by the provider but not recorded: never run again on its own (no duplicate).
    assert rows(container) == {1: (OutboxStatus.sending, 1)}


def test_a_core_result_is_written_on_a_connection_in_one_transaction_with_the_rows_sent(jobs_container):
    """``Done(core=True)`` (the ATS check's result): no Session, and still one transaction, also
    on PostgreSQL where a lone ``sent`` alone is autocommitted: a result that fails midway
    leaves nothing of itself behind."""
    container, given = jobs_container, []

    def half_written(conn):
        given.append(type(conn).__name__)
        outbox.add_new(conn, kind=CHILD, purpose="test", idempotency_key="half", payload={"n": 99},
                       cancelled="written before the failure")
        raise RuntimeError("the database refused the rest")

    container.outbox_handlers[KIND] = lambda item, c: outbox_jobs.Done(record=half_written, core=True)
    [item_id] = write_rows(container, 1)
    with pytest.raises(RuntimeError, match="refused the rest"):
        outbox_jobs.run_items([item_id], container)
    assert given == ["Connection"]
    assert rows(container) == {1: (OutboxStatus.sending, 1)}  # the first write rolled back with the rest


def test_a_jobs_transactions_share_one_pooled_connection(jobs_container):
    """A job's claims, outcomes and its handlers' results take one connection from the pool
    for the whole job, not one per transaction (each is still its own transaction: see
    ``test_a_core_result_is_written_on_a_connection_in_one_transaction_with_the_rows_sent``),
    and the rows a result writes run in the same job."""
    from sqlalchemy import event

    container = jobs_container
    container.outbox_handlers[CHILD] = lambda item, c: outbox_jobs.Done()

    def handler(item, c):
        if item.payload["n"] != 2:
            return outbox_jobs.Done()
        return outbox_jobs.Done(record=lambda conn: outbox.add_new(conn, kind=CHILD, purpose="test",
                                                                   idempotency_key="child", payload={"n": 20}),
                                core=True)

    container.outbox_handlers[KIND] = handler
    ids = write_rows(container, 1, 2, 3)
    checkouts = []
    engine = container.database.engine
    listener = lambda *args: checkouts.append(1)  # noqa: E731
    event.listen(engine, "checkout", listener)
    try:
        assert outbox_jobs.run_items(ids, container, drain=False) == {"sent": 4}
    finally:
        event.remove(engine, "checkout", listener)
    assert len(checkouts) == 1
    assert rows(container) == {n: (OutboxStatus.sent, 1) for n in (1, 2, 3, 20)}


def test_a_plain_rows_sent_rides_on_the_next_claim(jobs_container):
    """A row handed over without a result of its own is marked ``sent`` with the next row's
    claim: on PostgreSQL in the claim's own statement, autocommitted (no BEGIN or COMMIT: one
    round trip a row), on SQLite in one transaction. Each row still ends sent, claimed once,
    with its provider's id; the last row's ``sent`` is written alone."""
    from bench.webhooks import on_round_trip

    container = jobs_container
    container.outbox_handlers[KIND] = lambda item, c: outbox_jobs.Done(provider_ref=f"ref-{item.payload['n']}",
                                                                      provider_status="queued")
    ids = write_rows(container, 1, 2, 3)
    trips: list[str] = []
    stop = on_round_trip(container.database.engine, lambda sql, alone: trips.append(sql.split()[0]))
    try:
        assert outbox_jobs.run_items(ids, container, drain=False) == {"sent": 3}
    finally:
        stop()
    with container.database.transaction() as s:
        found = {r.payload["n"]: (r.status, r.attempts, r.provider_ref, r.provider_status, r.sent_at is not None)
                 for r in s.scalars(select(OutboxItem))}
    assert found == {n: (OutboxStatus.sent, 1, f"ref-{n}", "queued", True) for n in (1, 2, 3)}
    if container.database.engine.dialect.name == "postgresql":
        # claim 1; sent 1 + claim 2; sent 2 + claim 3; sent 3
        assert trips == ["UPDATE", "WITH", "WITH", "UPDATE"]


def test_a_handler_that_raises_leaves_its_row_sending_and_the_others_are_sent(jobs_container):
    container = jobs_container

    def handler(item, c):
        if item.payload["n"] == 2:
            raise RuntimeError("a bug in one handler")
        return outbox_jobs.Done()

    container.outbox_handlers[KIND] = handler
    first, _, _ = write_rows(container, 1, 2, 3)
    run_worker(container)

    assert rows(container) == {1: (OutboxStatus.sent, 1), 2: (OutboxStatus.sending, 1), 3: (OutboxStatus.sent, 1)}
    q = rq_queue.queue(container.settings)
    job = Job.fetch(f"outbox-{first}-and-2", connection=q.connection)
    assert job.get_status() == JobStatus.FAILED and job.id in FailedJobRegistry(queue=q).get_job_ids()


def test_rows_beyond_what_one_job_runs_go_back_to_the_queue(jobs_container, monkeypatch):
    container = jobs_container
    container.outbox_handlers[KIND] = lambda item, c: outbox_jobs.Done()
    monkeypatch.setattr(outbox_jobs, "MAX_ROWS_PER_JOB", 2)
    ids = container.uow.run(lambda s: [outbox.add(s, kind=KIND, purpose="test", idempotency_key=f"k{n}",
                                                  payload={"n": n}).id for n in range(1, 5)])
    rq_queue.connection(container.settings).flushdb()  # the job of the transaction: run by hand below

    assert outbox_jobs.run_items(ids, container) == {"sent": 2}
    assert rows(container) == {1: (OutboxStatus.sent, 1), 2: (OutboxStatus.sent, 1),
                               3: (OutboxStatus.pending, 0), 4: (OutboxStatus.pending, 0)}
    q = rq_queue.queue(container.settings)
    assert q.job_ids == [f"outbox-{ids[2]}-and-1"]  # the rest, as one job
    run_worker(container)
    assert {status for status, _ in rows(container).values()} == {OutboxStatus.sent}


def test_a_duplicate_batch_job_does_nothing_twice(jobs_container):
    container, calls = jobs_container, []
    container.outbox_handlers[KIND] = lambda item, c: calls.append(item.payload["n"]) or outbox_jobs.Done()
    ids = write_rows(container, 1, 2)
    q = rq_queue.queue(container.settings)
    q.enqueue(rq_queue.OUTBOX_BATCH_JOB, ids, job_id="outbox-batch-duplicate")  # e.g. a racing process
    q.enqueue(rq_queue.OUTBOX_JOB, ids[1], job_id="outbox-row-duplicate")  # e.g. the reconciler
    run_worker(container)

    assert calls == [1, 2]
    assert rows(container) == {1: (OutboxStatus.sent, 1), 2: (OutboxStatus.sent, 1)}
    assert Job.fetch("outbox-batch-duplicate", connection=q.connection).return_value() == {"skipped": 2}


def test_a_job_out_of_time_hands_the_rows_it_did_not_reach_back_to_the_queue(jobs_container):
    from rq.timeouts import JobTimeoutException

    container = jobs_container

    def handler(item, c):
        if item.payload["n"] == 1:
            raise JobTimeoutException("Task exceeded maximum timeout value (180 seconds)")  # RQ's SIGALRM
        return outbox_jobs.Done()

    container.outbox_handlers[KIND] = handler
    ids = write_rows(container, 1, 2, 3)
    rq_queue.connection(container.settings).flushdb()

    with pytest.raises(JobTimeoutException):
        outbox_jobs.run_items(ids, container)
    assert rows(container) == {1: (OutboxStatus.sending, 1), 2: (OutboxStatus.pending, 0),
                               3: (OutboxStatus.pending, 0)}
    assert rq_queue.queue(container.settings).job_ids == [f"outbox-{ids[1]}-and-1"]


def test_a_claim_that_fails_keeps_the_previous_rows_result(jobs_container, monkeypatch):
    container = jobs_container
    container.outbox_handlers[KIND] = lambda item, c: outbox_jobs.Done()
    ids = write_rows(container, 1, 2)
    rq_queue.connection(container.settings).flushdb()
    real_claim = outbox.claim

    def claim(session, item_id, sent=None):
        if item_id == ids[1]:
            raise RuntimeError("the database went away mid-job")
        return real_claim(session, item_id, sent=sent)

    monkeypatch.setattr(outbox, "claim", claim)
    with pytest.raises(RuntimeError):
        outbox_jobs.run_items(ids, container)
    assert rows(container) == {1: (OutboxStatus.sent, 1), 2: (OutboxStatus.pending, 0)}  # the first: done, kept
    assert rq_queue.queue(container.settings).job_ids == [rq_queue.outbox_job_id(ids[1])]


def test_the_reconciler_leaves_rows_waiting_behind_a_backlog_to_their_batch_job(jobs_container):
    import datetime as dt

    from receptionist.jobs.sweeps import sweep
    from sqlalchemy import update

    container, calls = jobs_container, []
    container.outbox_handlers[KIND] = lambda item, c: calls.append(item.payload["n"]) or outbox_jobs.Done()
    ids = write_rows(container, 1, 2)
    q = rq_queue.queue(container.settings)
    [batch] = q.get_jobs()
    # The workers are two minutes behind: the rows and their batch job are that old.
    old = utcnow() - dt.timedelta(minutes=2)
    batch.enqueued_at = old
    batch.save()
    with container.database.transaction() as s:
        s.execute(update(OutboxItem).where(OutboxItem.id.in_(ids)).values(created_at=old, updated_at=old))

    assert sweep(container)["enqueued"] == []  # still in line: not enqueued twice
    assert q.job_ids == [batch.id]
    rq_queue.connection(container.settings).delete(q.key)  # now the job is lost (Redis lost the list)
    assert sweep(container)["enqueued"] == ids  # no backlog: the reconciler takes them back
    run_worker(container)
    assert calls == [1, 2] and rows(container) == {1: (OutboxStatus.sent, 1), 2: (OutboxStatus.sent, 1)}
