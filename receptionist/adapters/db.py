"""Database engine, sessions and migrations (SQLAlchemy 2.0 + Alembic).

Every wait on the database is bounded, so that a webhook answers within 10 s whatever the
database does (DESIGN.md; Twilio itself gives up after 15 s), and a pool recovers by itself
once the database does:

========================  ==========================================================  =====
wait                      bound (environment variable)                                 default
========================  ==========================================================  =====
SQLite write lock         ``busy_timeout`` (``SQLITE_BUSY_TIMEOUT_S``)                 3 s
PostgreSQL connect        libpq ``connect_timeout`` (``DB_CONNECT_TIMEOUT_S``)         2 s
PostgreSQL statement      server ``statement_timeout`` (``DB_STATEMENT_TIMEOUT_S``)    3 s
PostgreSQL row lock       server ``lock_timeout`` (``DB_LOCK_TIMEOUT_S``)              2 s
PostgreSQL no reply       client side, statement + 1 s: a frozen server or a           4 s
                          partition, where no server timeout can fire
pool checkout             ``pool_timeout`` (``DB_POOL_TIMEOUT_S``)                     2 s
========================  ==========================================================  =====

SQLite runs in WAL mode with ``synchronous=NORMAL`` unless ``SQLITE_SYNCHRONOUS=FULL``
(:func:`sqlite_synchronous`).

Worst case for one transaction on a frozen PostgreSQL: pool wait + pre-ping (or, on a
connection used within the last second, the first statement) without reply + reconnect = 2 + 4 + 2 = 8 s; on a locked SQLite file: 3 s. A caller that retries must share
one deadline across attempts.

Personal data: engines hide SQL parameters in errors and logs (``hide_parameters``), result
rows stay out of SQLAlchemy's DEBUG log (``_NoRowValues``), and PostgreSQL errors keep their
DETAIL (``Key (phone)=(+1202...)``) out of the message.
"""
from __future__ import annotations

import contextvars
import functools
import inspect
import logging
import os
import sqlite3
import time
from contextlib import contextmanager
from collections import namedtuple
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, event, inspect as sa_inspect, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import DisconnectionError, MultipleResultsFound, NoResultFound
from sqlalchemy.orm import Session, sessionmaker

from ..settings import PROJECT_ROOT, _seconds, restrict_to_owner

log = logging.getLogger(__name__)
MIGRATIONS_DIR = PROJECT_ROOT / "migrations"

SQLITE_BUSY_TIMEOUT_S = 3
SQLITE_POLL_FIRST_S, SQLITE_POLL_S = 0.0002, 0.002  # waiting for SQLite's write lock: first, longest sleep
PG_CONNECT_TIMEOUT_S = 2      # libpq counts whole seconds, and 2 at least
PG_STATEMENT_TIMEOUT_S = 3
PG_LOCK_TIMEOUT_S = 2
PG_REPLY_MARGIN_S = 1         # the client waits this much longer than the server's own timeout
POOL_TIMEOUT_S = 2
POOL_SIZE, POOL_MAX_OVERFLOW = 10, 20
PING_AFTER_IDLE_S = 1.0       # a pooled connection idle longer is pinged before use (_ping_after_idle)
_CHECKED_IN = "receptionist_checked_in_at"  # connection record info key: time.monotonic() of its checkin

# Errors after which a pooled connection is useless even though the database is fine again:
# SQLite opened the file read-only (it was read-only then), or lost it; PostgreSQL answered
# from a read-only server (a standby after a failover) - SQLSTATE 25006.
_SQLITE_STICKY_ERRORS = ("attempt to write a readonly database", "disk I/O error")
_PG_READ_ONLY_SQLSTATE = "25006"


@dataclass(frozen=True)
class Timeouts:
    """The bounds above, in seconds. :meth:`from_env` reads the environment."""

    sqlite_busy_s: float = SQLITE_BUSY_TIMEOUT_S
    connect_s: int = PG_CONNECT_TIMEOUT_S
    statement_s: float = PG_STATEMENT_TIMEOUT_S
    lock_s: float = PG_LOCK_TIMEOUT_S
    pool_s: float = POOL_TIMEOUT_S

    @property
    def reply_s(self) -> float:
        """How long the client waits for any reply from PostgreSQL before closing the connection."""
        return self.statement_s + PG_REPLY_MARGIN_S

    @classmethod
    def from_env(cls) -> "Timeouts":
        """Defaults overridden by ``SQLITE_BUSY_TIMEOUT_S``, ``DB_CONNECT_TIMEOUT_S``,
        ``DB_STATEMENT_TIMEOUT_S``, ``DB_LOCK_TIMEOUT_S``, ``DB_POOL_TIMEOUT_S`` (positive
        whole seconds). Raises ValueError naming a variable that is not one."""
        return cls(sqlite_busy_s=_seconds("SQLITE_BUSY_TIMEOUT_S", SQLITE_BUSY_TIMEOUT_S),
                   connect_s=max(2, _seconds("DB_CONNECT_TIMEOUT_S", PG_CONNECT_TIMEOUT_S)),
                   statement_s=_seconds("DB_STATEMENT_TIMEOUT_S", PG_STATEMENT_TIMEOUT_S),
                   lock_s=_seconds("DB_LOCK_TIMEOUT_S", PG_LOCK_TIMEOUT_S),
                   pool_s=_seconds("DB_POOL_TIMEOUT_S", POOL_TIMEOUT_S))


def make_engine(url: str, timeouts: Timeouts | None = None) -> Engine:
    """An engine for ``url`` with every wait bounded by ``timeouts`` (default: from the
    environment) and SQL parameters hidden from errors and logs.

    SQLite gets WAL, ``BEGIN IMMEDIATE`` and a file readable by its owner only; PostgreSQL
    gets a pre-ping after idling (:func:`_ping_after_idle`), server-side statement and lock timeouts and, with psycopg 3, a client-side
    reply timeout. Raises ValueError for an invalid timeout variable.
    """
    timeouts = timeouts or Timeouts.from_env()
    if url.startswith("sqlite"):
        engine = _sqlite_engine(url, timeouts)
    else:
        engine = _server_engine(url, timeouts)
    event.listen(engine, "handle_error", _on_error)
    return engine


def _sqlite_engine(url: str, timeouts: Timeouts) -> Engine:
    database = make_url(url).database
    path = Path(database) if database and database != ":memory:" and not database.startswith("file:") else None
    if path is not None:
        _private_sqlite_file(path)
    pooling = {"pool_timeout": timeouts.pool_s} if path is not None else {}  # :memory: has no pool queue
    engine = create_engine(url, hide_parameters=True, **pooling,
                           connect_args={"timeout": timeouts.sqlite_busy_s, "check_same_thread": False})
    busy_ms = int(timeouts.sqlite_busy_s * 1000)
    synchronous = sqlite_synchronous()

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_conn, _record):
        # Let SQLAlchemy own transactions (pysqlite's own BEGIN handling breaks locking).
        dbapi_conn.isolation_level = None
        if path is not None:
            _writable_wal_files(path)
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout={busy_ms}")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA synchronous={synchronous}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "before_cursor_execute")
    def _sqlite_begin(conn, _cursor, statement, _parameters, context, _executemany):
        # BEGIN IMMEDIATE takes the write lock before a transaction's first statement: two
        # webhooks for the same call are serialised (each waiting at most busy_timeout)
        # instead of failing later. A transaction marked by reads_before_write_lock() reads
        # first without it, and takes it at its first write (or SELECT ... FOR UPDATE).
        # An AUTOCOMMIT connection (a single read, e.g. an ATS lookup) takes no lock at all.
        raw = conn.connection.dbapi_connection
        if raw.in_transaction:
            return
        options = conn.get_execution_options()
        if options.get("isolation_level") == "AUTOCOMMIT" or statement.startswith("BEGIN"):
            return
        if options.get(READS_BEFORE_WRITE_LOCK) and _plain_read(statement, context):
            return  # its own snapshot, as PostgreSQL's READ COMMITTED gives each statement
        _begin_immediate(raw, timeouts.sqlite_busy_s, busy_ms)

    return engine


# Execution option (``reads_before_write_lock``): on SQLite, plain reads run before the write lock.
READS_BEFORE_WRITE_LOCK = "receptionist_reads_before_write_lock"


def reads_before_write_lock(session: Session | Connection) -> Connection:
    """The session's connection (or ``session`` itself, a Connection), its transaction marked so that on SQLite its plain reads
    (SELECT without FOR UPDATE) run without the write lock until its first write or
    ``SELECT ... FOR UPDATE``, which takes it (``BEGIN IMMEDIATE``). Each read before then
    sees the database as last committed, like a statement under PostgreSQL's READ COMMITTED
    (where this changes nothing): the caller re-checks what it read when it writes (a
    conditional UPDATE) or re-reads it ``FOR UPDATE``. Called before the transaction's first
    statement; afterwards the lock is already held and nothing changes."""
    connection = session.connection() if isinstance(session, Session) else session
    connection.execution_options(**{READS_BEFORE_WRITE_LOCK: True})  # in place, for this transaction
    return connection


# Execution options of a connection whose statements each commit alone (``Database.transaction``).
_AUTOCOMMIT = {"isolation_level": "AUTOCOMMIT"}


def autocommits(connection: Connection) -> bool:
    """True while ``connection``'s statements each commit alone (``autocommit_first``, until
    :func:`begin_here`)."""
    return connection.dialect.name == "postgresql" and connection.connection.dbapi_connection.autocommit


def begin_here(connection: Connection) -> None:
    """End the autocommit start of a unit of work (``UnitOfWork.run(..., autocommit_first=True)``):
    from ``connection``'s next statement on, its statements form one transaction (psycopg sends
    ``BEGIN`` before it), committed or rolled back with the unit of work. Called before the
    first of several writes, or before a read that must lock (``FOR UPDATE``) or share a
    snapshot with the writes. Nothing is written before it but at most one statement, which
    is a transaction of its own. A no-op on SQLite (``reads_before_write_lock`` is its
    counterpart) and on a connection already in a transaction."""
    if autocommits(connection):
        # psycopg: autocommit can change only between transactions (the connection is idle:
        # the autocommitted statements before are done), and takes effect at the next statement.
        connection.connection.dbapi_connection.autocommit = False


def _plain_read(statement: str, context) -> bool:
    """A SELECT that locks nothing: SQLite drops ``FOR UPDATE`` from the SQL, so it is read
    from the compiled statement (SQLAlchemy's ``Select._for_update_arg``)."""
    if not statement.lstrip()[:6].upper() == "SELECT":
        return False
    compiled = getattr(context, "compiled", None)
    return getattr(getattr(compiled, "statement", None), "_for_update_arg", None) is None


def _begin_immediate(raw: sqlite3.Connection, busy_s: float, busy_ms: int) -> None:
    """``BEGIN IMMEDIATE`` on the driver's connection ``raw``, waiting for the write lock at
    most ``busy_s``, trying again every ``SQLITE_POLL_S`` at most. SQLite's own busy handler
    sleeps 25 to 100 ms between tries once a wait passes 50 ms, so under a burst of webhooks
    a waiter slept long after the lock was free (p99 ~700 ms at 40 req/s). Here the tries are
    made with the busy timeout off (a refused try costs microseconds); the last one, at the
    deadline, with the busy timeout back. Run before a statement (``before_cursor_execute``),
    so a lock held too long raises sqlalchemy.exc.OperationalError ("database is locked")
    from that statement."""
    deadline = time.monotonic() + busy_s
    delay = SQLITE_POLL_FIRST_S
    raw.execute("PRAGMA busy_timeout=0")
    try:
        while time.monotonic() + delay < deadline:
            try:
                raw.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    break  # not a lock: the last try raises it (SQLAlchemy wraps it, or treats it as a disconnect)
            time.sleep(delay)
            delay = min(2 * delay, SQLITE_POLL_S)
    finally:
        raw.execute(f"PRAGMA busy_timeout={busy_ms}")
    raw.execute("BEGIN IMMEDIATE")


def sqlite_synchronous() -> str:
    """``SQLITE_SYNCHRONOUS``: ``NORMAL`` (the default) or ``FULL``. Raises ValueError for
    another value.

    In WAL mode NORMAL skips the fsync at each commit (the WAL is synced at checkpoints). The
    database stays consistent whatever happens, and a crash or kill of this service loses
    nothing committed; only a power loss or an OS crash may roll back the last transactions
    before it, i.e. turns of calls that the same outage cuts off anyway. SQLite's own advice:
    "synchronous=NORMAL is a good choice for most applications running in WAL mode" (SQLite,
    "PRAGMA synchronous"). FULL syncs every commit before the webhook answers; the fsync is
    held under SQLite's one write lock, so it costs throughput: ``make bench-load`` on SQLite
    gave 201-205 requests/s with FULL against 226-249 with NORMAL (2 cores, the same run)."""
    value = (os.environ.get("SQLITE_SYNCHRONOUS") or "NORMAL").strip().upper()
    if value not in ("FULL", "NORMAL"):
        raise ValueError(f"SQLITE_SYNCHRONOUS must be FULL or NORMAL, not {value!r}")
    return value


def _private_sqlite_file(path: Path) -> None:
    """The database file created 0600 before SQLite creates it 0644 (SQLite gives its -wal
    and -shm files the database file's mode); existing looser files tightened."""
    if path.parent.is_dir() and not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        restrict_to_owner(file)


def _writable_wal_files(path: Path) -> None:
    """SQLite gives -wal and -shm the database file's mode when it creates them: made while
    the file was read-only, they stay read-only after it is writable again, and every new
    connection is read-only too. Make them writable (0600) when the database file is."""
    if not os.access(path, os.W_OK):
        return
    for file in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if file.exists() and not os.access(file, os.W_OK):
            file.chmod(0o600)
            log.warning("%s was read-only while %s is writable; now 0600", file.name, path.name)


def _server_engine(url: str, timeouts: Timeouts) -> Engine:
    parsed = make_url(url)
    connect_args: dict = {}
    if parsed.get_backend_name() == "postgresql":
        # libpq options: the server cancels a statement or a lock wait past these bounds.
        options = f"-c statement_timeout={int(timeouts.statement_s * 1000)} -c lock_timeout={int(timeouts.lock_s * 1000)}"
        connect_args = {"connect_timeout": timeouts.connect_s,
                        "options": " ".join(filter(None, (parsed.query.get("options"), options)))}
        if parsed.get_driver_name() == "psycopg":
            connect_args["prepare_threshold"] = prepare_threshold()
    engine = create_engine(url, hide_parameters=True, pool_size=POOL_SIZE,
                           max_overflow=POOL_MAX_OVERFLOW, pool_timeout=timeouts.pool_s,
                           connect_args=connect_args)
    _ping_after_idle(engine)
    if engine.dialect.driver == "psycopg":
        connection_class = _bounded_psycopg_connection(timeouts.reply_s)
        if connection_class is not None:
            @event.listens_for(engine, "do_connect")
            def _connect(_dialect, _record, cargs, cparams):
                return connection_class.connect(*cargs, **cparams)


    return engine


def prepare_threshold() -> int | None:
    """psycopg's ``prepare_threshold`` for the engine's connections (``DB_PREPARE_THRESHOLD``):
    a statement is prepared on the server (parsed and planned once, then run by name) at its
    that-many-th execution on a connection; ``none`` never prepares. psycopg's default: 5.
    Raises ValueError for another value.

    Measured (``bench/steps.py --pg-server``, the server's CPU per call, 2 runs each): 5 (the
    default) 13.6-14.0 ms, 0 13.4-14.6 (the same once warm: every hot statement is prepared
    either way), none 32.0-33.5: planning the data-modifying ``WITH`` statements at each
    execution more than doubles the server's CPU. ``none`` is for a pooler that cannot carry
    prepared statements across server connections (PgBouncer's transaction mode before 1.21)."""
    raw = (os.environ.get("DB_PREPARE_THRESHOLD") or "5").strip().lower()
    if raw == "none":
        return None
    if not raw.isdigit():
        raise ValueError(f"DB_PREPARE_THRESHOLD must be a whole number or none, not {raw!r}")
    return int(raw)


def _ping_after_idle(engine: Engine) -> None:
    """Pre-ping (SQLAlchemy's "pessimistic disconnect handling") only a connection that sat
    in the pool longer than PING_AFTER_IDLE_S. ``pool_pre_ping`` pings at every checkout: a
    round trip and ~75 us of CPU per webhook on PostgreSQL, to find what a busy pool meets at
    once anyway. A connection found dead by a statement instead is a disconnect: SQLAlchemy
    invalidates the pool and the unit of work tries once more on a fresh connection."""

    @event.listens_for(engine, "checkin")
    def _idle_from(_dbapi_conn, record) -> None:
        record.info[_CHECKED_IN] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping(dbapi_conn, record, _proxy) -> None:
        since = record.info.get(_CHECKED_IN)
        if since is None or time.monotonic() - since < PING_AFTER_IDLE_S:
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except Exception as exc:  # the pool discards it and checks out another (up to 3 tries)
            raise DisconnectionError(f"pooled connection dead after idling: {type(exc).__name__}") from exc


def _bounded_psycopg_connection(reply_s: float):
    """A psycopg Connection class whose every wait for the server (statements, commit,
    rollback, the pool's pre-ping) ends after ``reply_s``: the connection is then closed, so
    SQLAlchemy discards it (and the pool's other connections) as disconnected. None for a
    psycopg without wait timeouts (before 3.2)."""
    import psycopg

    wait_timeout = getattr(psycopg.errors, "_WaitTimeout", None)  # raised by wait(timeout=)
    if wait_timeout is None or "timeout" not in inspect.signature(psycopg.Connection.wait).parameters:
        log.warning("psycopg %s cannot bound waits client-side; a frozen database server "
                    "can hold a request past statement_timeout", psycopg.__version__)
        return None

    class BoundedConnection(psycopg.Connection):
        def wait(self, gen, *args, **kwargs):
            kwargs.setdefault("timeout", reply_s)
            try:
                return super().wait(gen, *args, **kwargs)
            except wait_timeout:
                self.close()  # stopped mid-protocol: unusable; closed marks it a disconnect
                raise psycopg.OperationalError(
                    f"no reply from the database server within {kwargs['timeout']} s") from None

    return BoundedConnection


def _on_error(context) -> None:
    """``handle_error``: keep row values out of error messages, and treat errors that a
    reconnect cures as disconnects, so the pool drops the connection (and its siblings,
    opened in the same state) instead of failing on it until the process restarts."""
    orig = context.original_exception
    _without_row_values(orig, context.sqlalchemy_exception)
    sticky = (any(text in str(orig) for text in _SQLITE_STICKY_ERRORS)
              or getattr(orig, "sqlstate", None) == _PG_READ_ONLY_SQLSTATE)
    if sticky and not context.is_disconnect:
        log.warning("database connection unusable (%s); reconnecting", type(orig).__name__)
        context.is_disconnect = True


def _without_row_values(orig: BaseException, wrapped: BaseException | None) -> None:
    """PostgreSQL's message without its DETAIL and CONTEXT lines, which quote row values
    (``Key (phone)=(+12025550123) already exists``); ``orig.diag`` keeps them for code.
    psycopg cannot make libpq's messages terse, so the primary message replaces the text."""
    primary = getattr(getattr(orig, "diag", None), "message_primary", None)
    if not primary or str(orig) == primary:
        return
    orig.args = (primary,)
    if wrapped is not None and len(wrapped.args) == 1:
        # SQLAlchemy's own message, "(module.Class) <driver message>", as DBAPIError builds it.
        wrapped.args = (f"({type(orig).__module__}.{type(orig).__name__}) {primary}",)


class _NoRowValues(logging.Filter):
    """Drops SQLAlchemy's DEBUG "Row (...)" records: with the engine logger at DEBUG it logs
    every result row (phone numbers, names, what callers said), which ``hide_parameters``
    does not cover. Statements and column names still log."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.msg != "Row %r"


# The logger engines created without ``echo`` (all of ours) write through (sqlalchemy.log).
_ROW_FILTER = _NoRowValues()
logging.getLogger("sqlalchemy.engine.Engine").addFilter(_ROW_FILTER)


class Database:
    """An engine plus a session factory; :meth:`transaction` is the unit of work."""

    def __init__(self, url: str, timeouts: Timeouts | None = None):
        self.url = url
        self.engine = make_engine(url, timeouts)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def transaction(self, autocommit_first: bool = False) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on any error.

        ``autocommit_first`` (PostgreSQL; ignored on SQLite): the session's statements each
        commit alone (no ``BEGIN``/``COMMIT`` round trips) until :func:`begin_here` is called
        on its connection; from there on, one transaction as above.

        Raises sqlalchemy.exc.OperationalError when the database does not answer within the
        engine's bounds (module docstring); error messages never carry SQL parameters.
        """
        with self.sessions() as session, session.begin():
            if autocommit_first and self.engine.dialect.name == "postgresql":
                # SQLAlchemy, "Setting Isolation for Individual Transactions": reset when the
                # connection returns to the pool.
                session.connection(execution_options=_AUTOCOMMIT)
            yield session

    @contextmanager
    def connection(self, autocommit_first: bool = False) -> Iterator[Connection]:
        """:meth:`transaction` with a Core connection instead of a session (``engine.begin()``);
        inside :meth:`pinned`, on the connection it holds."""
        held = _pinned.get()
        if (held is not None and held.engine is self.engine and not held.invalidated and not held.closed
                and not held.in_transaction()):
            yield from _one_transaction(held, autocommit_first, reset=True)
            return
        with self.engine.connect() as conn:
            yield from _one_transaction(conn, autocommit_first, reset=False)

    @contextmanager
    def pinned(self) -> Iterator[None]:
        """Within it, :meth:`connection`'s transactions (one after another, in this thread)
        run on one pooled connection instead of a checkout and checkin each (about 0.05 ms
        of CPU a transaction on SQLite): an outbox job's claims and outcomes. The connection
        goes back to the pool at the end. One found invalidated (a disconnect) is not reused:
        the unit of work's retry gets a fresh one from the pool, as outside."""
        held = _pinned.get()
        if held is not None and held.engine is self.engine:  # nested: the outer one holds it
            yield
            return
        with self.engine.connect() as conn:
            token = _pinned.set(conn)  # this thread's only (a web request's thread never sees it)
            try:
                yield
            finally:
                _pinned.reset(token)

    def upgrade(self, revision: str = "head") -> None:
        """Run the Alembic migrations up to ``revision`` on this database."""
        command.upgrade(alembic_config(self.url), revision)

    def dispose(self) -> None:
        self.engine.dispose()


_pinned: contextvars.ContextVar[Connection | None] = contextvars.ContextVar("pinned_connection", default=None)


def _one_transaction(conn: Connection, autocommit_first: bool, reset: bool) -> Iterator[Connection]:
    """``conn`` in one transaction (:meth:`Database.connection`). ``reset``: ``conn`` stays
    out of the pool afterwards, so the isolation level ``autocommit_first`` set (which the
    pool's checkin resets) is reset here."""
    autocommit = autocommit_first and conn.dialect.name == "postgresql"
    if autocommit:
        conn.execution_options(**_AUTOCOMMIT)  # in place, before the transaction begins
    try:
        with conn.begin():
            yield conn
    finally:
        if reset and (autocommit or autocommits(conn)) and not conn.invalidated and not conn.closed:
            conn.execution_options(isolation_level=conn.default_isolation_level)


def schema_behind(connection: Connection) -> str | None:
    """Why the database's schema is older than this code's migrations (one sentence, with
    the command that fixes it), or None when it is at the newest revision, or at one this
    code does not know (a newer release migrated it first: its old workers still serve).
    Reads Alembic's ``alembic_version`` table itself: ``MigrationContext.configure`` logs two
    INFO lines each time, which every /healthz of a load balancer's check put in the web log."""
    current = (connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
               if sa_inspect(connection).has_table("alembic_version") else None)
    scripts = _migration_scripts()
    head = scripts.get_current_head()
    if current == head:
        return None
    if current is None:
        return "no schema (the migrations never ran): run flask --app app db upgrade"
    if current not in {script.revision for script in scripts.walk_revisions()}:
        return None
    return f"schema at revision {current}, this code needs {head}: run flask --app app db upgrade"


@functools.cache
def _migration_scripts() -> ScriptDirectory:
    return ScriptDirectory(str(MIGRATIONS_DIR))


def alembic_config(url: str) -> Config:
    """An Alembic config for ``migrations/`` bound to ``url`` (no alembic.ini needed)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


class Prepared:
    """A Core statement compiled once per dialect and run on the driver's cursor: for the few
    statements every webhook runs (a turn's read, its claim, its inserts), where SQLAlchemy's
    own execution path (cache key, execution context, CursorResult, Row) costs several times
    what the driver does (SQLite: ~25 us against ~10 us for a SELECT by key, ~21 against ~2
    for an UPDATE).

    The SQL is SQLAlchemy's (``statement.compile(dialect=...)``), and so are the parameter
    and result conversions (the types' bind and result processors: enums, JSON, datetimes on
    SQLite) and the errors: a driver error goes through ``Connection._handle_dbapi_exception``
    (the ``handle_error`` events, disconnect detection and invalidation, ``hide_parameters``)
    and is raised as SQLAlchemy's (``IntegrityError``, ``OperationalError``...). The engine's
    ``before_cursor_execute``/``after_cursor_execute`` listeners run as for any statement
    (SQLite's ``BEGIN IMMEDIATE``, statement counters). ``keys``: for an INSERT or UPDATE
    without explicit values, the parameter names it is compiled for (``column_keys``).

    Refused at the first execution (ValueError): expanding (``IN``) or ``literal_execute``
    parameters and parameters computed by a callable, which need SQLAlchemy's per-execution
    compilation. With the engine's ``echo`` on, the statement and its parameters are logged
    as ``Connection.execute`` logs them; the same compiled SQL runs either way (compiled per
    execution, the parameters' keys would become columns of an INSERT inside a CTE)."""

    def __init__(self, statement, keys: Iterable[str] | None = None):
        self.statement = statement
        self.keys = sorted(keys) if keys is not None else None
        self._key_set = frozenset(self.keys or ())
        self._plans: dict[str, _Plan] = {}

    def execute(self, connection: Connection, params: dict | list[dict] | None = None) -> "PreparedResult":
        """Run on ``connection`` (in its transaction; one is begun as ``Connection.execute``
        would) with ``params`` (by bind name; a list: ``executemany``, no rows back)."""
        plan = self._plans.get(connection.dialect.name) or self._plan(connection.dialect)
        if not connection.in_transaction():
            connection.begin()  # as Connection.execute's autobegin
        many = isinstance(params, list)
        if self.keys is not None and not all(p.keys() <= self._key_set for p in (params if many else (params,))):
            # A value for a column it was not compiled for would be dropped silently.
            raise ValueError(f"Prepared: parameters beyond {self.keys}")
        raw = plan.parameters_many(params) if many else plan.parameters(params or {})
        cursor = connection.connection.dbapi_connection.cursor()
        dispatch = _dispatch(connection)
        try:
            if dispatch is not None:
                for fn in dispatch.before_cursor_execute:
                    fn(connection, cursor, plan.sql, raw, plan.context, many)
            if connection._echo:  # logged as SQLAlchemy logs a statement (parameters hidden if the engine says so)
                connection._log_info(plan.sql)
                connection._log_parameters(raw, "prepared", ismulti=many)
            if many:
                cursor.executemany(plan.sql, raw)
            else:
                cursor.execute(plan.sql, raw)
            if dispatch is not None:
                for fn in dispatch.after_cursor_execute:
                    fn(connection, cursor, plan.sql, raw, plan.context, many)
            # Whether rows come back is the compiled statement's to say: psycopg builds its
            # ``description`` anew at each read (a quarter of its CPU per statement here).
            rows = plan.rows(cursor) if (cursor.description is not None if many else plan.result_types) else []
            result = PreparedResult(rows, cursor.rowcount)
        except BaseException as exc:
            connection._handle_dbapi_exception(exc, plan.sql, raw, cursor, None)
        cursor.close()
        return result

    def _plan(self, dialect) -> "_Plan":
        plan = self._plans[dialect.name] = _Plan(self.statement.compile(dialect=dialect, column_keys=self.keys))
        return plan


def _dispatch(connection: Connection):
    """The event listeners of ``connection``'s statements, or None when it has none. A listener
    set on a Connection goes to its engine (SQLAlchemy's ``_JoinedDispatcher._listen``), so
    unless one is set on the Connection class (its ``_has_events``) they are all the engine's:
    read there, without the joined dispatcher a new Connection builds at its first statement."""
    if connection._has_events:
        return connection.dispatch
    engine = connection.engine
    return engine.dispatch if engine._has_events else None


class _ExecutionContext:
    """What ``before_cursor_execute`` listeners read of a Prepared statement's context."""

    def __init__(self, compiled):
        self.compiled = compiled
        self.executemany = False


_MISSING = object()  # a parameter not given (None is a value)


class _Plan:
    """One dialect's compiled form of a :class:`Prepared` statement, with its parameters'
    positions and processors worked out once."""

    def __init__(self, compiled):
        if compiled.literal_execute_params or compiled.post_compile_params:
            raise ValueError("Prepared: expanding or literal_execute parameters need SQLAlchemy's execute()")
        self.sql = compiled.string
        self.context = _ExecutionContext(compiled)
        processors = compiled._bind_processors
        order = compiled.positiontup if compiled.positional else list(compiled.bind_names.values())
        binds = {name: bind for bind, name in compiled.bind_names.items()}
        # Per parameter, in the driver's order: (the caller's key, processor, value when not given, required).
        self.slots = []
        for name in order:
            bind, processor = binds[name], processors.get(name)
            if bind.callable is not None:
                raise ValueError(f"Prepared: parameter {name} is computed by a callable")
            constant = None if bind.required else bind.effective_value
            if processor is not None and not bind.required:
                constant = processor(constant)
            self.slots.append((bind.key, processor, constant, bind.required))
        self.positional = compiled.positional
        escaped = compiled.escaped_bind_names or {}
        self.names = [escaped.get(name, name) for name in order]
        # Python-side column defaults of an INSERT/UPDATE not given (SQLAlchemy's "prefetch").
        self.defaults = [(c.key, c.default if compiled.isinsert else c.onupdate)
                         for c in (*compiled.insert_prefetch, *compiled.update_prefetch)]
        for _, default in self.defaults:
            if not (default.is_scalar or default.is_callable):
                raise ValueError("Prepared: a column default that is neither a value nor a function")
        self.result_keys = [column[0] for column in compiled._result_columns]
        self.result_types = [column[3] for column in compiled._result_columns]
        self._row = None  # (row class, processors), from the first cursor description

    def parameters(self, params: dict):
        if self.defaults:
            params = {**{key: (default.arg(None) if default.is_callable else default.arg)
                         for key, default in self.defaults}, **params}
        values = []
        append, get = values.append, params.get
        for key, processor, constant, required in self.slots:
            value = get(key, _MISSING)
            if value is _MISSING:
                if required:
                    raise KeyError(f"Prepared: no value for parameter {key!r}")
                append(constant)
            else:
                append(value if processor is None else processor(value))
        return tuple(values) if self.positional else dict(zip(self.names, values))

    def parameters_many(self, params: list[dict]):
        return [self.parameters(p) for p in params]

    def rows(self, cursor) -> list:
        if self._row is None:
            dialect_types = [d[1] for d in cursor.description]
            if len(dialect_types) != len(self.result_types):
                raise ValueError("Prepared: the driver returned other columns than the statement's")
            self._row = (namedtuple("Row", self.result_keys, rename=True),
                         [t._cached_result_processor(self.context.compiled.dialect, coltype)
                          for t, coltype in zip(self.result_types, dialect_types)])
        row_class, processors = self._row
        if not any(processors):
            return [row_class._make(r) for r in cursor.fetchall()]
        return [row_class._make([v if p is None else p(v) for p, v in zip(processors, r)]) for r in cursor.fetchall()]


class PreparedResult:
    """The rows (named tuples: attribute access, tuple equality) and row count of a
    :class:`Prepared` execution, with the few methods of ``CursorResult`` the services use."""

    __slots__ = ("_rows", "rowcount")

    def __init__(self, rows: list, rowcount: int):
        self._rows, self.rowcount = rows, rowcount

    def all(self) -> list:
        return self._rows

    def first(self):
        return self._rows[0] if self._rows else None

    def one_or_none(self):
        if len(self._rows) > 1:
            raise MultipleResultsFound("Multiple rows were found when one or none was required")
        return self.first()

    def one(self):
        if len(self._rows) != 1:
            raise (NoResultFound if not self._rows else MultipleResultsFound)("Expected exactly one row")
        return self._rows[0]

    def scalar(self):
        return self._rows[0][0] if self._rows else None

    def scalar_one(self):
        return self.one()[0]

    def scalar_one_or_none(self):
        row = self.one_or_none()
        return None if row is None else row[0]
