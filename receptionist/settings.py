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
    TWILIO_API_BASE_URL  Send REST requests here instead of https://api.twilio.com (tests, mocks).
    LOG_MESSAGE_BODIES Development (no TWILIO_ACCOUNT_SID): "1" logs the texts' bodies;
                       default off (a body is personal data: only its length is logged).

Timers, in seconds (the defaults are in ``DEFAULTS_S``):
    CONFIRMATION_REMINDER_AFTER_S  no reply to the confirmation text: one reminder; 3600.
    CONFIRMATION_EXPIRES_AFTER_S   still no reply: marked unconfirmed and flagged; 86400.
    SMS_NUDGE_AFTER_S  silence in an SMS screening before one nudge; 14400.
    SMS_EXPIRES_AFTER_S  silence after which an SMS screening expires; 259200.
    SWEEP_INTERVAL_S   between runs of the periodic job (reminders, nudges, expiry, the
                       outbox reconciler); 30.
"""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
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


# The timers' defaults, in seconds; the environment variable is the name in capitals.
DEFAULTS_S = {
    "confirmation_reminder_after_s": 3600,
    "confirmation_expires_after_s": 86400,
    "sms_nudge_after_s": 14400,
    "sms_expires_after_s": 259200,
    "sweep_interval_s": 30,
}


def _seconds(name: str, default: int) -> int:
    """A positive whole number of seconds from ``name``; raises ValueError naming the variable."""
    raw = os.environ.get(name)
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a whole number of seconds, not {raw!r}") from None
    if value <= 0:
        raise ValueError(f"{name} must be positive, not {value}")
    return value


@dataclass(frozen=True)
class Settings:
    """Resolved configuration. Build with :meth:`from_env`; tests pass overrides."""

    database_url: str
    redis_url: str | None
    twilio_account_sid: str | None
    twilio_auth_token: str
    public_base_url: str | None
    instance_path: Path
    twilio_api_base_url: str | None = None
    log_message_bodies: bool = False
    confirmation_reminder_after_s: int = DEFAULTS_S["confirmation_reminder_after_s"]
    confirmation_expires_after_s: int = DEFAULTS_S["confirmation_expires_after_s"]
    sms_nudge_after_s: int = DEFAULTS_S["sms_nudge_after_s"]
    sms_expires_after_s: int = DEFAULTS_S["sms_expires_after_s"]
    sweep_interval_s: int = DEFAULTS_S["sweep_interval_s"]

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
            twilio_api_base_url=os.environ.get("TWILIO_API_BASE_URL") or None,
            log_message_bodies=os.environ.get("LOG_MESSAGE_BODIES", "").strip().lower() in ("1", "true", "yes"),
            **{name: _seconds(name.upper(), default) for name, default in DEFAULTS_S.items()},
        )
        values.update(overrides)
        return cls(**values)
