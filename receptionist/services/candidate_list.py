"""The candidate list's summary rows (``candidate_list``), kept right in every transaction.

A row per (company, candidate) holds what the list filters and sorts on: the latest
conversation with the company, the latest application it fed, the pipeline status, score,
last engaged and the search keys. It is derived by the same query as the list's live facts
(``services.candidates.summary_select``), so it cannot disagree with them.

    refresh(connection, candidate_ids=None)   recompute the rows of those candidates (None: all)

Flush hooks (any session of the process, like ``services.scripts``) note the candidates
whose conversations, applications or name/e-mail/phone change (:data:`WATCHED`): a call or
text thread starting or ending, a posting picked, scoring, the duplicate check, routing,
approvals, a corrected name. Just before the transaction commits, their rows are refreshed
once: two statements (DELETE, INSERT ... SELECT, built once per process; one on PostgreSQL)
per transaction, however many flushes it made (the end of a screening flushes several times). Until the
commit a changed candidate's row may lag behind inside that transaction; no one reads the
list in a transaction that writes. Writes that bypass the ORM (a Core ``insert``/``update``
of those tables) must call :func:`refresh` themselves (the bench's bulk fill does).
"""
from __future__ import annotations

from typing import Iterable

from sqlalchemy import Integer, bindparam, delete, event, func, insert, inspect, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from ..adapters.db import Prepared
from ..adapters.models import Application, Candidate, CandidateListRow, Conversation
from .candidates import summary_select

BATCH = 1000  # candidate ids per statement (SQLite allows 32766 parameters; PostgreSQL more)
COLUMNS = ("company_id", "candidate_id", "conversation_id", "application_id", "agent_id", "status", "score",
           "sort_score", "name_key", "email_key", "phone")
# What the rows are made of: a flush that changes none of these leaves them alone (a screening
# turn that only moves the conversation's state costs no statement here).
WATCHED = {Conversation: ("candidate_id", "agent_id", "application_id", "status"),
           Application: ("candidate_id", "routing", "duplicate_check", "screening_outcome", "score"),
           Candidate: ("name", "email", "phone")}


def refresh(connection: Connection | Session, candidate_ids: Iterable[int] | None = None, *,
            new: bool = False) -> None:
    """Recompute the summary rows of ``candidate_ids`` (every candidate when None) from
    conversations, applications and candidates, in the caller's transaction. ``new``: the
    candidates were inserted in this transaction (no row to delete first)."""
    target = CandidateListRow.__table__
    if candidate_ids is None:  # in batches: one statement over every row outlasts the statement timeout
        connection.execute(delete(target))
        candidate_ids = connection.scalars(select(Conversation.candidate_id).distinct()).all()
    ids = sorted(set(candidate_ids))
    dialect = (connection.get_bind() if isinstance(connection, Session) else connection).dialect
    if len(ids) == 1:  # the common case (a job's or a turn's one candidate): Prepared, on the cursor
        conn = connection.connection() if isinstance(connection, Session) else connection
        remove, fill, replace = _one()
        if not new and dialect.name == "postgresql":
            replace.execute(conn, {"candidate_id": ids[0]})
            return
        if not new:
            remove.execute(conn, {"candidate_id": ids[0]})
        fill.execute(conn, {"candidate_id": ids[0]})
        return
    remove, fill, replace = _statements()
    if not new and dialect.name == "postgresql":
        remove, fill = None, replace  # both in one round trip
    for start in range(0, len(ids), BATCH):
        chunk = {"ids": ids[start:start + BATCH]}
        if not new and remove is not None:
            connection.execute(remove, chunk)
        connection.execute(fill, chunk)


_built: tuple = ()


def _statements():
    """(DELETE, INSERT ... SELECT, both in one) over the candidate ids bound as ``ids`` (an
    expanding IN), built on first use and reused: SQLAlchemy then finds them in its compiled
    cache without rebuilding or re-keying the ~60-element query each time.

    The third, for PostgreSQL: ``WITH removed AS (DELETE ... RETURNING 1) INSERT ... SELECT
    ... WHERE (SELECT count(*) FROM removed) >= 0``. The condition, an InitPlan, makes the
    DELETE run to its end before the first row is inserted (a data-modifying CTE the main
    query does not read runs after it: the insert would then meet the old row's key); the
    unique check ignores a row this transaction deleted (PostgreSQL, "Data-Modifying
    Statements in WITH")."""
    global _built
    if not _built:
        _built = _build(bindparam("ids", expanding=True))
    return _built


_built_one: tuple = ()


def _one():
    """:func:`_statements` for one candidate, bound as ``candidate_id`` (``IN (SELECT :id)``:
    no expanding parameter), as :class:`~receptionist.adapters.db.Prepared` statements: they
    skip SQLAlchemy's per-execution work (the expanding IN is rewritten at every run)."""
    global _built_one
    if not _built_one:
        _built_one = tuple(Prepared(s) for s in _build(select(bindparam("candidate_id", type_=Integer))))
    return _built_one


def _build(ids) -> tuple:
    """(DELETE, INSERT ... SELECT, both in one) of the rows of the candidates ``ids`` names
    (anything ``in_`` takes)."""
    target = CandidateListRow.__table__
    remove = delete(target).where(target.c.candidate_id.in_(ids))
    removed = remove.returning(target.c.candidate_id).cte("removed")
    summary = summary_select(ids)
    return (remove, insert(target).from_select(COLUMNS, summary),
            insert(target).from_select(COLUMNS, summary.where(
                select(func.count()).select_from(removed).scalar_subquery() >= 0)).add_cte(removed))


PENDING, TOUCHED = "candidate_list_pending", "candidate_list_touched"  # session.info keys


@event.listens_for(Session, "before_flush")
def _remember(session: Session, _flush_context, _instances) -> None:
    """Note the candidates this flush touches: ids of rows already stored (including the one a
    conversation or application moves away from), and the new rows, whose ids exist only after."""
    ids: set[int] = set()
    new = [o for o in session.new if isinstance(o, (Conversation, Application))]
    for obj in session.deleted:
        if isinstance(obj, (Conversation, Application)):
            ids.add(obj.candidate_id)
    for obj in session.dirty:
        watched = WATCHED.get(type(obj))
        if not watched:
            continue
        state = inspect(obj)
        if any(state.attrs[name].history.has_changes() for name in watched):
            if isinstance(obj, Candidate):
                ids.add(obj.id)
            else:
                ids.update(state.attrs.candidate_id.history.deleted or ())
                new.append(obj)  # its candidate_id may be set through a relationship: read it after
    session.info[PENDING] = (ids, new)


@event.listens_for(Session, "after_flush")
def _note_touched(session: Session, _flush_context) -> None:
    ids, objects = session.info.pop(PENDING, (set(), []))
    ids = (ids | {o.candidate_id for o in objects}) - {None}
    if ids:
        session.info.setdefault(TOUCHED, set()).update(ids)


def note(session: Session, candidate_ids: Iterable[int]) -> None:
    """Have the rows of ``candidate_ids`` refreshed when the transaction commits, with those
    the ORM's flushes noted (once for all: a Core writer that may also flush ORM changes in
    the same transaction calls this rather than :func:`refresh`)."""
    session.info.setdefault(TOUCHED, set()).update(candidate_ids)


@event.listens_for(Session, "before_commit")
def _refresh_touched(session: Session) -> None:
    """Refresh the rows of every candidate the transaction touched, once, before it commits
    (the session's last changes flushed first, so they are counted)."""
    session.flush()
    ids = session.info.pop(TOUCHED, None)
    if ids:
        refresh(session.connection(), ids)


@event.listens_for(Session, "after_soft_rollback")
def _forget(session: Session, _previous_transaction) -> None:
    # A rolled-back transaction's changes are gone: nothing of it to refresh. (A savepoint's
    # rollback leaves its ids: refreshing a row that did not change is harmless.)
    if not session.in_transaction():
        session.info.pop(TOUCHED, None)
