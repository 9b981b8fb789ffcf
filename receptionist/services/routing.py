"""Routing a screened application toward an interview agent: the seam both the screening
end and the ATS duplicate check call, whichever finishes last, and the steps after it.

States (``RoutingState``): not_routed -> pending_approval (the approval queue) -> approved
(the invite queued as an outbox row of kind ``invite``) -> invited (the link texted); or
dismissed. Every change is a :class:`RoutingEvent` row (the routing history). Each
function runs in the caller's transaction.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, func, insert, literal, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from ..adapters.db import Prepared
from ..adapters.models import (Agent, Application, Candidate, Conversation, OutboxItem, Posting, RoutingEvent,
                               utcnow)
from ..engine.texts import Line, render
from ..engine.vocabulary import (DuplicateCheck, OutboxKind, OutboxStatus, RoutingMode, RoutingState,
                                 ScreeningOutcome)
from . import candidate_list, webhooks
from .outbox import add, new_sms_cte, noted, queue_sms, queue_sms_new, sms_cte_params
from .text_numbers import reachable, texts_reach
from .unit_of_work import core_connection

SYSTEM = "system"  # the actor of automatic decisions


def transition(session: Session, application: Application, to: RoutingState, *, actor: str,
               reason: str | None = None, posting_id: int | None = None) -> None:
    """Move ``application`` to ``to`` and write the history row (from, to, actor, reason, posting)."""
    if application.id is None:
        session.flush()
    record_transition(session.connection(), application.id, RoutingState(application.routing), to, actor=actor,
                      reason=reason, posting_id=posting_id)
    application.routing = to


_NEW_EVENT = insert(RoutingEvent.__table__)


def record_transition(connection, application_id: int, from_state: RoutingState, to: RoutingState, *, actor: str,
                      reason: str | None = None, posting_id: int | None = None) -> None:
    """The history row of a routing change of application ``application_id`` (one Core INSERT;
    the one writer of ``routing_events``); the application's own ``routing`` is the caller's."""
    connection.execute(_NEW_EVENT, {"application_id": application_id, "from_state": from_state, "to_state": to,
                                    "actor": actor, "reason": reason, "posting_id": posting_id, "at": utcnow()})


def auto_approves(mode: RoutingMode, threshold: float, score: float | None) -> bool:
    """Whether an agent routing in ``mode`` with ``threshold`` approves a cleared application
    scoring ``score`` (0-100, None: not scored) by itself."""
    return mode == RoutingMode.auto and score is not None and score >= threshold


def auto_reason(score: float, threshold: float) -> str:
    """The routing history's reason of an automatic approval."""
    return f"score {score:g} >= threshold {threshold}"


def invite_payload(*, application_id: int, posting: Posting | Any, name: str | None, email: str | None,
                   phone: str | None, conversation_id: int | None, score: float | None) -> dict[str, Any]:
    """The invite outbox row's payload (see :func:`approve_and_invite`); ``posting``: the target
    posting, or anything with its ``id``, ``key``, ``title`` and ``interview_posting_id``."""
    return {"application_id": application_id, "posting_id": posting.id,
            "posting_title": posting.title.get("en") or next(iter(posting.title.values()), posting.key),
            "interview_posting_id": posting.interview_posting_id,
            "name": name or "", "email": email, "phone_number": phone,
            "metadata": {"source": "receptionist", "application_id": application_id, "posting_key": posting.key,
                         "conversation_id": conversation_id, "score": score}}


def target_posting(application: Application) -> Posting:
    """The posting the invite goes to: the one a recruiter approved it for, else its own."""
    return application.invite_posting or application.posting


def invite_key(application: Application) -> str:
    """The invite's idempotency key: one per candidate and posting, whatever approves it."""
    return f"invite:{application.candidate_id}:{target_posting(application).id}"


def latest_conversation(application: Application) -> Conversation | None:
    """The application's most recent conversation (the number texts come from), if any."""
    return application.conversations[-1] if application.conversations else None


def summary(application: Application) -> dict[str, Any]:
    """The application as outbound webhooks and invite metadata describe it (JSON-ready)."""
    candidate, posting = application.candidate, target_posting(application)
    conversation = latest_conversation(application)
    return _summary(application.id, application.routing, application.score, candidate, posting.id, posting.key,
                    posting.title, conversation.id if conversation is not None else None, application.interview_url)


def _summary(application_id: int, routing: RoutingState, score: float | None, candidate, posting_id: int,
             posting_key: str, posting_title: dict, conversation_id: int | None,
             interview_url: str | None) -> dict[str, Any]:
    """:func:`summary` from its facts; ``candidate`` has ``id``, ``name``, ``email``, ``phone``."""
    return {"application_id": application_id, "routing": str(routing), "score": score,
            "candidate": {"id": candidate.id, "name": candidate.name, "email": candidate.email,
                          "phone_number": candidate.phone},
            "posting": {"id": posting_id, "key": posting_key, "title": posting_title},
            "conversation_id": conversation_id, "interview_url": interview_url}


def _latest_conversation(application_id: str):
    return (select(Conversation.id).where(Conversation.application_id == bindparam(application_id))
            .order_by(Conversation.started_at.desc(), Conversation.id.desc()).limit(1))


# The id of an application's latest conversation, as ``latest_conversation`` orders them;
# ``LATEST_CONVERSATION_OF`` as a column of another statement, of application ``routed``.
_LATEST_CONVERSATION = _latest_conversation("application_id")
LATEST_CONVERSATION_OF = _latest_conversation("routed").scalar_subquery()


def approve_and_invite(session: Session, application: Application, *, actor: str,
                       reason: str | None = None) -> OutboxItem:
    """Approve ``application`` and write its invite (outbox kind ``invite``, key
    :func:`invite_key`: approving twice writes one row). Returns the invite row.

    Payload: ``application_id``, ``posting_id`` (ours), ``interview_posting_id`` (the
    platform's, from the YAML; None for the built-in stand-in), ``name``, ``email``,
    ``phone_number`` and ``metadata`` {source, application_id, conversation_id, score}.
    """
    posting = target_posting(application)
    transition(session, application, RoutingState.approved, actor=actor, reason=reason, posting_id=posting.id)
    candidate = application.candidate
    # Its id only: one narrow read, not the application's whole list of conversations.
    conversation_id = session.connection().scalar(_LATEST_CONVERSATION, {"application_id": application.id})
    payload = invite_payload(application_id=application.id, posting=posting, name=candidate.name,
                             email=candidate.email, phone=candidate.phone, conversation_id=conversation_id,
                             score=application.score)
    return add(session, kind=OutboxKind.invite, purpose="invite", idempotency_key=invite_key(application),
               payload=payload, recipient=candidate.email or candidate.phone, candidate=candidate,
               application_id=application.id, agent=application.agent)


# ``FOR NO KEY UPDATE`` (PostgreSQL): the lock guards non-key columns only (routing and its
# facts); rows referring to the application (history, outbox, checks) are not held up by it.
_ROUTING_FACTS = (select(Application.screening_outcome, Application.duplicate_check, Application.routing)
                  .where(Application.id == bindparam("id")).with_for_update(key_share=True))


def route_if_ready(session: Session, application: Application) -> RoutingState:
    """Decide ``application``'s routing once both its screening and its duplicate check are done.

    Ready means: screening outcome ``qualified``, duplicate check ``clear`` and routing still
    ``not_routed``; anything else leaves the application as it is (a duplicate is never routed,
    a pending check waits for the ATS job to call again). Manual agents put the application in
    the approval queue (``pending_approval``, webhook ``routing.pending_approval``); automatic
    agents approve it when its score reaches the agent's threshold and queue the invite, else
    queue it for a recruiter. Returns the routing state after the call.
    Runs in the caller's transaction; never raises for an application that is not ready.

    The screening end and the duplicate check may finish at the same moment in two
    transactions: the caller's changes are written and the row re-read locked (FOR NO KEY
    UPDATE on PostgreSQL; SQLite's write lock is taken at BEGIN), so the second of them sees
    the first's result and routes.
    """
    session.flush()
    # The three facts that decide, re-read locked (one narrow Core read, not a refresh of the
    # whole row); when another transaction changed them meanwhile, the whole row is read again.
    facts = session.connection().execute(_ROUTING_FACTS, {"id": application.id}).one()
    if tuple(facts) != (application.screening_outcome, application.duplicate_check, application.routing):
        session.refresh(application)
    if (application.screening_outcome != ScreeningOutcome.qualified
            or application.duplicate_check != DuplicateCheck.clear
            or application.routing != RoutingState.not_routed):
        return RoutingState(application.routing)
    agent = application.agent
    if auto_approves(agent.routing_mode, agent.routing_threshold, application.score):
        approve_and_invite(session, application, actor=SYSTEM,
                           reason=auto_reason(application.score, agent.routing_threshold))
    else:
        reason = ("manual routing" if agent.routing_mode == RoutingMode.manual
                  else f"score {application.score if application.score is not None else 'unknown'} "
                       f"below threshold {agent.routing_threshold}")
        transition(session, application, RoutingState.pending_approval, actor=SYSTEM, reason=reason)
        webhooks.emit(session, agent.company_id, webhooks.Event.pending_approval, summary(application))
    return RoutingState(application.routing)


def _candidate_text(session: Session, application: Application, key: str, purpose: str, **params: Any) -> None:
    """Text the candidate phrase ``key`` from the number they last reached (skipped without one)."""
    candidate, conversation = application.candidate, latest_conversation(application)
    to = reachable(candidate)
    if to is None or conversation is None:
        return
    posting = target_posting(application)
    body = _text_body(key, candidate.name, candidate.language or conversation.language or "en", posting.title,
                      posting.key, **params)
    queue_sms(session, to=to, from_=conversation.to_number, body=body, purpose=purpose,
              idempotency_key=f"{purpose}:{application.id}:{posting.id}", candidate=candidate,
              conversation=conversation, agent=application.agent)


def _text_body(key: str, name: str | None, language: str, title: dict, posting_key: str, **params: Any) -> str:
    """The text ``key`` to a candidate called ``name`` about the posting titled ``title`` (per language)."""
    return render(Line(key, {"name": (name or "").split(" ")[0] or "there",
                             "title": title.get(language) or title.get("en") or posting_key, **params}),
                  language, "sms")


def record_invited(session: Session | Connection, application_id: int, interview_url: str) -> bool:
    """The platform answered the invite: keep the link, text it to the candidate (outbox,
    purpose ``interview_link``, from the number they last reached), move to ``invited``
    (history row) and emit ``candidate.invited``. Returns whether it did: only from
    ``approved``, so a repeat (or a dismissed or gone application) changes nothing.

    Core statements (the invite job's hot path): one read of what it needs, a conditional
    UPDATE, the history INSERT, the text's, and the candidate list's row refreshed. On
    PostgreSQL the read locks the candidate's and the application's rows (``_INVITE_FACTS``),
    so what the text and the webhook take from them (opt-out, name, e-mail, language, which
    posting, the routing) cannot change under READ COMMITTED before the writes commit: a STOP,
    START, corrected name or dismissal arriving meanwhile waits and comes after. (Not locked:
    the posting's title and the latest conversation's number, whose change costs nothing.)
    ``session``: a Session, or the Connection of ``UnitOfWork.run(orm=False)`` (the job's:
    no Session to set up and flush)."""
    conn = core_connection(session)
    facts = _INVITE_FACTS.execute(conn, {"application_id": application_id}).first()
    if facts is None or facts.routing != RoutingState.approved:
        return False
    to = texts_reach(facts.phone, facts.text_number, facts.text_number_confirmed_at is not None)
    candidate = _Addressee(facts.candidate_id, facts.name, facts.email, to, facts.opted_out)
    text = None
    if to is not None and facts.conversation_id is not None:
        body = _text_body("interview_link", facts.name, facts.candidate_language or facts.conversation_language
                          or "en", facts.title, facts.key, url=interview_url)
        text = dict(to=to, from_=facts.to_number, body=body, purpose="interview_link",
                    idempotency_key=f"interview_link:{application_id}:{facts.posting_id}", candidate=candidate,
                    conversation_id=facts.conversation_id, agent_id=facts.agent_id)
    if conn.dialect.name == "postgresql":  # the UPDATE, the history row and the text: one statement
        params = sms_cte_params("text", utcnow(), **text) if text is not None else {}
        done = _invited_writes(text is not None).execute(conn, {
            **params, "application_id": application_id, "url": interview_url, "posting_id": facts.posting_id,
            "at": utcnow()}).one()
        if not done.invited:
            return False  # not reached: the row is locked since the read (the UPDATE re-checks it anyway)
        if text is not None:
            noted(conn, done.text_id, params, "text")
    else:
        if _INVITED.execute(conn, {"application_id": application_id, "url": interview_url}).rowcount != 1:
            return False  # not reached: SQLite's write lock is held since BEGIN
        record_transition(conn, application_id, RoutingState.approved, RoutingState.invited, actor=SYSTEM,
                          posting_id=facts.posting_id)
        if text is not None:
            queue_sms_new(session, **text)
    candidate_list.refresh(conn, [facts.candidate_id])  # a Core write: the flush hooks do not see it
    webhooks.emit(session, facts.company_id, webhooks.Event.invited, _summary(
        application_id, RoutingState.invited, facts.score, candidate, facts.posting_id, facts.key, facts.title,
        facts.conversation_id, interview_url))
    return True


@dataclass(frozen=True)
class _Addressee:
    """The candidate's columns a text and a summary read (``outbox.queue_sms_new``, :func:`_summary`)."""

    id: int
    name: str | None
    email: str | None
    phone: str | None
    opted_out: bool


# What record_invited reads: the application, its candidate, the posting the invite went to,
# its agent's company and its latest conversation (as ``latest_conversation`` orders them).
# PostgreSQL: the candidate's and the application's rows locked until commit, the candidate
# first (PostgreSQL locks in ``OF`` order), the order of the other writers that lock both (a
# screening end: the candidate, then ``_LOCK_ROUTED``; an inbound text locks its sender first).
# A STOP (``opted_out``) or a correction committed between this read and the writes would
# otherwise go unseen: the text written pending to someone who opted out (only the claim's
# re-check keeps it from Twilio), or cancelled for someone who opted back in (the link never
# sent), or greeting an old name. ``FOR NO KEY UPDATE``: rows referring to either (an answer,
# a text, a history row) are not held up. After a wait the locked rows are read as committed
# (PostgreSQL re-reads them), the posting and the conversation as of the statement's start.
_LATEST_OF_APPLICATION = (select(Conversation.id).where(Conversation.application_id == Application.id)
                          .order_by(Conversation.started_at.desc(), Conversation.id.desc()).limit(1)
                          .correlate(Application).scalar_subquery())
_INVITE_FACTS = Prepared(
    select(Application.routing, Application.candidate_id, Application.agent_id, Application.score,
           Candidate.name, Candidate.email, Candidate.phone, Candidate.text_number,
           Candidate.text_number_confirmed_at, Candidate.opted_out,
           Candidate.language.label("candidate_language"), Posting.id.label("posting_id"), Posting.key,
           Posting.title, Agent.company_id, Conversation.id.label("conversation_id"), Conversation.to_number,
           Conversation.language.label("conversation_language"))
    .join(Candidate, Candidate.id == Application.candidate_id)
    .join(Posting, Posting.id == func.coalesce(Application.invite_posting_id, Application.posting_id))
    .join(Agent, Agent.id == Application.agent_id)
    .outerjoin(Conversation, Conversation.id == _LATEST_OF_APPLICATION)
    .where(Application.id == bindparam("application_id"))
    .with_for_update(key_share=True, of=[Candidate.__table__, Application.__table__]))
# Both Prepared (run on the driver's cursor): the invite job's read and write, once a call.
_INVITED = Prepared(update(Application.__table__)
                    .where(Application.__table__.c.id == bindparam("application_id"),
                           Application.__table__.c.routing == RoutingState.approved)
                    .values(interview_url=bindparam("url"), routing=RoutingState.invited))


@lru_cache(maxsize=None)
def _invited_writes(texted: bool) -> Prepared:
    """PostgreSQL: :func:`record_invited`'s writes in one statement, each a data-modifying CTE
    hanging on the conditional UPDATE (``_INVITED``: no row, nothing written): ``WITH invited
    AS (UPDATE applications ... RETURNING id), event AS (INSERT INTO routing_events ... SELECT
    ... FROM invited)[, text AS (INSERT INTO outbox ... ON CONFLICT DO NOTHING)] SELECT
    count(invited), text id``: one round trip instead of three (``bench/jobs.py``)."""
    apps = Application.__table__
    invited = (_INVITED.statement.values(updated_at=bindparam("at", type_=apps.c.updated_at.type))
               .returning(apps.c.id).cte("invited"))
    events = RoutingEvent.__table__
    event = insert(events).from_select(
        ["application_id", "from_state", "to_state", "actor", "posting_id", "at"],
        select(invited.c.id, literal(RoutingState.approved, events.c.from_state.type),
               literal(RoutingState.invited, events.c.to_state.type), literal(SYSTEM, events.c.actor.type),
               bindparam("posting_id", type_=events.c.posting_id.type), bindparam("at", type_=events.c.at.type))
    ).cte("event")
    columns = [select(func.count()).select_from(invited).scalar_subquery().label("invited")]
    ctes = [invited, event]
    if texted:
        ctes.append(new_sms_cte("text", after=invited))
        columns.append(select(ctes[-1].c.id).scalar_subquery().label("text_id"))
    return Prepared(select(*columns).add_cte(*ctes))


def text_dismissal(session: Session, application: Application) -> None:
    """Queue the polite no-thank-you text to the candidate (purpose ``dismissal``)."""
    _candidate_text(session, application, "dismissal", "dismissal")


def withdraw_duplicate(session: Session, application: Application) -> bool:
    """A duplicate found after the application was routed (e.g. the check by e-mail, after the
    one by phone had cleared it): take it out of the approval queue, or cancel its invite while
    that has not started, with the reason in the routing history. Returns False when the invite
    is already being sent or was sent (nothing to undo: a recruiter sees both facts)."""
    if RoutingState(application.routing) not in (RoutingState.pending_approval, RoutingState.approved):
        return False
    invite = invite_row(session, application)
    if invite is not None and invite.status in (OutboxStatus.sending, OutboxStatus.sent):
        return False
    if invite is not None and invite.status == OutboxStatus.pending:
        invite.status, invite.last_error = OutboxStatus.cancelled, "the candidate already applied (ATS duplicate)"
    transition(session, application, RoutingState.dismissed, actor=SYSTEM,
               reason="already applied for this job in the ATS (duplicate check)")
    return True


def invite_row(session: Session, application: Application) -> OutboxItem | None:
    """The application's invite outbox row (its status and ``last_error`` show a failure)."""
    return session.scalars(select(OutboxItem).filter_by(idempotency_key=invite_key(application))).one_or_none()


def interview_for_token(session: Session, token: str) -> tuple[str, str] | None:
    """(company name, posting title) of the application whose local interview link ends in
    ``token`` (the built-in stand-in's page); None when there is none."""
    if not token.isalnum() or len(token) > 64:
        return None
    application = session.scalars(select(Application).where(
        Application.interview_url.like(f"%/interview/{token}"))).first()
    if application is None:
        return None
    posting = target_posting(application)
    return application.agent.company.name, posting.title.get("en") or next(iter(posting.title.values()), posting.key)
