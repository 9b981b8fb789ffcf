"""Benchmark: CPU time and SQL statements per text (a per-text view of ``webhooks.py --texts``).

Runs whole SMS screenings (``webhooks.TEXTS``: ``t1`` the first text .. ``t10`` the last
answer) and, after a qualified call from another number, that caller's ``YES`` to the
confirmation text, through the real Flask app in-process, signed as Twilio signs them; prints
per text the median and mean CPU ms of this process and the SQL statements it ran (mean,
COMMIT included). SQLite by default, or ``DATABASE_URL`` (an empty database). The calls are
not measured (``steps.py`` does that).

    .venv/bin/python bench/texts.py [--threads 150]
    .venv/bin/python bench/texts.py --profile yes [--top 40]   # cProfile of one text

The first ``--warmup`` threads (20) are left out, as in ``steps.py``; the garbage collector's
long-lived objects are frozen after them (``gc.freeze``), so a full collection of the app's
caches does not land on one text or another by chance.
"""
from __future__ import annotations

import argparse
import cProfile
import gc
import logging
import pstats
import statistics
import sys
import time
from pathlib import Path

from twilio.request_validator import RequestValidator

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.webhooks import CALL, TEXTS, TOKEN, StatementCounter, call_fields, sample_app  # noqa: E402

SMS_AGENT, RECEPTIONIST = "+12025550101", "+12025550100"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=150, help="SMS screenings (and calls, each with a YES)")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--profile", metavar="TEXT", help="cProfile the requests of TEXT (t1..t10, yes)")
    parser.add_argument("--top", type=int, default=40, help="functions printed by --profile")
    args = parser.parse_args()
    logging.disable(logging.INFO)
    app, url = sample_app("receptionist-texts-")
    client, validator = app.test_client(), RequestValidator(TOKEN)
    counter = StatementCounter(app.extensions["db"].engine)
    cpu: dict[str, list[float]] = {}
    sql: dict[str, list[int]] = {}
    profiler = cProfile.Profile()

    def post(name: str | None, path: str, params: dict) -> None:
        """POST signed; measured under ``name`` (None: not measured)."""
        headers = {"X-Twilio-Signature": validator.compute_signature("http://localhost" + path, params)}
        profiled = name is not None and name == args.profile
        before = counter.count
        if profiled:
            profiler.enable()
        start = time.process_time()
        response = client.post(path, data=params, headers=headers)
        spent = (time.process_time() - start) * 1000
        if profiled:
            profiler.disable()
        assert response.status_code in (200, 204), response.data
        if name is not None:
            cpu.setdefault(name, []).append(spent)
            sql.setdefault(name, []).append(counter.count - before)

    def sms(n: int, name: str, sender: str, to: str, body: str, measured: bool) -> None:
        post(name if measured else None, "/sms/inbound", {
            "MessageSid": f"SM{n:016x}{len(name):08x}{sum(map(ord, name)):08x}", "AccountSid": "AC" + "0" * 32,
            "From": sender, "To": to, "Body": body, "NumMedia": "0"})

    for n in range(args.threads):
        measured = n >= args.warmup
        if n == args.warmup:
            gc.collect()
            gc.freeze()
        for i, body in enumerate(TEXTS, start=1):
            sms(n, f"t{i}", f"+1415555{n % 10000:04d}", SMS_AGENT, body, measured)
        call = call_fields(n)
        post(None, "/voice/inbound", call)
        for step, inputs in enumerate(CALL, start=1):
            post(None, f"/voice/gather?step={step}", {**call, **inputs})
        post(None, "/voice/status", {**call, "CallStatus": "completed", "CallDuration": "95"})
        sms(n, "yes", call["From"], RECEPTIONIST, "YES", measured)

    print(f"database: {url.split('://')[0]}; {args.threads - args.warmup} screenings and YES measured")
    print(f"{'text':<8}{'body':<16}{'CPU p50':>9}{'CPU mean':>10}{'SQL':>6}")
    for (name, values), body in zip(cpu.items(), TEXTS + ["YES"]):
        print(f"{name:<8}{body:<16}{statistics.median(values):>9.2f}{statistics.mean(values):>10.2f}"
              f"{statistics.mean(sql[name]):>6.1f}")
    if args.profile:
        print()
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(args.top)


if __name__ == "__main__":
    main()
