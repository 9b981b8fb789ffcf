"""One unit of work for every entry point, and the general outbox with a kind of its own.

A webhook, an RQ job and a CLI command all commit through ``container.uow``; an outbox row
of a non-SMS kind (a test kind registered here) is written, enqueued after commit, retried
by RQ after a retryable failure, and recovered by the reconciler when its scheduler is gone.
Real Redis (``REDIS_URL``, else the embedded server), a real RQ worker, SQLite and PostgreSQL.
"""
from __future__ import annotations

import datetime as dt

import pytest
from rq import SimpleWorker
from rq.job import Job, JobStatus
from sqlalchemy import func, select, update

from receptionist import bootstrap
from receptionist.adapters import queue as rq_queue
from receptionist.adapters.models import Company, OutboxItem, OutboxStatus, utcnow
from receptionist.jobs import outbox as outbox_jobs
from receptionist.jobs.sweeps import sweep
from receptionist.services import outbox
from receptionist.services.unit_of_work import UnitOfWork
from tests.conftest import SAMPLE, call_params
from tests.test_outbox_delivery import redis_test_url  # noqa: F401  (fixture)

TEST_KIND = "test-effect"


@pytest.fixture
def live_container(db, settings, redis_test_url, monkeypatch):  # noqa: F811
    """A container whose unit of work really enqueues into a flushed Redis."""
    settings = settings.__class__(**{**settings.__dict__, "redis_url": redis_test_url})
    container = bootstrap.build(settings, database=db)
    rq_queue.connection(settings).flushdb()
    yield container
    rq_queue.connection(settings).flushdb()


class SpyUnitOfWork(UnitOfWork):
    """The container's unit of work, counting the transactions run through it."""

    def __init__(self, inner: UnitOfWork):
        super().__init__(inner.database, inner.enqueue, inner.attempts)
        self.runs = 0

    def run(self, action, **options):
        self.runs += 1
        return super().run(action, **options)


def run_worker(container) -> None:
    q = rq_queue.queue(container.settings)
    SimpleWorker([q], connection=q.connection).work(burst=True)


def test_a_webhook_a_job_and_a_cli_command_share_one_unit_of_work(app, container, twilio, monkeypatch):
    spy = SpyUnitOfWork(container.uow)
    container.uow = spy
    enqueued: list[int] = []
    spy.enqueue = enqueued.extend

    result = app.test_cli_runner().invoke(args=["load-company", str(SAMPLE)])  # the CLI
    assert result.exit_code == 0, result.output
    assert spy.runs == 1

    reply = twilio.post("/voice/inbound", call_params("CA" + "a" * 32))  # a webhook
    assert reply.status_code == 200 and spy.runs == 2
    enqueued.clear()  # the call's ATS lookup (issue 10)

    item_id = spy.run(lambda s: outbox.add(s, kind=TEST_KIND, purpose="test", idempotency_key="k1",
                                           payload={"n": 1}).id)
    assert enqueued == [item_id]  # after the commit, by the unit of work itself
    runs_before = spy.runs
    container.outbox_handlers[TEST_KIND] = lambda item, c: outbox_jobs.Done("ref-1")
    assert outbox_jobs.run_item(item_id, container) == "sent"  # a job
    assert spy.runs == runs_before + 2  # claim, then the outcome: two short transactions
    with container.database.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Company)) == 1


def test_a_failed_transaction_enqueues_nothing_and_keeps_nothing(container):
    enqueued: list[int] = []
    container.uow.enqueue = enqueued.extend

    def half_done(session):
        outbox.add(session, kind=TEST_KIND, purpose="test", idempotency_key="k-half", payload={})
        raise RuntimeError("the use case failed after writing")

    with pytest.raises(RuntimeError):
        container.uow.run(half_done)
    assert enqueued == []
    with container.database.transaction() as s:
        assert s.scalar(select(func.count()).select_from(OutboxItem)) == 0


def test_a_non_sms_outbox_kind_is_enqueued_retried_and_reconciled(live_container, monkeypatch):
    container = live_container
    calls: list[dict] = []
    outcomes = [outbox_jobs.Retry("platform answered 503"), outbox_jobs.Done("inv-42", "created")]

    def handler(item, c):
        calls.append(item.payload)
        return outcomes.pop(0)

    container.outbox_handlers[TEST_KIND] = handler
    monkeypatch.setattr(bootstrap, "_current", container)  # the worker's jobs use this container
    monkeypatch.setattr(bootstrap, "_pid", __import__("os").getpid())

    item_id = container.uow.run(lambda s: outbox.add(s, kind=TEST_KIND, purpose="invite", idempotency_key="inv:1",
                                                     payload={"posting": "p1"}).id)
    q = rq_queue.queue(container.settings)
    job = Job.fetch(rq_queue.outbox_job_id(item_id), connection=q.connection)
    assert job.get_status() == JobStatus.QUEUED  # enqueued after the commit

    run_worker(container)  # first attempt: retryable failure, RQ schedules the retry
    with container.database.transaction() as s:
        row = s.get(OutboxItem, item_id)
        assert (row.status, row.attempts, row.last_error) == (OutboxStatus.pending, 1, "platform answered 503")
        assert row.next_attempt_at > utcnow()
    assert job.get_status(refresh=True) == JobStatus.SCHEDULED

    # The scheduler holding the retry is gone and the retry is overdue: the reconciler
    # replaces the scheduled job and the row is done, exactly once.
    overdue = utcnow() - dt.timedelta(minutes=5)
    with container.database.transaction() as s:
        s.execute(update(OutboxItem).where(OutboxItem.id == item_id)
                  .values(created_at=overdue, updated_at=overdue, next_attempt_at=overdue))
    result = sweep(container)
    assert result["enqueued"] == [item_id]
    run_worker(container)
    with container.database.transaction() as s:
        row = s.get(OutboxItem, item_id)
        assert (row.status, row.attempts, row.provider_ref, row.provider_status) == (
            OutboxStatus.sent, 2, "inv-42", "created")
    assert calls == [{"posting": "p1"}, {"posting": "p1"}]
    assert sweep(container)["enqueued"] == []  # nothing left to do


def test_an_outbox_kind_without_a_handler_fails_visibly(container):
    item_id = container.uow.run(lambda s: outbox.add(s, kind="no-such-kind", purpose="test",
                                                     idempotency_key="k-none", payload={}).id)
    assert outbox_jobs.run_item(item_id, container) == "failed"
    with container.database.transaction() as s:
        row = s.get(OutboxItem, item_id)
        assert row.status == OutboxStatus.failed and "no handler" in row.last_error


@pytest.mark.usefixtures("sample_company")
def test_a_jobs_read_waits_for_no_writer(container):
    # A webhook's transaction is open (on SQLite it holds the write lock from BEGIN): a job's
    # read (``UnitOfWork.read``, autocommit) still answers at once with what is committed.
    with container.database.transaction() as webhook:
        webhook.execute(update(Company).values(name="Renamed, not committed"))
        names = container.uow.read(lambda conn: conn.scalars(select(Company.name)).all())
    assert names == ["Acme Staffing"]


def test_a_core_action_joins_a_session_only_when_asked_and_its_outbox_rows_are_enqueued(container):
    """``run(orm=False)``: the action gets a Connection; a Session joined to its transaction
    (``orm_session``) writes in the same commit, its outbox rows are enqueued after it, and a
    failed attempt keeps and enqueues nothing."""
    from sqlalchemy.engine import Connection

    from receptionist.services.unit_of_work import orm_session

    enqueued: list[int] = []
    container.uow.enqueue = enqueued.extend
    seen = []

    def core_then_orm(connection):
        seen.append(type(connection))
        assert connection.scalar(select(func.count()).select_from(Company)) == 0  # a Core read
        session = orm_session(connection)
        assert orm_session(connection) is session  # one joined Session per run
        item_id = outbox.add(session, kind=TEST_KIND, purpose="test", idempotency_key="k-core", payload={}).id
        session.add(Company(slug="joined", name="Added by the joined session"))  # flushed by the run
        return item_id

    item_id = container.uow.run(core_then_orm, orm=False)
    assert issubclass(seen[0], Connection)
    assert enqueued == [item_id]
    with container.database.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Company).where(
            Company.name == "Added by the joined session")) == 1

    def fails(connection):
        outbox.add(orm_session(connection), kind=TEST_KIND, purpose="test", idempotency_key="k-lost", payload={})
        raise RuntimeError("failed after writing")

    with pytest.raises(RuntimeError):
        container.uow.run(fails, orm=False)
    assert enqueued == [item_id]
    with container.database.transaction() as s:
        assert s.scalar(select(func.count()).select_from(OutboxItem)) == 1
    with pytest.raises(RuntimeError, match="outside"):
        with container.database.engine.connect() as connection:
            orm_session(connection)
