"""Shared fixtures: real databases built by the migrations, the app, signed Twilio requests.

Databases: SQLite always; PostgreSQL too when ``TEST_POSTGRES_URL`` is set (``.ci/run``
starts a server and sets it). Tests that take the ``db`` fixture run on each backend.
"""
from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from sqlalchemy import text
from twilio.request_validator import RequestValidator

from receptionist.adapters import redis_server
from receptionist.adapters.db import Database
from receptionist.adapters.models import Base
from receptionist.settings import Settings
from receptionist import bootstrap


def pytest_configure(config):
    """A SIGTERM (a CI timeout, ``kill``) ends the run as Ctrl-C does, so pytest still tears
    the fixtures down and the servers tests start (a private PostgreSQL cluster started with
    pg_ctl, redis-server, HTTP fakes) do not outlive it: Python's default for SIGTERM is to
    exit at once, running no ``finally``."""
    signal.signal(signal.SIGTERM, _interrupted)


def _interrupted(signum, frame):
    raise KeyboardInterrupt(f"stopped by signal {signum}")


ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "examples" / "acme-staffing.yaml"
AUTH_TOKEN = "test-auth-token-0123456789abcdef"
BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_POSTGRES_URL") else [])


@pytest.fixture(scope="session", autouse=True)
def _no_embedded_redis_left():
    """A test run leaves no embedded Redis server behind: the one this process started (a
    test's ``redis_url`` without REDIS_URL) stops with the session (and atexit, as a net)."""
    yield
    redis_server.stop_embedded()


@pytest.fixture(scope="session")
def _migrated(tmp_path_factory):
    """One migrated database per backend for the whole session (tables emptied per test)."""
    urls = {"sqlite": f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"}
    if "postgresql" in BACKENDS:
        urls["postgresql"] = os.environ["TEST_POSTGRES_URL"]
    dbs = {}
    for name, url in urls.items():
        database = Database(url)
        if name == "postgresql":
            with database.engine.begin() as conn:  # start from nothing: the migrations build it all
                conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        database.upgrade()
        dbs[name] = database
    yield dbs
    for database in dbs.values():
        database.dispose()


def _empty(database: Database) -> None:
    with database.engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture(params=BACKENDS)
def db(request, _migrated) -> Database:
    """An empty, migrated database (SQLite, and PostgreSQL when configured)."""
    database = _migrated[request.param]
    _empty(database)
    return database


@pytest.fixture
def settings(db, tmp_path) -> Settings:
    # outbox_batch_window_ms=0: a test's job runs as soon as the test runs the worker
    # (tests/test_outbox_drain.py tests the window).
    return Settings(database_url=db.url, redis_url=os.environ.get("REDIS_URL"), twilio_account_sid=None,
                    twilio_auth_token=AUTH_TOKEN, public_base_url=None, instance_path=tmp_path,
                    outbox_batch_window_ms=0)


@pytest.fixture
def container(settings, db) -> bootstrap.Container:
    """The composition root's container on the test database (the session-wide engine)."""
    return bootstrap.build(settings, database=db)


@pytest.fixture
def app(container):
    application = bootstrap.create_app(container=container)
    application.config["TESTING"] = True
    return application


@pytest.fixture
def sample_company(app):
    """The sample company (examples/acme-staffing.yaml) loaded through the CLI."""
    result = app.test_cli_runner().invoke(args=["load-company", str(SAMPLE)])
    assert result.exit_code == 0, result.output
    return result


def twilio_signature(url: str, params: dict, token: str = AUTH_TOKEN) -> str:
    """``X-Twilio-Signature`` for a POST of ``params`` to ``url``, as Twilio computes it."""
    return RequestValidator(token).compute_signature(url, params)


class TwilioClient:
    """Posts webhooks to the app signed exactly as Twilio signs them."""

    def __init__(self, client, base_url: str = "http://localhost", token: str = AUTH_TOKEN):
        self.client, self.base_url, self.token = client, base_url, token

    def post(self, path: str, params: dict, token: str | None = None, signature: str | None = None):
        url = self.base_url + path
        sig = signature if signature is not None else twilio_signature(url, params, token or self.token)
        return self.client.post(path, data=params, headers={"X-Twilio-Signature": sig},
                                base_url=self.base_url)


@pytest.fixture
def twilio(app) -> TwilioClient:
    return TwilioClient(app.test_client())


def call_params(call_sid: str, from_number: str = "+12025550123", to: str = "+12025550100", **extra) -> dict:
    """Twilio's voice webhook fields (Twilio, "Twilio's request to your application")."""
    params = {"CallSid": call_sid, "AccountSid": "AC" + "0" * 32, "From": from_number, "To": to,
              "Caller": from_number, "Called": to, "CallStatus": "in-progress", "Direction": "inbound",
              "ApiVersion": "2010-04-01", "FromCountry": "US", "ToCountry": "US"}
    params.update({k: v for k, v in extra.items() if v is not None})
    return params
