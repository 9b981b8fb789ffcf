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
    SECRET_KEY         Signs the recruiter pages' session cookies; unset means a key generated
                       once into ``instance/secret-key`` (0600), shared by every worker.
    SESSION_LIFETIME_S A recruiter's session ends this long after sign-in; 28800 (8 hours).
    TRUSTED_PROXY_HOPS Reverse proxies in front of the app that set X-Forwarded-For (0: none);
                       the sign-in lockout counts per client address, so set it behind a proxy.
    INTERVIEW_PLATFORM_URL, INTERVIEW_PLATFORM_API_KEY  The interview platform (the seeds' API,
                       e.g. ``https://api.heymilo.network/api``): invites go there when both are set.
    INTERVIEW_WEBHOOK_URL, INTERVIEW_WEBHOOK_SECRET  Else the generic driver: invites POSTed as
                       signed JSON to this URL. Neither: a built-in stand-in issues local links.
    LOG_MESSAGE_BODIES Development (no TWILIO_ACCOUNT_SID): "1" logs the texts' bodies;
                       default off (a body is personal data: only its length is logged).
    WORKER_PROCESSES   RQ workers ``serve`` starts (each runs one job at a time); default 2.

Timers, in seconds (the defaults are in ``DEFAULTS_S``):
    CONFIRMATION_REMINDER_AFTER_S  no reply to the confirmation text: one reminder; 3600.
    CONFIRMATION_EXPIRES_AFTER_S   still no reply: marked unconfirmed and flagged; 86400.
    SMS_NUDGE_AFTER_S  silence in an SMS screening before one nudge; 14400.
    SMS_EXPIRES_AFTER_S  silence after which an SMS screening expires; 259200.
    API_RATE_LIMIT_PER_MIN  recruiter API requests one key may make per minute (600); counted
                       in Redis so every web worker shares the count.
    SWEEP_INTERVAL_S   between runs of the periodic job (reminders, nudges, expiry, the
                       outbox reconciler); 30.
    ATS_SYNC_INTERVAL_S  between refreshes of the ATS mirrors (Greenhouse); 900.
    SQLITE_BUSY_TIMEOUT_S, DB_CONNECT_TIMEOUT_S, DB_STATEMENT_TIMEOUT_S, DB_LOCK_TIMEOUT_S,
    DB_POOL_TIMEOUT_S  Seconds the database may keep a request waiting (defaults 3, 2, 3, 2,
                       2: a webhook answers within 10 s); see ``receptionist.adapters.db``.
"""
from __future__ import annotations

import logging
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
log = logging.getLogger(__name__)
_warned: set[Path] = set()  # folders already warned about, once per process


def instance_path() -> Path:
    """The folder for local state (SQLite file, embedded Redis, dev token), created 0700 on
    demand. An existing folder is left as it is (INSTANCE_PATH may name a shared one), with a
    warning when others can read it."""
    path = Path(os.environ.get("INSTANCE_PATH") or PROJECT_ROOT / "instance").resolve()
    if not path.is_dir():
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
    elif path.stat().st_mode & 0o077 and path not in _warned:
        _warned.add(path)
        log.warning("%s is open to other users (mode %o); chmod 700 it: it holds personal data "
                    "and the development auth token", path, path.stat().st_mode & 0o777)
    return path


def restrict_to_owner(path: Path) -> bool:
    """Tighten an existing file that group or others may read to 0600, with a warning.
    Returns True when it changed the mode; a missing file is left alone."""
    try:
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError:
        return False
    if not mode & 0o077:
        return False
    path.chmod(0o600)
    log.warning("%s was readable by other users (mode %o); now 0600", path, mode)
    return True


def local_auth_token() -> str:
    """The development Twilio auth token: ``instance/dev-auth-token``, created on first use,
    readable by its owner only (0600 from the start; a looser existing file is tightened).

    Only used when ``TWILIO_AUTH_TOKEN`` is unset, so the local server and the simulator
    sign and check requests with the same secret without anything entering the repo.
    """
    return local_secret("dev-auth-token")


def local_secret(name: str, folder: Path | None = None) -> str:
    """A random secret (32 hex digits) kept in ``folder/name`` (default: the instance folder),
    created on first use readable by its owner only; a looser existing file is tightened.
    Every process (web workers, RQ worker, simulator) reads the same one."""
    secret_file = (folder or instance_path()) / name
    if restrict_to_owner(secret_file) or secret_file.exists():
        return secret_file.read_text().strip()
    # Written in full under a private name, then linked into place: a process starting at
    # the same moment (web and worker) sees no file or a whole one, and one secret wins.
    draft = secret_file.with_name(f".{name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(draft, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    try:
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_hex(16))
        os.link(draft, secret_file)
    except FileExistsError:
        pass
    finally:
        draft.unlink()
    return secret_file.read_text().strip()


# The timers' defaults, in seconds; the environment variable is the name in capitals.
DEFAULTS_S = {
    "confirmation_reminder_after_s": 3600,
    "confirmation_expires_after_s": 86400,
    "sms_nudge_after_s": 14400,
    "sms_expires_after_s": 259200,
    "call_silent_after_s": 1800,  # a call in progress without caller input this long lost its status callback
    "sweep_interval_s": 30,
    "ats_sync_interval_s": 900,  # refreshing the ATS mirrors (Greenhouse)
}


@dataclass(frozen=True)
class SpeechSettings:
    """How a receptionist's ``<Gather>`` listens: the ``speech`` block of an agent in the
    company YAML, e.g. ``speech: {model: googlev2_telephony, speech_timeout: 2}``.

    Source: Twilio, "TwiML Voice: <Gather>" (speechModel, speechTimeout, timeout) and warning
    13335 ("use a positive integer for speechTimeout whenever you set speechModel"). Since its
    2025 speech-to-text update Twilio offers: no speechModel (Twilio picks the provider and
    fails over; the default here, with ``speechTimeout="auto"``), a generic model with a
    language, or a named provider model (Google STT V2, Deepgram).

    model: Twilio's ``speechModel`` ("googlev2_telephony", "deepgram_nova-3", ...); None: unset.
    speech_timeout: ``"auto"`` (Twilio ends on the caller's pause; only without a model) or
        whole seconds of silence after speech that end it.
    timeout_s: whole seconds to wait for the first sound or key (``timeout``).
    min_confidence: Twilio's ``Confidence`` (0.0-1.0) below which a scored answer is read
        back to the caller before it counts (``engine.flow``).
    """

    model: str | None = None
    speech_timeout: str | int = "auto"
    timeout_s: int = 5
    min_confidence: float = 0.5

    @classmethod
    def parse(cls, data) -> "SpeechSettings":
        """The settings in ``data`` (a mapping, or None for the defaults). Raises ValueError
        naming the key, e.g. for ``speech_timeout: auto`` together with a ``model``."""
        if data is None:
            return cls()
        if not isinstance(data, dict):
            raise ValueError("expected a mapping (model, speech_timeout, timeout_s, min_confidence)")
        unknown = set(data) - {"model", "speech_timeout", "timeout_s", "min_confidence"}
        if unknown:
            raise ValueError(f"unknown {', '.join(sorted(map(str, unknown)))} "
                             "(use model, speech_timeout, timeout_s, min_confidence)")
        model = data.get("model")
        if model is not None and not (isinstance(model, str) and _SPEECH_MODEL.fullmatch(model)):
            raise ValueError(f"model: {model!r} is not a Twilio speechModel name (e.g. googlev2_telephony)")
        timeout = data.get("speech_timeout", "auto")
        if timeout != "auto" and not _positive_int(timeout):
            raise ValueError(f"speech_timeout: auto or a positive whole number of seconds, not {timeout!r}")
        if timeout == "auto" and model is not None:
            raise ValueError(f"speech_timeout: auto cannot be used with model {model!r} (Twilio warning 13335); "
                             "give a whole number of seconds, e.g. speech_timeout: 2, or remove the model")
        first = data.get("timeout_s", cls.timeout_s)
        if not _positive_int(first):
            raise ValueError(f"timeout_s: a positive whole number of seconds, not {first!r}")
        least = data.get("min_confidence", cls.min_confidence)
        if isinstance(least, bool) or not isinstance(least, (int, float)) or not 0.0 <= least <= 1.0:
            raise ValueError(f"min_confidence: a number from 0.0 to 1.0, not {least!r}")
        return cls(model, timeout, first, float(least))

    def as_dict(self) -> dict:
        """The settings as stored (``agents.speech``), read back by :meth:`parse`."""
        return {"model": self.model, "speech_timeout": self.speech_timeout, "timeout_s": self.timeout_s,
                "min_confidence": self.min_confidence}


_SPEECH_MODEL = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")


def _positive_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _seconds(name: str, default: int, unit: str = "seconds", minimum: int = 1, maximum: int | None = None) -> int:
    """A whole number (of ``unit``, at least ``minimum``: positive by default, at most
    ``maximum``) from ``name``; raises ValueError naming the variable."""
    raw = os.environ.get(name)
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a whole number of {unit}, not {raw!r}") from None
    if value < minimum:
        if minimum == 1:
            raise ValueError(f"{name} must be a positive whole number of {unit}, not {value}")
        raise ValueError(f"{name} must be a whole number of {unit}, at least {minimum}, not {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be at most {maximum} {unit}, not {value}")
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
    twilio_auth_token_from_env: bool = False  # TWILIO_AUTH_TOKEN set (not the development token)
    # RECEPTIONIST_URL: where this service answers on this machine (the simulators' --url; serve
    # sets it for its children): the local interview stand-in's links, without PUBLIC_BASE_URL.
    local_base_url: str | None = None
    log_message_bodies: bool = False
    confirmation_reminder_after_s: int = DEFAULTS_S["confirmation_reminder_after_s"]
    confirmation_expires_after_s: int = DEFAULTS_S["confirmation_expires_after_s"]
    sms_nudge_after_s: int = DEFAULTS_S["sms_nudge_after_s"]
    sms_expires_after_s: int = DEFAULTS_S["sms_expires_after_s"]
    call_silent_after_s: int = DEFAULTS_S["call_silent_after_s"]
    sweep_interval_s: int = DEFAULTS_S["sweep_interval_s"]
    worker_processes: int = 2
    secret_key: str | None = None  # None: generated into the instance folder (web.dashboard)
    session_lifetime_s: int = 8 * 3600
    trusted_proxy_hops: int = 0
    interview_platform_url: str | None = None
    interview_platform_api_key: str | None = None
    interview_webhook_url: str | None = None
    interview_webhook_secret: str | None = None
    ats_sync_interval_s: int = DEFAULTS_S["ats_sync_interval_s"]
    api_rate_limit_per_min: int = 600
    # How long an outbox job waits after its enqueue before it reads the rows committed since
    # (jobs.outbox.run_items): the commits of that moment share the job. 0: no wait. At most
    # 2000: texts are due within seconds, and the commit count it relies on lives 10 s.
    outbox_batch_window_ms: int = 200

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
            twilio_auth_token_from_env=bool(os.environ.get("TWILIO_AUTH_TOKEN")),
            local_base_url=(os.environ.get("RECEPTIONIST_URL") or "").rstrip("/") or None,
            log_message_bodies=os.environ.get("LOG_MESSAGE_BODIES", "").strip().lower() in ("1", "true", "yes"),
            interview_platform_url=(os.environ.get("INTERVIEW_PLATFORM_URL") or "").rstrip("/") or None,
            interview_platform_api_key=os.environ.get("INTERVIEW_PLATFORM_API_KEY") or None,
            interview_webhook_url=os.environ.get("INTERVIEW_WEBHOOK_URL") or None,
            interview_webhook_secret=os.environ.get("INTERVIEW_WEBHOOK_SECRET") or None,
            **{name: _seconds(name.upper(), default) for name, default in DEFAULTS_S.items()},
            worker_processes=_seconds("WORKER_PROCESSES", 2, unit="processes"),
            secret_key=os.environ.get("SECRET_KEY") or None,
            session_lifetime_s=_seconds("SESSION_LIFETIME_S", 8 * 3600),
            trusted_proxy_hops=int(os.environ.get("TRUSTED_PROXY_HOPS") or 0),
            api_rate_limit_per_min=_seconds("API_RATE_LIMIT_PER_MIN", 600, unit="requests a minute"),
            outbox_batch_window_ms=_seconds("OUTBOX_BATCH_WINDOW_MS", 200, unit="milliseconds",
                                            minimum=0, maximum=2000),
        )
        values.update(overrides)
        return cls(**values)

    def texts_not_sent(self) -> str | None:
        """Why texts are only logged although Twilio points at this service, or None: without
        ``TWILIO_ACCOUNT_SID`` the development sender logs each text and marks it sent, which
        a deployment given ``TWILIO_AUTH_TOKEN`` or ``PUBLIC_BASE_URL`` (a real number's
        webhooks) never means: its candidates would get no text while the pages say sent."""
        if self.twilio_account_sid:
            return None
        given = [name for name, on in (("TWILIO_AUTH_TOKEN", self.twilio_auth_token_from_env),
                                       ("PUBLIC_BASE_URL", self.public_base_url)) if on]
        if not given:
            return None
        return (f"texts are logged, not sent: TWILIO_ACCOUNT_SID is unset ({' and '.join(given)} "
                f"{'is' if len(given) == 1 else 'are'} set)")
