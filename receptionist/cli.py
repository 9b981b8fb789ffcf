"""Command line: ``flask --app app <command>``.

    db upgrade               run the migrations
    load-company FILE.yaml   create or update a company (idempotent)
    serve                    migrate, load the sample company if the database is empty, serve
    call                     the phone simulator (see receptionist/simulator.py)
"""
from __future__ import annotations

import logging
from pathlib import Path

import click
import yaml
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select

from .models import Company
from .services.company import CompanyFileError, load_company
from .settings import PROJECT_ROOT

SAMPLE_COMPANY = PROJECT_ROOT / "examples" / "acme-staffing.yaml"
log = logging.getLogger(__name__)

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
        with current_app.extensions["db"].transaction() as session:
            return str(load_company(session, data or {}))
    except CompanyFileError as exc:
        raise click.ClickException(f"{path}: {exc}") from exc


@click.command("load-company")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def load_company_command(path: Path) -> None:
    """Create or update the company in PATH (YAML); loading it twice changes nothing."""
    click.echo(f"{path}: {load_company_file(path)}")


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@with_appcontext
def serve_command(host: str, port: int) -> None:
    """Run the service: migrate, load the sample company into an empty database, serve HTTP."""
    import waitress

    app = current_app._get_current_object()
    app.extensions["db"].upgrade()
    with app.extensions["db"].transaction() as session:
        empty = session.scalars(select(Company).limit(1)).first() is None
    if empty:
        click.echo(f"empty database: loading the sample company {SAMPLE_COMPANY.name}: "
                   f"{load_company_file(SAMPLE_COMPANY)}")
    settings = app.config["SETTINGS"]
    click.echo(f"Receptionist on http://{host}:{port}  (database {settings.database_url.split('://')[0]}, "
               f"signatures checked against {settings.public_base_url or 'the request URL'})")
    click.echo("Try a call:  flask --app app call   (or --script examples/calls/qualified.txt)")
    waitress.serve(app, host=host, port=port, threads=8, ident="receptionist")


def register(app: Flask) -> None:
    """Attach the commands to ``app.cli``."""
    app.cli.add_command(db_group)
    app.cli.add_command(load_company_command)
    app.cli.add_command(serve_command)
    from .simulator import call_command
    app.cli.add_command(call_command)
