"""Benchmark: server time per Twilio webhook (DESIGN.md target: p99 under 50 ms).

Runs whole qualified calls and SMS screenings through the real Flask app (signed
requests, SQLite by default or DATABASE_URL), in-process so that only server time is
measured, and prints percentiles per endpoint. Bounded: --calls calls, --texts threads.

    .venv/bin/python bench/webhooks.py [--calls 200] [--texts 100]
    .venv/bin/python bench/webhooks.py --calls 50 --texts 0 --profile 25   # + where the time goes

``CPU ms`` is this process's CPU time per request (mean). ``--statements`` adds the SQL statements each endpoint runs (mean per request, counted with
SQLAlchemy's ``before_cursor_execute`` event, BEGIN/COMMIT included); ``--profile N`` runs
the requests under cProfile and prints the N functions with the most cumulative time.
"""
from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import event
from twilio.request_validator import RequestValidator

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from receptionist.settings import Settings  # noqa: E402
from receptionist.bootstrap import create_app  # noqa: E402

TOKEN = "bench-token"
CALL = [{"Digits": "1"}, {"SpeechResult": "apply", "Confidence": "0.9"}, {"Digits": "2"},
        {"SpeechResult": "yes", "Confidence": "0.9"}, {"Digits": "1"}, {"SpeechResult": "yes"},
        {"SpeechResult": "four years"}, {"SpeechResult": "next Monday"}, {"Digits": "1"},
        {"SpeechResult": "my name is Jane Doe"}]
TEXTS = ["JOBS", "1", "2", "yes", "yes", "yes", "3", "right away", "1", "Jane Doe"]


def service_app(tmp: Path, database_url: str, redis_url: str | None):
    """The service's Flask app on ``database_url`` (migrated, the sample company loaded),
    without a Twilio account (texts are logged), its instance files under ``tmp``."""
    settings = Settings(database_url=database_url, redis_url=redis_url, twilio_account_sid=None,
                        twilio_auth_token=TOKEN, public_base_url=None, instance_path=tmp)
    app = create_app(settings)
    app.extensions["db"].upgrade()
    loaded = app.test_cli_runner().invoke(args=["load-company", str(ROOT / "examples" / "acme-staffing.yaml")])
    assert loaded.exit_code == 0, loaded.output
    return app


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


class StatementCounter:
    """Counts the SQL statements an engine runs, plus COMMIT/ROLLBACK and (PostgreSQL) the
    BEGIN psycopg sends: the round trips (:func:`on_round_trip`)."""

    def __init__(self, engine):
        self.count = 0
        on_round_trip(engine, self._one)

    def _one(self, _sql: str, _alone: bool) -> None:
        self.count += 1


_PG_IDLE = 0  # psycopg.pq.TransactionStatus.IDLE: no transaction open


def on_round_trip(engine, record):
    """Calls ``record(sql, alone)`` for each statement ``engine`` runs (``before_cursor_execute``;
    ``alone``: on PostgreSQL, it commits by itself, ``UnitOfWork.run(..., autocommit_first=True)``)
    and ``record("COMMIT", False)``/``record("ROLLBACK", False)`` at each end of a transaction;
    on PostgreSQL also ``record("BEGIN", False)`` before a statement psycopg sends a BEGIN for (a
    round trip of its own, not an event of SQLAlchemy's), and nothing at the end of a transaction
    where psycopg sends nothing (its statements autocommitted). Returns a function that stops it."""
    postgres = engine.dialect.name == "postgresql"

    def executed(conn, _cursor, sql, *_args):
        raw = conn.connection.dbapi_connection
        if postgres and not raw.autocommit and raw.info.transaction_status == _PG_IDLE:
            record("BEGIN", False)
        record(sql, postgres and raw.autocommit)

    def commit(conn):
        if not postgres or conn.connection.dbapi_connection.info.transaction_status != _PG_IDLE:
            record("COMMIT", False)

    def rollback(conn):
        if not postgres or conn.connection.dbapi_connection.info.transaction_status != _PG_IDLE:
            record("ROLLBACK", False)

    listeners = [("before_cursor_execute", executed), ("commit", commit), ("rollback", rollback)]
    for name, listener in listeners:
        event.listen(engine, name, listener)
    return lambda: [event.remove(engine, name, listener) for name, listener in listeners]


def sample_app(prefix: str):
    """(the app with the sample company loaded, its database URL): ``DATABASE_URL`` (an empty
    database) or SQLite in a new temporary folder named ``prefix``..., ``REDIS_URL`` or the
    embedded Redis; webhooks signed with :data:`TOKEN`."""
    tmp = Path(tempfile.mkdtemp(prefix=prefix))
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp / 'bench.db'}"
    return service_app(tmp, url, os.environ.get("REDIS_URL")), url


def call_fields(n: int) -> dict[str, str]:
    """Twilio's fields of the ``n``-th simulated call (its CallSid and caller differ by ``n``)."""
    return {"CallSid": f"CA{n:032x}", "AccountSid": "AC" + "0" * 32, "From": f"+1312555{n % 10000:04d}",
            "To": "+12025550100", "CallStatus": "in-progress", "Direction": "inbound", "ApiVersion": "2010-04-01"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--texts", type=int, default=100)
    parser.add_argument("--statements", action="store_true", help="SQL statements per request, per endpoint")
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="run under cProfile and print the N functions with the most cumulative time")
    args = parser.parse_args()
    app, url = sample_app("receptionist-bench-")
    client, validator = app.test_client(), RequestValidator(TOKEN)
    timings: dict[str, list[float]] = {}
    statements: dict[str, list[int]] = {}
    cpu_ms: dict[str, list[float]] = {}
    counter = StatementCounter(app.extensions["db"].engine) if args.statements else None
    profiler = cProfile.Profile() if args.profile else None

    def post(path: str, params: dict) -> bytes:
        sig = validator.compute_signature("http://localhost" + path, params)
        before = counter.count if counter else 0
        if profiler:
            profiler.enable()
        start, cpu = time.perf_counter(), time.process_time()
        response = client.post(path, data=params, headers={"X-Twilio-Signature": sig})
        elapsed = (time.perf_counter() - start) * 1000
        cpu_ms.setdefault(path.split("?")[0], []).append((time.process_time() - cpu) * 1000)
        if profiler:
            profiler.disable()
        assert response.status_code in (200, 204), response.data
        endpoint = path.split("?")[0]
        timings.setdefault(endpoint, []).append(elapsed)
        if counter:
            statements.setdefault(endpoint, []).append(counter.count - before)
        return response.data

    for n in range(args.calls):
        base = call_fields(n)
        post("/voice/inbound", base)
        for step, inputs in enumerate(CALL, start=1):
            post(f"/voice/gather?step={step}", {**base, **inputs})
        post("/voice/status", {**base, "CallStatus": "completed", "CallDuration": "95"})
    for n in range(args.texts):
        phone = f"+1415555{n % 10000:04d}"
        for i, body in enumerate(TEXTS):
            post("/sms/inbound", {"MessageSid": f"SM{n:016x}{i:016x}", "AccountSid": "AC" + "0" * 32,
                                  "From": phone, "To": "+12025550101", "Body": body, "NumMedia": "0"})
    print(f"database: {url.split('://')[0]}; {args.calls} calls, {args.texts} SMS screenings")
    extra = f"{'SQL/req':>9}" if counter else ""
    print(f"{'endpoint':<16}{'requests':>9}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}{'max ms':>9}{'CPU ms':>9}{extra}")
    for path, values in timings.items():
        sql = f"{statistics.mean(statements[path]):>9.1f}" if counter else ""
        print(f"{path:<16}{len(values):>9}{statistics.median(values):>9.1f}{percentile(values, 90):>9.1f}"
              f"{percentile(values, 99):>9.1f}{max(values):>9.1f}{statistics.mean(cpu_ms[path]):>9.2f}{sql}")
    every = [v for values in timings.values() for v in values]
    print(f"{'all':<16}{len(every):>9}{statistics.median(every):>9.1f}{percentile(every, 90):>9.1f}"
          f"{percentile(every, 99):>9.1f}{max(every):>9.1f}   (target: p99 < 50 ms)")
    if profiler:
        print()
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(args.profile)


if __name__ == "__main__":
    main()
