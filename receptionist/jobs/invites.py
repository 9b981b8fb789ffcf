"""The outbox handler of ``invite`` items: invite the candidate to the interview agent, then
keep the link, text it and mark the application invited (``services.routing.record_invited``).

Timeouts, 429 and 5xx are retried with the outbox's backoff (``adapters.queue``); any other
answer fails the row with the platform's own error in ``last_error`` (a recruiter retries it
with ``approvals.retry_invite``). The row's idempotency key (candidate + posting) means one
row, and the outbox claim means one run at a time: a worker killed mid-invite leaves the row
``sending``, which the reconciler fails (never re-run on its own), so the platform sees at most
one invite unless a recruiter asks again.
"""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from ..adapters.interview import InterviewPlatformError
from ..services import routing
from ..services.outbox import Claimed
from .outbox import Done, Fail, Outcome, Retry

if TYPE_CHECKING:
    from ..bootstrap import Container

log = logging.getLogger(__name__)


def send_invite(item: Claimed, container: "Container") -> Outcome:
    """Payload as written by ``services.routing.approve_and_invite``."""
    p = item.payload
    try:
        invitation = container.interview.invite(posting_id=p.get("interview_posting_id") or "", name=p["name"],
                                                email=p.get("email"), phone_number=p.get("phone_number"),
                                                metadata=p.get("metadata") or {})
    except InterviewPlatformError as exc:
        return Retry(f"interview platform: {exc}") if exc.retryable else Fail(f"interview platform: {exc}")
    try:
        # Core statements only: on a Connection, without a Session to set up and flush.
        container.uow.run(lambda conn: routing.record_invited(conn, p["application_id"], invitation.interview_url),
                          orm=False)
    except Exception as exc:  # the database failed after the platform said yes: keep the link visible
        log.exception("outbox %s: invited but not recorded", item.id)
        return Fail(f"invited ({invitation.interview_url}) but not recorded: {type(exc).__name__}; "
                    "text the link by hand rather than retrying (a retry invites again)")
    return Done(provider_status="invited")  # logged once, with the row's "sent" (jobs.outbox)
