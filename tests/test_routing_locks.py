"""PostgreSQL row locks of routing and the approval queue, with the interleaving forced (the
helpers of tests/test_turn_races.py): what the invite job reads stays true until it commits,
and a lock that guards the application's routing does not hold up rows that merely refer to
the application. SQLite takes its write lock at BEGIN IMMEDIATE: never interleaved there."""
from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select

from receptionist.adapters.models import Application, Candidate, Company, OutboxItem, RoutingEvent
from receptionist.engine.vocabulary import OutboxKind, OutboxStatus, RoutingMode, RoutingState
from receptionist.jobs.outbox import run_item
from receptionist.services import approvals, outbox, routing

from .routing_helpers import screened
from .test_sms_inbound import SMS_AGENT, replies, sms_params
from .test_turn_races import WAIT_S, _second_waits_for_first

pytestmark = pytest.mark.usefixtures("sample_company")
PHONE, URL = "+12025550123", "https://interviews.test/i/1"


@pytest.fixture(autouse=True)
def _postgresql_only(db):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite transactions take the write lock at BEGIN IMMEDIATE (adapters.db): never interleaved")


def _lock_waiters(db) -> int:
    with db.engine.connect() as conn:
        return conn.exec_driver_sql("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                                    " AND datname = current_database()").scalar()


def _invite_job_held(container, monkeypatch, app_id: int):
    """The invite job's recording of the link (``routing.record_invited``, in its unit of work
    as ``jobs.invites`` runs it) as work for ``_second_waits_for_first``: held by ``hold()``
    once it has read its facts, as it renders the link's text, before any write."""
    text_body, pauses = routing._text_body, []

    def paused(*args, **kwargs):
        pauses[0]()
        return text_body(*args, **kwargs)
    monkeypatch.setattr(routing, "_text_body", paused)

    def job(hold):
        pauses.append(hold)
        return container.uow.run(lambda conn: routing.record_invited(conn, app_id, URL), orm=False)
    return job


def test_a_stop_while_the_invite_job_records_the_link_comes_after_it_and_the_link_is_not_sent(
        twilio, container, db, monkeypatch):
    # The invite job has read the candidate (not opted out) and renders the link's text when
    # the candidate texts STOP. Were the STOP to commit before the job's writes, the job would
    # write the text as if nothing had happened (pending, enqueued) after the opt-out: an
    # order no serial run gives. The job's read locks the candidate's row, so the STOP waits
    # for the job's commit, and the claim then refuses the link's text (the number opted out).
    app_id = container.uow.run(lambda s: screened(s, phone=PHONE).id)
    assert container.uow.run(lambda s: s.get(Application, app_id).routing) == RoutingState.approved
    job = _invite_job_held(container, monkeypatch, app_id)
    results = _second_waits_for_first(db, {"job": job}, {"stop": lambda _hold: twilio.post(
        "/sms/inbound", sms_params("STOP", from_number=PHONE, to=SMS_AGENT))})

    assert results["job"] is True
    assert replies(results["stop"])  # the STOP was answered (its confirmation of the opt-out)
    with db.transaction() as s:
        assert s.scalars(select(Candidate.opted_out).filter_by(phone=PHONE)).one() is True
        application = s.get(Application, app_id)
        assert (application.routing, application.interview_url) == (RoutingState.invited, URL)
        [link] = s.scalars(select(OutboxItem).filter_by(purpose="interview_link")).all()
        assert URL in link.payload["body"] and link.status == OutboxStatus.pending  # written before the STOP
    assert run_item(link.id, container) == "cancelled"  # never handed to Twilio
    with db.transaction() as s:
        assert "opted out" in s.get(OutboxItem, link.id).last_error


def test_a_dismissal_while_the_invite_job_records_the_link_waits_and_finds_it_invited(
        container, db, monkeypatch):
    # A recruiter dismisses the application while the job holds it: the dismissal waits, then
    # sees the application invited (its link texted) and says so instead of dismissing it.
    app_id = container.uow.run(lambda s: screened(s, phone=PHONE).id)
    company_id = container.uow.run(lambda s: s.scalars(select(Company.id)).one())
    job = _invite_job_held(container, monkeypatch, app_id)

    def dismiss(_hold):
        try:
            container.uow.run(lambda s: approvals.dismiss(s, company_id, app_id, "filled", notify_candidate=True))
        except approvals.Conflict as exc:
            return str(exc)
        return "dismissed"
    results = _second_waits_for_first(db, {"job": job}, {"dismiss": dismiss})

    assert results["job"] is True and "invited" in results["dismiss"]
    with db.transaction() as s:
        application = s.get(Application, app_id)
        assert (application.routing, application.interview_url) == (RoutingState.invited, URL)
        assert s.scalars(select(OutboxItem.purpose).where(OutboxItem.kind == OutboxKind.sms)
                         .order_by(OutboxItem.id)).all()[-1] == "interview_link"  # no dismissal text


def _not_held_up(db, holder, other) -> object:
    """``holder(hold)`` runs in a thread until it calls ``hold()`` (its row lock taken), then
    ``other()`` in another thread; returns what ``other`` returned once it ended while the
    holder still holds its lock. Fails as soon as PostgreSQL shows a backend waiting for a
    lock (the other waits for the holder), not on a timing."""
    holding, release, other_done, results = threading.Event(), threading.Event(), threading.Event(), {}

    def hold() -> None:
        holding.set()
        assert release.wait(WAIT_S), "the holder was never released"

    def run(name: str, work, done: threading.Event | None = None) -> None:
        try:
            results[name] = work()
        except BaseException as exc:  # reported by the test's thread
            results[name] = exc
        finally:
            holding.set()
            if done is not None:
                done.set()

    first = threading.Thread(target=run, args=("holder", lambda: holder(hold)))
    second = threading.Thread(target=run, args=("other", other, other_done))
    first.start()
    try:
        assert holding.wait(WAIT_S) and "holder" not in results, results.get("holder")
        second.start()
        waited = False
        for _ in range(WAIT_S * 20):  # a bound: one of the two shows within milliseconds
            if other_done.is_set():
                break
            if _lock_waiters(db):
                waited = True
                break
            time.sleep(0.05)
        assert not waited, "a row referring to the application waited for the application's lock"
        assert other_done.is_set(), "the other transaction neither ended nor waited"
    finally:
        release.set()
        for thread in (first, second):
            if thread.ident is not None:
                thread.join(WAIT_S)
    for name in ("holder", "other"):
        assert not isinstance(results.get(name), BaseException), results[name]
    return results["other"]


@pytest.mark.parametrize("locker", ["approval", "routing"])
def test_rows_referring_to_an_application_are_not_held_up_by_its_routing_lock(container, db, monkeypatch, locker):
    # A recruiter's approval (approvals._application) or an end routing the application
    # (routing._ROUTING_FACTS) holds the application's row, paused once it writes the routing
    # history; meanwhile another transaction writes a row referring to the application (an
    # outbox row about it). Its foreign key check takes FOR KEY SHARE, which FOR UPDATE would
    # block and FOR NO KEY UPDATE does not: it commits while the routing still runs.
    app_id = container.uow.run(lambda s: screened(s, phone=PHONE, mode=RoutingMode.manual,
                                                  route=locker == "approval").id)
    company_id = container.uow.run(lambda s: s.scalars(select(Company.id)).one())
    transition = routing.transition

    def act(hold):
        def paused(*args, **kwargs):
            hold()
            return transition(*args, **kwargs)
        monkeypatch.setattr(routing, "transition", paused)
        if locker == "approval":
            return container.uow.run(lambda s: approvals.approve(s, company_id, app_id).routing)
        return container.uow.run(lambda s: routing.route_if_ready(s, s.get(Application, app_id)))

    other = _not_held_up(db, act, lambda: container.uow.run(lambda conn: outbox.add_new(
        conn, kind=OutboxKind.webhook, purpose="test", idempotency_key=f"about:{app_id}", payload={},
        application_id=app_id), orm=False))

    with db.transaction() as s:
        assert s.get(OutboxItem, other).application_id == app_id
        application = s.get(Application, app_id)
        expected = RoutingState.approved if locker == "approval" else RoutingState.pending_approval
        assert application.routing == expected
        assert s.scalars(select(RoutingEvent.to_state).filter_by(application_id=app_id)
                         .order_by(RoutingEvent.id)).all()[-1] == expected
