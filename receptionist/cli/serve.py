"""``serve``: the whole service in one command (the process supervisor behind ``make run``).

It migrates, loads the sample company into an empty database, starts the RQ worker and
cron as child processes (on the embedded Redis when REDIS_URL is unset) and serves HTTP.
"""
from __future__ import annotations

import atexit
import logging
import os
import signal
import subprocess
import sys
import threading
import time

import click
from flask import Flask, current_app
from flask.cli import ScriptInfo, with_appcontext
from sqlalchemy import select

from receptionist.adapters.models import Company
from receptionist.settings import PROJECT_ROOT

from .database import load_company_file

SAMPLE_COMPANY = PROJECT_ROOT / "examples" / "acme-staffing.yaml"
log = logging.getLogger(__name__)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@with_appcontext
def serve_command(host: str, port: int) -> None:
    """Run the service: migrate, load the sample company into an empty database, start the
    RQ worker and cron as child processes (on the embedded Redis when REDIS_URL is unset),
    serve HTTP; the children stop when this does (Ctrl-C, SIGTERM)."""
    import waitress

    app = current_app._get_current_object()
    app.extensions["db"].upgrade()
    with app.extensions["db"].transaction() as session:
        empty = session.scalars(select(Company).limit(1)).first() is None
    if empty:
        click.echo(f"empty database: loading the sample company {SAMPLE_COMPANY.name}: "
                   f"{load_company_file(SAMPLE_COMPANY)}")
    settings = app.config["SETTINGS"]
    children = _Children()
    try:
        from receptionist.adapters.redis_server import redis_url
        url = redis_url(settings)  # starts the embedded server (owned by this process) if REDIS_URL is unset
        # The children find the same Redis through REDIS_URL, and this process through SUPERVISOR_ENV.
        env = {**os.environ, "REDIS_URL": url, SUPERVISOR_ENV: str(os.getpid())}
        app_path = click.get_current_context().find_object(ScriptInfo).app_import_path or "app"
        worker, cron = children.start("worker", app_path, env), children.start("cron", app_path, env)
        atexit.register(children.stop)  # a second net, should an exit bypass the finally (stop is idempotent)
        signal.signal(signal.SIGTERM, _exit_on_sigterm)  # waitress stops on SystemExit; then finally
        where = "REDIS_URL" if settings.redis_url else "the embedded Redis"
        click.echo(f"RQ worker (pid {worker.pid}) and cron (pid {cron.pid}, sweep every "
                   f"{settings.sweep_interval_s} s) running on {where}")
        click.echo(f"Receptionist on http://{host}:{port}  (database {settings.database_url.split('://')[0]}, "
                   f"signatures checked against {settings.public_base_url or 'the request URL'})")
        click.echo("Try a call:  flask --app app call   (or --script examples/calls/qualified.txt)")
        waitress.serve(app, host=host, port=port, threads=8, ident="receptionist")
    finally:
        children.stop()


SUPERVISOR_ENV = "RECEPTIONIST_SUPERVISOR_PID"  # set by serve for its children
CHILD_STOP_TIMEOUT_S = 20  # a worker finishes its current job on SIGTERM (a send times out at 10 s)


def _exit_on_sigterm(signum, frame):
    raise SystemExit(0)


class _Children:
    """The worker and cron processes of ``serve``: started in their own session (so Ctrl-C
    reaches only serve, which stops them in order), watched (a death is logged), and stopped
    with SIGTERM, then SIGKILL to the process group after ``CHILD_STOP_TIMEOUT_S``."""

    def __init__(self):
        self.procs: dict[str, subprocess.Popen] = {}
        self._stopping = threading.Event()
        self._watcher: threading.Thread | None = None

    def start(self, command: str, app_path: str, env: dict) -> subprocess.Popen:
        proc = subprocess.Popen([sys.executable, "-m", "flask", "--app", app_path, command], env=env,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        self.procs[command] = proc
        if self._watcher is None:
            self._watcher = threading.Thread(target=self._watch, name="children-watch", daemon=True)
            self._watcher.start()
        return proc

    def _watch(self) -> None:
        reported: set[str] = set()
        while not self._stopping.wait(1.0):
            for name, proc in list(self.procs.items()):
                if name not in reported and proc.poll() is not None and not self._stopping.is_set():
                    reported.add(name)
                    log.error("the %s process (pid %s) exited with code %s; %s wait until serve is restarted",
                              name, proc.pid, proc.returncode, "texts" if name == "worker" else "timers")

    def stop(self) -> None:
        """Stop every child (idempotent: runs from the finally and again from atexit)."""
        self._stopping.set()
        running = [p for p in self.procs.values() if p.poll() is None]
        for proc in running:
            proc.terminate()
        deadline = time.monotonic() + CHILD_STOP_TIMEOUT_S
        for proc in running:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("pid %s did not stop in %s s; killing it", proc.pid, CHILD_STOP_TIMEOUT_S)
                try:
                    os.killpg(proc.pid, signal.SIGKILL)  # the group: a worker's work horse too
                except ProcessLookupError:
                    pass
                proc.wait()


def exit_with_supervisor() -> None:
    """In a child of ``serve``: stop (SIGTERM to self, a warm shutdown) when serve is gone,
    e.g. killed with SIGKILL, so no orphan worker keeps running."""
    supervisor = os.environ.get(SUPERVISOR_ENV)
    if not supervisor:
        return

    def watch():
        while os.getppid() == int(supervisor):
            time.sleep(2)
        log.warning("serve (pid %s) is gone; stopping", supervisor)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="supervisor-watch", daemon=True).start()


def register(app: Flask) -> None:
    """Attach ``serve`` to ``app.cli``."""
    app.cli.add_command(serve_command)
