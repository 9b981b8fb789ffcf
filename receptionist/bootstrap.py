"""The composition root: settings -> adapters -> the app, the jobs and the periodic sweeps.

The one place that knows which implementation serves each contract and that wires both
channels (voice in ``receptionist``, SMS in ``sms_screening``) into one service:

    build(settings)      -> Container   adapters, unit of work, outbox handlers, timers
    create_app(settings) -> Flask       the container, both channels' blueprints, the CLI
    current()            -> Container   the process's container, for RQ jobs (built from the
                                        environment once per process, again after a fork)
"""
from __future__ import annotations

import functools
import logging
import os
from dataclasses import dataclass, field
from typing import Any, Callable

from flask import Flask

from .adapters.ats import ATS
from .adapters.db import Database
from .adapters.interview import InterviewPlatform
from .adapters.interview_http import LocalInterview, PlatformInterview, SignedInterview
from .adapters.queue import enqueue_outbox_batch
from .adapters.sms import LogSmsSender, SmsSender, TwilioSmsSender
from .engine.vocabulary import OutboxKind
from .services.duplicates import CompanyATS
from .services.unit_of_work import UnitOfWork
from .settings import Settings, local_secret

log = logging.getLogger(__name__)

# A periodic timer: (session, settings, now) -> ids of outbox rows it wrote.
Timer = Callable[..., list[int]]


@dataclass
class Container:
    """Everything a use case, a job or a sweep needs, built once from :class:`Settings`."""

    settings: Settings
    database: Database
    uow: UnitOfWork
    sms: SmsSender
    ats: ATS | None  # None: each company's own ATS (``ats_for``); a test's fake serves every company
    interview: InterviewPlatform
    outbox_handlers: dict[str, Callable[..., Any]] = field(default_factory=dict)
    sweeps: list[Timer] = field(default_factory=list)
    ats_cache: dict[tuple, ATS] = field(default_factory=dict)


def ats_for(container: Container, company: "CompanyATS") -> ATS:
    """The ATS of ``company`` as its YAML ``ats:`` block configures it (built once per process
    and configuration): built-in, Greenhouse Harvest v3 (lookups from the mirror) or Bullhorn.
    Credentials are read from the environment variables the block names; a missing one raises
    a retryable ATSError naming the variable (fix the environment; the job retries)."""
    if container.ats is not None:
        return container.ats
    key = (company.slug, repr(sorted(company.config.items())), company.region)
    if key not in container.ats_cache:
        container.ats_cache[key] = _build_ats(container.database, company)
    return container.ats_cache[key]


def _build_ats(database: Database, company: "CompanyATS") -> ATS:
    from .adapters.ats import ATSError
    from .adapters.ats_builtin import BuiltinATS, RecordStore

    config = company.config
    kind = config.get("kind", "builtin")
    if kind == "builtin":
        return BuiltinATS(database, company.slug)
    secrets = {}
    for name, env in (config.get("credentials_env") or {}).items():
        if not os.environ.get(env):
            raise ATSError(f"{kind} ATS of {company.slug}: environment variable {env} ({name}) is not set",
                           retryable=True)
        secrets[name] = os.environ[env]
    region = config.get("region") or company.region
    if kind == "greenhouse":
        from .adapters.ats_greenhouse import API_URL, TOKEN_URL, GreenhouseATS
        return GreenhouseATS(client_id=secrets.get("client_id"), client_secret=secrets.get("client_secret"),
                             user_id=secrets.get("user_id"), store=RecordStore(database, company.mirror_source),
                             base_url=config.get("base_url") or API_URL, token_url=config.get("token_url") or TOKEN_URL,
                             region=region)
    from .adapters.ats_bullhorn import LOGIN_INFO_URL, BullhornATS
    return BullhornATS(client_id=secrets.get("client_id"), client_secret=secrets.get("client_secret"),
                       username=secrets.get("username"), password=secrets.get("password"),
                       login_info_url=config.get("login_info_url") or config.get("base_url") or LOGIN_INFO_URL,
                       region=region)


def sms_sender(settings: Settings) -> SmsSender:
    """Twilio's REST API when ``TWILIO_ACCOUNT_SID`` is set; else texts are only logged
    (development; :func:`create_app` warns when the settings say Twilio points here)."""
    if settings.twilio_account_sid:
        return TwilioSmsSender(settings.twilio_account_sid, settings.twilio_auth_token,
                               public_base_url=settings.public_base_url, api_base_url=settings.twilio_api_base_url)
    return LogSmsSender(log_bodies=settings.log_message_bodies)


def interview_platform(settings: Settings) -> InterviewPlatform:
    """The interview platform of the seeds when ``INTERVIEW_PLATFORM_URL`` and its key are set;
    else the generic signed driver when ``INTERVIEW_WEBHOOK_URL`` is; else the built-in stand-in
    (local links under ``PUBLIC_BASE_URL``, else ``RECEPTIONIST_URL``, else http://127.0.0.1:5000)."""
    if settings.interview_platform_url and settings.interview_platform_api_key:
        return PlatformInterview(settings.interview_platform_url, settings.interview_platform_api_key)
    if settings.interview_webhook_url:
        if not settings.interview_webhook_secret:
            raise ValueError("INTERVIEW_WEBHOOK_URL needs INTERVIEW_WEBHOOK_SECRET to sign invites")
        return SignedInterview(settings.interview_webhook_url, settings.interview_webhook_secret)
    return LocalInterview(settings.public_base_url or settings.local_base_url or "http://127.0.0.1:5000",
                          secret=settings.secret_key or local_secret("secret-key", settings.instance_path))


def build(settings: Settings, database: Database | None = None, **overrides: Any) -> Container:
    """The container for ``settings``; ``overrides`` replace adapters (tests pass fakes).

    Each company's ATS comes from its configuration (:func:`ats_for`); the interview
    platform from the environment (:func:`interview_platform`).
    """
    from sms_screening.timers import confirmation_timers, screening_timers

    from .jobs.ats import run_check, run_writeback
    from .services.calls import close_silent_calls
    from .jobs.invites import send_invite
    from .jobs.outbox import send_sms
    from .jobs.webhooks import deliver

    database = database or Database(settings.database_url)
    parts: dict[str, Any] = dict(
        settings=settings, database=database,
        uow=UnitOfWork(database, enqueue=functools.partial(enqueue_outbox_batch, settings)),
        sms=sms_sender(settings), ats=None, interview=interview_platform(settings),
        outbox_handlers={OutboxKind.sms: send_sms, OutboxKind.invite: send_invite, OutboxKind.webhook: deliver,
                         OutboxKind.ats_check: run_check, OutboxKind.ats_writeback: run_writeback},
        sweeps=[confirmation_timers, screening_timers, close_silent_calls])
    parts.update(overrides)
    return Container(**parts)


def create_app(settings: Settings | None = None, container: Container | None = None) -> Flask:
    """The web app: the container in ``app.extensions["container"]``, the Twilio webhooks of
    both channels, the recruiter API (``/v4``), ``/healthz`` and the CLI groups (``flask --app app <command>``)."""
    from sms_screening.web import bp as sms_bp

    from . import cli
    from .web.app import make_flask
    from .web import api, dashboard, interview
    from .web.twilio import sms_status, voice

    container = container or build(settings or Settings.from_env())
    app = make_flask(container)
    # Once per process (web, worker, cron, each command), after make_flask set up logging.
    if why := container.settings.texts_not_sent():
        log.warning("%s", why)
    app.register_blueprint(voice.bp)
    app.register_blueprint(sms_status.bp)
    app.register_blueprint(sms_bp)
    app.register_blueprint(interview.bp)
    api.register(app)
    dashboard.init_app(app)  # the recruiter pages at /
    cli.register(app)
    return app


_current: Container | None = None
_pid: int | None = None


def current() -> Container:
    """The process's container, built from the environment on first use. RQ's forking
    worker runs each job in a child: pooled connections inherited from a parent are left
    to it and a fresh container is built."""
    global _current, _pid
    if _current is not None and _pid != os.getpid():
        _current.database.engine.dispose(close=False)
        _current = None
    if _current is None:
        _current = build(Settings.from_env())
        _pid = os.getpid()
    return _current


def reset() -> None:
    """Drop the process's container (tests, after changing the environment)."""
    global _current
    if _current is not None and _pid == os.getpid():
        _current.database.dispose()
    _current = None
