"""``flask --app app db prepare``: what ``make run`` and gunicorn (gunicorn.conf.py) do before
serving: migrate, and with the embedded defaults load the sample company into an empty
database, never into one that has a company or one named by DATABASE_URL."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent


def prepare(env: dict, *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "db", "prepare", *args], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout.strip().splitlines()[-1]


def companies(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(text("SELECT slug FROM companies")).scalars())
    finally:
        engine.dispose()


def _env(tmp_path: Path, **extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    return {**env, "INSTANCE_PATH": str(tmp_path / "instance"), **extra}


def test_embedded_defaults_get_the_sample_company_once(tmp_path):
    env = _env(tmp_path)
    assert "loaded the sample company acme-staffing.yaml" in prepare(env)
    assert prepare(env) == "database at the newest revision; a company is loaded"
    assert companies(f"sqlite:///{tmp_path / 'instance' / 'receptionist.db'}") == ["acme-staffing"]


def test_a_database_named_by_database_url_is_migrated_only_unless_asked(tmp_path):
    url = f"sqlite:///{tmp_path / 'prod.db'}"
    assert prepare(_env(tmp_path, DATABASE_URL=url)) == "database at the newest revision"
    assert companies(url) == []
    assert "loaded the sample company" in prepare(_env(tmp_path, DATABASE_URL=url), "--sample")


def flask(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flask", "--app", "app", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_loading_a_company_into_a_database_not_migrated_names_the_command(tmp_path):
    # Before: SQLAlchemy's traceback, 'no such table: companies' (PostgreSQL: relation
    # "companies" does not exist), or a release's new column missing after an upgrade of the code.
    url = f"sqlite:///{tmp_path / 'prod.db'}"
    env = _env(tmp_path, DATABASE_URL=url)
    sample = str(ROOT / "examples" / "acme-staffing.yaml")
    for revision, says in [(None, "no schema (the migrations never ran)"),
                           ("0009_candidate_list", "schema at revision 0009_candidate_list")]:
        if revision:
            assert flask(env, "db", "upgrade", revision).returncode == 0
        done = flask(env, "load-company", sample)
        assert done.returncode == 1 and "Traceback" not in done.stderr
        assert f"not loaded: the database has {says}" in done.stderr
        assert "run flask --app app db upgrade" in done.stderr
    assert flask(env, "db", "upgrade").returncode == 0
    done = flask(env, "load-company", sample)
    assert done.returncode == 0 and companies(url) == ["acme-staffing"]
