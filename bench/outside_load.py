"""Load benchmark of an outside Twilio voice app, beside the ceiling, in the harness of ``bench/load.py``.

    .venv/bin/python bench/outside_load.py --app-dir DIR --app 'package:create_app()' \\
        --voice-url /voice --voice-method GET --env DATABASE_URI=sqlite:////DIR/app.sqlite

To compare this project with someone else's app (e.g. Twilio's automated-survey-flask
sample) on this machine, under the same load: ``--app`` (a gunicorn app spec) is served from
``--app-dir`` by ``--python`` (default ``DIR/.venv/bin/python``, which must have gunicorn)
with ``--env`` added to this environment, under ``gunicorn --workers W --threads T`` on
127.0.0.1, and driven by the callers of ``bench/follower.py`` (signed requests, its TwiML
followed as Twilio does: keys for every Gather, a recording for every Record). In the same
run, first, the ceiling of ``bench/load.py`` (a bare Flask app answering constant TwiML,
driven with this project's calls) unless ``--no-ceiling``. Nothing of the app is fetched,
built or set up here: prepare it (venv, database) before, and reset its database between runs.

Printed: the table and notes of ``bench/load.py`` (requests/s, latency percentiles, errors,
calls completed, ratio to the ceiling, gunicorn CPU per request, CPU per call by process,
server time by path), then the requests per call. No database check: the app's data is its
own. Exit status: 0 when every call completed without error, 1 otherwise, 2 when a process
could not be started. ``BENCH_PORTS`` as for ``bench/load.py``.
"""
from __future__ import annotations

import argparse
import functools
import os
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import caller, load  # noqa: E402
from bench.follower import Follow, follow_call  # noqa: E402
from bench.stack import Stack, StackError  # noqa: E402


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--app-dir", type=Path, required=True, help="the app's directory (gunicorn runs there)")
    parser.add_argument("--app", required=True, help="gunicorn app spec, e.g. 'package:app' or 'package:make()'")
    parser.add_argument("--python", help="interpreter with the app's packages and gunicorn "
                                         "(default APP_DIR/.venv/bin/python)")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                        help="added to the app's environment (repeatable)")
    parser.add_argument("--voice-url", default="/voice", help="the number's voice webhook path (default /voice)")
    parser.add_argument("--voice-method", default="POST", choices=("GET", "POST"), type=str.upper,
                        help="the voice webhook's method (default POST, Twilio's)")
    parser.add_argument("--status-url", help="the status callback path, if the app has one (default: none)")
    parser.add_argument("--digits", default="1", help="keys pressed at every Gather (default 1)")
    parser.add_argument("--ready-path", help="GET path answering 200 once the app is up (default --voice-url)")
    parser.add_argument("--no-ceiling", action="store_true", help="skip the ceiling")
    parser.add_argument("--callers", type=int, default=50, help="concurrent callers (default 50)")
    parser.add_argument("--calls", type=int, default=300, help="calls per backend (default 300)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn --workers (default 2)")
    parser.add_argument("--threads", type=int, default=1, help="gunicorn --threads (default 1)")
    parser.add_argument("--client-processes", type=int, default=2,
                        help="load generator processes sharing the callers (default 2)")
    parser.add_argument("--time-limit", type=float, default=600,
                        help="seconds per backend after which no new call starts (default 600)")
    opts = parser.parse_args(argv)
    opts.python = opts.python or str(opts.app_dir / ".venv" / "bin" / "python")
    if not Path(opts.python).exists():
        parser.error(f"no interpreter at {opts.python} (--python)")
    if any("=" not in pair for pair in opts.env):
        parser.error("--env takes NAME=VALUE")
    if min(opts.callers, opts.calls, opts.workers, opts.threads, opts.client_processes) < 1:
        parser.error("--callers, --calls, --workers, --threads and --client-processes must be at least 1")
    opts.threads = [opts.threads]  # as bench/load.py's report reads it
    return opts


def run_app(opts, workdir: Path) -> load.Outcome:
    """Serve the app under gunicorn, measure it with the follower's calls, stop it."""
    outcome = load.Outcome("app", opts.threads[0])
    workdir.mkdir(parents=True)
    env = {**os.environ, **dict(pair.split("=", 1) for pair in opts.env)}
    follow = Follow(opts.voice_url, opts.voice_method, opts.status_url, opts.digits)
    share = functools.partial(caller.share_process, place=functools.partial(follow_call, follow))
    with Stack(workdir) as stack:
        base_url, pid, access_log = load.start_gunicorn(
            stack, opts.app, env, opts.workers, outcome.threads, python=opts.python, cwd=opts.app_dir,
            ready_path=opts.ready_path or opts.voice_url)
        load.measure(outcome, stack, base_url, opts, pid, access_log, share)
    outcome.leftovers = stack.leftovers
    return outcome


def main(argv: list[str] | None = None) -> int:
    opts = parse_args(argv)
    signal.signal(signal.SIGTERM, load._terminate)  # unwinds through every finally: the stacks stop
    signal.signal(signal.SIGHUP, load._terminate)
    workdir = Path(tempfile.mkdtemp(prefix="receptionist-bench-outside-"))
    print(f"{opts.calls} calls, {opts.callers} concurrent callers over {opts.client_processes} client processes; "
          f"gunicorn --workers {opts.workers} --threads {opts.threads[0]}; {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f}", flush=True)
    outcomes: list[load.Outcome] = []
    code = 0
    try:
        runs = ([("ceiling", lambda: load.run_backend("ceiling", opts, opts.threads[0], workdir / "ceiling"))]
                * (not opts.no_ceiling) + [("app", lambda: run_app(opts, workdir / "app"))])
        for name, run in runs:
            print(f"[{name}] ...", flush=True)
            started = time.monotonic()
            outcomes.append(run())
            print(f"[{name}] {outcomes[-1].rps:,.0f} req/s ({time.monotonic() - started:.0f} s)", flush=True)
    except StackError as exc:
        print(f"error: {exc}", file=sys.stderr)
        code = 2
    finally:  # on Ctrl-C too, after the stacks stopped what they started
        shutil.rmtree(workdir, ignore_errors=True)
    if outcomes:
        print()
        print(load.report(outcomes, opts))
        for o in outcomes:
            if o.completed:
                print(f"{o.backend}: {o.requests / o.calls:.1f} requests per call "
                      f"({', '.join(f'{path} {len(times)}' for path, times in sorted(o.by_path.items()))})")
    if code == 0 and not all(o.ok for o in outcomes):
        code = 1
    return code


if __name__ == "__main__":
    sys.exit(main())
