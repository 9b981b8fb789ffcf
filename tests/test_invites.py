"""Invites and outbound webhooks against a real HTTP server on 127.0.0.1: the platform driver
(the seeds' ingestion endpoint), the generic signed driver, the invite and delivery jobs."""
from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from receptionist import bootstrap
from receptionist.adapters.interview import InterviewPlatformError
from receptionist.adapters.interview_http import LocalInterview, PlatformInterview, SignedInterview
from receptionist.adapters.models import Application, Company, OutboxItem, RoutingState
from receptionist.adapters.signing import HEADER, signature, verify
from receptionist.engine.vocabulary import OutboxStatus
from receptionist.jobs.outbox import RetryLater, run_item
from receptionist.services import approvals, routing, webhooks
from receptionist.services.errors import Invalid

from .interview_server import API_KEY, running_platform
from .routing_helpers import screened
from .test_candidate_list import assert_kept

pytestmark = pytest.mark.usefixtures("sample_company")
INVITE = dict(posting_id="D9E0F1A2", name="Jane Doe", email="jane@example.com", phone_number="+12025550123",
              metadata={"source": "receptionist", "score": 90.0})


@pytest.fixture
def platform():
    with running_platform() as p:
        yield p


def test_platform_driver_speaks_the_seeds_ingestion_api(platform):
    invitation = PlatformInterview(platform.url, API_KEY).invite(**INVITE)
    [sent] = platform.ingestions()
    assert sent["path"] == "/v4/postings/D9E0F1A2/candidates" and sent["headers"]["X-Api-Key"] == API_KEY
    assert sent["json"] == {"name": "Jane Doe", "email": "jane@example.com", "phone_number": "+12025550123",
                            "metadata": {"source": "receptionist", "score": 90.0}}
    assert invitation.interview_url == f"{platform.url}/i/D9E0F1A2/INT00001"


@pytest.mark.parametrize("status, retryable", [(503, True), (429, True), (500, True), (400, False), (404, False)])
def test_platform_errors_keep_the_platforms_words(platform, status, retryable):
    platform.replies = [status]
    with pytest.raises(InterviewPlatformError) as err:
        PlatformInterview(platform.url, API_KEY).invite(**INVITE)
    assert err.value.retryable is retryable
    assert f"HTTP {status}" in str(err.value) and f"refused with {status}" in str(err.value)


def test_a_wrong_key_and_a_missing_posting_id_are_permanent(platform):
    with pytest.raises(InterviewPlatformError) as err:
        PlatformInterview(platform.url, "wrong").invite(**INVITE)
    assert not err.value.retryable and "HTTP 401" in str(err.value)
    with pytest.raises(InterviewPlatformError) as err:
        PlatformInterview(platform.url, API_KEY).invite(**{**INVITE, "posting_id": ""})
    assert "interview_posting_id" in str(err.value)


def test_a_slow_platform_times_out_as_retryable(platform):
    platform.hold_s = 1.0
    with pytest.raises(InterviewPlatformError) as err:
        PlatformInterview(platform.url, API_KEY, timeout=httpx.Timeout(0.2)).invite(**INVITE)
    assert err.value.retryable and "timed out" in str(err.value)


def test_generic_driver_signs_its_payload(platform):
    platform.secret = "s3cret"
    invitation = SignedInterview(platform.url + "/hook", "s3cret").invite(**INVITE)
    [sent] = platform.received
    assert verify("s3cret", sent["raw"], sent["headers"][HEADER])
    assert not verify("other", sent["raw"], sent["headers"][HEADER])
    assert sent["json"]["posting_id"] == "D9E0F1A2" and invitation.interview_url.startswith(platform.url)
    with pytest.raises(InterviewPlatformError):  # signed with the wrong secret: the receiver refuses
        SignedInterview(platform.url + "/hook", "wrong").invite(**INVITE)


def test_signatures_expire():
    header = signature("k", b"{}", 1_000_000)
    assert verify("k", b"{}", header, now=1_000_100) and not verify("k", b"{}", header, now=1_000_000 + 301)
    assert not verify("k", b"{}", "garbage")


def test_local_stand_in_link_opens_a_page_naming_the_posting(container, app):
    container.interview = LocalInterview("http://127.0.0.1:5000")
    app_id = container.uow.run(lambda s: screened(s).id)
    invite_id = container.uow.run(lambda s: s.scalars(select(OutboxItem.id).filter_by(kind="invite")).one())
    assert run_item(invite_id, container) == "sent"
    url = container.uow.run(lambda s: s.get(Application, app_id).interview_url)
    assert url.startswith("http://127.0.0.1:5000/interview/")
    page = app.test_client().get(url.removeprefix("http://127.0.0.1:5000"))
    assert page.status_code == 200 and b"Forklift Operator" in page.data and b"Acme Staffing" in page.data
    assert app.test_client().get("/interview/abc123").status_code == 404


def _invite_and_run(container, platform):
    container.interview = PlatformInterview(platform.url, API_KEY)
    def setup(s):
        application = screened(s, route=False)
        application.posting.interview_posting_id = "D9E0F1A2"
        from receptionist.services.routing import route_if_ready
        route_if_ready(s, application)
        return application.id
    app_id = container.uow.run(setup)
    invite_id = container.uow.run(lambda s: s.scalars(select(OutboxItem.id).filter_by(kind="invite")).one())
    return app_id, invite_id


def test_invite_job_texts_the_link_and_marks_invited(container, platform):
    cid = container.uow.run(lambda s: s.scalars(select(Company.id)).one())
    container.uow.run(lambda s: webhooks.register(s, cid, platform.url + "/hook", ["candidate.invited"]))
    app_id, invite_id = _invite_and_run(container, platform)
    assert run_item(invite_id, container) == "sent"
    assert run_item(invite_id, container) == "skipped"  # the same job again: no second invite
    assert len(platform.ingestions()) == 1
    with container.database.transaction() as s:
        application = s.get(Application, app_id)
        assert application.routing == RoutingState.invited
        assert application.interview_url == f"{platform.url}/i/D9E0F1A2/INT00001"
        [text] = s.scalars(select(OutboxItem).filter_by(purpose="interview_link")).all()
        assert text.recipient == "+12025550123" and text.payload["from"] == "+12025550100"
        assert application.interview_url in text.payload["body"] and "Forklift Operator" in text.payload["body"]
        [hook] = s.scalars(select(OutboxItem).filter_by(kind="webhook")).all()
        assert hook.payload["event"] == "candidate.invited"
        assert hook.payload["body"]["data"]["interview_url"] == application.interview_url
        metadata = platform.ingestions()[0]["json"]["metadata"]
        assert metadata["application_id"] == app_id and metadata["score"] == 90.0


def test_the_invite_is_recorded_once_with_its_history_and_the_candidate_lists_row(container, platform, db):
    app_id, invite_id = _invite_and_run(container, platform)
    assert run_item(invite_id, container) == "sent"
    assert assert_kept(db)[0].status == "invited"  # the list's row as the live query has it
    # The platform's answer recorded again (a job retried after a crash): nothing changes.
    assert container.uow.run(lambda s: routing.record_invited(s, app_id, "https://other.test/i/2")) is False
    with container.database.transaction() as s:
        application = s.get(Application, app_id)
        assert application.interview_url == f"{platform.url}/i/D9E0F1A2/INT00001"
        events = [(e.from_state, e.to_state, e.actor) for e in application.routing_events]
        assert events.count((RoutingState.approved, RoutingState.invited, "system")) == 1
        assert events[-1] == (RoutingState.approved, RoutingState.invited, "system")
        assert application.routing_events[-1].posting_id == application.posting_id
        assert len(s.scalars(select(OutboxItem).filter_by(purpose="interview_link")).all()) == 1
    # Dismissed by a recruiter before the platform answered: the link is neither kept nor texted.
    container.uow.run(lambda s: setattr(s.get(Application, app_id), "routing", RoutingState.dismissed))
    assert container.uow.run(lambda s: routing.record_invited(s, app_id, "https://other.test/i/3")) is False
    assert container.uow.run(lambda s: s.get(Application, app_id).routing) == RoutingState.dismissed


def test_on_postgresql_the_invites_writes_are_one_statement(container, platform, db):
    """PostgreSQL: the platform's answer is recorded in one statement (the application's
    UPDATE, its history row and the link's text: ``routing._invited_writes``), the text still
    enqueued after the commit. (A dismissal meanwhile waits for it: tests/test_routing_locks.py.)"""
    from sqlalchemy import event

    from receptionist.services.unit_of_work import collect_new_outbox

    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite writes them one statement each")
    app_id, invite_id = _invite_and_run(container, platform)
    raw: list[str] = []
    listener = lambda _conn, _cursor, sql, *_args: raw.append(" ".join(sql.split()))  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        with collect_new_outbox() as enqueued:
            assert run_item(invite_id, container) == "sent"
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    [writes] = [sql for sql in raw if "INSERT INTO routing_events" in sql]
    assert "UPDATE applications" in writes and "INSERT INTO outbox" in writes
    assert not any("UPDATE applications" in sql for sql in raw if sql != writes)
    with container.database.transaction() as s:
        [text] = s.scalars(select(OutboxItem).filter_by(purpose="interview_link")).all()
        assert s.get(Application, app_id).interview_url in text.payload["body"]
    assert enqueued == [text.id]


def test_retryable_failure_then_success(container, platform):
    app_id, invite_id = _invite_and_run(container, platform)
    platform.replies = [503]
    with pytest.raises(RetryLater):
        run_item(invite_id, container)
    with container.database.transaction() as s:
        row = s.get(OutboxItem, invite_id)
        assert row.status == OutboxStatus.pending and "HTTP 503" in row.last_error and row.next_attempt_at
    assert run_item(invite_id, container) == "sent"
    assert container.uow.run(lambda s: s.get(Application, app_id).routing) == RoutingState.invited


def test_permanent_failure_is_visible_and_retried_by_a_recruiter(container, platform):
    app_id, invite_id = _invite_and_run(container, platform)
    platform.replies = [422]
    assert run_item(invite_id, container) == "failed"
    with container.database.transaction() as s:
        row = s.get(OutboxItem, invite_id)
        assert row.status == OutboxStatus.failed
        assert "HTTP 422" in row.last_error and "refused with 422" in row.last_error
        assert s.get(Application, app_id).routing == RoutingState.approved
    cid = container.uow.run(lambda s: s.scalars(select(Company.id)).one())
    container.uow.run(lambda s: approvals.retry_invite(s, cid, app_id))
    assert run_item(invite_id, container) == "sent"
    assert container.uow.run(lambda s: s.get(Application, app_id).routing) == RoutingState.invited
    assert len(platform.ingestions()) == 2  # the refused one, and the retry a recruiter asked for


def test_webhook_deliveries_are_signed_retried_and_logged(container, platform):
    cid = container.uow.run(lambda s: s.scalars(select(Company.id)).one())
    hook = container.uow.run(lambda s: webhooks.register(s, cid, platform.url + "/hook",
                                                         ["routing.pending_approval"]))
    platform.secret = hook.secret
    assert hook.secret.startswith("whsec_")
    container.uow.run(lambda s: screened(s, score=10.0))  # below the threshold: pending approval
    delivery = container.uow.run(lambda s: s.scalars(select(OutboxItem.id).filter_by(kind="webhook")).one())
    platform.replies = [502]
    with pytest.raises(RetryLater):
        run_item(delivery, container)
    assert run_item(delivery, container) == "sent"
    first, second = platform.received
    assert first["raw"] == second["raw"]  # the same event, byte for byte
    assert second["headers"]["X-Receptionist-Event"] == "routing.pending_approval"
    assert second["headers"]["X-Receptionist-Delivery"] == str(delivery)
    assert second["json"]["data"]["routing"] == "pending_approval" and second["json"]["data"]["score"] == 10.0
    with container.database.transaction() as s:
        row = s.get(OutboxItem, delivery)
        assert (row.status, row.attempts, row.provider_status) == (OutboxStatus.sent, 2, "200")


def test_webhook_registration_is_validated_and_scoped(container):
    cid = container.uow.run(lambda s: s.scalars(select(Company.id)).one())
    for url, events, field in [("ftp://x", ["candidate.invited"], "url"), ("https://x.test", [], "events"),
                               ("https://x.test", ["candidate.hired"], "events")]:
        with pytest.raises(Invalid) as err:
            container.uow.run(lambda s: webhooks.register(s, cid, url, events))
        assert err.value.field == field
    hook_id = container.uow.run(lambda s: webhooks.register(s, cid, "https://x.test", ["candidate.invited"]).id)
    other = container.uow.run(lambda s: (s.add(c := Company(slug="o", name="O")), s.flush(), c.id)[2])
    assert container.uow.run(lambda s: webhooks.list_(s, other)) == []
    from receptionist.services.errors import NotFound
    with pytest.raises(NotFound):
        container.uow.run(lambda s: webhooks.delete(s, other, hook_id))
    container.uow.run(lambda s: webhooks.delete(s, cid, hook_id))
    assert container.uow.run(lambda s: webhooks.list_(s, cid)) == []


def test_bootstrap_picks_the_driver_from_the_environment(settings):
    import dataclasses
    assert isinstance(bootstrap.interview_platform(settings), LocalInterview)
    platform = bootstrap.interview_platform(dataclasses.replace(
        settings, interview_platform_url="https://api.example.com/api", interview_platform_api_key="k"))
    assert isinstance(platform, PlatformInterview)
    generic = dataclasses.replace(settings, interview_webhook_url="https://hooks.example.com/invite")
    with pytest.raises(ValueError):
        bootstrap.interview_platform(generic)
    assert isinstance(bootstrap.interview_platform(dataclasses.replace(generic, interview_webhook_secret="s")),
                      SignedInterview)


@pytest.mark.parametrize("public,local,base", [
    (None, None, "http://127.0.0.1:5000"),
    (None, "http://127.0.0.1:5050", "http://127.0.0.1:5050"),  # make run PORT=5050 (serve sets it)
    ("https://jobs.example.com", "http://127.0.0.1:5050", "https://jobs.example.com"),
])
def test_the_local_stand_in_links_to_where_the_service_answers(settings, public, local, base):
    # Before: http://127.0.0.1:5000 whatever port serve listened on.
    import dataclasses
    platform = bootstrap.interview_platform(dataclasses.replace(settings, public_base_url=public,
                                                                local_base_url=local))
    assert isinstance(platform, LocalInterview) and platform.base_url == base


def test_a_finished_screening_emits_conversation_completed(container, twilio, platform):
    from .test_voice_webhooks import QUALIFIED, Call
    cid = container.uow.run(lambda s: s.scalars(select(Company.id)).one())
    container.uow.run(lambda s: webhooks.register(s, cid, platform.url + "/hook", ["conversation.completed"]))
    call = Call(twilio)
    call.start()
    for inputs in QUALIFIED:
        call.send(**inputs)
    with container.database.transaction() as s:
        [hook] = s.scalars(select(OutboxItem).filter_by(kind="webhook")).all()
        data = hook.payload["body"]["data"]
        assert hook.payload["event"] == "conversation.completed" and data["status"] == "completed"
        assert data["channel"] == "voice" and data["application_id"] is not None


def test_a_database_failure_after_the_platform_said_yes_keeps_the_link_visible(container, platform, monkeypatch):
    app_id, invite_id = _invite_and_run(container, platform)
    from receptionist.services import routing
    def broken(*args, **kwargs):
        raise RuntimeError("database gone")
    monkeypatch.setattr(routing, "record_invited", broken)
    assert run_item(invite_id, container) == "failed"
    with container.database.transaction() as s:
        row = s.get(OutboxItem, invite_id)
        assert f"{platform.url}/i/D9E0F1A2/INT00001" in row.last_error and "by hand" in row.last_error


def test_local_stand_in_links_cannot_be_derived_without_the_secret():
    """The link is stable for one candidate and posting, but knowing their phone number is
    not enough to build it: another installation's secret gives another link."""
    def link(secret):
        return LocalInterview("http://x", secret=secret).invite(
            posting_id="forklift-operator", name="Jane", email=None, phone_number="+12025550123",
            metadata={"application_id": 1}).interview_url
    assert link("one") == link("one")
    assert link("one") != link("two")
