"""Commands for the database and company data: ``db upgrade``, ``load-company``."""
from __future__ import annotations

from pathlib import Path

import click
import yaml
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from receptionist.services.company import CompanyFileError, load_company

db_group = AppGroup("db", help="Database schema (Alembic migrations).")


@db_group.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Migrate the database to REVISION (default: the newest)."""
    current_app.extensions["db"].upgrade(revision)
    click.echo(f"database at {revision}")


def load_company_file(path: Path) -> str:
    """Load ``path`` in one transaction; returns the report. Raises click.ClickException."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise click.ClickException(f"cannot read {path}: {exc}") from exc
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
