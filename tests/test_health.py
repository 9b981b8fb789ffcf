"""``GET /healthz`` and ``flask --app app health``: each component reported, every probe
bounded, only the database makes /healthz non-200. Real Redis (REDIS_URL, else the embedded
server), real RQ worker registry, SQLite and PostgreSQL."""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import sqlite3
import time

import pytest
from rq import Worker

from receptionist import bootstrap
from receptionist.adapters import queue as rq_queue
from receptionist.adapters.models import OutboxItem, OutboxStatus, utcnow
from receptionist.jobs.sweeps import sweep
from receptionist.services.health import OUTBOX_STUCK_AFTER_S

COMPONENTS = ["database", "redis", "worker", "cron", "outbox", "sms"]


@pytest.fixture
def clean_redis(settings):
    conn = rq_queue.connection(settings)
    conn.delete(rq_queue.SWEEP_STAMP_KEY)
    for worker in Worker.all(connection=conn):
        worker.register_death()
    return conn


@pytest.fixture
def worker(clean_redis, settings):
    """A worker in RQ's registry, with a fresh heartbeat, as ``flask --app app worker`` is."""
    w = Worker([rq_queue.QUEUE_NAME], connection=clean_redis)
    w.register_birth()
    yield w
    w.register_death()


def healthz(app) -> tuple[int, dict]:
    response = app.test_client().get("/healthz")
    return response.status_code, response.get_json()


def by_component(body: dict) -> dict:
    return {c["component"]: c for c in body["checks"]}


def test_a_fresh_install_without_worker_or_cron_is_degraded_but_answers_200(app, clean_redis):
    code, body = healthz(app)
    assert code == 200 and body["status"] == "degraded"
    checks = by_component(body)
    assert list(checks) == COMPONENTS
    assert checks["database"]["ok"] and checks["redis"]["ok"] and checks["outbox"]["ok"]
    assert not checks["worker"]["ok"] and "no RQ worker" in checks["worker"]["detail"]
    assert not checks["cron"]["ok"] and "no sweep" in checks["cron"]["detail"]


def test_everything_running_is_ok_and_the_command_exits_0(app, container, worker):
    sweep(container)  # what the cron makes the worker run every SWEEP_INTERVAL_S
    code, body = healthz(app)
    assert (code, body["status"]) == (200, "ok"), body
    result = app.test_cli_runner().invoke(args=["health"])
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert result.exit_code == 0 and [line["component"] for line in lines] == COMPONENTS
    assert all(line["ok"] for line in lines)


def test_a_stale_heartbeat_an_old_sweep_and_a_stuck_outbox_row_are_reported(app, container, worker, db):
    long_ago = utcnow() - dt.timedelta(hours=1)
    worker.last_heartbeat = long_ago
    worker.connection.hset(worker.key, "last_heartbeat", long_ago.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
    rq_queue.mark_swept(container.settings, long_ago)
    with db.transaction() as s:
        s.add(OutboxItem(kind="sms", purpose="confirmation", idempotency_key="stuck", payload={},
                         status=OutboxStatus.pending, created_at=utcnow() - dt.timedelta(seconds=OUTBOX_STUCK_AFTER_S + 60)))
    code, body = healthz(app)
    checks = by_component(body)
    assert code == 200 and body["status"] == "degraded"  # texts wait; calls are still answered
    assert [name for name, c in checks.items() if not c["ok"]] == ["worker", "cron", "outbox"]
    assert checks["outbox"]["age_s"] >= OUTBOX_STUCK_AFTER_S + 60
    result = app.test_cli_runner().invoke(args=["health"])
    assert result.exit_code == 1


def test_redis_unreachable_is_degraded_not_down(db, tmp_path, settings):
    unreachable = dataclasses.replace(settings, redis_url="redis://127.0.0.1:1/0")  # nothing listens on port 1
    app = bootstrap.create_app(container=bootstrap.build(unreachable, database=db))
    code, body = healthz(app)
    checks = by_component(body)
    assert code == 200 and body["status"] == "degraded"
    assert checks["database"]["ok"] and checks["outbox"]["ok"]
    assert not checks["redis"]["ok"] and "ConnectionError" in checks["redis"]["detail"]


def test_a_database_that_does_not_answer_makes_healthz_503_without_hanging(app, db):
    if not db.url.startswith("sqlite"):
        pytest.skip("PostgreSQL stopped and frozen: test_db_faults.py, the drill")
    holder = sqlite3.connect(db.engine.url.database, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        start = time.monotonic()
        code, body = healthz(app)
        waited = time.monotonic() - start
    finally:
        holder.rollback()
        holder.close()
    checks = by_component(body)
    assert code == 503 and body["status"] == "down"
    assert not checks["database"]["ok"] and checks["database"]["critical"]
    assert "no answer within" in checks["database"]["detail"]
    assert waited < 10  # the webhook bound (DESIGN.md); the probe gives up after ~2 s
    assert healthz(app)[0] == 200  # the lock gone, healthy again


@pytest.mark.parametrize("revision,detail", [
    (None, "no schema (the migrations never ran): run flask --app app db upgrade"),
    ("0009_candidate_list", "schema at revision 0009_candidate_list, this code needs 0012_posting_also_called: "
                            "run flask --app app db upgrade"),
])
def test_a_database_not_migrated_makes_healthz_503_naming_the_command(tmp_path, settings, revision, detail):
    # Before: "SELECT 1 answered", 200, while every webhook failed for want of its tables.
    from receptionist.adapters.db import Database

    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    database = Database(url)
    try:
        if revision:
            database.upgrade(revision)
        app = bootstrap.create_app(container=bootstrap.build(dataclasses.replace(settings, database_url=url),
                                                             database=database))
        code, body = healthz(app)
        assert code == 503 and by_component(body)["database"] == {
            "component": "database", "ok": False, "critical": True, "detail": detail, "age_s": None}
        database.upgrade()
        code, body = healthz(app)
        assert by_component(body)["database"]["ok"] and by_component(body)["database"]["detail"] == "SELECT 1 answered"
    finally:
        database.dispose()


def test_a_health_check_writes_nothing_to_the_log(app, caplog):
    # Before: each /healthz logged Alembic's "Context impl ..." and "Will assume ... DDL" at
    # INFO (the revision read through MigrationContext): a load balancer's check every few
    # seconds buried the calls in the web log.
    caplog.set_level("INFO")
    for _ in range(3):
        assert healthz(app)[0] == 200
    assert [r.getMessage() for r in caplog.records if r.levelno < 30] == []


@pytest.mark.parametrize("env,ok,detail", [
    ({}, True, "development: texts are logged, not sent"),
    (dict(twilio_account_sid="AC" + "1" * 32, twilio_auth_token_from_env=True,
          public_base_url="https://jobs.example.com"), True, "sent with Twilio's REST API"),
    (dict(twilio_auth_token_from_env=True), False,
     "texts are logged, not sent: TWILIO_ACCOUNT_SID is unset (TWILIO_AUTH_TOKEN is set)"),
    (dict(twilio_auth_token_from_env=True, public_base_url="https://jobs.example.com"), False,
     "texts are logged, not sent: TWILIO_ACCOUNT_SID is unset (TWILIO_AUTH_TOKEN and PUBLIC_BASE_URL are set)"),
], ids=["development", "twilio", "token without account", "deployed without account"])
def test_a_deployment_whose_texts_are_only_logged_is_reported(settings, db, caplog, env, ok, detail):
    # Before: a service deployed with TWILIO_AUTH_TOKEN and PUBLIC_BASE_URL but no
    # TWILIO_ACCOUNT_SID logged each text as "development, not sent", marked it sent, and
    # health said ok: candidates got no text and nothing told the operator.
    caplog.set_level("WARNING", logger="receptionist.bootstrap")
    app = bootstrap.create_app(container=bootstrap.build(dataclasses.replace(settings, **env), database=db))
    code, body = healthz(app)
    assert code == 200 and by_component(body)["sms"] == {
        "component": "sms", "ok": ok, "critical": False, "detail": detail, "age_s": None}
    warnings = [r.getMessage() for r in caplog.records if r.name == "receptionist.bootstrap"]
    assert warnings == ([] if ok else [detail])
