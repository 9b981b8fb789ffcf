"""``serve``: the whole service in one command (the process supervisor behind ``make run``).

It starts the embedded Redis server when REDIS_URL is unset, migrates, loads the sample
company into an empty database, starts the RQ worker and cron as child processes and serves
HTTP. It owns every process it starts: a child that dies is restarted with backoff for as
long as serve runs, and SIGTERM or Ctrl-C (SIGINT) stops the web server, then cron, worker
and Redis in that order. A child whose serve is killed outright (SIGKILL) stops by itself
(:func:`exit_with_supervisor`); an embedded Redis left that way is shut down by the next
owner of the instance folder (``adapters.redis_server.claim``).
"""
from __future__ import annotations

import errno
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import click
from flask import current_app, Flask
from flask.cli import ScriptInfo, with_appcontext
from redis.backoff import ExponentialBackoff

from receptionist.adapters import redis_server

from .database import prepare_database

SUPERVISOR_ENV = "RECEPTIONIST_SUPERVISOR_PID"  # set by serve for its children

RESTART_FIRST_S = 1            # wait before restarting a child that died ...
RESTART_MAX_S = 30             # ... doubling with each death in a row, up to this
RESTART_STABLE_AFTER_S = 60    # a child that ran this long before dying starts again at RESTART_FIRST_S
WATCH_INTERVAL_S = 0.5         # how often serve looks at its children
LEFTOVER_STOP_TIMEOUT_S = 10   # after a child's death, what it started (its process group) has this
                               # long to stop on SIGTERM (a scheduler releases its lock) before SIGKILL
CHILD_STOP_TIMEOUT_S = 20      # a worker finishes its current job on SIGTERM (a send times out at 10 s)
SUPERVISOR_CHECK_S = 2         # how often a child checks that serve is still there

log = logging.getLogger(__name__)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int, help="0: a free port (printed).")
@with_appcontext
def serve_command(host: str, port: int) -> None:
    """Run the service: start the embedded Redis (when REDIS_URL is unset), migrate, load the
    sample company into an empty database, start the RQ worker and cron as child processes,
    serve HTTP. A child that dies is restarted; all of them stop when this does (Ctrl-C, SIGTERM)."""
    app = current_app._get_current_object()
    settings = app.config["SETTINGS"]
    app_path = click.get_current_context().find_object(ScriptInfo).app_import_path or "app"
    # Bound first, before Redis, the migrations and the children: a port in use is said in one
    # line (it was a traceback after all of them had started). --port 0 takes a free port,
    # the one printed (tests run side by side).
    http = _bind(app, host, port)
    supervisor = Supervisor()
    _stop_on_signals()
    try:
        if settings.redis_url is None:
            # First, in a session of its own: stopped last, after the worker has finished its job.
            redis_server.start_embedded(settings.instance_path, new_session=True)
            server = redis_server.embedded()
            if server is not None:
                supervisor.watch("redis", server.process, lambda: server.start(new_session=True),
                                 stop_timeout_s=redis_server.EMBEDDED_STOP_TIMEOUT_S)
        url = redis_server.redis_url(settings)
        click.echo(prepare_database(sample_if_empty=True))
        # The children find the same Redis through REDIS_URL, and this process through
        # SUPERVISOR_ENV; the worker's local interview links name this server (RECEPTIONIST_URL:
        # they said port 5000 whatever --port was).
        env = {**os.environ, "REDIS_URL": url, SUPERVISOR_ENV: str(os.getpid()),
               "RECEPTIONIST_URL": local_url(host, http.effective_port)}
        # WORKER_PROCESSES workers ("worker", "worker2", ...); the first runs RQ's scheduler.
        for n in range(1, settings.worker_processes + 1):
            supervisor.watch("worker" if n == 1 else f"worker{n}",
                             *_flask_child(app_path, ["worker"] if n == 1 else ["worker", "--no-scheduler"], env))
        supervisor.watch("cron", *_flask_child(app_path, ["cron"], env))
        supervisor.start_watching()
        where = "REDIS_URL" if settings.redis_url else "the embedded Redis"
        click.echo(f"serve (pid {os.getpid()}): " + ", ".join(
            f"{name} pid {pid}" for name, pid in supervisor.pids().items()) + f"; Redis: {where}")
        click.echo(f"sweep every {settings.sweep_interval_s} s; a child that dies is restarted")
        logging.basicConfig()  # as waitress.serve does (idempotent)
        click.echo(f"Receptionist on http://{host}:{http.effective_port}  (database "
                   f"{settings.database_url.split('://')[0]}, "
                   f"signatures checked against {settings.public_base_url or 'the request URL'})")
        url_option = "" if http.effective_port == 5000 else f" --url {local_url(host, http.effective_port)}"
        click.echo(f"Try a call:  flask --app app call{url_option}   (or --script examples/calls/qualified.txt)")
        http.run()
    finally:
        _ignore_further_signals()
        http.close()
        supervisor.stop()


def local_url(host: str, port: int) -> str:
    """The URL this machine reaches a server bound to ``host``:``port`` at (a wildcard
    address, 0.0.0.0 or ::, through the loopback), e.g. ``http://127.0.0.1:5050``."""
    reach = "127.0.0.1" if host in ("", "0.0.0.0", "::") else host
    return f"http://[{reach}]:{port}" if ":" in reach else f"http://{reach}:{port}"


def _bind(app: Flask, host: str, port: int):
    """waitress's server for ``app``, bound to ``host``:``port`` (not yet serving). Raises
    click.ClickException naming the way out when the address is taken or not ours."""
    import waitress

    try:
        return waitress.create_server(app, host=host, port=port, threads=8, ident="receptionist")
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise click.ClickException(
                f"port {port} on {host} is in use (another serve?): stop it, or serve on another "
                f"port with --port (make run PORT=...) and call it with --url or RECEPTIONIST_URL") from exc
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc


def _flask_child(app_path: str, command: list[str], env: dict) -> tuple[subprocess.Popen,
                                                                       Callable[[], subprocess.Popen]]:
    """Start ``flask --app APP COMMAND...`` in a session of its own (so Ctrl-C reaches only
    serve, which stops the children in order); returns the process and how to start it again."""
    def start() -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-m", "flask", "--app", app_path, *command], env=env,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    return start(), start


def _stop_on_signals() -> None:
    """SIGTERM and SIGINT end waitress's ``run()`` (SystemExit, which it catches and
    then returns), so the ``finally`` stops the children."""
    def stop(signum, frame):
        _ignore_further_signals()
        log.info("serve: %s received; stopping", signal.Signals(signum).name)
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)


def _ignore_further_signals() -> None:
    # `make` forwards SIGTERM to serve, and a signal to make's process group reaches serve too:
    # a second signal must not interrupt the orderly stop. The stop itself is bounded.
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda s, f: log.info("serve: already stopping"))


@dataclass
class _Child:
    name: str
    proc: subprocess.Popen
    start: Callable[[], subprocess.Popen]
    stop_timeout_s: float
    started_at: float
    deaths: int = 0                    # deaths in a row, each within RESTART_STABLE_AFTER_S of its start
    restart_at: float | None = None    # time.monotonic() of the next start, while dead


class Supervisor:
    """The children of ``serve``: each is watched, restarted with backoff when it dies
    (``RESTART_FIRST_S`` doubling to ``RESTART_MAX_S`` for deaths in a row, never giving up;
    one log line per death), and stopped in the reverse order of :meth:`watch`: SIGTERM,
    then SIGKILL to its process group (a worker's work horse too) after its stop timeout.

    ``clock`` is ``time.monotonic`` (tests pass their own and call :meth:`tick`).
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self.clock = clock
        self.children: list[_Child] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._watcher: threading.Thread | None = None
        self._backoff = ExponentialBackoff(cap=RESTART_MAX_S, base=RESTART_FIRST_S)
        self._leftovers: dict[int, float] = {}  # process group of a dead child -> when to SIGKILL it

    def watch(self, name: str, proc: subprocess.Popen, start: Callable[[], subprocess.Popen],
              stop_timeout_s: float = CHILD_STOP_TIMEOUT_S) -> None:
        """Supervise ``proc`` (already started); ``start()`` starts it again after a death."""
        with self._lock:
            self.children.append(_Child(name, proc, start, stop_timeout_s, started_at=self.clock()))

    def pids(self) -> dict[str, int]:
        """The current process id of each child, by name."""
        return {child.name: child.proc.pid for child in self.children}

    def start_watching(self) -> None:
        """Check the children every ``WATCH_INTERVAL_S`` in a daemon thread, until :meth:`stop`."""
        def loop():
            while not self._stopping.wait(WATCH_INTERVAL_S):
                self.tick()
        self._watcher = threading.Thread(target=loop, name="supervisor", daemon=True)
        self._watcher.start()

    def tick(self) -> None:
        """One look at every child: note a death (and when to restart), restart one that is due."""
        now = self.clock()
        with self._lock:
            for pgid, kill_at in list(self._leftovers.items()):
                if now >= kill_at:
                    _signal_group(pgid, signal.SIGKILL)
                    del self._leftovers[pgid]
            for child in self.children:
                if self._stopping.is_set():
                    return
                if child.restart_at is None and child.proc.poll() is not None:
                    self._died(child, now, f"exited with code {child.proc.returncode}")
                elif child.restart_at is not None and now >= child.restart_at:
                    child.started_at, child.restart_at = now, None
                    try:
                        child.proc = child.start()
                    except Exception as exc:  # e.g. Redis failed to start: a death like any other
                        self._died(child, now, f"could not be started ({type(exc).__name__}: {exc})")
                        continue
                    log.info("serve: %s restarted (pid %s)", child.name, child.proc.pid)

    def _died(self, child: _Child, now: float, how: str) -> None:
        # What it started lives on in its process group, e.g. a worker's scheduler: ask it to
        # stop now (the scheduler then releases its lock for the next worker's), kill it later.
        _signal_group(child.proc.pid, signal.SIGTERM)
        self._leftovers[child.proc.pid] = now + LEFTOVER_STOP_TIMEOUT_S
        lived_s = now - child.started_at
        child.deaths = 1 if lived_s >= RESTART_STABLE_AFTER_S else child.deaths + 1
        delay_s = self.restart_delay_s(child.deaths)
        child.restart_at = now + delay_s
        log.error("serve: %s (pid %s) %s after %.0f s; restarting it in %s s",
                  child.name, child.proc.pid, how, lived_s, delay_s)

    def restart_delay_s(self, deaths: int) -> float:
        """Seconds to wait after the ``deaths``-th death in a row (1, 2, 4 ... capped)."""
        return self._backoff.compute(deaths - 1)

    def stop(self) -> None:
        """Stop watching, then stop every child, last watched first. Idempotent."""
        self._stopping.set()
        if self._watcher is not None and self._watcher is not threading.current_thread():
            self._watcher.join()
        with self._lock:
            for child in reversed(self.children):
                _terminate(child.proc, child.stop_timeout_s, child.name)
            for pgid in self._leftovers:
                _signal_group(pgid, signal.SIGKILL)


def _terminate(proc: subprocess.Popen, timeout_s: float, name: str) -> None:
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        log.warning("serve: %s (pid %s) did not stop in %s s; killing it", name, proc.pid, timeout_s)
        _signal_group(proc.pid, signal.SIGKILL)  # its group: a worker's work horse and scheduler too
        proc.wait()


def _signal_group(pgid: int, signum: int) -> None:
    """Send ``signum`` to process group ``pgid`` (a child started in a session of its own
    leads a group of that id), if any of it is left."""
    try:
        os.killpg(pgid, signum)
    except (ProcessLookupError, PermissionError):
        pass


def exit_with_supervisor() -> None:
    """In a child of ``serve``: stop (SIGTERM to self, a warm shutdown) when serve is gone,
    e.g. killed with SIGKILL, so no orphan worker keeps running."""
    supervisor = os.environ.get(SUPERVISOR_ENV)
    if not supervisor:
        return

    def watch():
        while os.getppid() == int(supervisor):
            time.sleep(SUPERVISOR_CHECK_S)
        log.warning("serve (pid %s) is gone; stopping", supervisor)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="supervisor-watch", daemon=True).start()


def register(app: Flask) -> None:
    """Attach ``serve`` to ``app.cli``."""
    app.cli.add_command(serve_command)
