"""Benchmark: CPU per webhook inside a gunicorn worker (what production pays, no test client).

Serves the service (``app:app``, SQLite or ``DATABASE_URL``, the sample company, a throwaway redis-server) under
``gunicorn --workers 1 --threads 1`` with ``bench/gunicorn_hooks.py``, places whole
qualified calls one request at a time (the fields of ``bench/webhooks.py``, signed as
Twilio signs them, over HTTP on 127.0.0.1), and prints per step (``inbound``, ``g1``..``g10``,
``status``) the median and mean CPU ms the worker spent on each request (accept, HTTP
parsing, Flask, the app, the answer) and the median of it spent in database calls and
outside them (``bench/gunicorn_hooks.py`` says what counts as a database call). ``--profile g5`` also prints a cProfile of that step
as the worker ran it (every other request of the step; the others give its CPU). Uses CPU time, so a busy machine changes the figures little.

    .venv/bin/python bench/gunicorn_cpu.py [--calls 120] [--warmup 20]
    .venv/bin/python bench/gunicorn_cpu.py --profile g5 [--top 50]
    .venv/bin/python bench/gunicorn_cpu.py --app bench.ceiling:app   # the same for the bare Flask ceiling
    DATABASE_URL=postgresql+psycopg://... .venv/bin/python bench/gunicorn_cpu.py   # an empty database
    BENCH_PORTS=5161-5165 .venv/bin/python bench/gunicorn_cpu.py    # ports for gunicorn and redis

Everything started is stopped on exit (``bench/stack.py``).
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import pstats
import shutil
import statistics
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from twilio.request_validator import RequestValidator  # noqa: E402

from bench.load import REDIS_PORTS, SAMPLE, TOKEN, WEB_PORTS, ports, service_env  # noqa: E402
from bench.stack import Stack, free_port, start_redis, wait_http  # noqa: E402
from bench.webhooks import CALL, call_fields  # noqa: E402


def post(conn_to: tuple[str, int], path: str, params: dict, validator: RequestValidator) -> int:
    """One signed form POST on a new connection (gunicorn's sync worker closes each); its status."""
    host, port = conn_to
    signature = validator.compute_signature(f"http://{host}:{port}{path}", params)
    conn = http.client.HTTPConnection(host, port, timeout=15)
    try:
        conn.request("POST", path, urlencode(params), {
            "Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature})
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def place_calls(conn_to: tuple[str, int], first: int, count: int) -> None:
    """``count`` whole calls (inbound, 10 answers, status), CallSids from ``first``."""
    validator = RequestValidator(TOKEN)
    for n in range(first, first + count):
        base = call_fields(n)
        requests = [("/voice/inbound", base)]
        requests += [(f"/voice/gather?step={step}", {**base, **inputs}) for step, inputs in enumerate(CALL, start=1)]
        requests.append(("/voice/status", {**base, "CallStatus": "completed", "CallDuration": "95"}))
        for path, params in requests:
            status = post(conn_to, path, params, validator)
            if status not in (200, 204):
                raise SystemExit(f"{path}: HTTP {status}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=120)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--profile", metavar="STEP", help="cProfile STEP in the worker (inbound, g1..g10, status)")
    parser.add_argument("--top", type=int, default=50)
    parser.add_argument("--sort", default="cumulative", help="pstats order of --profile (tottime: own CPU)")
    parser.add_argument("--app", default="app:app",
                        help="the WSGI app gunicorn serves; bench.ceiling:app gives the bare Flask ceiling's CPU")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="receptionist-gcpu-"))
    out = workdir / "cpu.json"
    with Stack(workdir) as stack:
        database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{workdir / 'bench.db'}"
        env = service_env(stack, database_url, start_redis(stack, ports(REDIS_PORTS)))
        env["BENCH_CPU_OUT"] = str(out)
        if args.profile:
            env["BENCH_PROFILE"] = {"inbound": "/voice/inbound", "status": "/voice/status"}.get(args.profile,
                                                                                              args.profile)
        flask = [sys.executable, "-m", "flask", "--app", "app"]
        stack.run("migrate", flask + ["db", "upgrade"], env=env, cwd=ROOT)
        stack.run("load-company", flask + ["load-company", str(SAMPLE)], env=env, cwd=ROOT)
        port = free_port(ports(WEB_PORTS))
        proc = stack.start("gunicorn", [sys.executable, "-m", "gunicorn", "--workers", "1", "--threads", "1",
                                        "--bind", f"127.0.0.1:{port}", "--no-control-socket",
                                        "-c", str(ROOT / "bench" / "gunicorn_hooks.py"), args.app],
                           env=env, cwd=ROOT)
        wait_http(f"http://127.0.0.1:{port}/healthz", proc, stack, "gunicorn")
        place_calls(("127.0.0.1", port), 0, args.calls)
    seen = json.loads(out.read_text())  # written by the worker as it stopped
    per_call = 12
    first = next(i for i, (label, *_) in enumerate(seen) if label == "/voice/inbound") + args.warmup * per_call
    cpu: dict[str, list[tuple[float, float]]] = {}
    for label, ms, database_ms in seen[first:]:
        if label.endswith("*"):
            continue  # under the profiler
        name = {"/voice/inbound": "inbound", "/voice/status": "status"}.get(label, label)
        cpu.setdefault(name, []).append((ms, database_ms))
    print(f"{args.app} under gunicorn (1 sync worker), {database_url.split(':')[0]}; {args.calls - args.warmup} calls "
          "measured; worker CPU ms per request: all, in database calls, outside them (p50 each)")
    print(f"{'step':<10}{'all':>8}{'mean':>8}{'db':>8}{'outside':>9}")
    totals = [0.0, 0.0, 0.0, 0.0]
    for name, values in cpu.items():
        row = (statistics.median(v[0] for v in values), statistics.mean(v[0] for v in values),
               statistics.median(v[1] for v in values), statistics.median(v[0] - v[1] for v in values))
        totals = [t + r for t, r in zip(totals, row)]
        print(f"{name:<10}{row[0]:>8.2f}{row[1]:>8.2f}{row[2]:>8.2f}{row[3]:>9.2f}")
    print(f"{'per call':<10}{totals[0]:>8.2f}{totals[1]:>8.2f}{totals[2]:>8.2f}{totals[3]:>9.2f}")
    if args.profile:
        print()
        pstats.Stats(str(out) + ".prof", stream=sys.stdout).sort_stats(args.sort).print_stats(args.top)
    if not os.environ.get("BENCH_KEEP"):
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
