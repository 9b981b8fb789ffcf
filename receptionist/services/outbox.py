"""The outbox: side effects written in the transaction that decides them, run later by a job.

Writing (``add``, ``queue_sms``) happens inside a use case's transaction; the unit of work
enqueues the new rows after commit. Running (``jobs.outbox.run_items``) claims a row, calls the
handler of its kind outside any transaction, and records the outcome here. The reconciler
re-finds rows whose job was lost. A provider's own delivery reports (Twilio's status
callback) update ``provider_status`` beside our status. Each function runs inside the
caller's transaction.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, bindparam, exists, insert, literal, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from ..adapters.db import Prepared, begin_here
from ..adapters.models import Candidate, OutboxItem, OutboxStatus
from ..adapters.twilio_sms import MESSAGE_STATUS_RANK
from ..engine.vocabulary import OutboxKind
from ..phones import mask
from .unit_of_work import core_connection, note_new_outbox

log = logging.getLogger(__name__)

MAX_SMS_BODY = 1600  # Twilio's limit for one message body (it splits into segments itself)
OPTED_OUT = "recipient opted out (STOP); not sent"


def add(session: Session, *, kind: str, purpose: str, idempotency_key: str, payload: dict[str, Any],
        recipient: str | None = None, candidate: Candidate | None = None, conversation=None,
        application_id: int | None = None, agent=None) -> OutboxItem:
    """Write one side effect of ``kind`` (an :class:`OutboxKind` value, or a kind a test
    registers); returns the row, or the existing one when ``idempotency_key`` was used.
    The unit of work enqueues it after commit. (:func:`add_new` writes it.)"""
    existing = _existing(session, idempotency_key)
    if existing is not None:
        return existing
    session.flush()  # rows new in this transaction get their ids
    return session.get(OutboxItem, add_new(
        session, kind=kind, purpose=purpose, idempotency_key=idempotency_key, payload=payload,
        recipient=recipient, candidate_id=_id(candidate), conversation_id=_id(conversation),
        application_id=application_id, agent_id=_id(agent)))


def add_id(session: Session, *, kind: str, purpose: str, idempotency_key: str, payload: dict[str, Any],
           recipient: str | None = None, candidate_id: int | None = None, conversation_id: int | None = None,
           application_id: int | None = None, agent_id: int | None = None) -> int:
    """:func:`add` from ids, in Core statements (no flush, no object): the id of the row
    written, or of the existing one when ``idempotency_key`` was used."""
    existing = _BY_KEY.execute(session.connection(), {"key": idempotency_key}).scalar()
    if existing is not None:
        return existing
    return add_new(session, kind=kind, purpose=purpose, idempotency_key=idempotency_key, payload=payload,
                   recipient=recipient, candidate_id=candidate_id, conversation_id=conversation_id,
                   application_id=application_id, agent_id=agent_id)


def add_new(session: Session | Connection, *, kind: str, purpose: str, idempotency_key: str, payload: dict[str, Any],
            recipient: str | None = None, candidate_id: int | None = None, conversation_id: int | None = None,
            application_id: int | None = None, agent_id: int | None = None, cancelled: str | None = None,
            if_new: bool = False) -> int:
    """Write a pending side effect whose key cannot have been used (made of a row id created
    in this transaction, or looked up just before), in one Core INSERT: no ORM object. Returns
    its id; the unit of work enqueues it after commit. ``cancelled``: the reason it is written
    cancelled instead, never to run. A used key still fails (unique constraint), unless
    ``if_new``: then nothing is written and the existing row's id is returned (``INSERT ...
    ON CONFLICT DO NOTHING``: no lookup first). ``session``: a Session, or the Connection of
    ``UnitOfWork.run(orm=False)``."""
    conn = core_connection(session)
    item_id = (_new_item_if_new(conn) if if_new else _NEW_ITEM).execute(conn, new_item_values(
        kind=kind, purpose=purpose, idempotency_key=idempotency_key, payload=payload, recipient=recipient,
        candidate_id=candidate_id, conversation_id=conversation_id, application_id=application_id,
        agent_id=agent_id, cancelled=cancelled)).scalar_one_or_none()
    return _written(session, item_id, idempotency_key, cancelled)


def new_item_values(*, kind: str, purpose: str, idempotency_key: str, payload: dict[str, Any],
                    recipient: str | None = None, candidate_id: int | None = None,
                    conversation_id: int | None = None, application_id: int | None = None,
                    agent_id: int | None = None, cancelled: str | None = None) -> dict[str, Any]:
    """The values of a new row's :data:`NEW_COLUMNS` ({column: value}) for :func:`add_new`'s
    arguments: ``pending``, or ``cancelled`` with the reason ``cancelled`` in ``last_error``.
    The columns left (``attempts``, ``created_at``, ``updated_at``) take their defaults
    (:func:`new_item_cte` gives them where a statement gets no Python-side defaults)."""
    return {"kind": str(kind), "purpose": str(purpose), "idempotency_key": idempotency_key, "payload": payload,
            "recipient": recipient, "candidate_id": candidate_id, "conversation_id": conversation_id,
            "application_id": application_id, "agent_id": agent_id, "last_error": cancelled,
            "status": OutboxStatus.cancelled if cancelled else OutboxStatus.pending}


def new_item_cte(name: str, values: dict[str, Any], at, source=None, if_new: bool = False):
    """PostgreSQL: the INSERT of one new row as a data-modifying CTE ``name`` returning its
    ``id``, for a statement that writes other rows too. ``values``: SQL expressions for
    columns of :data:`NEW_COLUMNS` (left out: NULL); ``at``, the creation time (an SQL
    expression). A CTE gets no Python-side defaults, so the ones of ``OutboxItem`` are given
    here: ``status`` pending and ``payload`` {} unless in ``values``, ``attempts`` 0,
    ``created_at`` and ``updated_at`` ``at``.

    ``source`` (a FROM, e.g. a CTE of at most one row): ``INSERT ... SELECT ... FROM source``,
    a row written only when it has one, its columns usable in ``values``. ``if_new``: nothing
    written on a used key (``ON CONFLICT (idempotency_key) DO NOTHING``: no id back).
    Raises ValueError for a column that is no :data:`NEW_COLUMNS`."""
    table = OutboxItem.__table__
    unknown = set(values) - set(NEW_COLUMNS)
    if unknown:
        raise ValueError(f"not a column a new outbox row is given: {sorted(unknown)}")
    row = {"status": literal(OutboxStatus.pending, table.c.status.type), "payload": literal({}, table.c.payload.type),
           **values, "attempts": literal(0, table.c.attempts.type), "created_at": at, "updated_at": at}
    if source is None and not if_new:
        return insert(table).values(row).returning(table.c.id).cte(name)
    selected = select(*row.values())
    statement = (postgresql_insert if if_new else insert)(table).from_select(
        list(row), selected.select_from(source) if source is not None else selected, include_defaults=False)
    if if_new:
        statement = statement.on_conflict_do_nothing(index_elements=["idempotency_key"])
    return statement.returning(table.c.id).cte(name)


def item_by_key(key, *columns):
    """``SELECT <columns> FROM outbox WHERE idempotency_key = <key>`` (default: the row's
    ``id``), ``key`` an SQL expression (a bound parameter, or a key made of another row's
    id); ``.exists()`` or ``.scalar_subquery()`` make it part of a larger statement. One
    probe of the key's unique index."""
    table = OutboxItem.__table__
    return select(*(columns or (table.c.id,))).where(table.c.idempotency_key == key)


def _written(session: Session | Connection, item_id: int | None, idempotency_key: str, cancelled: str | None) -> int:
    """After a new row's INSERT (``item_id``; None when ``ON CONFLICT DO NOTHING`` skipped it):
    its id, noted for the enqueue after commit unless it was written cancelled."""
    conn = core_connection(session)
    if item_id is None:  # if_new, and the key was used
        return _BY_KEY.execute(conn, {"key": idempotency_key}).scalar()
    if not cancelled:
        note_new_outbox(session, item_id)
    return item_id


def queue_sms_new(session: Session | Connection, *, to: str, from_: str, body: str, purpose: str, idempotency_key: str,
                  candidate: Candidate, conversation_id: int | None = None, agent_id: int | None = None,
                  key_is_new: bool = False) -> int:
    """:func:`queue_sms` to a known ``candidate`` in Core statements, for a writer that needs
    no object back: the id of the row written (cancelled when the candidate opted out), or of
    the existing one when ``idempotency_key`` was used. ``key_is_new``: the caller knows the
    key cannot have been used (no lookup; a used one fails on the unique constraint)."""
    return _new_sms(session, to=to, from_=from_, body=body, purpose=purpose, idempotency_key=idempotency_key,
                    candidate=candidate, conversation_id=conversation_id, agent_id=agent_id, if_new=not key_is_new)


def queue_sms(session: Session, *, to: str, from_: str, body: str, purpose: str, idempotency_key: str,
              candidate: Candidate | None = None, conversation=None, agent=None) -> OutboxItem:
    """Write a text to send (E.164 ``to``/``from_``); returns the row (the existing one when
    ``idempotency_key`` was used).

    When the candidate (or any candidate with that number) has opted out, the row is
    written ``cancelled`` with the reason and never sent.
    """
    existing = _existing(session, idempotency_key)
    if existing is not None:
        return existing
    if candidate is None:
        candidate = session.scalars(select(Candidate).filter_by(phone=to)).one_or_none()
    session.flush()  # rows new in this transaction get their ids
    return session.get(OutboxItem, _new_sms(
        session, to=to, from_=from_, body=body, purpose=purpose, idempotency_key=idempotency_key,
        candidate=candidate, conversation_id=_id(conversation), agent_id=_id(agent)))


def _new_sms(session: Session | Connection, *, to: str, from_: str, body: str, purpose: str, idempotency_key: str,
             candidate: Candidate | None, conversation_id: int | None, agent_id: int | None,
             if_new: bool = False) -> int:
    """The one writer of texts: cancelled at once when ``candidate`` opted out."""
    return add_new(session, if_new=if_new, **_sms_fields(
        to=to, from_=from_, body=body, purpose=purpose, idempotency_key=idempotency_key, candidate=candidate,
        conversation_id=conversation_id, agent_id=agent_id))


def _sms_fields(*, to: str, from_: str, body: str, purpose: str, idempotency_key: str, candidate,
                conversation_id: int | None, agent_id: int | None) -> dict[str, Any]:
    """:func:`add_new`'s arguments for a text (cancelled when ``candidate`` opted out, which is logged)."""
    opted_out = candidate is not None and candidate.opted_out
    if opted_out:
        log.info("outbox: %s text to %s cancelled: opted out", purpose, mask(to))
    return {"kind": OutboxKind.sms, "purpose": purpose, "idempotency_key": idempotency_key,
            "payload": {"to": to, "from": from_, "body": body[:MAX_SMS_BODY]}, "recipient": to,
            "candidate_id": _id(candidate), "conversation_id": conversation_id, "agent_id": agent_id,
            "cancelled": OPTED_OUT if opted_out else None}


def new_sms_cte(name: str, after=None):
    """PostgreSQL: the INSERT of a new text as a data-modifying CTE ``name`` returning its
    ``id``, for a statement that writes other rows too; its values bound as ``{name}_{column}``
    and ``{name}_at`` (the creation time), given by :func:`sms_cte_params`. After it ran:
    :func:`noted`. Without ``after``, its key cannot have been used (``queue_sms_new(...,
    key_is_new=True)``). With ``after`` (a CTE of at most one row), written only when that CTE
    has its row, and nothing written on a used key (``ON CONFLICT DO NOTHING``: no id back)."""
    table = OutboxItem.__table__
    return new_item_cte(name, {c: bindparam(f"{name}_{c}", type_=table.c[c].type) for c in NEW_COLUMNS},
                        bindparam(f"{name}_at", type_=table.c.created_at.type), source=after,
                        if_new=after is not None)


def sms_cte_params(name: str, now: dt.datetime, *, to: str, from_: str, body: str, purpose: str,
                   idempotency_key: str, candidate, conversation_id: int | None, agent_id: int | None) -> dict:
    """The parameters of :func:`new_sms_cte` ``name`` for the text :func:`queue_sms_new` writes."""
    values = new_item_values(**_sms_fields(to=to, from_=from_, body=body, purpose=purpose,
                                           idempotency_key=idempotency_key, candidate=candidate,
                                           conversation_id=conversation_id, agent_id=agent_id))
    return {**{f"{name}_{key}": value for key, value in values.items()}, f"{name}_at": now}


def noted(session: Session | Connection, item_id: int | None, params: dict, name: str) -> int:
    """A text written by :func:`new_sms_cte` ``name`` with ``params``: noted for the enqueue
    after commit as :func:`add_new` notes one (not when written cancelled); its id (None: its
    key was used, the existing row's id)."""
    return _written(session, item_id, params[f"{name}_idempotency_key"], params[f"{name}_last_error"])


def _id(row) -> int | None:
    return row.id if row is not None else None


# The columns a writer gives a new row (:func:`new_item_values`); the others take their defaults.
NEW_COLUMNS = ("kind", "purpose", "idempotency_key", "payload", "recipient", "candidate_id", "conversation_id",
                "application_id", "agent_id", "last_error", "status")
_NEW_ITEM = Prepared(insert(OutboxItem.__table__).returning(OutboxItem.__table__.c.id), keys=NEW_COLUMNS)
_NEW_ITEM_IF_NEW: dict[str, Any] = {}  # by dialect: ON CONFLICT is each dialect's own construct


def _new_item_if_new(conn: Connection):
    """``_NEW_ITEM`` doing nothing on a used key (SQLite >= 3.24 and PostgreSQL: ``ON CONFLICT
    (idempotency_key) DO NOTHING``, which returns no row then), built once per dialect."""
    name = conn.dialect.name
    if name not in _NEW_ITEM_IF_NEW:
        dialect_insert = {"sqlite": sqlite_insert, "postgresql": postgresql_insert}[name]
        _NEW_ITEM_IF_NEW[name] = Prepared(dialect_insert(OutboxItem.__table__)
                                          .on_conflict_do_nothing(index_elements=["idempotency_key"])
                                          .returning(OutboxItem.__table__.c.id), keys=NEW_COLUMNS)
    return _NEW_ITEM_IF_NEW[name]


def _existing(session: Session, idempotency_key: str) -> OutboxItem | None:
    # The id first, on the connection (no flush, no object): a new key is the common case.
    found = _BY_KEY.execute(session.connection(), {"key": idempotency_key}).scalar()
    return session.get(OutboxItem, found) if found is not None else None


_BY_KEY = Prepared(item_by_key(bindparam("key")))


# --- running: claims, outcomes and the reconciler (the jobs are ``receptionist.jobs.outbox``) ---

PENDING_GRACE = dt.timedelta(seconds=15)  # a pending row this late (past its due time) may have lost its job:
# an after-commit enqueue takes milliseconds, and re-enqueueing a live row is harmless (one job
# per row, and the job claims the row), so a text lost in a Redis outage goes out soon after.
SENDING_LOST_AFTER = dt.timedelta(minutes=10)  # far beyond any handler's timeout
LOST_MID_SEND = "job lost mid-run; not retried to avoid a duplicate"
# A text whose job died mid-send: Twilio is asked whether it has it before it is sent again.
LOST_MID_SEND_ASK = "job lost mid-send; sent again unless Twilio has it"
RECONCILE_BATCH = 500


@dataclass(frozen=True)
class Claimed:
    """An outbox row claimed by a job: a snapshot, so the handler needs no session."""

    id: int
    kind: str
    purpose: str
    payload: dict[str, Any]
    recipient: str | None
    attempts: int  # including this one
    cancelled: bool  # not to be run after all (e.g. the recipient opted out after it was written)
    lost_since: dt.datetime | None = None  # a text lost mid-send: ask the provider for one since then


# The statements of every run, built once (SQLAlchemy's statement building cost as much as
# running them). The claim is one UPDATE ... RETURNING (SQLite >= 3.35, PostgreSQL), no ORM
# load, and leaves alone a text whose recipient opted out (``_CANCEL_OPTED_OUT`` takes it).
_OPTED_OUT = exists().where(Candidate.phone == OutboxItem.recipient, Candidate.opted_out.is_(True))
_CLAIMED = (OutboxItem.kind, OutboxItem.purpose, OutboxItem.payload, OutboxItem.recipient, OutboxItem.attempts,
            OutboxItem.last_error, OutboxItem.created_at)
_CLAIM = Prepared(update(OutboxItem)
          .where(OutboxItem.id == bindparam("item_id"), OutboxItem.status == OutboxStatus.pending,
                 ~and_(OutboxItem.kind == OutboxKind.sms, _OPTED_OUT))
          .values(status=OutboxStatus.sending, attempts=OutboxItem.attempts + 1)
          .returning(*_CLAIMED).execution_options(synchronize_session=False))
_CANCEL_OPTED_OUT = Prepared(update(OutboxItem)
                     .where(OutboxItem.id == bindparam("item_id"), OutboxItem.status == OutboxStatus.pending,
                            OutboxItem.kind == OutboxKind.sms, _OPTED_OUT)
                     .values(status=OutboxStatus.cancelled, attempts=OutboxItem.attempts + 1,
                             last_error="recipient opted out (STOP) before it was sent; not sent")
                     .returning(*_CLAIMED).execution_options(synchronize_session=False))


def _sent(row_id: str):
    """The UPDATE marking a ``sending`` row ``sent``, the row's id in bind ``row_id``."""
    return (update(OutboxItem)
            .where(OutboxItem.id == bindparam(row_id), OutboxItem.status == OutboxStatus.sending)
            .values(status=OutboxStatus.sent, sent_at=bindparam("sent_at"), provider_ref=bindparam("ref"),
                    provider_status=bindparam("provider_status"), last_error=None, next_attempt_at=None)
            .execution_options(synchronize_session=False))


_SENT = Prepared(_sent("item_id"))
# PostgreSQL: a handled row's ``sent`` and the next row's claim in one statement, the first as
# a data-modifying CTE (they touch different rows, and neither reads what the other writes).
# With a CTE no Python-side default is applied (SQLAlchemy's prefetch): both ``updated_at`` are given.
_SENT_THEN_CLAIM = Prepared(_CLAIM.statement.values(updated_at=bindparam("sent_at")).add_cte(
    _sent("sent_id").values(updated_at=bindparam("sent_at")).cte("sent_before")))


def claim(session: Session | Connection, item_id: int, sent: dict[str, Any] | None = None) -> Claimed | None:
    """Move a ``pending`` row to ``sending`` (attempts + 1) atomically; None when it is not
    pending (done, claimed by another job, cancelled, failed, gone), so nothing runs twice.

    ``sent``: first write another row's plain ``sent`` (:func:`record_sent`'s arguments, as
    {"item_id", "now", "provider_ref", "provider_status"}), in the same transaction; on
    PostgreSQL in the claim's own statement (one round trip instead of four with BEGIN and
    COMMIT; ``bench/jobs.py``).

    Safe with ``UnitOfWork.run(..., autocommit_first=True)``: the common case is one statement.
    The caller commits before running the handler. Consent is checked again for texts: a
    STOP that arrived after the text was written cancels it here.
    """
    # Core, without the ORM's bulk-update machinery (a third of a claim's CPU).
    conn = core_connection(session)
    if sent is not None and conn.dialect.name == "postgresql":
        row = _SENT_THEN_CLAIM.execute(conn, {"item_id": item_id, "sent_id": sent["item_id"],
                                              "sent_at": sent["now"], "ref": sent["provider_ref"],
                                              "provider_status": sent["provider_status"]}).first()
    else:
        if sent is not None:
            begin_here(conn)  # two writes: one transaction
            record_sent(conn, **sent)
        row = _CLAIM.execute(conn, {"item_id": item_id}).first()
    cancelled = False
    if row is None:  # not pending, or a text to a number that opted out
        begin_here(conn)  # a second write: in a transaction (``UnitOfWork.run(..., autocommit_first=True)``)
        row = _CANCEL_OPTED_OUT.execute(conn, {"item_id": item_id}).first()
        if row is None:
            return None
        cancelled = True
        log.info("outbox %s: %s text to %s cancelled at send time: opted out", item_id, row.purpose,
                 mask(row.recipient))
    lost_since = row.created_at if (row.last_error or "").startswith(LOST_MID_SEND_ASK) else None
    if lost_since is not None and lost_since.tzinfo is None:  # SQLite gives naive UTC
        lost_since = lost_since.replace(tzinfo=dt.timezone.utc)
    return Claimed(id=item_id, kind=row.kind, purpose=row.purpose, payload=dict(row.payload),
                   recipient=row.recipient, attempts=row.attempts, cancelled=cancelled, lost_since=lost_since)


_DUE = (select(OutboxItem.id)
        .where(OutboxItem.status == OutboxStatus.pending,
               or_(OutboxItem.next_attempt_at.is_(None), OutboxItem.next_attempt_at <= bindparam("now")))
        .order_by(OutboxItem.created_at).limit(bindparam("limit")))


def due(conn: Connection, now: dt.datetime, limit: int) -> list[int]:
    """Ids of up to ``limit`` rows that are ``pending`` and due at ``now`` (UTC: no
    ``next_attempt_at``, or one passed), oldest first: what a job drains besides its own rows
    (``jobs.outbox.run_items``). Each is still claimed before it runs, so a row another job
    holds or takes first is skipped there. One range scan of ``ix_outbox_status_created``."""
    return list(conn.scalars(_DUE, {"now": now, "limit": limit}))


def _set(session: Session, item_id: int, from_status: OutboxStatus, **values) -> None:
    session.execute(update(OutboxItem).where(OutboxItem.id == item_id, OutboxItem.status == from_status)
                    .values(**values).execution_options(synchronize_session=False))


def record_sent(session: Session | Connection, item_id: int, *, now: dt.datetime, provider_ref: str | None = None,
                provider_status: str | None = None) -> None:
    """The handler succeeded: the row is ``sent``, with the provider's id and first status
    (a text: Twilio's MessageSid and "queued")."""
    _SENT.execute(core_connection(session), {"item_id": item_id, "sent_at": now, "ref": provider_ref,
                                             "provider_status": provider_status})


def release_for_retry(session: Session, item_id: int, *, error: str, next_attempt_at: dt.datetime,
                      provider_error_code: int | None = None) -> None:
    """A retryable failure: the row is ``pending`` again, due at ``next_attempt_at`` (the
    job's retry runs it then, or else the reconciler); the error is kept."""
    _set(session, item_id, OutboxStatus.sending, status=OutboxStatus.pending, last_error=error,
         provider_error_code=provider_error_code, next_attempt_at=next_attempt_at)


def record_failed(session: Session, item_id: int, *, error: str, provider_error_code: int | None = None) -> None:
    """A permanent failure (or retries used up): the row is ``failed`` for good."""
    _set(session, item_id, OutboxStatus.sending, status=OutboxStatus.failed, last_error=error,
         provider_error_code=provider_error_code, next_attempt_at=None)


def record_cancelled(session: Session, item_id: int, *, reason: str) -> None:
    """The handler decided not to run it after all (``reason`` kept)."""
    _set(session, item_id, OutboxStatus.sending, status=OutboxStatus.cancelled, last_error=reason)


def reconcile(session: Session, now: dt.datetime, backlog: dt.timedelta = dt.timedelta(0)) -> list[int]:
    """The outbox reconciler (run by the periodic sweep); returns ids to enqueue again.

    - ``pending`` and due (``next_attempt_at``, else last change) more than ``PENDING_GRACE``
      ago: its job may be gone (Redis restarted, was down at enqueue time, or the scheduler
      holding its retry died). Returned; the queue replaces a job that is overdue and skips
      one that is still queued or running, so returning a live one is harmless.
    - ``sending`` for more than ``SENDING_LOST_AFTER``: the worker died mid-run and the
      provider may or may not have it. A text goes back to ``pending`` marked
      ``LOST_MID_SEND_ASK`` and is returned: its job asks Twilio for it first and sends it only
      when Twilio has none (``jobs.outbox.send_sms``): neither lost nor sent twice. Any other
      kind is marked ``failed`` with ``LOST_MID_SEND``, never run again, for a recruiter to see.

    ``backlog``: how long the oldest job waiting in the queue has waited
    (``adapters.queue.backlog_age``); the grace grows by it, so rows still waiting their turn
    behind a backlog are not enqueued twice.
    """
    cutoff = now - PENDING_GRACE - backlog
    # status first, then created_at: a range scan of ix_outbox_status_created.
    pending = list(session.scalars(
        select(OutboxItem.id)
        .where(OutboxItem.status == OutboxStatus.pending, OutboxItem.created_at < cutoff,
               OutboxItem.updated_at < cutoff,
               or_(OutboxItem.next_attempt_at.is_(None), OutboxItem.next_attempt_at < cutoff))
        .order_by(OutboxItem.created_at).limit(RECONCILE_BATCH)))
    lost_cutoff = now - SENDING_LOST_AFTER
    lost = list(session.scalars(
        select(OutboxItem.id)
        .where(OutboxItem.status == OutboxStatus.sending, OutboxItem.created_at < lost_cutoff,
               OutboxItem.updated_at < lost_cutoff)))
    if lost:
        # The status condition again: a job finishing right now keeps its result.
        texts = list(session.scalars(
            update(OutboxItem)
            .where(OutboxItem.id.in_(lost), OutboxItem.status == OutboxStatus.sending,
                   OutboxItem.kind == OutboxKind.sms)
            .values(status=OutboxStatus.pending, last_error=LOST_MID_SEND_ASK, next_attempt_at=None, updated_at=now)
            .returning(OutboxItem.id).execution_options(synchronize_session=False)))
        session.execute(
            update(OutboxItem)
            .where(OutboxItem.id.in_(lost), OutboxItem.status == OutboxStatus.sending)
            .values(status=OutboxStatus.failed, last_error=LOST_MID_SEND, updated_at=now)
            .execution_options(synchronize_session=False))
        log.warning("outbox: %d item(s) lost mid-run: texts %s to be sent unless Twilio has them, "
                    "the others marked failed", len(lost), texts)
        pending += texts
    if pending:
        log.debug("outbox: %d overdue pending item(s) to re-enqueue: %s", len(pending), pending)
    return pending


def record_delivery_status(session: Session, message_sid: str, twilio_status: str | None,
                           error_code: int | None = None) -> str:
    """Apply Twilio's status callback for a text to the row with ``provider_ref == message_sid``.

    Returns what happened: "updated", "unchanged" (a repeat or a backwards move, e.g. a late
    "sent" after "delivered"), "unknown-sid" or "unknown-status". Only ``provider_status``
    and ``provider_error_code`` change (our ``status`` stays ``sent``). One conditional
    UPDATE, so two callbacks racing each other cannot move the status backwards either (safe
    with ``UnitOfWork.run(..., autocommit_first=True)``: the read after it only names the outcome).
    """
    new = (twilio_status or "").strip().lower()
    rank = MESSAGE_STATUS_RANK.get(new)
    if rank is None:
        return "unknown-status"
    earlier = [s for s, r in MESSAGE_STATUS_RANK.items() if r < rank]
    values: dict[str, Any] = {"provider_status": new}
    if new in ("failed", "undelivered", "canceled"):
        values["provider_error_code"] = error_code
    elif new in ("delivered", "read"):
        values["provider_error_code"] = None
    result = session.execute(
        update(OutboxItem)
        .where(OutboxItem.provider_ref == message_sid,
               or_(OutboxItem.provider_status.is_(None), OutboxItem.provider_status.in_(earlier)))
        .values(**values)
        .execution_options(synchronize_session=False))
    if result.rowcount:
        return "updated"
    exists = session.scalars(select(OutboxItem.id).filter_by(provider_ref=message_sid)).first()
    return "unchanged" if exists is not None else "unknown-sid"
