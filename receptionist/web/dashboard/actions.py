"""What a recruiter does from the pages: approve (shortlist), dismiss, retry an invite, nudge.

Each is a POST form (CSRF-checked in ``__init__``) that runs one use case of
``services.approvals`` / ``services.nudges`` for the signed-in recruiter's company, then
redirects back (303) with a message saying what happened or why nothing did.
"""
from __future__ import annotations

from flask import flash, g, redirect, request

from ...services import approvals, nudges, reports, routing
from ...services.errors import Conflict, Invalid, NotFound
from . import bp, company_id, container
from .auth import _safe_next


def _actor() -> str:
    """Who acted, as the routing history records it."""
    return f"recruiter:{g.user.email}"[:120]


def _act(action, done):
    """Run ``action(session)`` in one unit of work; flash ``done`` (a string, or a function of
    the application the action returns, read in the same transaction) or the service's reason."""
    def run(s):
        result = action(s)
        return done(result) if callable(done) else done
    try:
        message = container().uow.run(run)
    except NotFound:
        flash("That application is not in your company's pipeline.", "error")
    except (Conflict, Invalid) as exc:
        flash(f"Nothing changed: {exc}", "error")
    else:
        flash(message, "ok")
    return redirect(_safe_next(request.form.get("next")), code=303)


def _who(application) -> str:
    return application.candidate.name or application.candidate.phone or "The candidate"


def _approved(application) -> str:
    """Names who was approved and for which posting: after a tap on a phone, the proof of what happened."""
    posting = reports.title(routing.target_posting(application).title)
    return f"Approved {_who(application)} for {posting}: the interview invite is on its way."


@bp.post("/applications/<int:application_id>/approve")
def approve(application_id: int):
    """Approve (shortlist) for the posting chosen in the form (preselected: the application's own)."""
    cid, posting = company_id(), request.form.get("posting_id", type=int)
    return _act(lambda s: approvals.approve(s, cid, application_id, posting_id=posting, actor=_actor()),
                _approved)


@bp.post("/applications/<int:application_id>/dismiss")
def dismiss(application_id: int):
    """Dismiss with the reason typed; optionally tell the candidate by text."""
    cid, reason = company_id(), request.form.get("reason", "")
    notify = request.form.get("notify") == "1"
    return _act(lambda s: approvals.dismiss(s, cid, application_id, reason, notify_candidate=notify, actor=_actor()),
                lambda a: f"Dismissed {_who(a)}." + (" They will get a text." if notify else ""))


@bp.post("/applications/<int:application_id>/retry")
def retry(application_id: int):
    """Send a failed invite again."""
    cid = company_id()
    return _act(lambda s: approvals.retry_invite(s, cid, application_id, actor=_actor()), "The invite will be sent again.")


@bp.post("/candidates/<int:candidate_id>/nudge")
def nudge(candidate_id: int):
    """Text the candidate a reminder of the step they have not finished."""
    cid = company_id()
    return _act(lambda s: nudges.nudge(s, cid, candidate_id), "Reminder text queued.")
