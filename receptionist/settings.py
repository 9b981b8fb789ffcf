"""Settings from the environment, each with a working local default (twelve-factor).

Variables:
    DATABASE_URL       SQLAlchemy URL; default SQLite at ``instance/receptionist.db``.
    REDIS_URL          Redis URL; unset means an embedded Redis server under ``instance/``.
    TWILIO_ACCOUNT_SID Twilio account, for the REST client (SMS, recordings).
    TWILIO_AUTH_TOKEN  Twilio auth token: validates ``X-Twilio-Signature`` on webhooks.
                       Unset means a development token generated once under ``instance/``
                       and shared with the simulator (never use it behind a real number).
    PUBLIC_BASE_URL    The URL Twilio calls, e.g. ``https://jobs.example.com``; when set,
                       signatures are checked against it instead of the request URL, so
                       validation works behind a proxy or tunnel.
    INSTANCE_PATH      Where local state lives; default ``./instance``.
"""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def instance_path() -> Path:
    """The folder for local state (SQLite file, embedded Redis, dev token), created on demand."""
    path = Path(os.environ.get("INSTANCE_PATH") or PROJECT_ROOT / "instance").resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def local_auth_token() -> str:
    """The development Twilio auth token: ``instance/dev-auth-token``, created on first use.

    Only used when ``TWILIO_AUTH_TOKEN`` is unset, so the local server and the simulator
    sign and check requests with the same secret without anything entering the repo.
    """
    token_file = instance_path() / "dev-auth-token"
    if not token_file.exists():
        token_file.write_text(secrets.token_hex(16))
        token_file.chmod(0o600)
    return token_file.read_text().strip()


@dataclass(frozen=True)
class Settings:
    """Resolved configuration. Build with :meth:`from_env`; tests pass overrides."""

    database_url: str
    redis_url: str | None
    twilio_account_sid: str | None
    twilio_auth_token: str
    public_base_url: str | None
    instance_path: Path
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_env(cls, **overrides) -> "Settings":
        """Read the environment; keyword overrides win (used by tests)."""
        inst = instance_path()
        values = dict(
            database_url=os.environ.get("DATABASE_URL") or f"sqlite:///{inst / 'receptionist.db'}",
            redis_url=os.environ.get("REDIS_URL") or None,
            twilio_account_sid=os.environ.get("TWILIO_ACCOUNT_SID") or None,
            twilio_auth_token=os.environ.get("TWILIO_AUTH_TOKEN") or local_auth_token(),
            public_base_url=(os.environ.get("PUBLIC_BASE_URL") or "").rstrip("/") or None,
            instance_path=inst,
        )
        values.update(overrides)
        return cls(**values)
