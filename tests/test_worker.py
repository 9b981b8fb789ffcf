"""The RQ worker runs our short jobs in its own process (no fork per job); ``--fork`` keeps
RQ's work horse. Against a real Redis (``REDIS_URL``, else the embedded server)."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest
from redis import Redis
from rq import Queue
from rq.job import JobStatus

from receptionist.adapters.queue import QUEUE_NAME
from tests.conftest import AUTH_TOKEN, ROOT
from tests.test_outbox_delivery import redis_test_url  # noqa: F401  (the fixture)


@pytest.mark.parametrize("fork", [False, True], ids=["in the worker", "--fork: in a work horse"])
def test_the_worker_runs_a_job_in_its_own_process_unless_told_to_fork(redis_test_url, tmp_path, fork):  # noqa: F811
    redis = Redis.from_url(redis_test_url)
    redis.flushdb()
    job = Queue(QUEUE_NAME, connection=redis).enqueue("os.getpid")
    env = {**os.environ, "REDIS_URL": redis_test_url, "INSTANCE_PATH": str(tmp_path),
           "DATABASE_URL": f"sqlite:///{tmp_path / 'worker.db'}", "TWILIO_AUTH_TOKEN": AUTH_TOKEN}
    worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "worker", "--burst", "--no-scheduler",
                               *(["--fork"] if fork else [])], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        output = worker.communicate(timeout=120)[0].decode(errors="replace")
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    assert worker.returncode == 0, output
    assert job.get_status(refresh=True) == JobStatus.FINISHED, output
    assert (job.return_value() == worker.pid) is not fork
    redis.flushdb()


def test_the_worker_skips_redundant_heartbeats_but_never_lets_its_key_lapse(redis_test_url):  # noqa: F811
    from receptionist.cli.queue import PatientWorker

    redis = Redis.from_url(redis_test_url)
    redis.flushdb()
    worker = PatientWorker([Queue(QUEUE_NAME, connection=redis)], connection=redis)
    worker.register_birth()
    try:
        worker.heartbeat()
        first = redis.hget(worker.key, "last_heartbeat")
        worker.heartbeat()  # a second later at most: RQ's own round trip is skipped
        assert redis.hget(worker.key, "last_heartbeat") == first
        worker.heartbeat(timeout=240)  # a job's shorter expiry (its timeout + 60 s) always goes...
        assert redis.ttl(worker.key) <= 240
        worker.heartbeat()  # ...and the next plain one restores the idle expiry at once
        assert redis.ttl(worker.key) > worker.worker_ttl - 15  # outlives the idle blocking dequeue
    finally:
        worker.register_death()
        redis.flushdb()


def test_rq_suspend_still_stops_the_worker_within_a_second_without_a_round_trip_a_job(redis_test_url, monkeypatch):  # noqa: F811
    from rq.suspension import resume, suspend
    from rq.exceptions import StopRequested

    from receptionist.cli import queue as cli_queue
    from receptionist.cli.queue import SUSPENSION_CHECK_EVERY_S, PatientWorker

    redis = Redis.from_url(redis_test_url)
    redis.flushdb()
    clock = [1000.0]
    monkeypatch.setattr(cli_queue.time, "monotonic", lambda: clock[0])
    worker = PatientWorker([Queue(QUEUE_NAME, connection=redis)], connection=redis)
    try:
        worker.check_for_suspension(burst=True)  # not suspended: the job goes on
        suspend(redis)
        clock[0] += SUSPENSION_CHECK_EVERY_S / 2
        worker.check_for_suspension(burst=True)  # checked half a second ago: the next job still starts
        clock[0] += SUSPENSION_CHECK_EVERY_S / 2
        with pytest.raises(StopRequested):  # a burst worker stops once it looks again, as RQ's
            worker.check_for_suspension(burst=True)
        resume(redis)
        worker.check_for_suspension(burst=True)  # resumed: found at the next look
    finally:
        redis.flushdb()
