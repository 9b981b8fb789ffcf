"""Benchmark: the CPU the background jobs of a qualified call cost (issue 7, "jobs in seconds").

Places N qualified calls through the real Flask app in-process (signed webhooks, as in
``bench/webhooks.py``), each confirmed by a text "YES" from the caller, with a real
redis-server on a loopback port (``bench/stack.py``; ports from ``BENCH_PORTS``, default
6421-6425) and SQLite (or ``DATABASE_URL``). The jobs are run by the worker class of
``flask --app app worker`` (RQ's ``SimpleWorker``) in burst mode in this process (RQ's
own log at WARNING: its INFO lines cost about 0.25 ms a job more), in three drains that
follow a call as the load benchmark sees it: after every call's first webhook (the ATS
prefetch), after the screenings end (the confirmation text, and routing's invite and the
link text, the prefetch having cleared the caller), and after the confirmations (the
confirmed check, the writeback). The built-in ATS and interview stand-in are used, texts
are only logged (no ``TWILIO_ACCOUNT_SID``), so the figures are our code and RQ's, not a
provider's latency.

    .venv/bin/python bench/jobs.py [--calls 100]
    .venv/bin/python bench/jobs.py --no-confirm      # a call's own jobs, as bench/load.py places them
    .venv/bin/python bench/jobs.py --no-confirm --one-by-one  # no bursts: a drain after each commit
    .venv/bin/python bench/jobs.py --calls 50 --profile 40   # + where the worker's time goes
    DATABASE_URL=postgresql+psycopg://... .venv/bin/python bench/jobs.py --no-confirm --pg-server
        # + the local PostgreSQL server's CPU and the round trips during the drains

Printed: RQ jobs and outbox rows per call; worker CPU (``time.process_time``, this process)
per call and per job; the CPU of each outbox kind's handler (the network or ATS part);
the claim and outcome bookkeeping (job functions minus handlers); and RQ's own overhead
(the worker's CPU outside the job functions: dequeue, registries, result keys, pickling).
Each drain's fixed cost (a worker's start and stop, measured on an empty queue) is
subtracted. Then every outbox row must be settled (sent or cancelled) and claimed once.
``--profile``: ``PROFILE_SORT=tottime`` sorts otherwise; ``CALLEES=regex``/``CALLERS=regex``
add pstats' callees/callers of the matching functions.

What the profile showed on this 2-core machine (issue 7; 6 rows a confirmed call, 69 ms):
RQ's own work was 3 ms a job (about 20 Redis round trips: dequeue, execution registries,
three standalone worker heartbeats, the result), for jobs whose useful work was often less;
every row paid two transactions for claim and outcome, with SQLAlchemy building each
statement anew (as costly as running it); the handlers loaded their rows one lazy load at
a time (the company's agents and numbers for a region, each answer's question, the
application's posting, company, agent, candidate), partly again because the session's
identity map holds rows only while referenced. Not in the profile: logging, pickling, the
container (built once per process). What was done about it: one job per transaction's rows
and the rows their handlers write (6 jobs a call -> 3; without the YES 4 -> 2), a row's
outcome written with the next claim and with its handler's own result, the hot statements
built once, parents loaded in one query, heartbeats with a round trip of their own at most
every 5 s. After: 47 ms (20 ms without the YES, from 33). Left: RQ about 2.6 ms a job; the
candidate list's refresh on every flush that touches an application (its summary SELECT is
built anew each time: about 1.5 ms of the invite's 6); the built-in ATS's one transaction
per operation (the writeback's 26 statements).

Second round (issue 7, "jobs in seconds", same machine, medians of 5 runs, SQLite): from 16.6
to about 9.5 ms a call without the YES, from 41.7 to about 21 ms with it (PostgreSQL: 24.9 ->
14.7, 61.4 -> 32.6). The profile then showed redis-py parsing replies in Python (hiredis: RQ's
part 2.6 -> 2.1 ms a job), the claim's UPDATE going through the ORM's bulk-update path and a
Session per claim (now Core on a plain connection: 1.2 -> 0.7 ms a row), handlers reading
their rows with ORM loads (the check's request and the prefetch's result, the writeback's
request, the invite's record: now one prebuilt Core read each and Core writes; the check
that decides an application loads its rows in one query), and the built-in ATS's ORM
sessions (now Core on a connection: the writeback 11.2 -> 3.2 ms, 26 -> 20 statements).
Reads outside a transaction (``UnitOfWork.read``) take no SQLite write lock. RQ's worker
sends two round trips fewer a job (``cli.queue``); what is left of RQ (about 2 ms a job,
11 round trips) is its registries, the result and the dependents check.

Third round (same machine, busy: medians of 3, this branch against main alternately): RQ's
writes around a job in one MULTI at the start and one at the end (5 round trips a job instead
of 11: ``cli.queue._InProcess``), RQ's part 2.3-2.5 -> 1.6-1.9 ms a job; and a commit made
while a batch job waits enqueues nothing, the job draining the pending rows (10 after its
own, the rest re-enqueued in jobs of 10): the default bursts 15.2 -> 6.8 ms a call without the
YES, 2 -> 0.3 jobs a call. ``--one-by-one`` (a drain after each commit: no job finds another's
rows) shows the quiet case: RQ in the job loop 3.5 -> 3.1 ms a job, the job loop 16.6 -> 16.4
ms a call (the drain's count costs a round trip a job), within the noise.

Fourth round (medians of 3, base and branch alternately, SQLite): ``--profile`` now counts
CPU time. No Session left on a job's path (the invite's record and the prefetch's result are
Core on a Connection); a job's transactions on one pooled connection (``Database.pinned``:
a checkout and checkin was ~0.05 ms a transaction, 10 a call); RQ's suspension flag read at
most once a second. Default bursts 5.3 -> 4.8 ms a call (claim + outcome 0.57 -> 0.49 ms a
row); ``--one-by-one`` job loop 11.7 -> 9.9 (RQ 2.19 -> 1.87 ms a job); PostgreSQL bursts
within the noise (7.1 -> 7.0). Left: logging (9 lines a call, ~9% of the profile), the
invite's 8-9 statements, redis-py 8's per-command observability hooks (6.4 looked 10-20%
cheaper per RQ job in two quiet runs).

Fifth round (medians of 3, base and branch alternately, ``--no-confirm``): the profile's top
own costs were the driver's execute, SQLAlchemy's execution path for the statements still
not Prepared (902 of them per 100 calls: the invite's read and update, the prefetch check's
read and result, the webhooks' subscriber read, the candidate list's refresh through an
expanding IN), logging (9 lines a call, ~11% of the profile: LogRecord, findCaller, the
handler) and redis-py's command packing. Now those statements are Prepared (one candidate's
refresh as ``IN (SELECT :id)``, which PostgreSQL plans as ``candidate_id = :id``) and a sent
row logs one line (a text's handed-over line and the invite's "invited" folded into it).
SQLite 4.8 -> 4.0 ms a call (invite 1.33 -> 0.85, check 1.20 -> 0.94, texts 0.15 -> 0.10),
PostgreSQL 6.8 -> 5.9 (invite 2.06 -> 1.43, check 1.44 -> 1.29); claim + outcome and RQ
unchanged. redis-py 8.1's observability hooks when not enabled (the default: no switch
needed) cost ~3 us a command (``record_operation_duration`` looking for a
collector each time): ~0.02 ms a call at 0.3 jobs a call, not worth a ``redis<8`` pin.
"""
from __future__ import annotations

import argparse
import cProfile
import collections
import dataclasses
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import select
from twilio.request_validator import RequestValidator

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.stack import Stack, start_redis  # noqa: E402
from bench.steps import _pg_server_cpu  # noqa: E402
from bench.webhooks import CALL, TOKEN, StatementCounter, service_app  # noqa: E402
from receptionist.adapters.models import OutboxItem, OutboxStatus  # noqa: E402
from receptionist.adapters.queue import QUEUE_NAME, connection  # noqa: E402
from receptionist.settings import Settings  # noqa: E402

AGENT_NUMBER = "+12025550100"  # the sample company's receptionist (examples/acme-staffing.yaml)


def bench_ports() -> range:
    """``BENCH_PORTS`` ("6421-6425") as a range; the default is this bench's own."""
    low, _, high = (os.environ.get("BENCH_PORTS") or "6421-6425").partition("-")
    return range(int(low), int(high or low) + 1)


class Meter:
    """CPU seconds (``time.process_time``) and SQL statements (COMMIT included) of the job
    functions and of each kind's handler (with the result it records with the row's "sent")."""

    def __init__(self, statements: StatementCounter):
        self.statements = statements
        self.jobs = 0
        self.job_cpu = 0.0
        self.job_sql = 0
        self.handler_cpu: dict[str, float] = collections.defaultdict(float)
        self.handler_sql: collections.Counter = collections.Counter()
        self.handler_runs: collections.Counter = collections.Counter()

    def wrap_handlers(self, handlers: dict) -> None:
        for kind, handler in list(handlers.items()):
            def timed(item, container, _handler=handler, _kind=str(kind)):
                start, sql = time.process_time(), self.statements.count
                try:
                    outcome = _handler(item, container)
                finally:
                    self.handler_cpu[_kind] += time.process_time() - start
                    self.handler_sql[_kind] += self.statements.count - sql
                    self.handler_runs[_kind] += 1
                if getattr(outcome, "record", None) is not None:  # its result, written with the row's "sent"
                    outcome = dataclasses.replace(outcome, record=self._timed_record(outcome.record, _kind))
                return outcome
            handlers[kind] = timed

    def _timed_record(self, record, kind: str):
        def timed(session):
            start, sql = time.process_time(), self.statements.count
            try:
                return record(session)
            finally:
                self.handler_cpu[kind] += time.process_time() - start
                self.handler_sql[kind] += self.statements.count - sql
        return timed

    def job_class(self):
        from receptionist.cli.queue import PatientWorker

        meter = self

        class TimedJob(PatientWorker.job_class):
            def _execute(self):
                start, sql = time.process_time(), meter.statements.count
                try:
                    return super()._execute()
                finally:
                    meter.job_cpu += time.process_time() - start
                    meter.job_sql += meter.statements.count - sql
                    meter.jobs += 1
        return TimedJob

    def worker_class(self):
        """The worker, with the CPU of its per-job loop counted (``loop_cpu``): the suspension
        check, the dequeue and the job's execution, RQ's bookkeeping included; a worker's
        start and stop are not, so no fixed cost needs subtracting (``--one-by-one``)."""
        from receptionist.cli.queue import PatientWorker

        meter = self
        meter.loop_cpu = 0.0

        def timed(name):
            def method(self, *args, **kwargs):
                start = time.process_time()
                try:
                    return getattr(super(TimedWorker, self), name)(*args, **kwargs)
                finally:
                    meter.loop_cpu += time.process_time() - start
            return method

        class TimedWorker(PatientWorker):
            check_for_suspension = timed("check_for_suspension")
            dequeue_job_and_maintain_ttl = timed("dequeue_job_and_maintain_ttl")
            execute_job = timed("execute_job")
        return TimedWorker


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=100)
    parser.add_argument("--no-confirm", action="store_true",
                        help="no text YES after the calls (as bench/load.py: the call's own jobs only)")
    parser.add_argument("--one-by-one", action="store_true",
                        help="drain the queue after each call's start, end and YES (no burst for a job to drain)")
    parser.add_argument("--pg-server", action="store_true",
                        help="PostgreSQL on this machine: the server's CPU and the round trips during the drains")
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="profile the worker's drains and print the N functions with the most cumulative time")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="receptionist-jobs-bench-"))
    with Stack(tmp) as stack:
        redis = start_redis(stack, bench_ports())
        url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp / 'bench.db'}"
        for name in ("TWILIO_ACCOUNT_SID", "INTERVIEW_PLATFORM_URL", "INTERVIEW_WEBHOOK_URL"):
            os.environ.pop(name, None)
        app = service_app(tmp, url, redis)
        run(app, app.extensions["container"].settings, args)


def run(app, settings: Settings, args) -> None:
    from rq import Queue

    from receptionist import bootstrap
    from receptionist.cli.queue import PatientWorker

    container = app.extensions["container"]
    bootstrap._current, bootstrap._pid = container, os.getpid()  # the jobs use this process's container
    meter = Meter(StatementCounter(container.database.engine))
    meter.wrap_handlers(container.outbox_handlers)
    client, validator = app.test_client(), RequestValidator(TOKEN)
    conn = connection(settings)
    queue = Queue(QUEUE_NAME, connection=conn)
    # CPU time, not wall time: the waits on Redis and SQLite (a blocked dequeue, a lock) are no cost here.
    profiler = cProfile.Profile(time.process_time) if args.profile else None

    def post(path: str, params: dict) -> None:
        sig = validator.compute_signature("http://localhost" + path, params)
        response = client.post(path, data=params, headers={"X-Twilio-Signature": sig})
        assert response.status_code in (200, 204), (path, response.data)

    worker_cpu = 0.0
    drains = 0
    server = {"cpu": 0.0, "trips": 0}  # --pg-server: the server's CPU seconds and round trips during the drains
    worker_class, job_class = meter.worker_class(), meter.job_class()

    def drain() -> None:
        nonlocal worker_cpu, drains
        worker = worker_class([queue], connection=conn, job_class=job_class)
        if profiler:
            profiler.enable()
        if args.pg_server:
            server_before, trips_before = _pg_server_cpu(container.database.engine)[1], meter.statements.count
        start = time.process_time()
        worker.work(burst=True, with_scheduler=False, logging_level="WARNING")
        worker_cpu += time.process_time() - start
        if args.pg_server:
            server["trips"] += meter.statements.count - trips_before
            server["cpu"] += _pg_server_cpu(container.database.engine)[1] - server_before
        if profiler:
            profiler.disable()
        drains += 1

    calls = [(f"CA{n:032x}", f"+1312555{n % 10000:04d}") for n in range(args.calls)]
    bases = [{"CallSid": sid, "AccountSid": "AC" + "0" * 32, "From": caller, "To": AGENT_NUMBER,
              "CallStatus": "in-progress", "Direction": "inbound", "ApiVersion": "2010-04-01"} for sid, caller in calls]
    # Bursts (default): each phase of every call, then one drain. --one-by-one: a drain after
    # each commit that enqueues, so no job finds another's rows waiting (a quiet system).
    each = drain if args.one_by_one else (lambda: None)
    for base in bases:
        post("/voice/inbound", base)
        each()
    drain()
    for base in bases:
        for step, inputs in enumerate(CALL, start=1):
            post(f"/voice/gather?step={step}", {**base, **inputs})
        post("/voice/status", {**base, "CallStatus": "completed", "CallDuration": "95"})
        each()
    drain()
    for n, (_, caller) in enumerate([] if args.no_confirm else calls):
        post("/sms/inbound", {"MessageSid": f"SM{n:032x}", "AccountSid": "AC" + "0" * 32, "From": caller,
                              "To": AGENT_NUMBER, "Body": "YES", "NumMedia": "0"})
        each()
    drain()
    drain()  # anything the third drain's jobs left behind (none expected)

    # A drain's fixed cost: a worker started and stopped on an empty queue.
    idle = time.process_time()
    for _ in range(5):
        PatientWorker([queue], connection=conn).work(burst=True, with_scheduler=False, logging_level="WARNING")
    fixed = (time.process_time() - idle) / 5
    worker_cpu -= drains * fixed

    rows = container.uow.run(lambda s: s.execute(
        select(OutboxItem.kind, OutboxItem.purpose, OutboxItem.status, OutboxItem.attempts)).all())
    per_kind = collections.Counter(f"{r.kind}/{r.purpose}" for r in rows)
    # Without the YES, the writeback waits for the confirmation (by design, pending).
    unsettled = [r for r in rows if r.status not in (OutboxStatus.sent, OutboxStatus.cancelled)
                 and not (args.no_confirm and r.kind == "ats_writeback")]
    twice = [r for r in rows if r.attempts != 1 and r.status == OutboxStatus.sent]
    n = args.calls
    handlers = sum(meter.handler_cpu.values())
    confirmed = "not confirmed" if args.no_confirm else "each confirmed by a text"
    print(f"database: {settings.database_url.split('://')[0]}; {n} qualified calls, {confirmed}; "
          f"RQ worker (flask --app app worker's) in burst mode, {drains} drains "
          f"(fixed cost {fixed * 1000:.1f} ms each, subtracted)")
    print(f"RQ jobs {meter.jobs} ({meter.jobs / n:.2f} per call), outbox rows {len(rows)} "
          f"({len(rows) / n:.2f} per call): " + ", ".join(f"{k} {v}" for k, v in sorted(per_kind.items())))
    print(f"worker CPU {worker_cpu:.2f} s: {1000 * worker_cpu / n:.1f} ms per call, "
          f"{1000 * worker_cpu / max(1, meter.jobs):.1f} ms per job")
    if args.pg_server:
        print(f"PostgreSQL server during the drains: {1000 * server['cpu'] / n:.2f} CPU ms per call in this"
              f" database's backends; {server['trips'] / n:.1f} round trips per call")
    print(f"{'part':<34}{'ms/call':>9}{'runs':>7}{'ms/run':>9}{'SQL/run':>9}")
    for kind in sorted(meter.handler_cpu):
        cpu, runs = meter.handler_cpu[kind], meter.handler_runs[kind]
        print(f"{'  handler ' + kind:<34}{1000 * cpu / n:>9.2f}{runs:>7}{1000 * cpu / runs:>9.2f}"
              f"{meter.handler_sql[kind] / runs:>9.1f}")
    bookkeeping = meter.job_cpu - handlers
    rows_run = sum(meter.handler_runs.values())
    print(f"{'  claim + outcome (job - handler)':<34}{1000 * bookkeeping / n:>9.2f}{rows_run:>7}"
          f"{1000 * bookkeeping / max(1, rows_run):>9.2f}"
          f"{(meter.job_sql - sum(meter.handler_sql.values())) / max(1, rows_run):>9.1f}")
    rq_cpu = worker_cpu - meter.job_cpu
    print(f"{'  RQ (worker - job functions)':<34}{1000 * rq_cpu / n:>9.2f}{meter.jobs:>7}"
          f"{1000 * rq_cpu / max(1, meter.jobs):>9.2f}")
    rq_loop = meter.loop_cpu - meter.job_cpu
    print(f"{'  RQ in the job loop (no start/stop)':<34}{1000 * rq_loop / n:>9.2f}{meter.jobs:>7}"
          f"{1000 * rq_loop / max(1, meter.jobs):>9.2f}")
    print(f"job loop CPU (job functions + RQ in the loop): {1000 * meter.loop_cpu / n:.1f} ms per call")
    print(f"check: {len(unsettled)} row(s) not settled, {len(twice)} sent row(s) claimed more than once"
          + ("" if not unsettled else ": " + ", ".join(f"{r.kind}/{r.purpose} {r.status}" for r in unsettled[:5])))
    if profiler:
        print()
        stats = pstats.Stats(profiler, stream=sys.stdout).sort_stats(os.environ.get("PROFILE_SORT", "cumulative"))
        stats.print_stats(args.profile)
        if os.environ.get("CALLEES"):
            stats.print_callees(os.environ["CALLEES"])
        if os.environ.get("CALLERS"):
            stats.print_callers(os.environ["CALLERS"])
    if unsettled or twice:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
