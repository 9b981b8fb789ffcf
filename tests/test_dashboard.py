"""The recruiter pages over HTTP (Flask's test client): sign-in, CSRF, lockout, session expiry,
one company's data only, the pipeline's search, filters and exports, actions, funnel, agents."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re

import pytest
from sqlalchemy import select

from receptionist.adapters.models import (Agent, Application, Candidate, Conversation, OutboxItem, Posting,
                                          RoutingEvent, User)
from receptionist.engine.vocabulary import DuplicateCheck, RoutingState
from receptionist.jobs.outbox import run_item
from receptionist.services import users

from .dashboard_helpers import (PASSWORD, add_other_company, ats_checked, candidate_id, create_recruiter,
                                qualified_call)

pytestmark = pytest.mark.usefixtures("sample_company")

ACME = "recruiter@acme.example"
BETA = "recruiter@beta.example"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


class Browser:
    """A test client that signs in through the form and posts forms with their CSRF token."""

    def __init__(self, app, ip="203.0.113.7"):
        self.client = app.test_client()
        self.client.environ_base["REMOTE_ADDR"] = ip

    def token(self, path="/login") -> str:
        return TOKEN.search(self.client.get(path).get_data(as_text=True)).group(1)

    def sign_in(self, email=ACME, password=PASSWORD, **extra):
        return self.client.post("/login", data={"csrf_token": self.token(), "email": email, "password": password,
                                                **extra})

    def get(self, path, **kw):
        return self.client.get(path, **kw)

    def post(self, path, data=None, page="/"):
        return self.client.post(path, data={"csrf_token": self.token(page), **(data or {})})


@pytest.fixture
def two_companies(app, container):
    add_other_company(container)
    assert create_recruiter(app, ACME, "acme-staffing").exit_code == 0
    assert create_recruiter(app, BETA, "beta-logistics").exit_code == 0


@pytest.fixture
def acme(app, two_companies) -> Browser:
    browser = Browser(app)
    assert browser.sign_in().status_code == 302
    return browser


# ---------------------------------------------------------------- accounts and sign-in

def test_users_create_needs_the_company_when_there_are_several(app, container):
    assert create_recruiter(app, "a@acme.example").exit_code == 0  # one company: optional
    add_other_company(container)
    result = create_recruiter(app, "b@acme.example")
    assert result.exit_code != 0 and "--company" in result.output and "beta-logistics" in result.output
    assert "already has an account" in create_recruiter(app, "A@acme.example", "acme-staffing").output
    assert "at least 10 characters" in create_recruiter(app, "c@acme.example", "acme-staffing", "short").output
    assert "no company" in create_recruiter(app, "d@acme.example", "nope").output
    with container.database.transaction() as s:
        [user] = s.scalars(select(User)).all()
        assert user.email == "a@acme.example" and PASSWORD not in user.password_hash
        assert user.password_hash.startswith("scrypt:")


def test_pages_need_a_sign_in_and_keep_where_you_were_going(app, two_companies):
    browser = Browser(app)
    response = browser.get("/approvals")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=/approvals")
    assert browser.get("/export.csv").status_code == 302
    signed = browser.sign_in(next="/approvals")
    assert signed.status_code == 302 and signed.headers["Location"] == "/approvals"
    assert "Approval queue" in browser.get("/approvals").get_data(as_text=True)


def test_sign_in_never_redirects_to_another_site(app, two_companies):
    for target in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)"):
        response = Browser(app).sign_in(next=target)
        assert response.headers["Location"] == "/", target


def test_wrong_password_then_lockout_per_account_and_address(app, two_companies):
    browser = Browser(app)
    for _ in range(users.MAX_FAILURES):
        response = browser.sign_in(password="wrong password!")
        assert response.status_code == 401 and "Wrong email or password" in response.get_data(as_text=True)
    locked = browser.sign_in()  # the right password no longer helps from here
    assert locked.status_code == 429 and "Too many failed sign-ins" in locked.get_data(as_text=True)
    assert Browser(app, ip="198.51.100.9").sign_in().status_code == 302  # another address still can
    assert Browser(app).sign_in(email=BETA).status_code == 302  # another account from here too


def test_the_lockout_ends_after_its_window(container, two_companies):
    start = dt.datetime(2026, 11, 24, 9, tzinfo=dt.timezone.utc)
    for i in range(users.MAX_FAILURES):
        assert container.uow.run(lambda s: users.authenticate(s, ACME, "nope", "10.0.0.1", now=start)) is None
    with pytest.raises(users.LockedOut) as locked:
        container.uow.run(lambda s: users.authenticate(s, ACME, PASSWORD, "10.0.0.1", now=start))
    assert locked.value.retry_after_s == users.LOCKOUT_WINDOW.total_seconds()
    later = start + users.LOCKOUT_WINDOW + dt.timedelta(seconds=1)
    assert container.uow.run(lambda s: users.authenticate(s, ACME, PASSWORD, "10.0.0.1", now=later).email) == ACME


def test_forms_without_the_csrf_token_are_refused(app, acme, container):
    qualified_call(_twilio(app), "+12025550111", "Ann Lee", "1")
    application = ats_checked(container, "+12025550111")
    response = acme.client.post(f"/applications/{application}/approve", data={})
    assert response.status_code == 400 and "expired" in response.get_data(as_text=True)
    forged = acme.client.post(f"/applications/{application}/approve", data={"csrf_token": "forged"})
    assert forged.status_code == 400
    assert Browser(app).client.post("/login", data={"email": ACME, "password": PASSWORD}).status_code == 400
    assert _routing(container, application) == RoutingState.pending_approval


def test_a_session_ends_after_its_lifetime(app, acme):
    assert acme.get("/").status_code == 200
    with acme.client.session_transaction() as session:
        session["at"] = (dt.datetime.now(dt.timezone.utc) - app.permanent_session_lifetime
                         - dt.timedelta(minutes=1)).isoformat()
    assert acme.get("/").headers["Location"].startswith("/login")


def test_sign_out_ends_the_session(acme):
    assert acme.post("/logout").headers["Location"] == "/login"
    assert acme.get("/").status_code == 302


# ---------------------------------------------------------------- one company's data

def _twilio(app):
    from .conftest import TwilioClient
    return TwilioClient(app.test_client())


def _routing(container, application_id):
    return container.uow.run(lambda s: s.get(Application, application_id).routing)


def test_a_recruiter_sees_and_acts_on_their_own_company_only(app, container, acme):
    twilio = _twilio(app)
    qualified_call(twilio, "+12025550111", "Ann Lee", "1")
    application = ats_checked(container, "+12025550111")
    beta = Browser(app)
    assert beta.sign_in(email=BETA).status_code == 302
    assert "Ann Lee" in acme.get("/").get_data(as_text=True)
    assert "Ann Lee" not in beta.get("/").get_data(as_text=True)
    assert "Ann Lee" not in beta.get("/approvals").get_data(as_text=True)
    assert "Ann Lee" not in beta.get("/export.csv").get_data(as_text=True)
    assert beta.get(f"/candidates/{candidate_id(container, '+12025550111')}").status_code == 404
    refused = beta.post(f"/applications/{application}/approve")
    assert refused.status_code == 303
    assert "not in your company" in beta.get("/").get_data(as_text=True)
    assert _routing(container, application) == RoutingState.pending_approval
    assert "Acme Staffing hiring line" not in beta.get("/agents").get_data(as_text=True)


# ---------------------------------------------------------------- pipeline, search, exports

@pytest.fixture
def pipeline(app, container, acme):
    twilio = _twilio(app)
    qualified_call(twilio, "+12025550111", "Ann Lee", "1")
    qualified_call(twilio, "+12025550122", "Bob Stone", "2")
    ats_checked(container, "+12025550111")
    return acme


def test_search_by_name_and_phone_and_filter_by_status(pipeline):
    page = pipeline.get("/?q=ann").get_data(as_text=True)
    assert "Ann Lee" in page and "Bob Stone" not in page and "<strong>1</strong> candidate" in page
    by_phone = pipeline.get("/?q=(202) 555-0122").get_data(as_text=True)
    assert "Bob Stone" in by_phone and "Ann Lee" not in by_phone
    assert "(202) 555-0122" in by_phone and "+12025550122" not in by_phone  # as a recruiter dials it
    waiting = pipeline.get("/?status=pending_approval").get_data(as_text=True)
    assert "Ann Lee" in waiting and "Bob Stone" not in waiting
    bad = pipeline.get("/?score_min=lots")
    assert bad.status_code == 400 and "score_min" in bad.get_data(as_text=True)


def test_exports_follow_the_filters(pipeline):
    rows = list(csv.DictReader(io.StringIO(pipeline.get("/export.csv?status=pending_approval").get_data(as_text=True))))
    # One cell rule with the API's export (web/csv_export.py): an E.164 number is not a formula.
    assert [(r["name"], r["phone"], r["status"]) for r in rows] == [("Ann Lee", "+12025550111", "pending_approval")]
    everything = json.loads(pipeline.get("/export.json?sort=score").get_data(as_text=True))
    assert everything["object"] == "list"
    assert sorted(c["name"] for c in everything["data"]) == ["Ann Lee", "Bob Stone"]
    assert all(c["score"] == 100.0 for c in everything["data"])


def test_pagination_walks_every_candidate_once(app, container, acme, monkeypatch):
    from receptionist.web.dashboard import pages
    monkeypatch.setattr(pages, "PAGE_SIZE", 2)
    twilio = _twilio(app)
    for digit, name in zip("12345", ["Ann", "Bob", "Cy", "Di", "Ed"]):
        qualified_call(twilio, f"+120255501{digit}0", f"{name} Test", digit)
    seen, path = [], "/?sort=-last_engaged"
    while path:
        page = acme.get(path).get_data(as_text=True)
        seen += re.findall(r'class="who" href="/candidates/\d+">(\w+) Test<', page)
        found = re.search(r'rel="next" href="([^"]+)"', page)
        path = found.group(1).replace("&amp;", "&") if found else None
    assert sorted(seen) == ["Ann", "Bob", "Cy", "Di", "Ed"]


def test_what_a_caller_said_is_shown_as_text(app, container, acme):
    twilio = _twilio(app)
    from .test_voice_webhooks import QUALIFIED, Call
    call = Call(twilio, call_sid="CA" + "6" * 32, from_number="+12025550166")
    call.start()
    for inputs in QUALIFIED[:6]:
        call.send(**inputs)
    call.send(SpeechResult="<script>alert('x')</script> about four years", Confidence="0.8")
    page = acme.get(f"/candidates/{candidate_id(container, '+12025550166')}")
    html = page.get_data(as_text=True)
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; about four years" in html
    assert "<script>" not in html
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]


def test_a_candidate_page_names_the_language_and_the_number_as_people_read_them(app, container, acme):
    from .test_voice_webhooks import Call
    call = Call(_twilio(app), call_sid="CA" + "7" * 32, from_number="+12025550177")
    call.start()
    call.send(Digits="2")  # español
    html = acme.get(f"/candidates/{candidate_id(container, '+12025550177')}").get_data(as_text=True)
    assert "speaks Spanish" in html and "(202) 555-0177" in html  # were "speaks es", "+12025550177"


# ---------------------------------------------------------------- actions

def test_approve_for_another_posting_then_the_invite_shows(app, container, pipeline):
    application = ats_checked(container, "+12025550122")
    page = f"/candidates/{candidate_id(container, '+12025550122')}"
    html = pipeline.get(page).get_data(as_text=True)
    assert "Approve" in html and 'selected>Forklift Operator' in html
    warehouse = container.uow.run(lambda s: s.scalars(select(Posting.id).filter_by(key="warehouse-associate")).one())
    response = pipeline.post(f"/applications/{application}/approve",
                             {"posting_id": str(warehouse), "next": page}, page=page)
    assert response.status_code == 303 and response.headers["Location"] == page
    assert _routing(container, application) == RoutingState.approved
    with container.database.transaction() as s:
        invite = s.scalars(select(OutboxItem).filter_by(kind="invite")).one()
        event = s.scalars(select(RoutingEvent).order_by(RoutingEvent.id.desc())).first()
        assert event.actor == f"recruiter:{ACME}" and s.get(Application, application).invite_posting_id == warehouse
    assert run_item(invite.id, container) == "sent"  # the worker's turn
    html = pipeline.get(page).get_data(as_text=True)
    assert "invite sent" in html and "/interview/" in html and "Warehouse Associate" in html
    nudged = pipeline.post(f"/candidates/{candidate_id(container, '+12025550122')}/nudge", {"next": page}, page=page)
    assert nudged.status_code == 303
    with container.database.transaction() as s:
        reminder = s.scalars(select(OutboxItem).filter_by(purpose="nudge")).one()
        assert "/interview/" in reminder.payload["body"] and reminder.recipient == "+12025550122"


def test_dismiss_needs_a_reason_and_is_kept_in_the_history(container, pipeline):
    application = container.uow.run(lambda s: s.scalars(select(Application.id).where(
        Application.routing == RoutingState.pending_approval)).one())
    pipeline.post(f"/applications/{application}/dismiss", {"reason": "  ", "next": "/approvals"})
    assert "reason: a reason of 1 to" in pipeline.get("/approvals").get_data(as_text=True)
    assert _routing(container, application) == RoutingState.pending_approval
    pipeline.post(f"/applications/{application}/dismiss", {"reason": "No forklift licence", "next": "/approvals"})
    assert _routing(container, application) == RoutingState.dismissed
    html = pipeline.get(f"/candidates/{candidate_id(container, '+12025550111')}").get_data(as_text=True)
    assert "No forklift licence" in html and f'data-label="By">{ACME}<' in html
    assert "Nothing waits for approval" in pipeline.get("/approvals").get_data(as_text=True)


def test_a_flash_names_who_was_approved_or_dismissed_and_for_which_posting(container, pipeline):
    """Approving between meetings on a phone: the message after the tap is the proof of what
    happened (whose application, which posting), and a second tap says nothing went wrong."""
    ann = ats_checked(container, "+12025550111")
    bob = ats_checked(container, "+12025550122")
    driver = container.uow.run(lambda s: s.scalars(select(Posting.id).filter_by(key="delivery-driver")).one())
    for _ in range(2):  # the double tap: the second changes nothing and is no error
        pipeline.post(f"/applications/{ann}/approve", {"posting_id": str(driver), "next": "/approvals"}, page="/approvals")
        flash = re.search(r'class="flash (\w+)"[^>]*>([^<]+)<', pipeline.get("/approvals").get_data(as_text=True))
        assert flash.groups() == ("ok", "Approved Ann Lee for Delivery Driver: the interview invite is on its way.")
    for _ in range(2):
        pipeline.post(f"/applications/{bob}/dismiss", {"reason": "Role filled", "notify": "1", "next": "/approvals"},
                      page="/approvals")
        assert "Dismissed Bob Stone. They will get a text." in pipeline.get("/approvals").get_data(as_text=True)
    with container.database.transaction() as s:
        assert len(s.scalars(select(OutboxItem).filter_by(purpose="dismissal")).all()) == 1


def test_a_duplicate_found_after_the_invite_does_not_claim_it_was_never_routed(container, pipeline):
    """The e-mail confirmed after the application was routed matches an ATS record: the page
    must not say "never routed" beside "pending approval" (or "invited")."""
    application = ats_checked(container, "+12025550122")

    def found_later(s):
        s.get(Application, application).duplicate_check = DuplicateCheck.duplicate
    container.uow.run(found_later)
    html = pipeline.get(f"/candidates/{candidate_id(container, '+12025550122')}").get_data(as_text=True)
    assert "found after routing: pending approval" in html and "this job: not routed" not in html


@pytest.mark.parametrize("timezone, at_utc, shown, day", [
    # A call at 8:30 PM in Ohio is past midnight UTC: it is the recruiter's Nov 24, not Nov 25.
    ("America/New_York", dt.datetime(2026, 11, 25, 1, 30), "2026-11-24 20:30 EST", "2026-11-24"),
    ("America/New_York", dt.datetime(2026, 7, 1, 3, 0), "2026-06-30 23:00 EDT", "2026-06-30"),  # summer time
    ("America/Los_Angeles", dt.datetime(2026, 3, 10, 6, 59), "2026-03-09 23:59 PDT", "2026-03-09"),
    ("Europe/Madrid", dt.datetime(2026, 11, 24, 23, 15), "2026-11-25 00:15 CET", "2026-11-25"),
])
def test_times_and_date_filters_are_in_the_companys_timezone(container, pipeline, timezone, at_utc, shown, day):
    def set_clock(s):
        for agent in s.scalars(select(Agent)).all():
            agent.timezone = timezone
        for phone, at in [("+12025550111", at_utc), ("+12025550122", at_utc + dt.timedelta(days=3))]:
            conversation = s.scalars(select(Conversation).join(Candidate).filter_by(phone=phone)).one()
            conversation.started_at = conversation.last_activity_at = at.replace(tzinfo=dt.timezone.utc)
    container.uow.run(set_clock)
    assert shown in pipeline.get("/?q=ann").get_data(as_text=True)
    assert shown in pipeline.get(f"/candidates/{candidate_id(container, '+12025550111')}").get_data(as_text=True)
    that_day = pipeline.get(f"/?since={day}&until={day}").get_data(as_text=True)
    assert "Ann Lee" in that_day and "Bob Stone" not in that_day


def test_an_error_page_says_what_went_wrong_and_leads_back(app, acme):
    for path, status, words in [("/candidates/99999", 404, "not in your company&#39;s pipeline"),
                                ("/funnel?since=yesterday", 400, "&#39;yesterday&#39; is not a date"),
                                ("/export.csv?until=24/11/2026", 400, "is not a date")]:
        response = acme.get(path)
        html = response.get_data(as_text=True)
        assert response.status_code == status and words in html, path
        assert 'href="/">Back to the pipeline' in html and ">Approvals</a>" in html, path
    expired = acme.client.post("/applications/1/approve", data={"csrf_token": "stale"})
    html = expired.get_data(as_text=True)
    assert expired.status_code == 400 and "Nothing was changed" in html and "Back to the pipeline" in html


def test_a_mistyped_address_gets_the_page_with_the_way_back_and_candidates_leads_to_the_pipeline(acme):
    html_accept = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}  # as a browser asks
    for path in ("/candidate/3", "/pipeline", "/candidates/3/edit"):
        response = acme.get(path, headers=html_accept)
        html = response.get_data(as_text=True)
        assert response.status_code == 404 and "There is no page at this address" in html, path
        assert 'href="/">Back to the pipeline' in html, path
    shortened = acme.get("/candidates?status=qualified&q=ann", headers=html_accept)
    assert shortened.status_code == 302 and shortened.headers["Location"] == "/?status=qualified&q=ann"
    # Not a recruiter's browser: the API's JSON, and the plain answer for Twilio or a script.
    assert acme.get("/v4/nope").get_json()["data"]["type"] == "not_found"
    for path, headers in (("/voice/nope", html_accept), ("/nope", {"Accept": "application/json"})):
        response = acme.get(path, headers=headers)
        assert response.status_code == 404 and "Back to the pipeline" not in response.get_data(as_text=True)


def test_nudge_with_nothing_unfinished_says_so(container, pipeline):
    page = f"/candidates/{candidate_id(container, '+12025550111')}"
    pipeline.post(f"/candidates/{candidate_id(container, '+12025550111')}/nudge", {"next": page}, page=page)
    assert "nothing unfinished" in pipeline.get(page).get_data(as_text=True)


# ---------------------------------------------------------------- agents and funnel

def test_agents_page_lists_numbers_questions_and_policies(acme):
    html = acme.get("/agents").get_data(as_text=True)
    assert "+12025550100" in html and "+12025550101" in html
    assert "Are you 18 years of age or older?" in html and "equals False" in html
    assert "Warehouse associates start at 19 dollars 50" in html


def test_funnel_counts_each_stage_and_draws_the_scores(container, pipeline):
    html = pipeline.get("/funnel").get_data(as_text=True)
    counts = dict(re.findall(r'class="label">(\w+)</text>\s*<rect[^>]*></rect>\s*<text[^>]*class="count">(\d+)', html))
    assert counts == {"Conversations": "2", "Screened": "2", "Qualified": "2", "Routed": "0", "Invited": "0"}
    assert "<title>90-100: 2</title>" in html
    future = pipeline.get("/funnel?since=2999-01-01").get_data(as_text=True)
    assert "No scored application in this range" in future
    assert pipeline.get("/funnel?since=yesterday").status_code == 400


def test_an_unknown_address_is_checked_against_a_hash_as_dear_as_a_real_one():
    from werkzeug.security import check_password_hash, generate_password_hash

    # Written out in the source (no scrypt at import): still werkzeug's default method and
    # cost, so an unknown address takes as long as a wrong password.
    assert users._DUMMY_HASH.split("$")[0] == generate_password_hash("x").split("$")[0]
    assert check_password_hash(users._DUMMY_HASH, "not a password: equalises timing")


def test_behind_a_trusted_proxy_the_lockout_counts_the_forwarded_address(settings, db, two_companies):
    import dataclasses

    from receptionist import bootstrap
    proxied = bootstrap.create_app(container=bootstrap.build(dataclasses.replace(settings, trusted_proxy_hops=1),
                                                             database=db))
    browser = Browser(proxied, ip="10.0.0.2")  # the proxy
    for _ in range(users.MAX_FAILURES):
        browser.client.environ_base["HTTP_X_FORWARDED_FOR"] = "198.51.100.1"
        assert browser.sign_in(password="wrong password!").status_code == 401
    assert browser.sign_in().status_code == 429
    browser.client.environ_base["HTTP_X_FORWARDED_FOR"] = "198.51.100.2"  # another client, same proxy
    assert browser.sign_in().status_code == 302
