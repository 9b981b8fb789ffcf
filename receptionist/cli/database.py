"""Commands for the database and company data: ``db upgrade``, ``load-company``."""
from __future__ import annotations

from pathlib import Path

import os

import click
import yaml
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select

from receptionist.adapters.db import schema_behind
from receptionist.adapters.models import Company
from receptionist.services.company import CompanyFileError, load_company
from receptionist.settings import PROJECT_ROOT

SAMPLE_COMPANY = PROJECT_ROOT / "examples" / "acme-staffing.yaml"

db_group = AppGroup("db", help="Database schema (Alembic migrations).")


@db_group.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Migrate the database to REVISION (default: the newest)."""
    current_app.extensions["db"].upgrade(revision)
    click.echo(f"database at {revision}")


@db_group.command("prepare")
@click.option("--sample/--no-sample", default=None,
              help="Load the sample company into an empty database (default: only with the embedded "
                   "defaults, DATABASE_URL unset).")
def db_prepare(sample: bool | None) -> None:
    """Migrate to the newest revision and, with the embedded defaults, load the sample company
    into an empty database: what `make run` does before serving, and gunicorn started in the
    project folder too (gunicorn.conf.py)."""
    sample = not os.environ.get("DATABASE_URL") if sample is None else sample
    click.echo(prepare_database(sample))


def prepare_database(sample_if_empty: bool) -> str:
    """Migrate the app's database to the newest revision; then, when ``sample_if_empty`` and no
    company exists, load ``examples/acme-staffing.yaml``. Returns what was done, one line.
    Raises click.ClickException when the sample does not load, and the database's errors."""
    current_app.extensions["db"].upgrade()
    if not sample_if_empty:
        return "database at the newest revision"
    with current_app.extensions["db"].transaction() as session:
        empty = session.scalars(select(Company).limit(1)).first() is None
    if not empty:
        return "database at the newest revision; a company is loaded"
    return (f"database at the newest revision; empty: loaded the sample company {SAMPLE_COMPANY.name}: "
            f"{load_company_file(SAMPLE_COMPANY)}")


def load_company_file(path: Path) -> str:
    """Load ``path`` in one transaction; returns the report. Raises click.ClickException, also
    when the database's schema is behind this code's (naming ``db upgrade``; before, an
    unmigrated database answered with SQLAlchemy's traceback, e.g. relation "companies" does
    not exist, and a release's new columns with "column ... does not exist")."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise click.ClickException(f"cannot read {path}: {exc}") from exc
    with current_app.extensions["db"].engine.connect() as conn:
        behind = schema_behind(conn)
    if behind:
        raise click.ClickException(f"{path} not loaded: the database has {behind}")
    try:
        return str(current_app.extensions["container"].uow.run(lambda session: load_company(session, data or {})))
    except CompanyFileError as exc:
        raise click.ClickException(f"{path}: {exc}") from exc


@click.command("load-company")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def load_company_command(path: Path) -> None:
    """Create or update the company in PATH (YAML); loading it twice changes nothing."""
    click.echo(f"{path}: {load_company_file(path)}")


def register(app: Flask) -> None:
    """Attach ``db`` and ``load-company`` to ``app.cli``."""
    app.cli.add_command(db_group)
    app.cli.add_command(load_company_command)
