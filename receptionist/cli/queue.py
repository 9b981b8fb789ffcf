"""Background processes: ``worker`` (RQ worker with its scheduler) and ``cron`` (RQ's cron).

The worker runs jobs in its own process, without forking (RQ's ``SimpleWorker``): our jobs
are short and I/O-bound (claim an outbox row, one HTTP request to Twilio or an ATS, record
the outcome), and RQ's default fork per job cost ~0.12-0.2 CPU-s each (a new process, a new
container and database connections), which put confirmation texts 17 s behind a burst of
calls. What the fork gave, and why we do without it:

- Isolation: a job that leaks memory or corrupts module state cannot outlive it in a
  forked horse. Our jobs keep no state beyond the container (built once per process by
  ``bootstrap.current()``), and a worker that dies (a crash takes the worker, not only the
  horse) is restarted by ``serve``; its job's outbox row stays ``sending`` and the reconciler
  settles it (never sent twice), exactly as for a killed horse.
- Timeouts: RQ's job timeout is SIGALRM (``UnixSignalDeathPenalty``), which works the same in
  a SimpleWorker (the job runs on the main thread); a hung C call is not interrupted, so
  every network call in a job has its own timeout (a send: 10 s).
- Throughput: one worker runs one job at a time, so ``serve`` starts ``WORKER_PROCESSES``
  of them (only the first with RQ's scheduler). ``--fork`` restores RQ's forking worker.

Both talk to Redis through ``adapters.redis_server.patient_connection``: through a Redis
outage every command waits (retried with backoff) instead of failing, so the worker, its
scheduler process and the cron keep running and carry on when Redis is back; the outage is
logged once as it starts and once as it ends. A stop signal during an outage ends the wait.
"""
from __future__ import annotations

import ctypes
import logging
import os
import signal
import threading
import time
from contextlib import suppress

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from rq import SimpleWorker, Worker
from rq.executions import Execution
from rq.job import Job, JobStatus, _job_stack
from rq.scheduler import RQScheduler
from rq.utils import now
from rq.worker import WorkerStatus

from receptionist.adapters.redis_server import patient_connection, redis_url, stop_waiting

from .serve import exit_with_supervisor

log = logging.getLogger(__name__)

# RQ restarts a dead scheduler process only in its maintenance, every 600 s by default; its
# lock expires 61 s after its last heartbeat. The cron keeps the worker's loop turning
# (a sweep every SWEEP_INTERVAL), so maintenance runs about this often.
MAINTENANCE_INTERVAL_S = 60
# RQ refreshes the worker's registry key (HSET last_heartbeat + EXPIRE) about three times
# per job on a round trip of its own: a third of its Redis round trips per job. Once per
# interval is plenty: the key lives 240-480 s and the health check allows minutes.
HEARTBEAT_EVERY_S = 5
# RQ reads its suspension flag (``rq suspend``) before every job: a round trip a job. Once
# a second is as often as RQ itself looks while suspended (``check_for_suspension`` sleeps 1 s).
SUSPENSION_CHECK_EVERY_S = 1.0
SCHEDULER_STOP_TIMEOUT_S = 5  # after SIGTERM, before SIGKILL: a scheduler waiting on Redis does not stop
# RQ's scheduler refreshes its lock every interval (1 s) to this TTL (interval + 60 s,
# rq.scheduler.RQScheduler.heartbeat); one not refreshed for SCHEDULER_STALE_S was left by a
# scheduler that died without releasing it (SIGKILL, a crash).
SCHEDULER_LOCK_TTL_S = 61
SCHEDULER_STALE_S = 10
# A worker meant to run the scheduler that could not take the lock tries again this often
# (RQ: at its maintenance, every MAINTENANCE_INTERVAL_S).
SCHEDULER_RETRY_S = 5

# Delete a lock whose TTL (ms) is below ARGV[1], atomically: its holder stopped refreshing it.
_DELETE_STALE_LOCK = """
local ttl = redis.call('PTTL', KEYS[1])
if ttl >= 0 and ttl < tonumber(ARGV[1]) then return redis.call('DEL', KEYS[1]) end
return 0
"""


class _Patience:
    """For an RQ worker class on a patient connection: maintenance every
    ``MAINTENANCE_INTERVAL_S`` (so a scheduler process that died is started again within
    minutes, not ten); after a restart, its scheduler within seconds (below); its warm
    shutdown (SIGTERM, SIGINT) also ends a wait on an unreachable Redis."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("maintenance_interval", MAINTENANCE_INTERVAL_S)
        self._scheduler_tried_at = 0.0
        super().__init__(*args, **kwargs)

    def heartbeat(self, timeout: int | None = None, pipeline=None):
        """RQ's, skipped when it would cost a round trip of its own and a heartbeat with the
        default expiry (``worker_ttl`` + 60 s) went less than ``HEARTBEAT_EVERY_S`` ago. One
        with a job's own, shorter expiry (job timeout + 60 s) always goes and makes the next
        plain one go too, so an idle worker's blocking dequeue (``worker_ttl`` - 15 s) never
        outlives its key. One that goes on its own is one round trip (RQ's is two: HSET, then
        EXPIRE)."""
        beat_at = getattr(self, "_default_beat_at", None)
        if pipeline is None and timeout is None:
            if beat_at is not None and time.monotonic() - beat_at < HEARTBEAT_EVERY_S:
                return
            with self.connection.pipeline(transaction=False) as own:
                super().heartbeat(None, own)
                own.execute()
        else:
            super().heartbeat(timeout, pipeline)
        self._default_beat_at = time.monotonic() if timeout is None else None

    def check_for_suspension(self, burst: bool):
        """RQ's, skipped when it found the workers not suspended less than
        ``SUSPENSION_CHECK_EVERY_S`` ago: under a burst a worker starts a job every few
        milliseconds, and ``rq suspend`` then takes effect within a second, not at once."""
        checked_at = getattr(self, "_suspension_checked_at", None)
        if checked_at is not None and time.monotonic() - checked_at < SUSPENSION_CHECK_EVERY_S:
            return
        super().check_for_suspension(burst)
        self._suspension_checked_at = time.monotonic()

    def set_state(self, state: str, pipeline=None):
        """RQ's, without the round trip when ``state`` is the one this worker last wrote:
        RQ writes "idle" after each job and again before each dequeue. Only this worker
        writes its hash's ``state`` (``rq.worker.base``: ``register_birth``, ``set_state``)."""
        if pipeline is None and state == getattr(self, "_state_written", None):
            return
        super().set_state(state, pipeline)
        self._state_written = state

    def register_birth(self):
        self._state_written = None  # RQ's birth replaces the hash
        super().register_birth()

    def handle_execution_ended(self, job, queue, heartbeat_ttl: int):
        """RQ's, without the job's ``last_heartbeat`` HSET of its own when the job succeeded
        and has no success callback: ``handle_job_success`` saves the whole job hash
        (``Job._handle_success`` -> ``Job.save``, ``last_heartbeat`` included) in its pipeline
        right after, and nothing runs in between. A failed job keeps RQ's (its failure path
        does not save the job)."""
        if job.get_status(refresh=False) == JobStatus.FAILED or job.success_callback is not None:
            super().handle_execution_ended(job, queue, heartbeat_ttl)
            return
        job.ended_at = job.last_heartbeat = now()

    def request_stop(self, signum, frame):
        stop_waiting()
        super().request_stop(signum, frame)

    # --- the scheduler after a restart -----------------------------------------------------
    # RQ's worker starts its scheduler only if it takes the lock (``rq:scheduler-lock:<queue>``)
    # at start, and tries again only at maintenance. After a restart the lock may still be
    # held: by the old scheduler for the second it takes to release it on SIGTERM, or, when it
    # was killed, until the lock expires (61 s). Delayed jobs (outbox retries, enqueue_in)
    # then waited one to two minutes. Here a worker without its scheduler tries every
    # SCHEDULER_RETRY_S and takes over a lock nobody refreshed for SCHEDULER_STALE_S: a
    # restart has its scheduler within about SCHEDULER_STALE_S + SCHEDULER_RETRY_S. (A second
    # worker with --scheduler beside a live one keeps trying: a few Redis commands every 5 s.)

    def _start_scheduler(self, *args, **kwargs):
        self._take_over_stale_scheduler_locks()
        super()._start_scheduler(*args, **kwargs)

    def _scheduler_missing(self) -> bool:
        """True when this worker is to run the scheduler and its process does not run."""
        scheduler = getattr(self, "scheduler", None)  # RQ's __init__ reads dequeue_timeout first
        return scheduler is not None and (scheduler._process is None or not scheduler._process.is_alive())

    def _take_over_stale_scheduler_locks(self) -> None:
        """Delete each queue's scheduler lock that was not refreshed for SCHEDULER_STALE_S
        (RQ's scheduler then takes it as a free one)."""
        self._scheduler_tried_at = time.monotonic()
        fresh_ms = (SCHEDULER_LOCK_TTL_S - SCHEDULER_STALE_S) * 1000
        delete = self.connection.register_script(_DELETE_STALE_LOCK)
        for queue in self.queues:
            if delete(keys=[RQScheduler.get_locking_key(queue.name)], args=[fresh_ms]):
                self.log.warning("the scheduler lock of %s was not refreshed for %s s (its scheduler died); "
                                 "taking it over", queue.name, SCHEDULER_STALE_S)

    @property
    def should_run_maintenance_tasks(self):
        """RQ's, and every SCHEDULER_RETRY_S while the scheduler is missing (maintenance
        starts it: ``run_maintenance_tasks``)."""
        if self._scheduler_missing() and time.monotonic() - self._scheduler_tried_at >= SCHEDULER_RETRY_S:
            return True
        return super().should_run_maintenance_tasks

    def run_maintenance_tasks(self):
        if self._scheduler_missing():
            self._take_over_stale_scheduler_locks()
        super().run_maintenance_tasks()

    @property
    def dequeue_timeout(self) -> int:
        """RQ's (``worker_ttl`` - 15 s), or SCHEDULER_RETRY_S while the scheduler is missing:
        an idle worker's loop turns to try again."""
        return SCHEDULER_RETRY_S if self._scheduler_missing() else super().dequeue_timeout

    def stop_scheduler(self):
        """RQ's, bounded: SIGTERM to the scheduler process, then SIGKILL after
        ``SCHEDULER_STOP_TIMEOUT_S`` (during an outage it waits on Redis and would never
        stop, and RQ joins it without a timeout)."""
        process = self.scheduler._process if self.scheduler else None
        if process is None or not process.pid:
            return
        with suppress(OSError):
            os.kill(process.pid, signal.SIGTERM)
        process.join(SCHEDULER_STOP_TIMEOUT_S)
        if process.is_alive():
            self.log.warning("scheduler (pid %s) did not stop in %s s; killing it", process.pid,
                             SCHEDULER_STOP_TIMEOUT_S)
            process.kill()
            process.join()


# Jobs that no job is ever enqueued to depend on (``depends_on``): their ids are made by
# ``adapters.queue`` and never handed out, so RQ's check for dependents (WATCH + SMEMBERS
# of ``rq:job:<id>:dependents``, two round trips) would always find none.
NO_DEPENDENTS = frozenset({"receptionist.jobs.outbox.run_item", "receptionist.jobs.outbox.run_items"})


class PreparedJob(Job):
    """RQ's ``Job``, whose ``perform`` leaves out its own PERSIST of the job key (a round
    trip): :class:`_InProcess` sends it in the job's preparation pipeline instead, just
    before ``perform`` in the same process (``rq.worker.base.perform_job``). Otherwise
    ``rq.job.Job.perform`` as is (RQ 2.x), the current-job stack included."""

    def perform(self):
        _job_stack.push(self)
        try:
            self._result = self._execute()
        finally:
            assert self is _job_stack.pop()
        return self._result


class _InProcess:
    """For RQ's ``SimpleWorker`` (the job runs in the worker's own process): RQ's Redis
    writes around a job in 5 round trips instead of 11, the same writes otherwise.

    - The start (``prepare_execution``: the execution record and state "busy";
      ``prepare_job_execution``: the worker's current job, both heartbeats, the job's
      "started", its removal from the intermediate queue; ``Job.perform``'s PERSIST) is one
      MULTI instead of three round trips: RQ runs them back to back in this process
      (``SimpleWorker.execute_job`` -> ``perform_job``), nothing reads in between, and one
      transaction leaves no moment where the job is in neither the intermediate queue nor
      the started registry.
    - The end: state "idle" and the worker's plain heartbeat go in the MULTI that records
      the outcome (``cleanup_execution``, on success, failure and retry alike) instead of a
      round trip each right after (``execute_job``'s ``set_state``, ``work``'s heartbeat).
    - A job in ``NO_DEPENDENTS`` succeeds without RQ's dependents check (WATCH, SMEMBERS):
      the rest of ``handle_job_success`` as RQ writes it, in one MULTI.
    Left as RQ has them: the suspension check (with a heartbeat), the dequeue (LMOVE, then
    the job's HGETALL)."""

    job_class = PreparedJob

    def prepare_execution(self, job):
        """Nothing yet: sent with :meth:`prepare_job_execution`, which RQ calls next."""
        return None

    def prepare_job_execution(self, job, remove_from_intermediate_queue: bool = False) -> None:
        # rq.executions.prepare_execution + rq.worker.base.prepare_job_execution + Job.perform's PERSIST
        from rq import Queue

        heartbeat_ttl = self.get_heartbeat_ttl(job)
        with self.connection.pipeline() as pipeline:
            self.execution = Execution.create(job, heartbeat_ttl, pipeline=pipeline, worker_name=self.name)
            self.set_state(WorkerStatus.BUSY, pipeline=pipeline)
            self.set_current_job_id(job.id, pipeline=pipeline)
            self.set_current_job_working_time(0, pipeline=pipeline)
            self.heartbeat(heartbeat_ttl, pipeline=pipeline)
            job.heartbeat(now(), heartbeat_ttl, pipeline=pipeline)
            job.prepare_for_execution(self.name, pipeline=pipeline)
            if isinstance(job, PreparedJob):
                pipeline.persist(job.key)
            if remove_from_intermediate_queue:
                pipeline.lrem(Queue(job.origin, connection=self.connection).intermediate_queue_key, 1, job.id)
            pipeline.execute()

    def cleanup_execution(self, job, pipeline) -> None:
        super().cleanup_execution(job, pipeline)
        self.set_state(WorkerStatus.IDLE, pipeline=pipeline)
        self.heartbeat(None, pipeline)

    def handle_job_success(self, job, queue, started_job_registry) -> None:
        if job.func_name not in NO_DEPENDENTS or job.repeats_left:
            super().handle_job_success(job, queue, started_job_registry)
            return
        # rq.worker.base.handle_job_success (RQ 2.x) without the WATCH loop and enqueue_dependents
        with self.connection.pipeline() as pipeline:
            self.increment_successful_job_count(pipeline=pipeline)
            self.increment_total_working_time(job.ended_at - job.started_at, pipeline)
            result_ttl = job.get_result_ttl(self.default_result_ttl)
            if result_ttl != 0:
                job._handle_success(result_ttl, pipeline=pipeline, worker_name=self.name,
                                    execution_id=self.execution.id if self.execution else None,
                                    execution_started_at=self.execution.created_at if self.execution else None,
                                    execution_ended_at=job.ended_at)
            job.cleanup(result_ttl, pipeline=pipeline, remove_from_queue=False)
            self.cleanup_execution(job, pipeline=pipeline)
            pipeline.execute()
        self.log.info("Successfully completed job %s in %ss on worker %s", job.id, job.ended_at - job.started_at,
                      self.name)


class PatientWorker(_InProcess, _Patience, SimpleWorker):
    """The worker: jobs run in this process, one at a time (module docstring)."""


class PatientForkingWorker(_Patience, Worker):
    """RQ's forking worker (a work horse per job): ``worker --fork``.

    RQ puts each work horse in a process group of its own (``os.setpgrp`` in
    ``fork_work_horse``, so ``kill_horse`` reaches what the job started), which a SIGKILL to
    the worker's group does not reach: a worker killed mid-job (``serve`` after
    ``CHILD_STOP_TIMEOUT_S``, a test's or an operator's ``kill -9``) left its horse running as
    an orphan. Here the horse dies with its worker (:func:`_die_with_parent`). A SIGTERM alone
    is RQ's warm shutdown: the worker waits for the horse to finish its job, then exits.
    A horse killed mid-job loses nothing the outbox does not account for: its row stays
    ``pending`` (not yet claimed: the reconciler enqueues it again) or ``sending`` (the
    reconciler settles it, never sent twice), as for a killed ``SimpleWorker``.
    """

    def fork_work_horse(self, job, queue):
        self._worker_pid = os.getpid()  # read in the horse, after the fork
        super().fork_work_horse(job, queue)

    def setup_work_horse_signals(self):
        """RQ's (in the horse: SIGINT ignored, SIGTERM ends it), and death with the worker."""
        super().setup_work_horse_signals()
        _die_with_parent(self._worker_pid)


_PR_SET_PDEATHSIG = 1  # linux/prctl.h
PARENT_CHECK_S = 1     # without prctl: how often a work horse checks that its worker is there


def _die_with_parent(parent_pid: int) -> None:
    """Have the kernel SIGKILL this process when ``parent_pid`` (its parent) exits: Linux's
    ``prctl(PR_SET_PDEATHSIG, SIGKILL)`` (prctl(2)); elsewhere a daemon thread checks every
    ``PARENT_CHECK_S``. A parent already gone before the request means exiting now."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        armed = libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
    except (OSError, AttributeError):  # not Linux
        armed = False
    if not armed:
        def watch():
            while os.getppid() == parent_pid:
                time.sleep(PARENT_CHECK_S)
            os.kill(os.getpid(), signal.SIGKILL)
        threading.Thread(target=watch, name="worker-watch", daemon=True).start()
    if os.getppid() != parent_pid:
        os._exit(1)


def patient_cron(connection):
    """RQ's cron scheduler (``rq.cron.CronScheduler``) on ``connection``, whose stop signal
    also ends a wait on an unreachable Redis. (rq.cron is imported here, by the cron process
    only: it pulls in croniter, which a web process does not need.)"""
    from rq.cron import CronScheduler

    class PatientCron(CronScheduler):
        def _request_stop(self, signum, frame):  # RQ 2.x: the handler start() installs for SIGINT, SIGTERM
            stop_waiting()
            super()._request_stop(signum, frame)

    return PatientCron(connection=connection)


@click.command("worker")
@click.option("--burst", is_flag=True, help="Exit once the queue is empty.")
@click.option("--scheduler/--no-scheduler", default=True, show_default=True,
              help="Also run RQ's scheduler (retries, enqueue_in/at); one worker with it is enough.")
@click.option("--fork", is_flag=True, help="Run each job in a forked process (RQ's default worker).")
@click.option("--rq-log-level", default="WARNING", show_default=True,
              type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
              help="RQ's own log lines (INFO: three per job, beside ours for each outbox row).")
@with_appcontext
def worker_command(burst: bool, scheduler: bool, fork: bool, rq_log_level: str) -> None:
    """Run an RQ worker on the "receptionist" queue, running jobs in this process (see
    ``receptionist.cli.queue``), with RQ's scheduler unless ``--no-scheduler``."""
    from receptionist import bootstrap
    from receptionist.adapters.queue import QUEUE_NAME

    # A connection of its own: RQ raises its read timeout for the blocking dequeue.
    connection = patient_connection(redis_url(current_app.config["SETTINGS"]))
    exit_with_supervisor()
    if not fork:
        bootstrap.current()  # built now, not during the first job
    # One line at start (RQ's own are WARNING and up by default): the worker's log said
    # nothing until its first job, so an operator could not tell it had started.
    log.info("worker (pid %s) on queue %s, %s RQ's scheduler", os.getpid(), QUEUE_NAME,
             "with" if scheduler else "without")
    worker_class = PatientForkingWorker if fork else PatientWorker
    worker_class([QUEUE_NAME], connection=connection).work(with_scheduler=scheduler, burst=burst,
                                                           logging_level=rq_log_level.upper())


@click.command("cron")
@with_appcontext
def cron_command() -> None:
    """Run RQ's cron scheduler: enqueue ``receptionist.jobs.sweep`` every SWEEP_INTERVAL_S seconds
    and ``receptionist.jobs.ats.sync_mirrors`` every ATS_SYNC_INTERVAL_S."""
    from receptionist import jobs
    import receptionist.jobs.ats  # noqa: F401  (jobs.ats, registered below)
    from receptionist.adapters.queue import QUEUE_NAME

    settings = current_app.config["SETTINGS"]
    cron = patient_cron(patient_connection(redis_url(settings)))
    # ttl: a sweep nobody ran in time expires instead of piling up while the worker is down.
    cron.register(jobs.sweep, queue_name=QUEUE_NAME, interval=settings.sweep_interval_s,
                  ttl=max(60, 2 * settings.sweep_interval_s))
    # The ATS mirrors (Greenhouse: no search by phone); a company without one costs a query.
    cron.register(jobs.ats.sync_mirrors, queue_name=QUEUE_NAME, interval=settings.ats_sync_interval_s,
                  ttl=max(60, settings.ats_sync_interval_s))
    exit_with_supervisor()
    cron.start()


def register(app: Flask) -> None:
    """Attach ``worker`` and ``cron`` to ``app.cli``."""
    app.cli.add_command(worker_command)
    app.cli.add_command(cron_command)
