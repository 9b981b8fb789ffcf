"""Load benchmark: Twilio-style callers against the service under gunicorn (issue 7).

    .venv/bin/python bench/load.py                 # make bench-load: 50 callers, 300 calls per backend
    .venv/bin/python bench/load.py --quick         # 10 callers, 40 calls: a smoke test
    .venv/bin/python bench/load.py --threads 1,4   # each backend with 1 then 4 threads per worker
    .venv/bin/python bench/load.py --backends postgres --pg-statements 15   # and PostgreSQL's own profile
    BENCH_PORTS=6412-6419 .venv/bin/python bench/load.py   # every server's port from this range

Backends, in one run, each started fresh and stopped before the next:

- ``ceiling``: a bare Flask app answering one constant TwiML to every POST
  (``bench/ceiling.py``), the most this stack can do; driven with the same requests.
- ``sqlite``: the service (``app:app``) with SQLite in a temporary INSTANCE_PATH, the
  migrations run and the sample company loaded (``flask --app app load-company``), real
  RQ workers (``flask --app app worker``, ``--rq-workers``, as ``serve`` starts them) and a
  redis-server started on a free loopback port.
- ``postgres``: the same on a private PostgreSQL cluster (skipped with a message when its
  binaries are missing).

All of them under ``gunicorn --workers W --threads T`` on 127.0.0.1; with several values of
``--threads`` each backend runs once per value, back to back, so that the comparison sees
the same conditions on a shared machine. The callers
(``bench/caller.py``) place whole calls as Twilio does, answering like
``examples/calls/qualified.txt``, each from its own number, spread over client processes
of threads (``--client-processes``) so the load generator is not the bottleneck: its CPU is
printed, and a warning when a client process is near a full core. A few warm-up calls per
backend run first and are not counted.

Printed per backend: requests/s; p50/p95/p99 latency as the load generator sees it (request
sent to response received, on loopback, so it includes waiting in gunicorn's backlog) and
gunicorn's own request time (access log ``%(D)s``); errors (HTTP status not 2xx, or no
answer in 15 s); calls completed; the ratio to the ceiling's requests/s; the time from each
call's status callback (``conversations.ended_at``) to its confirmation text handed to
Twilio (``outbox.sent_at``; without TWILIO_ACCOUNT_SID the worker logs the text and marks
the row sent) at p50/p95, negative when the text went out before the status callback was
processed. Then a database check: every caller's answers stored exactly once, every
confirmation text sent exactly once (one row, one claim, handed over).

Under the table, per backend: the CPU each kind of process spent during the measured load,
per completed call (web = gunicorn, worker = RQ, postgres, redis, the load generator, and what
the machine was busy with beyond them: the kernel's loopback networking, other processes).
With ``--pg-statements N``, PostgreSQL's side of the profile: the cluster preloads
``pg_stat_statements`` (planning tracked, nested statements too: the foreign-key checks'),
reset after the warm-up, and the N statements that took the server longest (planning plus
execution, web and jobs alike, until the texts drained) are printed per completed call. The
server's CPU beyond those times is the protocol, parsing, commits and background processes.

Exit status: 0 when every backend run had no error, every call completed and its check
passed; 1 otherwise; 2 when a process could not be started.
Everything started (gunicorn, worker, redis-server, postgres) is stopped on exit, Ctrl-C,
SIGTERM and errors (``bench/stack.py``); the temporary directory is removed (``--keep-dir``).
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import shutil
import signal
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psutil  # noqa: E402
from sqlalchemy import create_engine, func, select, text  # noqa: E402

from bench import caller  # noqa: E402
from bench.stack import (Stack, StackError, free_port, postgres_bin, start_postgres,  # noqa: E402
                         start_redis, wait_http)

TOKEN = "bench-load-auth-token"
TO_NUMBER = "+12025550100"  # the sample company's receptionist (examples/acme-staffing.yaml)
SAMPLE = ROOT / "examples" / "acme-staffing.yaml"
WEB_PORTS, REDIS_PORTS, PG_PORTS = range(5110, 5120), range(6410, 6420), range(54410, 54420)
PORTS_ENV = "BENCH_PORTS"  # e.g. "6412-6419": every server of the run takes its port from this range


def ports(default: range) -> range:
    """The ports a server may take: ``BENCH_PORTS`` (``first-last``, shared by all the run's
    servers: on a shared machine, the range you were given) or ``default``."""
    raw = os.environ.get(PORTS_ENV, "").strip()
    if not raw:
        return default
    try:
        first, last = (int(p) for p in raw.split("-"))
    except ValueError:
        raise StackError(f"{PORTS_ENV} must look like 6412-6419, not {raw!r}") from None
    return range(first, last + 1)
ACCESS_FORMAT = "%(m)s %(U)s %(s)s %(D)s"  # method, path, status, request time in microseconds
BACKENDS = ("ceiling", "sqlite", "postgres")
HANDED_OVER = ("sent",)  # our outbox status once Twilio has the text (its own status is beside it)
WARMUP_OFFSET = 5_000_000  # warm-up call numbers: their own callers and CallSids
# --pg-statements: PostgreSQL's statement statistics (docs: "pg_stat_statements"); the module
# must be preloaded, and planning time is tracked only when asked.
PG_STATEMENTS = {"shared_preload_libraries": "pg_stat_statements", "pg_stat_statements.track": "all",
                 "pg_stat_statements.track_planning": "on"}
CLIENT_BUSY = 0.9  # a client process above this share of a core may be the bottleneck
OTHER_WORK = 0.5  # CPUs used by other processes during a load worth a note (a shared machine)


@dataclass
class Outcome:
    """One backend's figures. Latencies in seconds; ``texts``: per-call text delays (s)."""

    backend: str
    threads: int = 1
    requests: int = 0
    rps: float = 0.0
    latencies: list[float] = field(default_factory=list)
    server: list[float] = field(default_factory=list)
    by_path: dict[str, list[float]] = field(default_factory=dict)  # server times per webhook path
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    calls: int = 0
    completed: int = 0
    by_position: int = 0
    client_cpu: list[float] = field(default_factory=list)  # share of a core, per client process
    server_cpu_ms: float | None = None  # gunicorn CPU per request
    worker_cpu_s: float | None = None
    rq_jobs: int | None = None  # RQ jobs the workers finished (outbox batches, sweeps)
    texts: list[float] | None = None
    drain_s: float | None = None
    problems: list[str] | None = None  # database check; None when not applicable
    facts: dict[str, int] = field(default_factory=dict)
    skipped: str | None = None
    machine: tuple[float, float] | None = None  # CPUs busy during the load: all, this run's
    by_role: dict[str, float] = field(default_factory=dict)  # CPU s during the load, by process role
    wall: float = 0.0  # seconds the measured load took
    leftovers: int = 0  # processes still running after the stop (killed): should be 0
    statements: list[tuple] | None = None  # --pg-statements: (calls, plans, plan ms, exec ms, query) by time

    @property
    def ok(self) -> bool:
        return (self.skipped is None and self.errors == 0 and self.completed == self.calls and not self.problems
                and not self.leftovers)


# --------------------------------------------------------------------------- numbers


def pct(values: list[float], p: float) -> float:
    """The ``p``-th percentile (0-100) by linear interpolation; NaN for no values."""
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    if p >= 100:
        return max(values)
    return statistics.quantiles(values, n=100, method="inclusive")[max(0, round(p) - 1)]


def cpu_seconds(procs: list[psutil.Process]) -> float:
    """User + system CPU of ``procs`` and their reaped children, in seconds."""
    total = 0.0
    for proc in procs:
        try:
            t = proc.cpu_times()
            total += t.user + t.system + t.children_user + t.children_system
        except psutil.NoSuchProcess:
            pass
    return total


def role(proc: psutil.Process, web: set[int]) -> str:
    """What a process of the run is, for the CPU breakdown: web (gunicorn), worker (RQ),
    postgres, redis, or other."""
    if proc.pid in web:
        return "web"
    name = proc.name()
    if name.startswith("postgres"):
        return "postgres"
    if name.startswith("redis"):
        return "redis"
    return "worker" if "worker" in proc.cmdline() else "other"


def cpu_by_pid(procs: list[psutil.Process], web: set[int]) -> dict[int, tuple[str, float]]:
    """``{pid: (role, CPU seconds so far)}`` of ``procs`` (see :func:`role`)."""
    out = {}
    for proc in procs:
        try:
            out[proc.pid] = (role(proc, web), cpu_seconds([proc]))
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return out


def gunicorn_tree(pid: int) -> list[psutil.Process]:
    master = psutil.Process(pid)
    return [master] + master.children(recursive=True)


def server_times(access_log: Path, offset: int) -> dict[str, list[float]]:
    """gunicorn's request times (s) by path, logged after byte ``offset`` of the access log."""
    times: dict[str, list[float]] = {}
    with open(access_log, "rb") as log:
        log.seek(offset)
        for line in log.read().decode(errors="replace").splitlines():
            parts = line.split()
            if len(parts) == 4 and parts[3].isdigit():
                times.setdefault(parts[1], []).append(int(parts[3]) / 1e6)
    return times


# --------------------------------------------------------------------------- load


def drive(base_url: str, calls: list[int], callers: int, processes: int, time_limit: float,
          entry=caller.share_process) -> dict:
    """Place ``calls`` with ``callers`` concurrent callers over ``processes`` client
    processes; returns ``{"results": [...], "cpu": [share of a core per process]}``.
    ``entry``: a client process's entry, called as :func:`caller.share_process` is (picklable:
    the client processes are spawned)."""
    processes = max(1, min(processes, callers, len(calls)))
    shares = [calls[i::processes] for i in range(processes)]
    threads = [callers // processes + (i < callers % processes) for i in range(processes)]
    deadline = time.time() + time_limit
    context = multiprocessing.get_context("spawn")  # a fresh interpreter: nothing inherited
    clients = []
    try:
        for share, n in zip(shares, threads):
            receiver, sender = context.Pipe(duplex=False)
            proc = context.Process(target=entry, daemon=True,
                                   args=(sender, base_url, TOKEN, TO_NUMBER, share, n, deadline))
            proc.start()
            sender.close()
            clients.append((proc, receiver))
        outs = []
        for proc, receiver in clients:
            if not receiver.poll(max(1.0, deadline - time.time()) + 2 * caller.TIMEOUT_SECONDS + 60):
                raise StackError(f"a client process (pid {proc.pid}) gave no result after --time-limit")
            outs.append(receiver.recv())
    except EOFError:
        raise StackError("a client process died before it gave its result") from None
    finally:
        for proc, _ in clients:
            if proc.is_alive():
                proc.terminate()
        for proc, _ in clients:
            proc.join(5)
            if proc.is_alive():
                proc.kill()
                proc.join()
    return {"results": [r for out in outs for r in out["results"]],
            "cpu": [out["cpu"] / out["wall"] for out in outs if out["wall"] > 0],
            "cpu_s": [out["cpu"] for out in outs]}


def busy_seconds() -> float:
    """CPU seconds the whole machine has been busy (all CPUs, every process)."""
    t = psutil.cpu_times()
    return sum(t) - t.idle - getattr(t, "iowait", 0.0)


def measure(outcome: Outcome, stack: Stack, base_url: str, opts, gunicorn_pid: int,
            access_log: Path, entry=caller.share_process, warmed=None) -> list[tuple]:
    """Warm up, call ``warmed()`` (when given), then the measured load; fills the request and
    CPU figures of ``outcome`` and returns the measured calls' results."""
    warm = opts.workers * outcome.threads * 2
    drive(base_url, [WARMUP_OFFSET + n for n in range(warm)], min(opts.callers, warm), 1, 120, entry)
    if warmed is not None:
        warmed()
    offset = access_log.stat().st_size
    tree, ours = gunicorn_tree(gunicorn_pid), stack.processes()
    cpu_before, ours_before, machine_before = cpu_seconds(tree), cpu_seconds(ours), busy_seconds()
    web = {p.pid for p in tree}
    by_pid = cpu_by_pid(stack.processes(), web)
    wall = time.perf_counter()
    load = drive(base_url, list(range(opts.calls)), opts.callers, opts.client_processes, opts.time_limit, entry)
    wall = time.perf_counter() - wall
    cpu_used = cpu_seconds(tree) - cpu_before
    # Servers plus the load generator, against everything the machine did meanwhile.
    ours_used = cpu_seconds(stack.processes()) - ours_before + sum(load["cpu_s"])
    outcome.machine, outcome.wall = ((busy_seconds() - machine_before) / wall, ours_used / wall), wall
    # Per role, over the processes alive at the end (a process that exited meanwhile is left out).
    for pid, (kind, cpu) in cpu_by_pid(stack.processes(), web).items():
        outcome.by_role[kind] = outcome.by_role.get(kind, 0.0) + cpu - by_pid.get(pid, (kind, 0.0))[1]
    outcome.by_role["load generator"] = sum(load["cpu_s"])
    results = load["results"]
    requests = [r for res in results for r in res[2]]
    outcome.requests = len(requests)
    if requests:
        first = min(sent for _, sent, _, _ in requests)
        last = max(sent + latency for _, sent, latency, _ in requests)
        outcome.rps = len(requests) / max(last - first, 1e-9)
        outcome.server_cpu_ms = 1000 * cpu_used / len(requests)
    outcome.latencies = [latency for _, _, latency, _ in requests]
    outcome.errors = sum(1 for *_, status in requests if not 200 <= status < 300)
    outcome.calls, outcome.completed = opts.calls, sum(1 for res in results if res[7])
    outcome.by_position = sum(res[5] for res in results)
    outcome.error_samples = list(dict.fromkeys(res[8] for res in results if res[8]))[:3]
    if len(results) < opts.calls:
        outcome.error_samples.append(f"only {len(results)} of {opts.calls} calls placed within --time-limit")
    outcome.client_cpu = load["cpu"]
    time.sleep(0.5)  # let gunicorn flush the last access log lines
    outcome.by_path = server_times(access_log, offset)
    outcome.server = [t for times in outcome.by_path.values() for t in times]
    return results


# --------------------------------------------------------------------------- backends


def start_gunicorn(stack: Stack, app_spec: str, env: dict[str, str], workers: int, threads: int, *,
                   python: str = sys.executable, cwd: Path = ROOT,
                   ready_path: str = "/healthz") -> tuple[str, int, Path]:
    """gunicorn serving ``app_spec`` on a free loopback port; returns (base URL, pid, access log).
    ``python`` (with gunicorn installed) runs it from ``cwd``; it is ready once GET
    ``ready_path`` answers 200."""
    port = free_port(ports(WEB_PORTS))
    access_log = stack.workdir / "access.log"
    env = {**env, "MIGRATE_ON_START": "0"}  # gunicorn.conf.py: the run prepared its databases itself
    proc = stack.start("gunicorn", [python, "-m", "gunicorn", "--workers", str(workers), "--threads",
                                    str(threads), "--bind", f"127.0.0.1:{port}", "--access-logfile",
                                    str(access_log), "--access-logformat", ACCESS_FORMAT,
                                    # its default control socket is one path shared by every gunicorn
                                    "--no-control-socket", app_spec],
                       env=env, cwd=cwd)
    wait_http(f"http://127.0.0.1:{port}{ready_path}", proc, stack, "gunicorn")
    return f"http://127.0.0.1:{port}", proc.pid, access_log


def service_env(stack: Stack, database_url: str, redis_url: str) -> dict[str, str]:
    """The service's environment: a fresh INSTANCE_PATH, no Twilio account (texts are
    logged and marked sent), signatures checked against the request URL with TOKEN."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("TWILIO_ACCOUNT_SID", "PUBLIC_BASE_URL", "TWILIO_API_BASE_URL")}
    instance = stack.workdir / "instance"
    instance.mkdir(exist_ok=True)
    env.update(DATABASE_URL=database_url, REDIS_URL=redis_url, TWILIO_AUTH_TOKEN=TOKEN, INSTANCE_PATH=str(instance))
    return env


def run_backend(name: str, opts, threads: int, workdir: Path) -> Outcome:
    """Start ``name``'s processes (gunicorn with ``threads`` per worker), measure, check the
    database, stop them all."""
    outcome = Outcome(name, threads)
    workdir.mkdir(parents=True)
    pg = postgres_bin()
    if name == "postgres" and pg is None:
        outcome.skipped = "PostgreSQL binaries not found under /usr/lib/postgresql/*/bin (apt-get install postgresql)"
        return outcome
    with Stack(workdir) as stack:
        if name == "ceiling":
            base_url, pid, access_log = start_gunicorn(stack, "bench.ceiling:app", dict(os.environ), opts.workers,
                                                     outcome.threads)
            measure(outcome, stack, base_url, opts, pid, access_log)
        else:
            _run_service(name, stack, outcome, opts, pg)
    outcome.leftovers = stack.leftovers
    return outcome


def _run_service(name: str, stack: Stack, outcome: Outcome, opts, pg: Path | None) -> None:
    """The service on ``name``'s database with redis-server and an RQ worker: migrate, load the
    sample company, measure, wait for the texts, check the database."""
    workdir = stack.workdir
    redis_url = start_redis(stack, ports(REDIS_PORTS))
    profiled = name == "postgres" and opts.pg_statements > 0
    database_url = (f"sqlite:///{workdir / 'bench.db'}" if name == "sqlite"
                    else start_postgres(stack, ports(PG_PORTS), pg, settings=PG_STATEMENTS if profiled else None,
                                     unix_socket=opts.pg_socket))
    env = service_env(stack, database_url, redis_url)
    flask = [sys.executable, "-m", "flask", "--app", "app"]
    stack.run("migrate", flask + ["db", "upgrade"], env=env, cwd=ROOT)
    stack.run("load-company", flask + ["load-company", str(SAMPLE)], env=env, cwd=ROOT)
    # As serve starts them: WORKER_PROCESSES workers (default 2), the first with RQ's scheduler.
    workers = [stack.start(f"worker{n}", flask + ["worker"] + (["--no-scheduler"] if n > 1 else []), env=env,
                           cwd=ROOT) for n in range(1, opts.rq_workers + 1)]
    base_url, pid, access_log = start_gunicorn(stack, "app:app", env, opts.workers, outcome.threads)
    engine = create_engine(database_url)
    results = measure(outcome, stack, base_url, opts, pid, access_log,
                      warmed=(lambda: reset_statements(engine)) if profiled else None)
    try:
        outcome.drain_s = wait_for_texts(engine, opts.drain_timeout)
        for n, worker in enumerate(workers, start=1):
            stack.check_alive(worker, f"worker{n}")
        outcome.worker_cpu_s = cpu_seconds([psutil.Process(worker.pid) for worker in workers])
        outcome.rq_jobs = finished_jobs(redis_url)
        outcome.texts, outcome.problems, outcome.facts = check_database(engine, results)
        if profiled:
            outcome.statements = top_statements(engine)
    finally:
        engine.dispose()


# --------------------------------------------------------------------------- the database


def finished_jobs(redis_url: str) -> int:
    """How many jobs RQ's workers finished on the service's queue (its finished-job registry:
    RQ keeps each job's record for its ``result_ttl``, 500 s, longer than a run)."""
    from redis import Redis
    from rq import Queue
    from rq.registry import FinishedJobRegistry

    from receptionist.adapters.queue import QUEUE_NAME

    with Redis.from_url(redis_url) as conn:
        return FinishedJobRegistry(queue=Queue(QUEUE_NAME, connection=conn)).count


def reset_statements(engine) -> None:
    """Create ``pg_stat_statements`` in the service's database and empty its statistics."""
    with engine.begin() as conn:
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS pg_stat_statements"))
        conn.execute(text("SELECT pg_stat_statements_reset()"))


def top_statements(engine) -> list[tuple]:
    """Every statement since :func:`reset_statements`, longest first: (calls, plans, planning
    ms, execution ms, query with its whitespace folded). Our own reads of the check excluded."""
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT calls, plans, total_plan_time, total_exec_time, query FROM pg_stat_statements "
            "WHERE query NOT LIKE '%pg_stat_statements%' ORDER BY total_plan_time + total_exec_time DESC")).all()
    return [(calls, plans, plan_ms, exec_ms, " ".join(query.split())) for calls, plans, plan_ms, exec_ms, query in rows]


def wait_for_texts(engine, timeout: float) -> float:
    """Wait until no text is pending or being sent; returns the seconds waited (at most
    ``timeout``: the check then reports the texts still waiting)."""
    from receptionist.adapters.models import OutboxItem

    start = time.monotonic()
    while time.monotonic() - start < timeout:
        with engine.connect() as conn:
            waiting = conn.scalar(select(func.count()).select_from(OutboxItem).where(
                OutboxItem.status.in_(["pending", "sending"])))
        if not waiting:
            break
        time.sleep(0.25)
    return time.monotonic() - start


def check_database(engine, results: list[tuple]) -> tuple[list[float], list[str], dict[str, int]]:
    """Check every measured call in the database; returns (text delays in s, problems, facts).

    For each call: its conversation exists (by CallSid); it holds exactly as many answers
    as screening questions the caller answered, each question once; a completed call has
    exactly one confirmation text, handed over (queued/sent/delivered) after one claim
    (``attempts`` = 1) with ``sent_at`` set. No text of the run may remain unsent.
    """
    from receptionist.adapters.models import Answer, Conversation, OutboxItem

    expected = {res[0]: (res[4], res[7]) for res in results}
    problems: list[str] = []
    delays: list[float] = []
    with engine.connect() as conn:
        conversations = {sid: (cid, status, ended) for sid, cid, status, ended in conn.execute(
            select(Conversation.call_sid, Conversation.id, Conversation.status, Conversation.ended_at)
            .where(Conversation.call_sid.in_(list(expected))))}
        answers = {cid: (n, distinct) for cid, n, distinct in conn.execute(
            select(Answer.conversation_id, func.count(), func.count(Answer.question_id.distinct()))
            .group_by(Answer.conversation_id))}
        texts: dict[int, list] = {}
        for cid, status, attempts, sent_at in conn.execute(
                select(OutboxItem.conversation_id, OutboxItem.status, OutboxItem.attempts,
                       OutboxItem.sent_at).where(OutboxItem.purpose == "confirmation")):
            texts.setdefault(cid, []).append((_value(status), attempts, sent_at))
        unsent = conn.scalar(select(func.count()).select_from(OutboxItem).where(
            OutboxItem.status.in_(["pending", "sending"])))
    for sid, (answered, completed) in expected.items():
        if sid not in conversations:
            problems.append(f"{sid}: no conversation")
            continue
        cid, status, ended = conversations[sid]
        stored, distinct = answers.get(cid, (0, 0))
        if stored != answered or distinct != stored:
            problems.append(f"{sid}: {stored} answers stored ({distinct} questions) for {answered} answered")
        if not completed:
            continue
        if _value(status) != "completed":
            problems.append(f"{sid}: conversation {_value(status)}, not completed")
        sent = texts.get(cid, [])
        if len(sent) != 1:
            problems.append(f"{sid}: {len(sent)} confirmation texts, not 1")
            continue
        status_, attempts, sent_at = sent[0]
        if status_ not in HANDED_OVER or attempts != 1 or sent_at is None:
            problems.append(f"{sid}: confirmation text {status_} after {attempts} claim(s)")
        elif ended is not None:
            delays.append((_aware(sent_at) - _aware(ended)).total_seconds())
    if unsent:
        problems.append(f"{unsent} text(s) still pending or sending after --drain-timeout")
    facts = {"conversations": len(conversations), "answers": sum(answers[c[0]][0] for c in conversations.values()
                                                                  if c[0] in answers),
             "texts": sum(len(texts.get(c[0], [])) for c in conversations.values())}
    return delays, problems, facts


def _value(status) -> str:
    return getattr(status, "value", status)


def _aware(moment):
    import datetime as dt

    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


# --------------------------------------------------------------------------- report


def _label(backend: str, workers: int, threads: int, opts) -> str:
    """A row's name: the backend, plus ``workers x threads`` when a run compares thread counts."""
    return backend if len(opts.threads) == 1 else f"{backend} {workers}x{threads}"


def report(outcomes: list[Outcome], opts) -> str:
    """The table and the notes under it, as printed."""
    ceilings = {o.threads: o for o in outcomes if o.backend == "ceiling" and not o.skipped and o.rps}
    width = max(10, *(len(_label(o.backend, opts.workers, o.threads, opts)) + 2 for o in outcomes))
    head = (f"{'backend':<{width}}{'req/s':>8}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}{'srv p50':>9}{'srv p99':>9}"
            f"{'errors':>8}{'calls ok':>10}{'ceiling':>9}{'text p50 s':>12}{'text p95 s':>12}")
    lines = [head, "-" * len(head)]
    for o in outcomes:
        label = _label(o.backend, opts.workers, o.threads, opts)
        if o.skipped:
            lines.append(f"{label:<{width}} skipped: {o.skipped}")
            continue
        ceiling = ceilings.get(o.threads)
        ratio = f"{100 * o.rps / ceiling.rps:.0f}%" if ceiling else "-"
        text50 = f"{pct(o.texts, 50):.2f}" if o.texts else "-"
        text95 = f"{pct(o.texts, 95):.2f}" if o.texts else "-"
        lines.append(
            f"{label:<{width}}{o.rps:>8,.0f}{1000 * pct(o.latencies, 50):>8.0f}{1000 * pct(o.latencies, 95):>8.0f}"
            f"{1000 * pct(o.latencies, 99):>8.0f}{1000 * pct(o.server, 50):>9.1f}{1000 * pct(o.server, 99):>9.1f}"
            f"{o.errors:>8}{f'{o.completed}/{o.calls}':>10}{ratio:>9}{text50:>12}{text95:>12}")
    lines += ["", "p50/p95/p99: request sent to response received, measured by the load generator on loopback",
              "  (includes waiting in gunicorn's backlog); srv: gunicorn's own request time (access log %(D)s).",
              "text: confirmation text handed to Twilio (outbox.sent_at) minus the call's end "
              "(status callback, conversations.ended_at).", ""]
    for o in outcomes:
        if o.skipped:
            continue
        label = _label(o.backend, opts.workers, o.threads, opts)
        client = ", ".join(f"{100 * c:.0f}%" for c in o.client_cpu)
        notes = [f"{o.requests} requests", f"gunicorn CPU {o.server_cpu_ms:.1f} ms/request" if o.server_cpu_ms else "",
                 f"client CPU per process {client} of a core"]
        if o.worker_cpu_s is not None:
            per_text = (f" ({1000 * o.worker_cpu_s / o.facts['texts']:.0f} ms per text, scheduler and start-up "
                        f"included)" if o.facts.get("texts") else "")
            notes.append(f"{opts.rq_workers} RQ workers CPU {o.worker_cpu_s:.1f} s{per_text}")
        if o.rq_jobs is not None and o.facts.get("conversations"):
            notes.append(f"RQ jobs {o.rq_jobs} ({o.rq_jobs / o.facts['conversations']:.2f} per call)")
        if o.drain_s is not None:
            notes.append(f"texts drained {o.drain_s:.1f} s after the last call")
        if o.machine:
            busy, ours = o.machine
            notes.append(f"machine busy {busy:.2f} of {os.cpu_count()} CPUs during the load, "
                         f"{ours:.2f} by this run, {max(0.0, busy - ours):.2f} by other work")
        lines.append(f"{label}: " + "; ".join(n for n in notes if n))
        if o.by_role and o.completed:
            known = sum(o.by_role.values())
            unattributed = max(0.0, o.machine[0] * o.wall - known) if o.machine and o.wall else 0.0
            parts = [f"{kind} {1000 * cpu / o.completed:.1f}" for kind, cpu in sorted(o.by_role.items(),
                                                                                       key=lambda kv: -kv[1])]
            parts.append(f"unattributed (kernel, other processes) {1000 * unattributed / o.completed:.1f}")
            lines.append("  CPU ms per call during the load: " + ", ".join(parts))
        lines.append("  srv ms p50/p99 by webhook: " + ", ".join(
            f"{path} {1000 * pct(times, 50):.1f}/{1000 * pct(times, 99):.1f}" for path, times in o.by_path.items()))
        if o.machine and o.machine[0] - o.machine[1] > OTHER_WORK:
            lines.append(f"  note: other work on this machine took {o.machine[0] - o.machine[1]:.2f} CPUs meanwhile: "
                         "compare with runs on a quiet machine carefully")
        if o.leftovers:
            lines.append(f"  WARNING: {o.leftovers} process(es) outlived the stop and were killed")
        if any(c > CLIENT_BUSY for c in o.client_cpu):
            lines.append(f"  WARNING: a client process used over {100 * CLIENT_BUSY:.0f}% of a core: the load "
                         "generator may be the bottleneck (try --client-processes)")
        if o.backend != "ceiling" and o.by_position:
            lines.append(f"  note: {o.by_position} answers chosen by script order (prompt not recognised)")
        for sample in o.error_samples:
            lines.append(f"  error: {sample}")
        if o.problems is not None:
            if o.problems:
                lines.append(f"  database check: FAILED ({len(o.problems)} problems)")
                lines += [f"    {p}" for p in o.problems[:10]]
            else:
                lines.append(f"  database check: OK ({o.facts['conversations']} conversations, "
                             f"{o.facts['answers']} answers each stored once, {o.facts['texts']} texts each sent once)")
        if o.statements and o.completed:
            lines += statements_report(o.statements, o.completed, opts.pg_statements)
    return "\n".join(lines)


def statements_report(rows: list[tuple], calls: int, top: int) -> list[str]:
    """``--pg-statements``: the totals, then the ``top`` longest statements, per completed call."""
    total_ms = sum(plan + run for _, _, plan, run, _ in rows)
    lines = [f"  PostgreSQL statements per call (pg_stat_statements, web and jobs): {sum(r[0] for r in rows) / calls:.1f} "
             f"run, {sum(r[1] for r in rows) / calls:.1f} planned; {sum(r[2] for r in rows) / calls:.2f} ms planning + "
             f"{sum(r[3] for r in rows) / calls:.2f} ms executing",
             "    runs/call  plans/call  ms/call  share  statement"]
    for runs, plans, plan_ms, exec_ms, query in rows[:top]:
        ms = plan_ms + exec_ms
        lines.append(f"    {runs / calls:9.1f}  {plans / calls:10.2f}  {ms / calls:7.3f}  {ms / max(total_ms, 1e-9):5.0%}  "
                     f"{query[:110]}")
    return lines


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--callers", type=int, help="concurrent callers (default 50; --quick 10)")
    parser.add_argument("--calls", type=int, help="calls per backend (default 300; --quick 40)")
    parser.add_argument("--quick", action="store_true", help="a smoke test: 10 callers, 40 calls")
    parser.add_argument("--backends", default=",".join(BACKENDS),
                        help=f"comma-separated, in order (default {','.join(BACKENDS)})")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn --workers (default 2)")
    parser.add_argument("--threads", default="1",
                        help="gunicorn --threads per worker (default 1: the sync worker); a comma-separated "
                             "list runs each backend once per value")
    parser.add_argument("--rq-workers", type=int, default=int(os.environ.get("WORKER_PROCESSES") or 2),
                        help="RQ worker processes (default WORKER_PROCESSES, else 2, as serve)")
    parser.add_argument("--client-processes", type=int, default=2,
                        help="load generator processes sharing the callers (default 2)")
    parser.add_argument("--time-limit", type=float, default=600,
                        help="seconds per backend after which no new call starts (default 600)")
    parser.add_argument("--drain-timeout", type=float, default=180,
                        help="seconds to wait for the texts after the last call (default 180)")
    parser.add_argument("--keep-dir", action="store_true", help="keep the temporary directory (logs, databases)")
    parser.add_argument("--pg-socket", action="store_true",
                        help="PostgreSQL through its Unix-domain socket instead of TCP on 127.0.0.1")
    parser.add_argument("--pg-statements", type=int, default=0, metavar="N",
                        help="print PostgreSQL's N longest statements per call (pg_stat_statements; default 0: off)")
    opts = parser.parse_args(argv)
    opts.callers = opts.callers or (10 if opts.quick else 50)
    opts.calls = opts.calls or (40 if opts.quick else 300)
    opts.backends = [b.strip() for b in opts.backends.split(",") if b.strip()]
    unknown = set(opts.backends) - set(BACKENDS)
    if unknown:
        parser.error(f"unknown backend(s) {', '.join(sorted(unknown))}; choose from {', '.join(BACKENDS)}")
    try:
        opts.threads = [int(t) for t in opts.threads.split(",") if t.strip()]
    except ValueError:
        parser.error(f"--threads takes whole numbers, e.g. 4 or 1,4, not {opts.threads!r}")
    if min(opts.callers, opts.calls, opts.workers, opts.client_processes, opts.rq_workers, *opts.threads, 0 if not opts.threads
           else 1) < 1:
        parser.error("--callers, --calls, --workers, --threads and --client-processes must be at least 1")
    return opts


def _terminate(signum, frame):
    raise SystemExit(128 + signum)  # unwinds through every finally: the stacks stop


def main(argv: list[str] | None = None) -> int:
    opts = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGHUP, _terminate)
    workdir = Path(tempfile.mkdtemp(prefix="receptionist-bench-load-"))
    workdir.chmod(0o755)  # PostgreSQL runs as its own user, in a data dir under here
    print(f"{opts.calls} calls per backend, {opts.callers} concurrent callers over {opts.client_processes} client "
          f"processes; gunicorn --workers {opts.workers} --threads {','.join(map(str, opts.threads))}; "
          f"{os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f}", flush=True)
    outcomes: list[Outcome] = []
    code = 0
    try:
        for name in opts.backends:
            for threads in opts.threads:
                label = _label(name, opts.workers, threads, opts)
                print(f"[{label}] ...", flush=True)
                started = time.monotonic()
                outcome = run_backend(name, opts, threads, workdir / f"{name}-{threads}")
                outcomes.append(outcome)
                print(f"[{label}] {outcome.skipped or f'{outcome.rps:,.0f} req/s'} "
                      f"({time.monotonic() - started:.0f} s)", flush=True)
                if outcome.skipped:
                    break
    except StackError as exc:
        print(f"error: {exc}", file=sys.stderr)
        code = 2
    except KeyboardInterrupt:
        print("interrupted: everything this run started has been stopped", file=sys.stderr)
        code = 130
    finally:
        if opts.keep_dir:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    if outcomes:
        print()
        print(report(outcomes, opts))
    if code == 0 and not all(o.ok or o.skipped for o in outcomes):
        code = 1
    return code


if __name__ == "__main__":
    sys.exit(main())
