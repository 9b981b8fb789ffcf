"""Outbox rows written by a webhook are handed to the queue after the commit."""
from __future__ import annotations

import dataclasses
import datetime as dt
import signal

import pytest

from receptionist.adapters.models import OutboxItem

from .test_sms_inbound import completed_call

pytestmark = pytest.mark.usefixtures("sample_company")


def test_the_confirmation_is_enqueued_when_the_call_ends(twilio, container, monkeypatch):
    enqueued = []
    monkeypatch.setattr(container.uow, "enqueue", lambda ids: enqueued.extend(ids) or list(ids))
    completed_call(twilio)
    # The confirmation text, and the ATS lookup started when the call arrived (issue 10).
    kinds = container.uow.run(lambda s: sorted(s.get(OutboxItem, i).kind for i in enqueued))
    assert kinds == ["ats_check", "sms"]


@pytest.fixture
def redis_server(tmp_path):
    """A redis-server of its own on a free loopback port, and its URL."""
    from .test_processes import _redis_server, free_port

    port = free_port()
    server = _redis_server(port, tmp_path)
    yield server, f"redis://127.0.0.1:{port}/0"
    server.send_signal(signal.SIGCONT)
    server.kill()
    server.wait()


def test_a_frozen_redis_costs_one_commit_its_timeout_and_the_rows_go_out_once_it_answers(
        redis_server, db, settings, monkeypatch, caplog):
    """A redis-server that accepts connections but answers nothing (SIGSTOP: a partition
    dropping packets): the first commit waits for the client's timeout, then this process
    leaves Redis alone for a while, so the calls after it are answered without waiting and
    their rows stay pending; once Redis answers, the reconciler hands each row over once."""
    from sqlalchemy import select

    from receptionist.adapters import queue
    from receptionist.adapters.models import OutboxStatus, utcnow
    from receptionist.services.outbox import PENDING_GRACE
    from receptionist.jobs.sweeps import sweep

    from receptionist import bootstrap

    from .conftest import TwilioClient
    from .test_voice_webhooks import Call

    server, url = redis_server
    settings = dataclasses.replace(settings, redis_url=url)
    container = bootstrap.build(settings, database=db)
    twilio = TwilioClient(bootstrap.create_app(container=container).test_client())
    monkeypatch.setattr(queue, "_enqueue_paused_until", 0.0)
    server.send_signal(signal.SIGSTOP)
    for n in range(3):  # each call's start writes its ATS lookup
        assert "<Gather" in Call(twilio, call_sid=f"CA{n:032x}", from_number=f"+1202555017{n}").start().text
    timeouts = [r for r in caplog.records if "could not enqueue" in r.getMessage()]
    assert len(timeouts) == 1 and "no enqueue from this process" in timeouts[0].getMessage()
    server.send_signal(signal.SIGCONT)
    with db.transaction() as s:
        pending = s.scalars(select(OutboxItem.id).filter_by(status=OutboxStatus.pending)).all()
    assert len(pending) == 3
    later = utcnow() + PENDING_GRACE + dt.timedelta(seconds=1)
    monkeypatch.setattr("receptionist.jobs.sweeps.utcnow", lambda: later)
    assert sorted(sweep(container)["enqueued"]) == sorted(pending)
    assert sorted(queue.queue(settings).job_ids) == sorted(queue.outbox_job_id(i) for i in pending)  # each once
