"""The database misbehaving: locked, read-only then writable again, slow, frozen; and what
its errors and files reveal. Every failure comes within the webhook bound (10 s), and the
pool recovers by itself once the database does.

PostgreSQL cases run when TEST_POSTGRES_URL is set; the frozen-server tests start their own
private cluster on 127.0.0.1:54404 (the PostgreSQL binaries must be installed) and always
thaws and stops it. The drills at the end run the whole app over HTTP: PostgreSQL stopped,
then frozen; SQLite locked for 20 s (each webhook answered within 10 s, the calls go on).
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import tempfile
import time
import traceback
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import IntegrityError, OperationalError

from receptionist.adapters.db import Database, Timeouts
from receptionist.adapters.models import Candidate

WEBHOOK_BOUND_S = 10  # DESIGN.md: a webhook answers within 10 s whatever its dependencies do
PG_URL = os.environ.get("TEST_POSTGRES_URL")
needs_postgres = pytest.mark.skipif(not PG_URL, reason="TEST_POSTGRES_URL is not set")


def seconds_to_fail(action) -> float:
    """Run ``action``, which must raise OperationalError; how long it took to fail."""
    start = time.monotonic()
    with pytest.raises(OperationalError):
        action()
    return time.monotonic() - start


def insert(db: Database, value: int = 1) -> None:
    with db.transaction() as s:
        s.execute(text("INSERT INTO t VALUES (:x)"), {"x": value})


def sqlite_db(path: Path, timeouts: Timeouts | None = None) -> Database:
    db = Database(f"sqlite:///{path}", timeouts)
    with db.transaction() as s:
        s.execute(text("CREATE TABLE IF NOT EXISTS t (x INTEGER)"))
    return db


# ---------------------------------------------------------------- SQLite

def test_a_locked_sqlite_file_fails_the_transaction_within_the_bound(tmp_path):
    db = sqlite_db(tmp_path / "locked.db")  # the default busy timeout
    holder = sqlite3.connect(tmp_path / "locked.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process holding the write lock, for good
    try:
        assert seconds_to_fail(lambda: insert(db)) < WEBHOOK_BOUND_S
    finally:
        holder.rollback()
        holder.close()
    insert(db)  # the lock gone, writes go through on the same engine
    db.dispose()


def test_busy_timeout_is_set_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("SQLITE_BUSY_TIMEOUT_S", "1")
    db = sqlite_db(tmp_path / "busy.db")
    with db.transaction() as s:
        assert s.execute(text("PRAGMA busy_timeout")).scalar() == 1000
    db.dispose()
    monkeypatch.setenv("SQLITE_BUSY_TIMEOUT_S", "30s")
    with pytest.raises(ValueError, match="SQLITE_BUSY_TIMEOUT_S"):
        Timeouts.from_env()


def _as_unprivileged_user(action) -> None:
    """Run ``action()`` where file modes apply: here for a normal user; as root (whom modes
    do not stop), in a forked child that becomes ``nobody``. Fails with the child's traceback."""
    if os.geteuid() != 0:
        action()
        return
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        outcome = b"ok"
        try:
            os.setgid(65534)
            os.setuid(65534)
            action()
        except BaseException:
            outcome = traceback.format_exc().encode()
        os.write(write_end, outcome)
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        outcome = pipe.read()
    os.waitpid(pid, 0)
    assert outcome == b"ok", outcome.decode()


def test_a_sqlite_file_read_only_then_writable_again_recovers_without_a_restart():
    sqlite_db(Path(":memory:")).dispose()  # load the drivers before any fork
    folder = Path(tempfile.mkdtemp(prefix="receptionist-ro-"))
    folder.chmod(0o777)
    path = folder / "app.db"

    def drill():
        sqlite_db(path).dispose()
        path.chmod(0o400)  # read-only while the service starts connections
        db = Database(f"sqlite:///{path}")
        seconds_to_fail(lambda: insert(db))
        seconds_to_fail(lambda: insert(db))
        path.chmod(0o600)  # writable again: the next transaction goes through
        insert(db, 2)
        with db.transaction() as s:
            assert s.execute(text("SELECT x FROM t")).scalars().all() == [2]
        db.dispose()

    try:
        _as_unprivileged_user(drill)
    finally:
        shutil.rmtree(folder)


def test_a_pooled_connection_that_turned_read_only_is_replaced(tmp_path):
    """The same recovery inside one process, whoever runs it: the pooled connection is
    made read-only the way SQLite opens one on a read-only file (SQLITE_READONLY)."""
    db = sqlite_db(tmp_path / "app.db")
    with db.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA query_only=ON")  # back into the pool, read-only
    with pytest.raises(OperationalError, match="readonly"):
        insert(db)
    insert(db, 2)
    db.dispose()


def test_the_sqlite_file_and_its_wal_are_readable_by_the_owner_only(tmp_path):
    db = sqlite_db(tmp_path / "new.db")
    with db.transaction() as s:
        s.execute(text("INSERT INTO t VALUES (1)"))
        files = {p.name: p.stat().st_mode & 0o777 for p in tmp_path.iterdir()}
    assert files == {"new.db": 0o600, "new.db-wal": 0o600, "new.db-shm": 0o600}
    db.dispose()


def test_an_existing_world_readable_sqlite_file_is_tightened_with_a_warning(tmp_path, caplog):
    path = tmp_path / "old.db"
    sqlite3.connect(path).close()
    path.chmod(0o644)
    Path(f"{path}-wal").touch(mode=0o644)
    sqlite_db(path).dispose()
    assert path.stat().st_mode & 0o777 == 0o600
    assert "old.db was readable by other users" in caplog.text


# ---------------------------------------------------------------- personal data in errors

def test_a_database_error_shows_no_phone_number_or_name(db, caplog):
    """The unique phone taken twice: neither the exception, its chain, nor any log line
    (SQLAlchemy's statement log included) holds the caller's number or name."""
    phone, name = "+12025550147", "Zebulon Quackenbush"
    caplog.set_level("DEBUG")
    caplog.set_level("INFO", logger="sqlalchemy.engine")  # statement logging on
    with db.transaction() as s:
        s.add(Candidate(phone=phone, name=name))
    with pytest.raises(IntegrityError) as failed:
        with db.transaction() as s:
            s.add(Candidate(phone=phone, name=name))
    shown = "".join(traceback.format_exception(failed.value)) + repr(failed.value) + caplog.text
    assert "Candidate" in shown or "candidates" in shown  # the error is there
    for secret in (phone, phone[2:], "2025550147", name, "Zebulon"):
        assert secret not in shown


# ---------------------------------------------------------------- PostgreSQL, running

@needs_postgres
def test_postgres_sessions_carry_statement_and_lock_timeouts():
    db = Database(PG_URL)
    try:
        with db.transaction() as s:
            assert s.execute(text("SHOW statement_timeout")).scalar() == "3s"
            assert s.execute(text("SHOW lock_timeout")).scalar() == "2s"
    finally:
        db.dispose()


@needs_postgres
def test_postgres_statements_are_prepared_as_db_prepare_threshold_says(monkeypatch):
    # The server plans a prepared statement once: psycopg prepares it at its nth execution.
    for value, threshold in (("", 5), ("0", 0), ("none", None)):
        monkeypatch.setenv("DB_PREPARE_THRESHOLD", value)
        db = Database(PG_URL)
        try:
            with db.connection() as conn:
                for _ in range(2):
                    conn.execute(text("SELECT 1 AS prepared_probe"))
                assert conn.connection.dbapi_connection.prepare_threshold == threshold
                prepared = conn.execute(text("SELECT count(*) FROM pg_prepared_statements"
                                             " WHERE statement = 'SELECT 1 AS prepared_probe'")).scalar()
                assert prepared == (1 if threshold == 0 else 0), value
        finally:
            db.dispose()
    monkeypatch.setenv("DB_PREPARE_THRESHOLD", "sometimes")
    with pytest.raises(ValueError, match="DB_PREPARE_THRESHOLD"):
        Database(PG_URL)


@needs_postgres
def test_a_slow_statement_and_a_held_lock_fail_within_their_bounds():
    db = Database(PG_URL, Timeouts(statement_s=1, lock_s=1))
    try:
        def slow():
            with db.transaction() as s:
                s.execute(text("SELECT pg_sleep(30)"))

        assert seconds_to_fail(slow) < WEBHOOK_BOUND_S
        with db.transaction() as holder:
            holder.execute(text("SELECT pg_advisory_xact_lock(90401)"))

            def waiter():
                with db.transaction() as s:
                    s.execute(text("SELECT pg_advisory_xact_lock(90401)"))

            assert seconds_to_fail(waiter) < WEBHOOK_BOUND_S
        with db.transaction() as s:  # both sessions usable again
            assert s.execute(text("SELECT 1")).scalar() == 1
    finally:
        db.dispose()


# ---------------------------------------------------------------- PostgreSQL, frozen

FROZEN_PG_PORT = 54404


def _pg_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return found[-1].parent if found else (Path(shutil.which("initdb")).parent if shutil.which("initdb") else None)


def _port_taken(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _as_postgres(*argv: str) -> None:
    command = " ".join(argv)
    if os.geteuid() == 0:  # initdb refuses root
        subprocess.run(["su", "postgres", "-s", "/bin/sh", "-c", command], check=True, capture_output=True)
    else:
        subprocess.run(["/bin/sh", "-c", command], check=True, capture_output=True)


@pytest.fixture(scope="module")
def private_cluster():
    """A throwaway PostgreSQL cluster on 127.0.0.1:54404 that a test may freeze;
    yields (url, data directory)."""
    pg_bin = _pg_bin()
    if not PG_URL or pg_bin is None or _port_taken(FROZEN_PG_PORT):
        pytest.skip("needs TEST_POSTGRES_URL, PostgreSQL binaries and a free port 54404")
    work = Path(tempfile.mkdtemp(prefix="receptionist-frozen-"))
    work.chmod(0o755)
    data = work / "data"
    if os.geteuid() == 0:
        shutil.chown(work, "postgres")
    try:
        _as_postgres(f"{pg_bin}/initdb", "-D", str(data), "-A", "trust", "-U", "postgres")
        _start_cluster(data)
        yield f"postgresql+psycopg://postgres@127.0.0.1:{FROZEN_PG_PORT}/postgres", data
    finally:
        _thaw(_cluster_pids(data))
        subprocess.run(["su", "postgres", "-s", "/bin/sh", "-c", f"{pg_bin}/pg_ctl -D {data} -m immediate stop"]
                       if os.geteuid() == 0 else [f"{pg_bin}/pg_ctl", "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True)
        shutil.rmtree(work, ignore_errors=True)


def _start_cluster(data: Path) -> None:
    """Start (again) the private cluster in ``data``, waiting until it accepts connections."""
    work = data.parent
    _as_postgres(f"{_pg_bin()}/pg_ctl", "-D", str(data), "-l", str(work / "server.log"), "-w", "-o",
                 f"'-p {FROZEN_PG_PORT} -k {work} -c listen_addresses=127.0.0.1 -c fsync=off'", "start")


def _cluster_pids(data: Path) -> list[int]:
    """The postmaster and every process it started (one backend per connection)."""
    try:
        postmaster = int((data / "postmaster.pid").read_text().split()[0])
    except (FileNotFoundError, ValueError, IndexError):
        return []
    pids = [postmaster]
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1]) == postmaster:
                pids.append(int(proc.name))
        except (OSError, ValueError, IndexError):
            continue
    return pids


def _thaw(pids: list[int]) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGCONT)
        except ProcessLookupError:
            pass


@contextmanager
def frozen(data: Path):
    """The whole cluster stopped (SIGSTOP), as in a network partition: connections stay
    open and the kernel still accepts TCP, but nothing answers. Always thawed."""
    pids = _cluster_pids(data)
    try:
        for pid in pids:
            os.kill(pid, signal.SIGSTOP)
        yield
    finally:
        _thaw(pids)


def test_a_frozen_server_fails_a_checkout_within_the_bound_and_the_pool_recovers(private_cluster):
    url, data = private_cluster
    db = Database(url)  # the default bounds
    try:
        with db.transaction() as s:  # one connection, pooled
            s.execute(text("SELECT 1"))

        def checkout():
            with db.transaction() as s:
                s.execute(text("SELECT 1"))

        with frozen(data):
            assert seconds_to_fail(checkout) < WEBHOOK_BOUND_S  # pre-ping, then reconnect
            assert seconds_to_fail(checkout) < WEBHOOK_BOUND_S  # a fresh connection
        with db.transaction() as s:
            assert s.execute(text("SELECT 1")).scalar() == 1
    finally:
        db.dispose()


@pytest.mark.parametrize("ping_after_idle_s", [0.0, 3600.0], ids=["pinged-after-idling", "found-dead-by-a-statement"])
def test_a_server_restart_under_pooled_connections_loses_no_transaction(private_cluster, monkeypatch,
                                                                       ping_after_idle_s):
    """A restart kills the pooled connections. One that idled is pinged at checkout and
    replaced; one used just before is found dead by the first statement, and the unit of
    work tries once more on a fresh one. Either way the next transaction goes through."""
    from receptionist.adapters import db as db_module
    from receptionist.services.unit_of_work import UnitOfWork

    monkeypatch.setattr(db_module, "PING_AFTER_IDLE_S", ping_after_idle_s)
    url, data = private_cluster
    database = Database(url)
    try:
        uow = UnitOfWork(database)
        assert uow.run(lambda s: s.execute(text("SELECT 1")).scalar()) == 1
        _as_postgres(f"{_pg_bin()}/pg_ctl", "-D", str(data), "-m", "fast", "stop")
        _start_cluster(data)
        assert uow.run(lambda s: s.execute(text("SELECT 2")).scalar()) == 2
    finally:
        database.dispose()


def test_a_server_freezing_mid_transaction_fails_the_statement_within_the_bound(private_cluster):
    url, data = private_cluster
    db = Database(url, Timeouts(statement_s=1))
    try:
        def transaction():
            with db.transaction() as s:
                s.execute(text("SELECT 1"))
                with frozen(data):
                    s.execute(text("SELECT 2"))

        assert seconds_to_fail(transaction) < WEBHOOK_BOUND_S
        with db.transaction() as s:
            assert s.execute(text("SELECT 3")).scalar() == 3
    finally:
        db.dispose()


# ---------------------------------------------------------------- drills: webhooks over HTTP

def _drill_app(url: str, tmp_path: Path):
    """The whole app on the database at ``url`` (migrated, the sample company loaded), as
    ``serve`` runs it, on a threaded HTTP server; Redis from REDIS_URL or the embedded one."""
    from receptionist import bootstrap
    from receptionist.settings import Settings

    from .conftest import AUTH_TOKEN, SAMPLE

    database = Database(url)
    database.upgrade()
    settings = Settings(database_url=url, redis_url=os.environ.get("REDIS_URL"), twilio_account_sid=None,
                        twilio_auth_token=AUTH_TOKEN, public_base_url=None, instance_path=tmp_path)
    app = bootstrap.create_app(container=bootstrap.build(settings, database=database))
    result = app.test_cli_runner().invoke(args=["load-company", str(SAMPLE)])
    assert result.exit_code == 0, result.output
    return app, database


_phones = iter(range(100, 1000))


def _webhooks_during_a_fault(base: str, started: "HttpCall") -> list:
    """What Twilio sends while the database fails, all at once: the started call's next
    answer, two new calls, an inbound text. Each answer, with its time."""
    from concurrent.futures import ThreadPoolExecutor

    from .drill_calls import HttpCall, post_text
    from .test_sms_inbound import sms_params
    from .test_voice_webhooks import QUALIFIED

    new_calls = [HttpCall(base, f"CA{next(_phones):032x}", f"+12025551{next(_phones)}") for _ in range(2)]
    with ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(started.answer, QUALIFIED[len(started.answers) - 1])]
        futures += [pool.submit(call.start) for call in new_calls]
        futures.append(pool.submit(post_text, base, sms_params("JOBS", from_number="+12025550199")))
        return [f.result() for f in futures]


def _healthz(base: str) -> tuple[int, float]:
    import httpx

    start = time.monotonic()
    status = httpx.get(base + "/healthz", timeout=30).status_code
    return status, time.monotonic() - start


def _a_call_goes_to_the_end(base: str):
    """A new call, start to finish, once the database is back: the closing promise of a text."""
    from .drill_calls import HttpCall
    from .test_voice_webhooks import QUALIFIED

    call = HttpCall(base, f"CA{next(_phones):032x}", f"+12025551{next(_phones)}")
    assert call.start().status == 200
    for inputs in QUALIFIED:
        last = call.answer(inputs)
        assert last.status == 200 and not last.apology, last.twiml
    assert "text message" in last.said


def _assert_answered(answers: list, fault: str) -> float:
    voice, sms = answers[:-1], answers[-1]
    assert all(a.apology for a in voice), [a.twiml for a in voice]  # spoken, HTTP 200, never a 500
    assert sms.status == 200 and "<Message>" not in sms.twiml  # an empty <Response/>
    slowest = max(a.seconds for a in answers)
    assert slowest < WEBHOOK_BOUND_S, f"{fault}: {slowest:.1f} s"
    return slowest


def test_drill_postgres_stopped_then_frozen_webhooks_answer_and_calls_go_on(private_cluster, tmp_path,
                                                                          record_property):
    from .drill_calls import HttpCall, serving

    url, data = private_cluster
    app, database = _drill_app(url, tmp_path)
    figures = {}
    try:
        with serving(app) as base:
            for fault in ("stopped", "frozen"):
                started = HttpCall(base, f"CA{next(_phones):032x}", f"+12025551{next(_phones)}")
                assert started.start().status == 200
                if fault == "stopped":
                    _as_postgres(f"{_pg_bin()}/pg_ctl", "-D", str(data), "-m", "fast", "stop")
                    try:
                        answers = _webhooks_during_a_fault(base, started)
                        health = _healthz(base)
                    finally:
                        _start_cluster(data)
                else:
                    with frozen(data):
                        answers = _webhooks_during_a_fault(base, started)
                        health = _healthz(base)
                assert health[0] == 503 and health[1] < WEBHOOK_BOUND_S, health  # a load balancer sees it
                figures[f"healthz_s_{fault}"] = round(health[1], 2)
                figures[f"slowest_webhook_s_{fault}"] = round(_assert_answered(answers, fault), 2)
                assert started.status().status == 204  # Twilio's callback for the call we apologised on
                _a_call_goes_to_the_end(base)
    finally:
        database.dispose()
    record_property("drill", figures)
    print(f"\ndrill: PostgreSQL {figures}")


def test_drill_sqlite_locked_20_s_every_webhook_answers_within_10_s(tmp_path, record_property):
    from .drill_calls import HttpCall, serving

    path = tmp_path / "drill.db"
    app, database = _drill_app(f"sqlite:///{path}", tmp_path)
    answers = []
    try:
        with serving(app) as base:
            started = HttpCall(base, f"CA{next(_phones):032x}", f"+12025551{next(_phones)}")
            assert started.start().status == 200
            holder = sqlite3.connect(path, isolation_level=None)
            holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock for 20 s
            locked_at = time.monotonic()
            try:
                while time.monotonic() - locked_at < 20:
                    answers.append(_webhooks_during_a_fault(base, started))
            finally:
                holder.rollback()
                holder.close()
            slowest = max(_assert_answered(batch, "locked") for batch in answers)
            # Nothing was half-written: the started call goes on from where it was.
            for inputs in _rest_of_the_call(started):
                assert not started.answer(inputs).apology
            assert "text message" in started.answers[-1].said
            _a_call_goes_to_the_end(base)
    finally:
        database.dispose()
    figures = {"slowest_webhook_s_locked": round(slowest, 2), "webhooks_during_lock": 4 * len(answers)}
    record_property("drill", figures)
    print(f"\ndrill: SQLite {figures}")


def _rest_of_the_call(call) -> list[dict]:
    """The answers still to give: one per prompt answered so far without an apology."""
    from .test_voice_webhooks import QUALIFIED

    done = sum(1 for a in call.answers[1:] if not a.apology)
    return QUALIFIED[done:]


def test_sqlite_reads_before_the_write_lock_and_writes_under_it(tmp_path):
    """The adapter's contract (``db.reads_before_write_lock``): while another process holds
    SQLite's write lock, a marked transaction still reads (what was last committed); its
    first write, or a ``SELECT ... FOR UPDATE``, waits for the lock (here: fails within
    the busy bound); an unmarked transaction waits from its first statement, as before."""
    from sqlalchemy import column, table

    from receptionist.adapters.db import reads_before_write_lock

    database = Database(f"sqlite:///{tmp_path / 'lock.db'}", Timeouts(sqlite_busy_s=1))
    with database.transaction() as s:
        s.execute(text("CREATE TABLE t (x INTEGER)"))
        s.execute(text("INSERT INTO t VALUES (1)"))
    holder = sqlite3.connect(tmp_path / "lock.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("INSERT INTO t VALUES (2)")  # not committed: never seen
    try:
        with database.transaction() as s:
            connection = reads_before_write_lock(s)
            assert connection.execute(text("SELECT x FROM t")).scalars().all() == [1]
            with pytest.raises(OperationalError, match="locked"):
                connection.execute(text("UPDATE t SET x = 3"))
        with database.transaction() as s:
            reads_before_write_lock(s)
            with pytest.raises(OperationalError, match="locked"):
                s.execute(select(table("t", column("x"))).with_for_update())
        with pytest.raises(OperationalError, match="locked"), database.transaction() as s:
            s.execute(text("SELECT x FROM t"))
    finally:
        holder.rollback()
        holder.close()
    with database.transaction() as s:
        connection = reads_before_write_lock(s)
        connection.execute(text("UPDATE t SET x = 3"))
    with database.transaction() as s:
        assert s.execute(text("SELECT x FROM t")).scalars().all() == [3]
    database.dispose()



@contextmanager
def _write_locked(path: Path):
    """Another process holds the SQLite file's write lock until the block ends."""
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        holder.rollback()
        holder.close()


@contextmanager
def _drill_on_sqlite(tmp_path: Path, monkeypatch):
    """The app served on a SQLite file whose busy timeout is 1 s: yields (base URL, the file,
    the database, the app); disposed at the end."""
    from .drill_calls import serving

    monkeypatch.setenv("SQLITE_BUSY_TIMEOUT_S", "1")
    path = tmp_path / "drill.db"
    app, database = _drill_app(f"sqlite:///{path}", tmp_path)
    try:
        with serving(app) as base:
            yield base, path, database, app
    finally:
        database.dispose()


def test_drill_a_caller_answering_while_the_database_is_locked_is_held_and_asked_again(tmp_path, monkeypatch):
    """The caller's answer cannot be stored: they hear "one moment", Twilio follows our
    <Redirect> back (still locked: held again), and once the lock is gone the same question
    is asked again, no failure counted, and the same call goes on to the end."""
    from receptionist.adapters.models import Conversation, TranscriptLine

    from .drill_calls import HttpCall
    from .test_voice_webhooks import QUALIFIED

    with _drill_on_sqlite(tmp_path, monkeypatch) as (base, path, database, _):
        call = HttpCall(base, f"CA{next(_phones):032x}", f"+12025551{next(_phones)}")
        assert call.start().status == 200 and not call.answer(QUALIFIED[0]).apology  # English
        with _write_locked(path):
            held = call.answer(QUALIFIED[1])  # "apply"
            assert held.apology and "One moment" in held.said and held.redirect.endswith("&retry=1"), held.twiml
            assert call.follow().redirect.endswith("&retry=2")  # still locked: held again
        again = call.follow()
        assert again.said.startswith("Thanks for waiting. Let's try that again. To apply for a job"), again.twiml
        for inputs in QUALIFIED[1:]:
            assert not call.answer(inputs).apology, call.answers[-1].twiml
        assert "text message" in call.answers[-1].said
        with database.transaction() as s:
            conversation = s.scalars(select(Conversation).filter_by(call_sid=call.sid)).one()
            lines = s.scalars(select(TranscriptLine.text).filter_by(conversation_id=conversation.id)).all()
            assert conversation.status.value == "completed"
            assert "[no answer]" not in lines and lines.count("apply") == 1  # said once, stored once


def test_drill_a_call_arriving_while_the_database_is_locked_is_held_then_told_to_call_again(tmp_path,
                                                                                          monkeypatch):
    """A new call cannot be started: held with a <Redirect> to /voice/inbound keeping its
    query (``source``); after HOLD_RETRIES the caller hears "please call again" and the call
    ends. Held and then answered: the greeting, as for any new call."""
    from receptionist.adapters.models import Conversation
    from receptionist.web.twilio.voice import HOLD_RETRIES

    from .drill_calls import HttpCall

    with _drill_on_sqlite(tmp_path, monkeypatch) as (base, path, database, _):
        gave_up = HttpCall(base, f"CA{next(_phones):032x}", f"+12025551{next(_phones)}")
        answered = HttpCall(base, f"CA{next(_phones):032x}", f"+12025551{next(_phones)}")
        with _write_locked(path):
            first = gave_up.post("/voice/inbound?source=ivr")
            assert first.redirect == "/voice/inbound?source=ivr&retry=1", first.twiml
            for _ in range(HOLD_RETRIES):
                gave_up.follow()
            assert answered.post("/voice/inbound?source=ivr").redirect is not None
        last = gave_up.answers[-1]
        assert last.redirect is None and "Please call again" in last.said and "<Hangup" in last.twiml
        greeting = answered.follow()
        assert "Thanks for calling Acme Staffing" in greeting.said and answered.action, greeting.twiml
        with database.transaction() as s:
            assert s.scalars(select(Conversation.source).filter_by(call_sid=answered.sid)).one() == "ivr"



def test_drill_a_hang_up_whose_status_callback_was_refused_is_closed_by_the_sweep(tmp_path, monkeypatch):
    """The caller hangs up mid-screening while the database is locked: the status callback
    gets a 503 and Twilio does not send it again. Once the call has had no input for
    CALL_SILENT_AFTER_S, the sweep closes it as the callback would have: abandoned, flagged
    for follow-up, its answers kept; a call still answering is left alone."""
    import datetime as dt

    from receptionist.adapters.models import Answer, Conversation, FollowUpReason, utcnow
    from receptionist.jobs.sweeps import sweep

    from .drill_calls import HttpCall
    from .test_voice_webhooks import QUALIFIED

    with _drill_on_sqlite(tmp_path, monkeypatch) as (base, path, database, app):
        hung_up = HttpCall(base, f"CA{next(_phones):032x}", f"+12025551{next(_phones)}")
        hung_up.start()
        for inputs in QUALIFIED[:6]:  # the menu, the job and the first screening answers
            assert not hung_up.answer(inputs).apology
        with _write_locked(path):
            assert hung_up.status().status == 503
        container = app.extensions["container"]
        later = utcnow() + dt.timedelta(seconds=container.settings.call_silent_after_s + 1)
        monkeypatch.setattr("receptionist.jobs.sweeps.utcnow", lambda: later)
        live = HttpCall(base, f"CA{next(_phones):032x}", f"+12025551{next(_phones)}")
        live.start()
        live.answer(QUALIFIED[0])
        with database.transaction() as s:  # the live call answered a moment before the sweep
            s.execute(update(Conversation).filter_by(call_sid=live.sid).values(last_activity_at=later))
        assert sweep(container)["failed"] == []
        with database.transaction() as s:
            closed = s.scalars(select(Conversation).filter_by(call_sid=hung_up.sid)).one()
            assert (closed.status.value, closed.follow_up_reason) == ("abandoned", FollowUpReason.hung_up)
            assert closed.ended_at is not None and closed.application.screening_outcome.value == "incomplete"
            assert len(s.scalars(select(Answer).filter_by(conversation_id=closed.id)).all()) >= 2
            assert s.scalars(select(Conversation.status).filter_by(call_sid=live.sid)).one().value == "in_progress"
