"""RQ jobs of the ATS: the duplicate check and the writeback (outbox handlers, registered in
``bootstrap``), and the periodic mirror sync (RQ's cron, ``cli.queue``).

Handlers read what they need in one transaction, call the ATS outside any transaction, and
store the answer in another; an ATS that is down or misconfigured answers ``Retry`` (the
outbox's backoff), the check stays pending and nothing is lost.
"""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from sqlalchemy import select

from ..adapters.ats import ATSError
from ..adapters.models import Company
from ..services import ats_mirror, duplicates
from ..services.outbox import Claimed
from .outbox import Done, Fail, Outcome, Retry

if TYPE_CHECKING:
    from ..bootstrap import Container

log = logging.getLogger(__name__)


def _failed(exc: ATSError) -> Outcome:
    return Retry(str(exc)) if exc.retryable else Fail(str(exc))


def run_check(item: Claimed, container: "Container") -> Outcome:
    """The handler of ``ats_check`` items (payload ``{"check_id"}``): look the candidate up
    by phone and email and record the matches (which may decide an application)."""
    from ..bootstrap import ats_for

    check_id = item.payload["check_id"]
    request = container.uow.read(lambda conn: duplicates.check_request(conn, check_id))
    if request is None:
        return Done(provider_status="nothing to check")
    try:
        ats = ats_for(container, request.company)
        found = ats.find_candidates(phone=request.phone, email=request.email)
    except ATSError as exc:
        error = str(exc)
        container.uow.run(lambda s: duplicates.record_error(s, check_id, error))
        return _failed(exc)
    # Stored in the transaction that marks the row sent (one transaction, not two), on a
    # Connection: a prefetch's result is one Core UPDATE (deciding an application joins a Session).
    return Done(provider_status=f"{len(found)} match(es)",
                record=lambda s: duplicates.record_result(s, check_id, found, request.company.mirror_source,
                                                          asked=(request.phone, request.email)), core=True)


def run_writeback(item: Claimed, container: "Container") -> Outcome:
    """The handler of ``ats_writeback`` items: the candidate (merged into the record the check
    found, else found again by phone/email, else created), an application for the job unless
    one is active already, and the note. Safe to run again after a failure midway: each step
    looks before it writes, except the note."""
    from ..bootstrap import ats_for

    p = item.payload
    request = container.uow.read(lambda conn: duplicates.writeback_request(
        conn, p["conversation_id"], p["application_id"], container.settings.public_base_url))
    try:
        ats = ats_for(container, request.company)
        candidate_id = request.merge_into
        if candidate_id is None:
            found = ats.find_candidates(phone=request.phone, email=request.email)
            candidate_id = found[0].ats_id if found else None
        created = candidate_id is None
        if created:
            candidate_id = ats.create_candidate(name=request.name, phone=request.phone, email=request.email).ats_id
        else:
            ats.update_candidate(candidate_id, phone=request.phone, email=request.email)
        active = [] if created else [a for a in ats.applications(candidate_id)  # a new record has none
                                     if a.active and a.job_id == request.job_id]
        application_id = active[0].ats_id if active else ats.create_application(candidate_id, request.job_id).ats_id
        container.uow.run(lambda s: duplicates.record_writeback(s, p["application_id"], candidate_id,
                                                                None if active else application_id),
                          autocommit_first=True)  # one UPDATE: on PostgreSQL without BEGIN/COMMIT
        ats.add_note(candidate_id, request.note)
    except ATSError as exc:
        return _failed(exc)
    log.info("outbox %s: ATS writeback done (candidate %s)", item.id, candidate_id)
    return Done(provider_ref=None, provider_status=f"candidate {candidate_id}")


def sync_mirrors(container: "Container | None" = None, full: bool = False) -> dict:
    """Refresh the mirror of every company whose ATS needs one (Greenhouse); RQ's cron runs
    it every ``ATS_SYNC_INTERVAL_S``. One company failing is logged; the others still sync.
    Returns ``{source: stored count or the error}``."""
    from ..bootstrap import ats_for, current

    container = container or current()
    companies = container.uow.run(lambda s: [duplicates.company_ats(c) for c in s.scalars(select(Company))])
    report: dict[str, object] = {}
    for company in companies:
        try:
            ats = ats_for(container, company)
            if not hasattr(ats, "all_candidates"):
                continue
            report[ats.source] = ats_mirror.sync(container.uow, ats, full=full).stored
        except ATSError as exc:
            log.warning("ats mirror of %s: %s", company.slug, exc)
            report[company.mirror_source] = str(exc)
    return report
