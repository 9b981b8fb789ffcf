"""The approval queue and routing decisions (services.approvals / services.routing), per backend."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from receptionist.adapters.models import (Application, Company, OutboxItem, Posting, RoutingEvent, RoutingMode,
                                          RoutingState)
from receptionist.engine.vocabulary import DuplicateCheck, OutboxStatus, ScreeningOutcome
from receptionist.services import approvals, webhooks
from receptionist.services.errors import Conflict, Invalid, NotFound
from receptionist.services.routing import route_if_ready

from .routing_helpers import screened

pytestmark = pytest.mark.usefixtures("sample_company")


def company_id(s) -> int:
    return s.scalars(select(Company.id).filter_by(slug="acme-staffing")).one()


def outbox(s, kind):
    return s.scalars(select(OutboxItem).filter_by(kind=kind).order_by(OutboxItem.id)).all()


def history(s, application_id):
    return [(e.from_state.value, e.to_state.value, e.actor)
            for e in s.scalars(select(RoutingEvent).filter_by(application_id=application_id).order_by(RoutingEvent.id))]


def test_auto_mode_above_threshold_queues_one_invite(container):
    app_id = container.uow.run(lambda s: screened(s, score=85.0).id)
    with container.database.transaction() as s:
        application = s.get(Application, app_id)
        assert application.routing == RoutingState.approved
        [invite] = outbox(s, "invite")
        assert invite.idempotency_key == f"invite:{application.candidate_id}:{application.posting_id}"
        assert invite.payload["phone_number"] == "+12025550123" and invite.payload["metadata"]["score"] == 85.0
        assert history(s, app_id) == [("not_routed", "approved", "system")]


def test_auto_mode_below_threshold_waits_for_a_recruiter(container):
    app_id = container.uow.run(lambda s: screened(s, score=69.9).id)
    with container.database.transaction() as s:
        assert s.get(Application, app_id).routing == RoutingState.pending_approval
        assert outbox(s, "invite") == []
        [event] = s.scalars(select(RoutingEvent)).all()
        assert "below threshold 70" in event.reason


@pytest.mark.parametrize("check", [DuplicateCheck.duplicate, DuplicateCheck.pending, DuplicateCheck.not_started])
def test_duplicates_and_unchecked_applications_are_never_routed(container, check):
    app_id = container.uow.run(lambda s: screened(s, score=100.0, check=check).id)
    with container.database.transaction() as s:
        assert s.get(Application, app_id).routing == RoutingState.not_routed
        assert outbox(s, "invite") == [] and s.scalars(select(RoutingEvent)).all() == []


def test_knocked_out_is_not_routed_whatever_the_score(container):
    def knocked(s):
        application = screened(s, score=100.0, route=False)
        application.screening_outcome = ScreeningOutcome.knocked_out
        return route_if_ready(s, application)
    assert container.uow.run(knocked) == RoutingState.not_routed


def test_manual_mode_waits_then_one_approval_queues_one_invite_even_twice(container):
    app_id = container.uow.run(lambda s: screened(s, score=95.0, mode=RoutingMode.manual).id)
    cid = container.uow.run(company_id)
    assert [a.id for a in container.uow.run(lambda s: approvals.pending(s, cid))] == [app_id]
    for _ in range(2):
        state = container.uow.run(lambda s: approvals.approve(s, cid, app_id, actor="recruiter@acme").routing)
        assert state == RoutingState.approved
    with container.database.transaction() as s:
        assert len(outbox(s, "invite")) == 1
        assert history(s, app_id) == [("not_routed", "pending_approval", "system"),
                                      ("pending_approval", "approved", "recruiter@acme")]
    assert container.uow.run(lambda s: approvals.pending(s, cid)) == []


def test_approve_for_another_posting_invites_to_that_one(container):
    app_id = container.uow.run(lambda s: screened(s, mode=RoutingMode.manual).id)
    cid = container.uow.run(company_id)
    driver = container.uow.run(lambda s: s.scalars(select(Posting.id).filter_by(key="delivery-driver")).one())
    container.uow.run(lambda s: approvals.approve(s, cid, app_id, posting_id=driver))
    with container.database.transaction() as s:
        [invite] = outbox(s, "invite")
        assert invite.payload["posting_id"] == driver and invite.idempotency_key.endswith(f":{driver}")
        assert s.scalars(select(RoutingEvent.posting_id).order_by(RoutingEvent.id.desc())).first() == driver
    with pytest.raises(Conflict):  # approved already, for that posting: not for a third one
        forklift = container.uow.run(lambda s: s.scalars(select(Posting.id).filter_by(key="forklift-operator")).one())
        container.uow.run(lambda s: approvals.approve(s, cid, app_id, posting_id=forklift))


def test_dismiss_with_reason_and_polite_text(container):
    app_id = container.uow.run(lambda s: screened(s, mode=RoutingMode.manual).id)
    cid = container.uow.run(company_id)
    container.uow.run(lambda s: webhooks.register(s, cid, "https://hooks.example.com/r", ["candidate.dismissed"]))
    with pytest.raises(Invalid) as bad:
        container.uow.run(lambda s: approvals.dismiss(s, cid, app_id, reason="  "))
    assert bad.value.field == "reason"
    container.uow.run(lambda s: approvals.dismiss(s, cid, app_id, reason="no forklift licence",
                                                  notify_candidate=True))
    with container.database.transaction() as s:
        assert s.get(Application, app_id).routing == RoutingState.dismissed
        [text] = outbox(s, "sms")
        assert text.purpose == "dismissal" and text.recipient == "+12025550123"
        assert "Hi Jane, thank you for your interest in Forklift Operator" in text.payload["body"]
        [hook] = outbox(s, "webhook")
        assert hook.payload["body"]["data"]["reason"] == "no forklift licence"
        [event] = s.scalars(select(RoutingEvent).filter_by(to_state=RoutingState.dismissed)).all()
        assert event.reason == "no forklift licence"
    with pytest.raises(Conflict):
        container.uow.run(lambda s: approvals.approve(s, cid, app_id))
    # Dismissed again (a retry after a timeout, a second tap): nothing more is sent or recorded.
    container.uow.run(lambda s: approvals.dismiss(s, cid, app_id, reason="again", notify_candidate=True))
    with container.database.transaction() as s:
        assert len(outbox(s, "sms")) == 1 and len(outbox(s, "webhook")) == 1
        assert s.scalar(select(func.count()).select_from(RoutingEvent).filter_by(to_state=RoutingState.dismissed)) == 1


def test_dismissing_an_approved_application_cancels_its_unsent_invite(container):
    app_id = container.uow.run(lambda s: screened(s).id)
    cid = container.uow.run(company_id)
    container.uow.run(lambda s: approvals.dismiss(s, cid, app_id, reason="filled"))
    with container.database.transaction() as s:
        [invite] = outbox(s, "invite")
        assert invite.status == OutboxStatus.cancelled


def test_another_companys_application_is_not_found(container):
    app_id = container.uow.run(lambda s: screened(s, mode=RoutingMode.manual).id)
    other = container.uow.run(lambda s: (s.add(c := Company(slug="other", name="Other")), s.flush(), c.id)[2])
    for action in (lambda s: approvals.approve(s, other, app_id),
                   lambda s: approvals.dismiss(s, other, app_id, reason="x"),
                   lambda s: approvals.retry_invite(s, other, app_id),
                   lambda s: approvals.approve(s, other, 999999)):
        with pytest.raises(NotFound):
            container.uow.run(action)
    assert container.uow.run(lambda s: approvals.pending(s, other)) == []
    cid = container.uow.run(company_id)
    with pytest.raises(Invalid) as bad:
        container.uow.run(lambda s: approvals.approve(s, cid, app_id, posting_id=424242))
    assert bad.value.field == "posting_id"


def test_retry_invite_only_after_a_failure(container):
    app_id = container.uow.run(lambda s: screened(s).id)
    cid = container.uow.run(company_id)
    with pytest.raises(Conflict):
        container.uow.run(lambda s: approvals.retry_invite(s, cid, app_id))
    def fail(s):
        [invite] = outbox(s, "invite")
        invite.status, invite.attempts, invite.last_error = OutboxStatus.failed, 5, "HTTP 400: posting closed"
    container.uow.run(fail)
    container.uow.run(lambda s: approvals.retry_invite(s, cid, app_id, actor="recruiter"))
    with container.database.transaction() as s:
        [invite] = outbox(s, "invite")
        assert (invite.status, invite.attempts) == (OutboxStatus.pending, 0)
        assert "posting closed" in s.scalars(select(RoutingEvent.reason).order_by(RoutingEvent.id.desc())).first()


def test_pending_pages_by_id(container):
    ids = container.uow.run(lambda s: [screened(s, phone=f"+1202555{n:04d}", mode=RoutingMode.manual).id
                                       for n in range(5)])
    cid = container.uow.run(company_id)
    first = container.uow.run(lambda s: [a.id for a in approvals.pending(s, cid, limit=2)])
    rest = container.uow.run(lambda s: [a.id for a in approvals.pending(s, cid, limit=50, starting_after=first[-1])])
    assert first + rest == ids
    with pytest.raises(Invalid):
        container.uow.run(lambda s: approvals.pending(s, cid, limit=0))


def test_two_recruiters_approving_at_once_write_one_invite(container):
    import threading
    app_id = container.uow.run(lambda s: screened(s, mode=RoutingMode.manual).id)
    cid = container.uow.run(company_id)
    barrier, errors = threading.Barrier(2), []
    def approve():
        barrier.wait()
        try:
            container.uow.run(lambda s: approvals.approve(s, cid, app_id, actor=threading.current_thread().name))
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
    threads = [threading.Thread(target=approve, name=f"recruiter-{n}") for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with container.database.transaction() as s:
        assert len(outbox(s, "invite")) == 1
        assert [h[1] for h in history(s, app_id)] == ["pending_approval", "approved"]


def test_screening_end_and_duplicate_check_finishing_together_route_once(container):
    """Each transaction sees the other's field unchanged when it starts; the one that writes
    second must still see both results and route (else the application is stuck unrouted)."""
    import threading
    if container.database.engine.dialect.name == "sqlite":
        pytest.skip("SQLite transactions take the write lock at BEGIN IMMEDIATE (adapters.db): never interleaved")
    app_id = container.uow.run(lambda s: screened(s, check=DuplicateCheck.pending, route=False).id)
    container.uow.run(lambda s: setattr(s.get(Application, app_id), "screening_outcome",
                                        ScreeningOutcome.in_progress))
    barrier = threading.Barrier(2, timeout=10)
    def finish(field, value):
        def action(s):
            application = s.get(Application, app_id)
            setattr(application, field, value)
            barrier.wait()  # both have read the old state
            route_if_ready(s, application)
        container.uow.run(action)
    threads = [threading.Thread(target=finish, args=("screening_outcome", ScreeningOutcome.qualified)),
               threading.Thread(target=finish, args=("duplicate_check", DuplicateCheck.clear))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with container.database.transaction() as s:
        assert s.get(Application, app_id).routing == RoutingState.approved
        assert len(outbox(s, "invite")) == 1
