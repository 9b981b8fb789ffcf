"""The approval queue: a recruiter approves (optionally for another posting) or dismisses an
application waiting in ``pending_approval``, and retries an invite that failed.

Every function runs in the caller's transaction (through the unit of work), checks the
company first (another company's application is :class:`NotFound`, as an unknown id is),
and raises before it changes anything.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..adapters.models import Agent, Application, OutboxItem, Posting
from ..engine.vocabulary import OutboxStatus, RoutingState
from . import routing, webhooks
from .errors import Conflict, Invalid, NotFound
from .unit_of_work import note_new_outbox

MAX_REASON = 2000  # characters


def _application(session: Session, company_id: int, application_id: int) -> Application:
    # Locked until commit: two recruiters acting at once take turns (and with the invite job,
    # ``routing.record_invited``). FOR NO KEY UPDATE on PostgreSQL: these use cases change
    # non-key columns only (routing, invite_posting_id; never the id, candidate or posting, and
    # nothing deletes the row), so inserts referring to the application (an answer, a check, a
    # text, a history row; their foreign key check takes FOR KEY SHARE) need not wait for them.
    application = (session.get(Application, application_id, with_for_update={"key_share": True},
                               populate_existing=True)
                   if isinstance(application_id, int) else None)
    if application is None or application.agent.company_id != company_id:
        raise NotFound(f"no application {application_id}")
    return application


def approve(session: Session, company_id: int, application_id: int, posting_id: int | None = None,
            actor: str = "api") -> Application:
    """Approve a pending application and queue its invite (to ``posting_id``, another open
    posting of the company, when given). Approving again (same posting) changes nothing and
    never writes a second invite.

    Raises NotFound (unknown or another company's application), Invalid("posting_id") (not
    an open posting of this company), Conflict (not waiting for approval: dismissed, not
    routed, or already approved for another posting).
    """
    application = _application(session, company_id, application_id)
    posting = None
    if posting_id is not None:
        posting = session.get(Posting, posting_id) if isinstance(posting_id, int) else None
        if posting is None or posting.company_id != company_id or not posting.is_open:
            raise Invalid("posting_id", f"no open posting {posting_id} in this company")
    state = RoutingState(application.routing)
    if state in (RoutingState.approved, RoutingState.invited):
        if posting is not None and posting.id != routing.target_posting(application).id:
            raise Conflict(f"application {application.id} is already {state} for another posting")
        return application
    if state != RoutingState.pending_approval:
        raise Conflict(f"application {application.id} is {state}, not waiting for approval")
    if posting is not None and posting.id != application.posting_id:
        application.invite_posting = posting
    routing.approve_and_invite(session, application, actor=actor)
    return application


def dismiss(session: Session, company_id: int, application_id: int, reason: str, notify_candidate: bool = False,
            actor: str = "api") -> Application:
    """Dismiss a pending (or approved, not yet invited) application with ``reason``; with
    ``notify_candidate`` a polite text goes to the candidate through the outbox. Emits
    ``candidate.dismissed``. A queued invite that has not run is cancelled. Dismissing again
    (a retried request, a second tap) changes nothing: no second text, event or history row.

    Raises NotFound, Invalid("reason") (empty or longer than ``MAX_REASON``), Conflict
    (already invited, or never routed).
    """
    application = _application(session, company_id, application_id)
    reason = (reason or "").strip() if isinstance(reason, str) else ""
    if not reason or len(reason) > MAX_REASON:
        raise Invalid("reason", f"a reason of 1 to {MAX_REASON} characters is required")
    state = RoutingState(application.routing)
    if state == RoutingState.dismissed:
        return application
    if state not in (RoutingState.pending_approval, RoutingState.approved):
        raise Conflict(f"application {application.id} is {state}; only a pending or approved one can be dismissed")
    invite = routing.invite_row(session, application)
    if invite is not None:
        if invite.status == OutboxStatus.sending:
            raise Conflict(f"application {application.id}'s invite is being sent right now; try again")
        if invite.status == OutboxStatus.pending:
            invite.status, invite.last_error = OutboxStatus.cancelled, "dismissed before it was sent"
    routing.transition(session, application, RoutingState.dismissed, actor=actor, reason=reason)
    if notify_candidate:
        routing.text_dismissal(session, application)
    webhooks.emit(session, application.agent.company_id, webhooks.Event.dismissed,
                  {**routing.summary(application), "reason": reason})
    return application


def retry_invite(session: Session, company_id: int, application_id: int, actor: str = "api") -> Application:
    """Run a failed invite again (same outbox row, attempts counted afresh). Raises NotFound,
    Conflict (not approved, or its invite has not failed)."""
    application = _application(session, company_id, application_id)
    invite = routing.invite_row(session, application)
    if application.routing != RoutingState.approved or invite is None or invite.status != OutboxStatus.failed:
        raise Conflict(f"application {application.id} has no failed invite to retry")
    invite.status, invite.attempts, invite.next_attempt_at = OutboxStatus.pending, 0, None
    session.flush()
    note_new_outbox(session, invite.id)
    routing.transition(session, application, RoutingState.approved, actor=actor,
                       reason=f"invite retried after: {invite.last_error}"[:MAX_REASON])
    return application


def pending(session: Session, company_id: int, limit: int = 50, starting_after: int | None = None) -> list[Application]:
    """The approval queue: the company's ``pending_approval`` applications, oldest first
    (by id), at most ``limit`` (1-100) after the id ``starting_after`` (keyset pagination).
    Raises Invalid("limit")."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 100:
        raise Invalid("limit", "a whole number from 1 to 100")
    query = (select(Application).join(Agent, Application.agent_id == Agent.id)
             .where(Agent.company_id == company_id, Application.routing == RoutingState.pending_approval)
             .order_by(Application.id).limit(limit))
    if starting_after is not None:
        query = query.where(Application.id > starting_after)
    return list(session.scalars(query))


def invite_status(session: Session, application: Application) -> OutboxItem | None:
    """The application's invite row, for showing its state and the platform's last error."""
    return routing.invite_row(session, application)
