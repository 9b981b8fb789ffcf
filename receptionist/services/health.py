"""Health of each component, for ``GET /healthz`` and ``flask --app app health``.

Six probes, run side by side, each bounded by ``PROBE_TIMEOUT_S`` (a probe that has not
answered by then is reported failed and left to end within its own client's bounds), so a
health check never hangs whatever the database or Redis does:

==========  ==============================================================  =================
component   probe                                                           unhealthy when
==========  ==============================================================  =================
database    ``SELECT 1`` through the pool (adapters.db bounds every wait)   error or timeout,
            and the schema's revision (``adapters.db.schema_behind``)       or not migrated
redis       ``PING`` on the queue's connection                              error or timeout
worker      RQ's worker registry (``Worker.all``): newest ``last_heartbeat``  none, or older
                                                                            than ``stale_after_s``
cron        the time of the last sweep (``queue.last_sweep``, written by    never, or older
            ``jobs.sweeps.sweep`` each run)                                 than ``stale_after_s``
outbox      age of the oldest row still ``pending`` and due                 older than
                                                                            ``OUTBOX_STUCK_AFTER_S``
sms         the sender the settings choose (no I/O)                         texts only logged
                                                                            though Twilio points
                                                                            here (``Settings.
                                                                            texts_not_sent``)
==========  ==============================================================  =================

Only the database is *critical*: without it this web process cannot take a call (it
answers with the apology), so ``/healthz`` answers 503 and a load balancer should send
traffic elsewhere. Redis, the worker, the cron, the outbox and the SMS sender are reported but keep 200:
webhooks are answered without them (texts wait in the outbox), and taking every web
process out of rotation for them would only turn apologies into Twilio's errors. The
``health`` command exits 1 when any component is unhealthy: alert on that.
"""
from __future__ import annotations

import datetime as dt
import queue as queues
import threading
import time
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Callable

from sqlalchemy import func, or_, select, text

from ..adapters import queue as rq_queue
from ..adapters.db import schema_behind
from ..adapters.models import OutboxItem, OutboxStatus, utcnow

if TYPE_CHECKING:
    from ..bootstrap import Container

PROBE_TIMEOUT_S = 2.0           # per probe (they run side by side: ~2 s for the whole check)
OUTBOX_STUCK_AFTER_S = 300      # the reconciler re-enqueues after 60 s; 5 min means it cannot
CRITICAL = frozenset({"database"})


@dataclass(frozen=True)
class Check:
    """One component's state. ``age_s``: seconds since the heartbeat, the last sweep or the
    oldest due pending outbox row (None when not applicable). ``detail``: one line, never
    personal data."""

    component: str
    ok: bool
    detail: str
    age_s: float | None = None
    critical: bool = False

    def as_dict(self) -> dict:
        return asdict(self)


def stale_after_s(sweep_interval_s: int) -> int:
    """How old the last sweep or worker heartbeat may be: the cron wakes the worker every
    sweep interval, so four missed sweeps (at least two minutes) mean something is down."""
    return max(120, 4 * sweep_interval_s)


def check(container: "Container", timeout_s: float = PROBE_TIMEOUT_S) -> list[Check]:
    """Every component's :class:`Check`, in a fixed order; returns within about ``timeout_s``."""
    settings, now = container.settings, utcnow()
    limit = stale_after_s(settings.sweep_interval_s)
    probes: dict[str, Callable[[], Check]] = {
        "database": lambda: _database(container),
        "redis": lambda: _redis(settings),
        "worker": lambda: _worker(settings, now, limit),
        "cron": lambda: _cron(settings, now, limit),
        "outbox": lambda: _outbox(container, now),
        "sms": lambda: _sms(settings),
    }
    return _run_bounded(probes, timeout_s)


def healthy(checks: list[Check], critical_only: bool = False) -> bool:
    """Whether every check (or every critical one) passed."""
    return all(c.ok for c in checks if c.critical or not critical_only)


def _run_bounded(probes: dict[str, Callable[[], Check]], timeout_s: float) -> list[Check]:
    results: queues.Queue[tuple[str, Check]] = queues.Queue()

    def run(name: str, probe: Callable[[], Check]) -> None:
        try:
            results.put((name, probe()))
        except Exception as exc:  # the probe's failure is the answer; its message names no data
            results.put((name, Check(name, False, f"{type(exc).__name__}: {_one_line(exc)}")))

    for name, probe in probes.items():
        threading.Thread(target=run, args=(name, probe), name=f"health-{name}", daemon=True).start()
    found: dict[str, Check] = {}
    deadline = time.monotonic() + timeout_s
    while len(found) < len(probes) and (remaining := deadline - time.monotonic()) > 0:
        try:
            name, result = results.get(timeout=remaining)
        except queues.Empty:
            break
        found[name] = result
    return [_critical(found.get(name) or Check(name, False, f"no answer within {timeout_s:g} s"))
            for name in probes]


def _critical(c: Check) -> Check:
    return Check(c.component, c.ok, c.detail, c.age_s, c.component in CRITICAL)


def _one_line(exc: BaseException) -> str:
    return (str(exc).splitlines() or [""])[0][:200]


def _age(now: dt.datetime, then: dt.datetime) -> float:
    if then.tzinfo is None:
        then = then.replace(tzinfo=dt.timezone.utc)
    return round(max(0.0, (now - then).total_seconds()), 1)


def _database(container: "Container") -> Check:
    with container.database.engine.connect() as conn:
        conn.execute(text("SELECT 1"))
        behind = schema_behind(conn)
    # Reachable but not migrated: every webhook would fail all the same.
    return Check("database", False, behind) if behind else Check("database", True, "SELECT 1 answered")


def _redis(settings) -> Check:
    rq_queue.connection(settings).ping()
    return Check("redis", True, "PING answered")


def _worker(settings, now: dt.datetime, limit: int) -> Check:
    beats = rq_queue.worker_heartbeats(settings)
    if not beats:
        return Check("worker", False, "no RQ worker registered on the queue")
    age = min(_age(now, beat) for beat in beats)
    if age > limit:
        return Check("worker", False, f"{len(beats)} worker(s); newest heartbeat {age:g} s ago (> {limit} s)", age)
    return Check("worker", True, f"{len(beats)} worker(s); newest heartbeat {age:g} s ago", age)


def _cron(settings, now: dt.datetime, limit: int) -> Check:
    last = rq_queue.last_sweep(settings)
    if last is None:
        return Check("cron", False, "no sweep has run yet")
    age = _age(now, last)
    if age > limit:
        return Check("cron", False, f"last sweep {age:g} s ago (> {limit} s)", age)
    return Check("cron", True, f"last sweep {age:g} s ago", age)


def _outbox(container: "Container", now: dt.datetime) -> Check:
    with container.database.engine.connect() as conn:
        oldest = conn.execute(
            select(func.min(OutboxItem.created_at))
            .where(OutboxItem.status == OutboxStatus.pending,
                   or_(OutboxItem.next_attempt_at.is_(None), OutboxItem.next_attempt_at <= now))).scalar()
    if oldest is None:
        return Check("outbox", True, "nothing pending", 0.0)
    age = _age(now, oldest)
    if age > OUTBOX_STUCK_AFTER_S:
        return Check("outbox", False, f"oldest due pending row {age:g} s old (> {OUTBOX_STUCK_AFTER_S} s)", age)
    return Check("outbox", True, f"oldest due pending row {age:g} s old", age)


def _sms(settings) -> Check:
    if settings.twilio_account_sid:
        return Check("sms", True, "sent with Twilio's REST API")
    if why := settings.texts_not_sent():
        return Check("sms", False, why)
    return Check("sms", True, "development: texts are logged, not sent")
