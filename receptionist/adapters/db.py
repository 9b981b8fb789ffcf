"""Database engine, sessions and migrations (SQLAlchemy 2.0 + Alembic)."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from ..settings import PROJECT_ROOT

MIGRATIONS_DIR = PROJECT_ROOT / "migrations"


def make_engine(url: str) -> Engine:
    """An engine for ``url``. SQLite gets WAL and a busy timeout so the web server and the
    worker can share the file; PostgreSQL gets pre-ping so a dropped connection is replaced."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            # Let SQLAlchemy own transactions (pysqlite's own BEGIN handling breaks locking).
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):
            # BEGIN IMMEDIATE takes the write lock up front: two webhooks for the same call
            # are serialised instead of failing later with "database is locked".
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


class Database:
    """An engine plus a session factory; :meth:`transaction` is the unit of work."""

    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on any error."""
        with self.sessions() as session, session.begin():
            yield session

    def upgrade(self, revision: str = "head") -> None:
        """Run the Alembic migrations up to ``revision`` on this database."""
        command.upgrade(alembic_config(self.url), revision)

    def dispose(self) -> None:
        self.engine.dispose()


def alembic_config(url: str) -> Config:
    """An Alembic config for ``migrations/`` bound to ``url`` (no alembic.ini needed)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg
