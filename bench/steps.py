"""Benchmark: CPU time and SQL statements per step of a call (a per-step view of ``webhooks.py``).

Runs whole qualified calls (``webhooks.CALL``) through the real Flask app in-process, signed
as Twilio signs them, and prints for each step (``inbound``, ``g1``..``g10``, ``status``) the
median and mean CPU ms per request of this process and the SQL statements it ran (mean,
BEGIN/COMMIT included: on PostgreSQL, the round trips). SQLite by default, or ``DATABASE_URL`` (an empty database).

    .venv/bin/python bench/steps.py [--calls 150]
    .venv/bin/python bench/steps.py --profile g10 [--top 40]   # cProfile of one step
    .venv/bin/python bench/steps.py --sql status                # the statements one step runs (last call)
    .venv/bin/python bench/steps.py --ats-done                  # the ATS lookup done during the call
    .venv/bin/python bench/steps.py --lock                      # + CPU ms under SQLite's write lock
    DATABASE_URL=postgresql+psycopg://... .venv/bin/python bench/steps.py --pg-server
        # + the PostgreSQL server's side (a local server with pg_stat_statements loaded)

``--ats-done`` records each call's prefetched ATS lookup as done (no match) right after the
call starts, as the job would (outside the measured requests): the last answer then decides
the duplicate check and routes (the sample agent routes automatically: an invite).

The first ``--warmup`` calls (20) are left out of the figures: caches and the JIT of
SQLAlchemy's statement cache fill there.
"""
from __future__ import annotations

import argparse
import cProfile
import logging
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

from sqlalchemy import event, select
from twilio.request_validator import RequestValidator

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.webhooks import CALL, TOKEN, call_fields, on_round_trip, sample_app  # noqa: E402
from receptionist.adapters.models import ATSCheck, Conversation  # noqa: E402
from receptionist.services import duplicates  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=150)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--profile", metavar="STEP", help="cProfile the requests of STEP (inbound, g1..g10, status)")
    parser.add_argument("--top", type=int, default=40, help="functions printed by --profile")
    parser.add_argument("--sql", metavar="STEP", help="print the statements STEP ran in the last call")
    parser.add_argument("--ats-done", action="store_true", help="the ATS lookup finishes during each call")
    parser.add_argument("--lock", action="store_true", help="SQLite: CPU ms per step spent holding the write lock")
    parser.add_argument("--pg-server", action="store_true",
                        help="PostgreSQL on this machine: server CPU and statements (round trips) per call")
    args = parser.parse_args()
    logging.disable(logging.INFO)
    app, url = sample_app("receptionist-steps-")
    client, validator = app.test_client(), RequestValidator(TOKEN)
    statements: list[str] = []
    engine = app.extensions["db"].engine
    on_round_trip(engine, lambda sql, alone: statements.append(sql + (" -- alone" if alone else "")))
    cpu: dict[str, list[float]] = {}
    wall: dict[str, list[float]] = {}
    locked = _lock_timer(engine) if args.lock else None
    sql: dict[str, list[int]] = {}
    last_sql: dict[str, list[str]] = {}
    lock_cpu: dict[str, list[float]] = {}
    profiler = cProfile.Profile()

    def post(step: str, path: str, params: dict, measured: bool) -> None:
        signature = validator.compute_signature("http://localhost" + path, params)
        statements.clear()
        if step == args.profile and measured:
            profiler.enable()
        if locked is not None:
            locked["spent"] = 0.0
        start, started = time.process_time(), time.perf_counter()
        response = client.post(path, data=params, headers={"X-Twilio-Signature": signature})
        spent = (time.process_time() - start) * 1000
        waited = (time.perf_counter() - started) * 1000
        if step == args.profile and measured:
            profiler.disable()
        assert response.status_code in (200, 204), response.data
        if measured:
            cpu.setdefault(step, []).append(spent)
            wall.setdefault(step, []).append(waited)
            sql.setdefault(step, []).append(len(statements))
            if locked is not None:
                lock_cpu.setdefault(step, []).append(locked["spent"] * 1000)
        last_sql[step] = list(statements)

    server = None
    for n in range(args.calls):
        measured = n >= args.warmup
        if args.pg_server and n == args.warmup:
            server = _pg_server_start(engine)
        base = call_fields(n)
        post("inbound", "/voice/inbound", base, measured)
        if args.ats_done:
            app.extensions["container"].uow.run(lambda s, sid=base["CallSid"]: duplicates.record_result(
                s, s.scalar(select(ATSCheck.id).join(Conversation, Conversation.id == ATSCheck.conversation_id)
                            .where(Conversation.call_sid == sid, ATSCheck.purpose == duplicates.PREFETCH)),
                [], "builtin:bench"))
        for step, inputs in enumerate(CALL, start=1):
            post(f"g{step}", f"/voice/gather?step={step}", {**base, **inputs}, measured)
        post("status", "/voice/status", {**base, "CallStatus": "completed", "CallDuration": "95"}, measured)

    print(f"database: {url.split('://')[0]}; {args.calls - args.warmup} calls measured")
    print(f"{'step':<10}{'input':<24}{'CPU p50':>9}{'CPU mean':>10}{'SQL':>6}{'wall p50':>10}"
          + ("  lock p50" if locked else ""))
    inputs = ["(call starts)"] + [next(iter(i.values())) for i in CALL] + ["completed"]
    for (step, values), said in zip(cpu.items(), inputs):
        print(f"{step:<10}{said:<24}{statistics.median(values):>9.2f}{statistics.mean(values):>10.2f}"
              f"{statistics.mean(sql[step]):>6.1f}{statistics.median(wall[step]):>10.2f}"
              + (f"{statistics.median(lock_cpu[step]):>10.2f}" if locked else ""))
    print(f"{'per call':<34}{sum(statistics.mean(v) for v in cpu.values()):>10.2f}"
          f"{sum(statistics.mean(v) for v in sql.values()):>6.1f}{sum(statistics.mean(v) for v in wall.values()):>10.2f}"
          "  (wall: mean, the request as the test client waits for it)")
    if server is not None:
        _pg_server_report(engine, server, args.calls - args.warmup)
    if args.sql:
        print(f"\nstatements of {args.sql} (last call):")
        for text in last_sql.get(args.sql, []):
            print("  " + " ".join(text.split())[:400])
    if args.profile:
        print()
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(args.top)
        if os.environ.get("STEPS_PROFILE_DUMP"):
            profiler.dump_stats(os.environ["STEPS_PROFILE_DUMP"])


def _pg_server_cpu(engine) -> tuple[float, float]:
    """CPU seconds (user + system) used so far by the local PostgreSQL server's processes (the
    postmaster's children), as (all of them, the client backends of this database alone: the
    WAL writer, checkpointer and autovacuum left out). psutil."""
    import psutil
    with engine.connect() as conn:
        backend = psutil.Process(conn.exec_driver_sql("SELECT pg_backend_pid()").scalar())
        database = conn.exec_driver_sql("SELECT current_database()").scalar()
    every = backends = 0.0
    for process in backend.parent().children():
        try:
            cpu = sum(process.cpu_times()[:2])
            every += cpu
            if f" {database} " in " ".join(process.cmdline()):  # "postgres: user database host(port) state"
                backends += cpu
        except psutil.NoSuchProcess:
            pass
    return every, backends


# This database's commits and rollbacks (pg_stat_database) and the server's WAL activity
# (pg_stat_wal, PostgreSQL 14+): records, bytes, writes and syncs (fsyncs, by the backends at
# their commits and by the WAL writer). Both views are updated when a backend reports its
# statistics (when idle, after up to 10 s; at its exit), so the report closes the pool first.
_PG_COUNTERS = ("SELECT xact_commit, xact_rollback, wal_records, wal_bytes, wal_write, wal_sync"
                " FROM pg_stat_database, pg_stat_wal WHERE datname = current_database()")


def _pg_server_start(engine) -> tuple:
    """Resets pg_stat_statements; returns the server's CPU seconds so far (:func:`_pg_server_cpu`)
    and its counters (``_PG_COUNTERS``)."""
    with engine.connect() as conn:
        conn.exec_driver_sql("SELECT pg_stat_statements_reset()")
        conn.commit()
    engine.dispose()  # the warm-up's statistics reported (_PG_COUNTERS); the pool reconnects (~1 ms a backend)
    time.sleep(0.5)
    counters = _pg_counters(engine)
    return (*_pg_server_cpu(engine), counters)


def _pg_counters(engine) -> tuple:
    with engine.connect() as conn:
        conn.exec_driver_sql("SELECT pg_stat_clear_snapshot()")
        return tuple(conn.exec_driver_sql(_PG_COUNTERS).one())


def _pg_server_report(engine, cpu_before: tuple, calls: int) -> None:
    """Prints the server's CPU ms per call, commits, WAL records, bytes and syncs per call and, from pg_stat_statements, each statement kind's
    executions (round trips: BEGIN and COMMIT are statements there too), planning and execution
    ms per call. The server's processes that exited since the start (none here: the pool keeps its
    backends) are not counted."""
    every, backends = ((now - before) * 1000 / calls for now, before in zip(_pg_server_cpu(engine), cpu_before))
    engine.dispose()  # the pool's backends exit, reporting their statistics (idle, they may wait 10 s)
    time.sleep(0.5)
    commits, rollbacks, records, wal_bytes, writes, syncs = (
        float(now - before) / calls for now, before in zip(_pg_counters(engine), cpu_before[2]))
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT calls, total_plan_time, total_exec_time, query FROM pg_stat_statements"
            " WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())"
            " AND strpos(query, 'pg_stat_statements') = 0 AND strpos(query, 'pg_backend_pid') = 0"
            " AND strpos(query, 'current_database') = 0"
            " ORDER BY calls DESC, total_exec_time DESC").all()
    print(f"\nPostgreSQL server: {every:.2f} CPU ms per call ({backends:.2f} in this database's backends);"
          f" statements {sum(r.calls for r in rows) / calls:.1f} per call,"
          f" plan {sum(r.total_plan_time for r in rows) / calls:.2f} ms, exec {sum(r.total_exec_time for r in rows) / calls:.2f} ms"
          " per call (wall, in the server)")
    print(f"commits {commits:.1f} per call (rollbacks {rollbacks:.2f}); WAL per call: {records:.0f} records,"
          f" {wal_bytes / 1024:.1f} kB, {writes:.1f} writes, {syncs:.1f} syncs (fsync)")
    print(f"{'per call':>9}{'plan ms':>9}{'exec ms':>9}  statement")
    for r in rows:
        print(f"{r.calls / calls:>9.2f}{r.total_plan_time / calls:>9.3f}{r.total_exec_time / calls:>9.3f}  "
              + " ".join(r.query.split())[:110])


def _lock_timer(engine) -> dict:
    """SQLite: this process's CPU time from taking the write lock (``adapters.db._begin_immediate``)
    to the connection's return to the pool (after the COMMIT), added to ``["spent"]`` (seconds)."""
    from receptionist.adapters import db as db_module
    timer = {"since": None, "spent": 0.0}
    take = db_module._begin_immediate

    def timed_take(*args, **kwargs):
        take(*args, **kwargs)
        timer["since"] = time.process_time()

    def released(*_args):
        if timer["since"] is not None:
            timer["spent"] += time.process_time() - timer["since"]
            timer["since"] = None

    db_module._begin_immediate = timed_take
    event.listen(engine, "checkin", released)
    return timer


if __name__ == "__main__":
    main()
