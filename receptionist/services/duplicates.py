"""The duplicate check: is this candidate already in the company's ATS, and for which jobs?

Matching: phones compared in E.164 (read in the region of the receptionist's own number),
emails trimmed and case-folded; a match on either counts; all matches are kept on the
application (``duplicate_matches``) for the recruiter, most recent activity first, then ATS
id: the same order every time.

The lifecycle, every step an :class:`ATSCheck` row and an ``ats_check`` outbox job
(``jobs.ats.run_check``), so nothing is lost and a failed check can be retried:

- a call or text arrives -> ``prefetch`` by phone; the flow reads it after the menu
  (:func:`on_file`), never waits for it;
- the screening ends qualified -> the prefetch result decides ``duplicate_check`` (or, not
  ready yet, decides when it arrives; failed, a new ``after_call`` check runs);
- the confirmation brings the email -> a ``confirmed`` check by phone and email.

A check that clears calls ``routing.route_if_ready``; a duplicate is never routed. Once the
details are confirmed (or no confirmation can come), the writeback to the ATS is queued,
once per conversation (``jobs.ats.run_writeback``). Each function runs in the caller's
transaction.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import phonenumbers
from sqlalchemy import String, and_, bindparam, case, cast, func, insert, literal, or_, select, true, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, object_session

from ..adapters.ats import ATSCandidate, normal_email
from ..adapters.ats_builtin import by_recent_activity
from ..adapters.db import Prepared
from ..adapters.models import (Agent, Answer, Application, ATSCheck, Candidate, Company, ConfirmationStatus,
                               Conversation, OutboxItem, OutboxStatus, PhoneNumber, Posting, ScreeningOutcome,
                               ScreeningQuestion, utcnow)
from ..engine.flow import OnFile
from ..engine.vocabulary import DuplicateCheck, OutboxKind, RoutingState
from . import outbox
from .routing import route_if_ready, withdraw_duplicate
from .text_numbers import lookup_number
from .unit_of_work import core_connection, note_new_outbox, orm_session

log = logging.getLogger(__name__)

PREFETCH, AFTER_CALL, CONFIRMED = "prefetch", "after_call", "confirmed"


@dataclass(frozen=True)
class CompanyATS:
    """A company's ATS configuration as jobs need it outside a transaction.

    ``config``: the parsed YAML ``ats:`` block (``services.company.ats_config``); ``region``:
    ISO 3166 region of the receptionist's own number, for national numbers in the ATS.
    """

    slug: str
    config: dict
    region: str = "US"

    @property
    def kind(self) -> str:
        return self.config.get("kind", "builtin")

    @property
    def mirror_source(self) -> str:
        """The record store's source name of this company's built-in ATS or mirror."""
        return f"{self.kind}:{self.slug}"

    def job_id(self, posting_key: str) -> str:
        """The ATS job id of a posting (``ats.jobs`` in the YAML; built-in: the posting key)."""
        return (self.config.get("jobs") or {}).get(posting_key, posting_key)

    def posting_key(self, job_id: str) -> str | None:
        """The posting key of an ATS job id (unmapped: the id itself, a posting key for the built-in ATS)."""
        jobs = self.config.get("jobs") or {}
        return next((key for key, ats_job in jobs.items() if ats_job == job_id), job_id)

    @property
    def reply_days(self) -> int:
        return int(self.config.get("reply_within_days", 5))


def company_ats(company: Company) -> CompanyATS:
    """The snapshot of ``company``'s ATS configuration; the region is that of its first
    receptionist number (phonenumbers), else "US"."""
    session = object_session(company)
    if session is None:  # a detached company: its loaded relationships
        numbers = [n.e164 for agent in company.agents for n in agent.phone_numbers]
        first = numbers[0] if numbers else None
    else:  # one query, not one per agent (the jobs read this on every check and writeback)
        first = session.connection().scalar(_FIRST_NUMBER, {"company_id": company.id})
    return _company_ats(company.slug, company.ats_config, first)


def _company_ats(slug: str, config: dict | None, first_number: str | None) -> CompanyATS:
    region = phonenumbers.region_code_for_number(phonenumbers.parse(first_number)) if first_number else None
    return CompanyATS(slug, dict(config or {"kind": "builtin"}), region or "US")


def _first_number_of(company_id):
    """The first number of company ``company_id``'s receptionists (a column or a bind parameter)."""
    return (select(PhoneNumber.e164).join(Agent, Agent.id == PhoneNumber.agent_id)
            .where(Agent.company_id == company_id).order_by(Agent.id, PhoneNumber.id).limit(1))


_FIRST_NUMBER = _first_number_of(bindparam("company_id"))


def match_records(found: list[ATSCandidate], *, source: str, phone: str | None, email: str | None) -> list[dict]:
    """``found`` as stored matches (JSON-ready dicts), most recent activity first, then ATS id;
    each says what it matched on ("phone", "email") and carries its applications."""
    email = normal_email(email)
    out = []
    for c in by_recent_activity(found):
        on = [k for k, hit in (("phone", phone and phone in c.phones), ("email", email and email in c.emails)) if hit]
        out.append({"source": source, "ats_id": c.ats_id, "name": c.name, "matched_on": on,
                    "last_activity_at": c.last_activity_at.isoformat() if c.last_activity_at else None,
                    "applications": [{"ats_id": a.ats_id, "job_id": a.job_id, "job_title": a.job_title,
                                      "stage": a.stage, "active": a.active, "applied_at": a.applied_at.isoformat(),
                                      "last_activity_at": a.last_activity_at.isoformat()}
                                     for a in c.applications]})
    return out


def active_elsewhere(matches: list[dict], job_id: str, own_ats_application: str | None) -> bool:
    """True when a matched record has an active application for ``job_id`` that is not the one
    our own writeback created."""
    return any(a["active"] and a["job_id"] == job_id and a["ats_id"] != own_ats_application
               for m in matches for a in m["applications"])


# ---------------------------------------------------------------- queueing checks


def queue_check(session: Session, *, candidate: Candidate, company_id: int, purpose: str,
                conversation: Conversation | None = None, application: Application | None = None) -> int | None:
    """Write a check of ``candidate`` (its phone and email) and its job; returns the check's id,
    None when there is nothing to look up (a hidden caller ID without an email). The
    application, if given, shows ``duplicate_check=pending`` until the result arrives.
    Both rows are Core inserts (nothing in the transaction reads them back as objects)."""
    phone = lookup_number(candidate)  # a hidden caller's number once confirmed by text
    if not phone and not candidate.email:
        return None
    if any(row is not None and row.id is None for row in (candidate, conversation, application)):
        session.flush()
    check_id = write_check(session, company_id=company_id, candidate_id=candidate.id, phone=phone,
                           email=candidate.email, purpose=purpose,
                           conversation_id=conversation.id if conversation is not None else None,
                           application_id=application.id if application is not None else None)
    if application is not None:
        application.duplicate_check = DuplicateCheck.pending
    return check_id


def write_check(session: Session | Connection, *, company_id: int, candidate_id: int, phone: str | None,
                email: str | None, purpose: str, conversation_id: int | None = None,
                application_id: int | None = None) -> int:
    """:func:`queue_check` from ids: the check's row and its job's outbox row, two Core
    inserts (no ORM object), one statement on PostgreSQL (:data:`_NEW_CHECK_QUEUED`); returns
    the check's id. ``session``: a Session, or the Connection of ``UnitOfWork.run(orm=False)``."""
    connection = core_connection(session)
    check = {"company_id": company_id, "candidate_id": candidate_id, "purpose": purpose, "status": "pending",
             "conversation_id": conversation_id, "application_id": application_id, "phone": phone,
             "email": normal_email(email)}
    if connection.dialect.name == "postgresql":
        written = _NEW_CHECK_QUEUED.execute(connection, {**check, "job_kind": str(OutboxKind.ats_check),
                                                         "created_at": utcnow()}).one()
        note_new_outbox(session, written.item_id)
        return written.check_id
    check_id = _NEW_CHECK.execute(connection, check).scalar_one()
    # A key made of a new check's id cannot have been used: no lookup first.
    outbox.add_new(session, kind=OutboxKind.ats_check, purpose=purpose, idempotency_key=f"ats_check:{check_id}",
                   payload={"check_id": check_id}, candidate_id=candidate_id, conversation_id=conversation_id,
                   application_id=application_id)
    return check_id


_NEW_CHECK = Prepared(insert(ATSCheck.__table__).returning(ATSCheck.__table__.c.id), keys=(
    "company_id", "candidate_id", "purpose", "status", "conversation_id", "application_id", "phone", "email"))


def _new_check_queued():
    """PostgreSQL: ``WITH checked AS (INSERT INTO ats_checks ... RETURNING id), queued AS
    (INSERT INTO outbox ... SELECT ... FROM checked RETURNING id) SELECT checked.id AS
    check_id, queued.id AS item_id``: the check and its job's outbox row (key
    ``ats_check:<id>``, payload ``{"check_id": <id>}``, as :func:`write_check` writes them
    elsewhere) in one round trip (PostgreSQL, "Data-Modifying Statements in WITH")."""
    checked, queued = new_check_ctes()
    return (select(checked.c.id.label("check_id"), queued.c.id.label("item_id"))
            .join_from(checked, queued, true()).add_cte(checked, queued))


def new_check_ctes(values: dict | None = None):
    """PostgreSQL: the CTEs ``checked`` (``INSERT INTO ats_checks ... RETURNING ...``) and
    ``queued`` (its job's outbox row, ``INSERT INTO outbox ... SELECT ... FROM checked
    RETURNING id``) of :data:`_NEW_CHECK_QUEUED`, for a statement to add (``add_cte``).
    The check's columns (:data:`_CHECK_COLUMNS`) are bound by their names, the job's kind as
    ``job_kind``, unless ``values`` ({column: SQL expression}) gives them: e.g. the id of a
    conversation inserted by another CTE of the same statement."""
    checks = ATSCheck.__table__
    values = values or {}
    same = ("purpose", "candidate_id", "conversation_id", "application_id")  # the job's row says them as the check
    checked = (insert(checks).values({c: values[c] if c in values else bindparam(c, type_=checks.c[c].type)
                                      for c in _CHECK_COLUMNS})
               .returning(checks.c.id, checks.c.created_at, *(checks.c[c] for c in same)).cte("checked"))
    queued = outbox.new_item_cte("queued", {
        "kind": bindparam("job_kind", type_=OutboxItem.__table__.c.kind.type), "idempotency_key": _job_key(checked.c.id),
        "payload": func.json_build_object("check_id", checked.c.id), **{c: checked.c[c] for c in same}},
        checked.c.created_at, source=checked)
    return checked, queued


def _job_key(check_id):
    """The idempotency key of the job of the check ``check_id`` (an SQL expression), as
    :func:`write_check` writes it: ``ats_check:<id>``."""
    return literal("ats_check:") + cast(check_id, String)


# All of them: a data-modifying CTE gets no Python-side defaults (``created_at``).
_CHECK_COLUMNS = ("company_id", "candidate_id", "purpose", "status", "conversation_id", "application_id", "phone",
                  "email", "created_at")
_NEW_CHECK_QUEUED = Prepared(_new_check_queued())


def prefetch(session: Session, conversation: Conversation) -> int | None:
    """When a call or text arrives: look the caller's phone up (the flow reads it after the menu)."""
    if conversation.candidate.phone is None:
        return None
    return queue_check(session, candidate=conversation.candidate, company_id=conversation.agent.company_id,
                       purpose=PREFETCH, conversation=conversation)


def after_screening(session: Session, conversation: Conversation, now: dt.datetime) -> None:
    """A screening ended: decide its application's duplicate check from the prefetch when it
    is done, let the prefetch decide when it arrives, or run the check now (it failed, or
    there was none)."""
    application = conversation.application
    if application is None or application.screening_outcome != ScreeningOutcome.qualified:
        return
    # Locked: the prefetch's job may be recording its result right now (``record_result``
    # locks the same row), so exactly one of the two sees the other's work and decides.
    # One Core statement: the check's status and its job's (outbox row) status.
    fetched = session.connection().execute(_PREFETCHED, {"conversation_id": conversation.id}).first()
    use = prefetch_use(fetched)
    if use == DECIDE:
        check = session.get(ATSCheck, fetched.id)
        check.application_id = application.id
        decide(session, check, now)
    elif use == WAIT:
        session.connection().execute(update(ATSCheck).where(ATSCheck.id == fetched.id)
                                     .values(application_id=application.id))
        application.duplicate_check = DuplicateCheck.pending
    else:
        queue_check(session, candidate=conversation.candidate, company_id=conversation.agent.company_id,
                    purpose=AFTER_CALL, conversation=conversation, application=application)


DECIDE, WAIT, RECHECK = "decide", "wait", "recheck"
_LIVE_JOB = (OutboxStatus.pending, OutboxStatus.sending)


def prefetch_use(fetched) -> str:
    """What the end of a screening does with the conversation's prefetch check ``fetched``
    (a row with ``status`` and its job's ``job_status``; None without one): ``DECIDE`` now
    from its result (done), ``WAIT`` for it (its job is still to run), or ``RECHECK`` (none,
    or its job gave up or is gone: a new ``after_call`` check)."""
    if fetched is not None and fetched.status == "done":
        return DECIDE
    if fetched is not None and fetched.status == "pending" and fetched.job_status in _LIVE_JOB:
        return WAIT
    return RECHECK


# The conversation's latest prefetch check (locked) and the status of its job's outbox row
# (key ``ats_check:<id>``, as ``queue_check`` writes it).
_PREFETCHED = (
    select(ATSCheck.id, ATSCheck.status, OutboxItem.status.label("job_status"))
    .outerjoin(OutboxItem, OutboxItem.idempotency_key == _job_key(ATSCheck.id))
    .where(ATSCheck.conversation_id == bindparam("conversation_id"), ATSCheck.purpose == PREFETCH)
    .order_by(ATSCheck.id.desc()).limit(1).with_for_update(of=ATSCheck))

_checks, _outbox = ATSCheck.__table__, OutboxItem.__table__
_latest = _checks.alias("latest_prefetch")
JOB_STATUS = outbox.item_by_key(_job_key(_checks.c.id), _outbox.c.status).scalar_subquery()
# :func:`after_screening`'s read and its ``application_id`` write in one statement, for the
# Core end of a call (``services.screening_end``): the latest prefetch check of conversation
# ``prefetch_of`` takes application ``adopting`` when :func:`prefetch_use` would decide or
# wait (the same conditions in SQL); the UPDATE locks it as ``_PREFETCHED`` does. Returns
# (id, status), to which the caller adds ``JOB_STATUS`` (as ``job_status``) and what else it
# reads; no row without a prefetch check.
ADOPT_PREFETCH = (
    update(_checks)
    .where(_checks.c.id == select(func.max(_latest.c.id))
           .where(_latest.c.conversation_id == bindparam("prefetch_of"), _latest.c.purpose == PREFETCH)
           .scalar_subquery())
    .values(application_id=case(
        (or_(_checks.c.status == "done", and_(_checks.c.status == "pending", JOB_STATUS.in_(
            [literal(status, _outbox.c.status.type) for status in _LIVE_JOB]))),  # not expanding: Prepared
         bindparam("adopting")), else_=_checks.c.application_id))
    .returning(_checks.c.id, _checks.c.status))


def after_confirmation(session: Session, conversation: Conversation) -> int | None:
    """The caller confirmed the details: check by phone and email (the email may find an
    ATS record the phone did not), then write back."""
    if conversation.application is None or session.scalars(select(ATSCheck.id).filter_by(
            conversation_id=conversation.id, purpose=CONFIRMED)).first() is not None:
        return None  # a second YES checks nothing again
    return queue_check(session, candidate=conversation.candidate, company_id=conversation.agent.company_id,
                       purpose=CONFIRMED, conversation=conversation, application=conversation.application)


# ---------------------------------------------------------------- results (the job's second transaction)


@dataclass(frozen=True)
class CheckRequest:
    """What a check job needs outside a transaction."""

    check_id: int
    company: CompanyATS
    phone: str | None
    email: str | None


def check_request(conn: Connection, check_id: int) -> CheckRequest | None:
    """The lookup ``check_id`` asks for; None when the check is gone or already done.
    One Core read (``conn``: a Connection, e.g. ``UnitOfWork.read``'s): the check, its
    company's ATS settings and first number."""
    row = _CHECK_REQUEST.execute(conn, {"check_id": check_id}).first()
    if row is None or row.status == "done":
        return None
    return CheckRequest(row.id, _company_ats(row.slug, row.ats_config, row.first_number), row.phone, row.email)


def record_result(session: Session | Connection, check_id: int, found: list[ATSCandidate], source: str,
                  now: dt.datetime | None = None, asked: tuple[str | None, str | None] | None = None
                  ) -> ATSCheck | None:
    """Store what the ATS answered; an application waiting on this check is decided (the
    check is returned then). A check no application waits on yet (a prefetch during the
    call) is two Core statements: its row read locked, then written; one when ``asked``
    gives the (phone, email) the lookup used (:func:`check_request`'s: a check's own never
    change), the UPDATE taking the lock and returning the application it waits on.
    ``session``: a Session, or the Connection of ``UnitOfWork.run(orm=False)`` (deciding an
    application then joins a Session to it: ``orm_session``). Not a single statement: never
    under ``autocommit_first`` without ``begin_here``."""
    now = now or utcnow()
    conn = core_connection(session)
    if asked is None:
        check = conn.execute(_CHECK_TO_RECORD, {"check_id": check_id}).one()  # locked: see after_screening
        asked = check.phone, check.email
    matches = match_records(found, source=source, phone=asked[0], email=asked[1])
    application_id = _CHECK_DONE.execute(conn, {"check_id": check_id, "now": now, "matches": matches}).scalar_one()
    if application_id is None:
        return None
    # The check and every row the decision reads, in one query, held while it runs (the
    # session's identity map keeps loaded rows only while they are referenced).
    session = orm_session(session)
    held = session.execute(_DECIDING, {"check_id": check_id}).one()
    decide(session, held.ATSCheck, now)
    return held.ATSCheck


# What deciding a check reads, selected side by side (no loader options): each row lands in
# the session's identity map, where the application's many-to-one attributes and
# ``session.get`` find it without a query of their own; options would stick to the
# application and join again in a later ``refresh(with_for_update=True)``, which PostgreSQL
# refuses for outer joins.
_DECIDING = (select(ATSCheck, Application, Posting, Company, Agent, Candidate, Conversation)
             .join(Application, Application.id == ATSCheck.application_id)
             .join(Posting, Posting.id == Application.posting_id).join(Company, Company.id == Posting.company_id)
             .join(Agent, Agent.id == Application.agent_id).join(Candidate, Candidate.id == Application.candidate_id)
             .outerjoin(Conversation, Conversation.id == ATSCheck.conversation_id)
             .where(ATSCheck.id == bindparam("check_id")))
# The prefetch job's read and write (once a call): Prepared, run on the driver's cursor.
_CHECK_REQUEST = Prepared(select(ATSCheck.id, ATSCheck.status, ATSCheck.phone, ATSCheck.email, Company.slug,
                                 Company.ats_config, _first_number_of(Company.id).scalar_subquery().label("first_number"))
                          .join(Company, Company.id == ATSCheck.company_id).where(ATSCheck.id == bindparam("check_id")))
_CHECK_TO_RECORD = (select(ATSCheck.phone, ATSCheck.email, ATSCheck.application_id)
                    .where(ATSCheck.id == bindparam("check_id")).with_for_update())
_CHECK_DONE = Prepared(update(ATSCheck.__table__).where(ATSCheck.__table__.c.id == bindparam("check_id"))
                       .values(matches=bindparam("matches", type_=ATSCheck.__table__.c.matches.type), status="done",
                               error=None, checked_at=bindparam("now"))
                       .returning(ATSCheck.__table__.c.application_id))


def record_error(session: Session, check_id: int, error: str) -> None:
    """The ATS did not answer: the check stays pending (the job retries; ``ats retry`` too)."""
    session.execute(update(ATSCheck).where(ATSCheck.id == check_id).values(error=error[:1000]))


def decide(session: Session, check: ATSCheck, now: dt.datetime) -> DuplicateCheck:
    """Apply a done check to its application: ``duplicate`` when a matched ATS record has an
    active application for the same job (not the one our writeback made), else ``clear`` and
    routed if ready. Then the writeback is queued once the details are final. A newer done
    check of the application wins: its decision stands (applied again if a later call's end
    set the application pending meanwhile)."""
    application = session.get(Application, check.application_id)
    if session.connection().dialect.name == "postgresql":  # SQLite's write lock was taken at BEGIN
        # Locked before it is read (its pending changes written first): a screening end that
        # approved it meanwhile is seen, so a duplicate's invite is withdrawn, and so is a check
        # that a racing job decided it with (tests/test_turn_races.py). ``FOR NO KEY UPDATE``,
        # the lock its UPDATE takes: rows referring to it (a check adopting it) are not held up.
        session.flush()
        session.refresh(application, with_for_update={"key_share": True})
    newer = session.connection().scalar(_NEWER_CHECK, {"application_id": application.id, "check_id": check.id})
    if newer is not None:  # a later check (e.g. with the email) decided already: it knows more
        if application.duplicate_check != DuplicateCheck.pending:
            return DuplicateCheck(application.duplicate_check)
        # Set pending again by a call that ended after it decided, waiting for this older
        # lookup: the newer check's decision is the application's again.
        check = session.get(ATSCheck, newer)
    # The job id needs the company's ATS config only (not the region: no agents or numbers read).
    posting = application.posting
    company = CompanyATS(posting.company.slug, dict(posting.company.ats_config or {"kind": "builtin"}))
    matches = list(check.matches or [])
    application.duplicate_matches = matches
    duplicate = active_elsewhere(matches, company.job_id(posting.key), application.ats_application_id)
    application.duplicate_check = DuplicateCheck.duplicate if duplicate else DuplicateCheck.clear
    log.info("application %s: duplicate check %s (%d match(es))", application.id,
             application.duplicate_check.value, len(matches))
    if duplicate:
        withdraw_duplicate(session, application)  # routed before this check knew better
    else:
        route_if_ready(session, application)
    conversation = session.get(Conversation, check.conversation_id) if check.conversation_id else None
    if conversation is not None and conversation.confirmation_status in (None, ConfirmationStatus.confirmed):
        queue_writeback(session, conversation, application)
    return application.duplicate_check


# The newest done check of the application after ``check_id``, if any.
_NEWER_CHECK = (select(ATSCheck.id).where(ATSCheck.application_id == bindparam("application_id"),
                                          ATSCheck.status == "done", ATSCheck.id > bindparam("check_id"))
                .order_by(ATSCheck.id.desc()).limit(1))


# ---------------------------------------------------------------- what the flow reads


def on_file(session: Session, agent: Agent, candidate: Candidate, exclude_application: int | None = None) -> tuple[OnFile, ...]:
    """The caller's active applications to the company's postings, for the flow: from the
    latest finished ATS check of this candidate, and from our own qualified applications.
    Two indexed queries; the flow reads them only after the menu (callers skip it otherwise)."""
    if candidate.id is None:
        return ()
    company = CompanyATS(agent.company.slug, dict(agent.company.ats_config or {}))
    return applications_on_file(session.connection(), company, agent.company_id, ZoneInfo(agent.timezone),
                                candidate.id, exclude_application)


# Built once (two statements per lookup, no ORM): see applications_on_file.
_LATEST_CHECK = (select(ATSCheck.__table__.c.matches)
                 .where(ATSCheck.__table__.c.candidate_id == bindparam("candidate_id"),
                        ATSCheck.__table__.c.company_id == bindparam("company_id"),
                        ATSCheck.__table__.c.status == "done")
                 .order_by(ATSCheck.__table__.c.checked_at.desc()).limit(1))
_QUALIFIED = (select(Posting.__table__.c.key, Application.__table__.c.created_at)
              .join(Posting.__table__, Posting.__table__.c.id == Application.__table__.c.posting_id)
              .where(Application.__table__.c.candidate_id == bindparam("candidate_id"),
                     Application.__table__.c.screening_outcome == ScreeningOutcome.qualified,
                     Application.__table__.c.routing != RoutingState.dismissed,
                     Application.__table__.c.id != bindparam("exclude")))
# Both in one statement: the latest check's matches on every row, beside each qualified
# application (one row with no application when there is none).
_qualified = _QUALIFIED.subquery("qualified")
_ON_FILE = Prepared(select(_LATEST_CHECK.scalar_subquery().label("latest"), _qualified.c.key, _qualified.c.created_at)
                    .select_from(select(literal(1).label("one")).subquery("one_row"))
                    .outerjoin(_qualified, true()))


def applications_on_file(connection, company: "CompanyATS", company_id: int, tz: ZoneInfo, candidate_id: int,
                         exclude_application: int | None = None) -> tuple[OnFile, ...]:
    """:func:`on_file` from ids: the active applications of candidate ``candidate_id`` to
    company ``company_id`` (``company``: its ATS settings; ``tz``: the agent's time zone, for
    the dates said), leaving out application ``exclude_application``; sorted by posting key."""
    found: dict[str, dt.date] = {}

    def add(key: str, when: dt.datetime) -> None:
        day = when.astimezone(tz).date()
        found[key] = min(found.get(key, day), day)

    rows = _ON_FILE.execute(connection, {"candidate_id": candidate_id, "company_id": company_id,
                                         "exclude": exclude_application or -1}).all()
    for match in rows[0].latest or []:
        for a in match["applications"]:
            if a["active"]:
                add(company.posting_key(a["job_id"]), dt.datetime.fromisoformat(a["applied_at"]))
    for row in rows:
        if row.key is not None:
            add(row.key, row.created_at)
    return tuple(OnFile(key, day, company.reply_days) for key, day in sorted(found.items()))


# ---------------------------------------------------------------- writeback


def queue_writeback(session: Session, conversation: Conversation, application: Application) -> int:
    """The ATS writeback of ``conversation`` (once: keyed by conversation); returns its outbox id."""
    return outbox.add_id(session, kind=OutboxKind.ats_writeback, purpose="writeback",
                         idempotency_key=f"ats_writeback:{conversation.id}",
                         payload={"conversation_id": conversation.id, "application_id": application.id},
                         candidate_id=conversation.candidate_id, conversation_id=conversation.id,
                         application_id=application.id)


@dataclass(frozen=True)
class WritebackRequest:
    """What a writeback job sends: the candidate (merged into ``merge_into`` when the check
    found a record), the job, and the note."""

    company: CompanyATS
    name: str
    phone: str | None
    email: str | None
    job_id: str
    merge_into: str | None
    note: str


def writeback_request(conn: Connection, conversation_id: int, application_id: int,
                      base_url: str | None) -> WritebackRequest:
    """Everything the writeback needs, in two Core reads on ``conn`` (a Connection, e.g.
    ``UnitOfWork.read``'s): the conversation with its agent, candidate, application, posting
    and company; the answers with their questions (written before the call ended)."""
    f = conn.execute(_WRITEBACK_FACTS, {"conversation_id": conversation_id, "application_id": application_id}).one()
    company = _company_ats(f.slug, f.ats_config, f.first_number)
    matches = f.duplicate_matches or []
    merge_into = f.ats_candidate_id or (matches[0]["ats_id"] if matches else None)
    lang = f.language or "en"
    answers = [f"- {text.get(lang) or key}: {raw}" for text, key, raw in conn.execute(
        _WRITEBACK_ANSWERS, {"conversation_id": conversation_id})]
    score = "not scored yet" if f.score is None else f"{f.score:g}/100"
    link = f"{(base_url or 'http://127.0.0.1:5000').rstrip('/')}/candidates/{f.candidate_id}#conversation-{conversation_id}"
    note = "\n".join([f"Screened by {f.agent_name} ({f.channel.value}), "
                      f"{f.started_at:%Y-%m-%d %H:%M} UTC.", f"Job: {f.key}",
                      f"Score: {score}", "Answers:", *answers, f"Conversation: {link}"])
    return WritebackRequest(company, f.name or "", f.phone, normal_email(f.email), company.job_id(f.key),
                            merge_into, note)


_WRITEBACK_FACTS = (
    select(Conversation.language, Conversation.channel, Conversation.started_at, Agent.name.label("agent_name"),
           Candidate.id.label("candidate_id"), Candidate.name, Candidate.phone, Candidate.email,
           Application.ats_candidate_id, Application.duplicate_matches, Application.score, Posting.key,
           Company.slug, Company.ats_config, _first_number_of(Company.id).scalar_subquery().label("first_number"))
    .select_from(Conversation).join(Agent, Agent.id == Conversation.agent_id)
    .join(Candidate, Candidate.id == Conversation.candidate_id)
    .join(Application, Application.id == bindparam("application_id"))
    .join(Posting, Posting.id == Application.posting_id).join(Company, Company.id == Posting.company_id)
    .where(Conversation.id == bindparam("conversation_id")))
_WRITEBACK_ANSWERS = (select(ScreeningQuestion.text, ScreeningQuestion.key, Answer.raw_text)
                      .join(ScreeningQuestion, ScreeningQuestion.id == Answer.question_id)
                      .where(Answer.conversation_id == bindparam("conversation_id")).order_by(Answer.id))


def record_writeback(session: Session, application_id: int, ats_candidate_id: str,
                     ats_application_id: str | None) -> None:
    """Remember the ATS records the writeback made or merged into (a later check must not
    take our own application for a duplicate). One Core UPDATE."""
    session.connection().execute(_WRITTEN_BACK, {"application_id": application_id, "candidate": ats_candidate_id,
                                                 "application": ats_application_id})


_WRITTEN_BACK = (update(Application.__table__).where(Application.__table__.c.id == bindparam("application_id"))
                 .values(ats_candidate_id=bindparam("candidate"), ats_application_id=func.coalesce(
                     bindparam("application", type_=String), Application.__table__.c.ats_application_id)))


# ---------------------------------------------------------------- retry (CLI now, API later)


def retry_now(session: Session) -> list[int]:
    """Checks and writebacks not done yet, to run again now: those whose jobs gave up
    (``failed``) become pending with their attempts reset, those waiting for a later retry
    are due now. Returns their outbox ids for the caller to enqueue (replacing a scheduled
    retry: ``adapters.queue.enqueue_outbox(..., replace_overdue=True)``)."""
    items = list(session.scalars(select(OutboxItem).where(
        OutboxItem.kind.in_([OutboxKind.ats_check, OutboxKind.ats_writeback]),
        OutboxItem.status.in_([OutboxStatus.failed, OutboxStatus.pending])).order_by(OutboxItem.id)))
    for item in items:
        if item.status == OutboxStatus.failed:
            item.status, item.attempts = OutboxStatus.pending, 0
        item.next_attempt_at = None
    return [item.id for item in items]
