"""The recruiter pages in a real browser: Debian's Chromium driven by Playwright against the app
served by a real HTTP server on 127.0.0.1, with candidates who called through signed webhooks.

Screenshots go to ``test-artifacts/`` (gitignored). Skipped only when /usr/bin/chromium is
absent (CI installs it: ``.ci/run``).
"""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from receptionist.adapters.models import OutboxItem
from receptionist.jobs.outbox import run_item

from .conftest import ROOT, TwilioClient
from .dashboard_helpers import PASSWORD, ats_checked, candidate_id, create_recruiter, qualified_call
from .test_sms_concurrency import server  # noqa: F401  (the fixture: the app on a real server, 127.0.0.1)
from .test_voice_webhooks import QUALIFIED, Call

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
EMAIL = "recruiter@acme.example"

pytestmark = [pytest.mark.usefixtures("sample_company"),
              pytest.mark.skipif(not CHROMIUM.exists(), reason="no /usr/bin/chromium (apt-get install chromium)")]


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"])
        try:
            yield chromium
        finally:
            chromium.close()


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.fixture
def candidates(app, container):
    """Three callers: two wait for approval, one said markup the page must show as text."""
    assert create_recruiter(app, EMAIL).exit_code == 0
    twilio = TwilioClient(app.test_client())
    qualified_call(twilio, "+12025550111", "Ann Lee", "1")
    qualified_call(twilio, "+12025550122", "Bob Stone", "2")
    ats_checked(container, "+12025550111")
    ats_checked(container, "+12025550122")
    call = Call(twilio, call_sid="CA" + "6" * 32, from_number="+12025550166")
    call.start()
    for inputs in QUALIFIED[:6]:
        call.send(**inputs)
    call.send(SpeechResult="<script>window.pwned=1</script><img src=x onerror=\"window.pwned=2\"> four years",
              Confidence="0.8")
    call.status(call_status="completed")


def sign_in(page, base: str) -> None:
    page.goto(base + "/")
    assert "/login" in page.url
    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_url(base + "/")


def test_recruiter_finds_approves_and_dismisses(server, browser, candidates, container):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))

    # Sign in, find Bob by his phone number as a recruiter types it.
    sign_in(page, server)
    assert page.locator("table.list tbody tr").count() == 3
    shot(page, "01-pipeline")
    page.fill("input[name=q]", "(202) 555-0122")
    page.click("button:has-text('Apply')")
    rows = page.locator("table.list tbody tr")
    assert rows.count() == 1 and "Bob Stone" in rows.inner_text()
    page.click("text=Bob Stone")
    page.wait_for_url(f"{server}/candidates/*")
    assert page.locator("td.said").first.is_visible()
    shot(page, "02-candidate")

    # Approve from the candidate page, the posting preselected; the worker sends the invite.
    assert page.locator("select[name=posting_id]").evaluate("s => s.options[s.selectedIndex].text") == "Forklift Operator"
    page.click("button:has-text('Approve')")
    assert "Approved" in page.locator(".flash").inner_text()
    with container.database.transaction() as s:
        invite = s.scalars(select(OutboxItem).filter_by(kind="invite")).one()
    assert run_item(invite.id, container) == "sent"
    page.reload()
    link = page.locator("dd.invite a")
    assert "invite sent" in page.locator("dd.invite").inner_text() and "/interview/" in link.inner_text()
    assert "invited" in page.locator("table.history").inner_text()
    shot(page, "03-candidate-invited")

    # Dismiss Ann from the approval queue with a reason.
    page.click("nav >> text=Approvals")
    card = page.locator("article.pending")
    assert card.count() == 1 and "Ann Lee" in card.inner_text() and "Are you 18" in card.inner_text()
    shot(page, "04-approvals")
    card.locator("input[name=reason]").fill("Prefers a role closer to home")
    card.locator("button:has-text('Dismiss')").click()
    assert "Dismissed" in page.locator(".flash").inner_text()
    assert "Nothing waits for approval" in page.content()

    # What the third caller said is on the page as text; nothing of it ran.
    page.goto(f"{server}/candidates/{candidate_id(container, '+12025550166')}")
    page.click("details.transcript summary")
    said = page.locator("details.transcript li.candidate").last.inner_text()
    assert "<script>window.pwned=1</script>" in said and 'onerror="window.pwned=2"' in said
    assert page.evaluate("typeof window.pwned") == "undefined" and dialogs == []
    shot(page, "05-candidate-markup-as-text")

    page.goto(server + "/funnel")
    assert page.locator("svg.chart rect").count() >= 5
    shot(page, "06-funnel")
    page.goto(server + "/agents")
    shot(page, "07-agents")


def test_pages_fit_a_phone(server, browser, candidates, container):
    page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
    sign_in(page, server)
    for path, name in (("/", "phone-pipeline"), ("/approvals", "phone-approvals"),
                       (f"/candidates/{candidate_id(container, '+12025550111')}", "phone-candidate"),
                       ("/funnel", "phone-funnel")):
        page.goto(server + path)
        shot(page, name)
        # Nothing wider than the screen: no sideways scrolling on a phone.
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, path


def test_a_recruiter_between_meetings_approves_and_dismisses_on_a_phone(server, browser, candidates, container):
    """On a phone: approve one for another posting and dismiss one with the polite text from the
    approval queue; each message names who; the candidate page fits the screen and shows times
    in the company's timezone; the back button resubmits nothing; a dead link leads back."""
    page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    posts = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    sign_in(page, server)
    page.goto(server + "/approvals")
    bob = page.locator("article.pending", has_text="Bob Stone")
    bob.locator("select[name=posting_id]").select_option(label="Warehouse Associate")
    with page.expect_navigation(url=server + "/approvals"):
        bob.locator("button:has-text('Approve')").tap()
    assert page.locator(".flash").inner_text() == ("Approved Bob Stone for Warehouse Associate: "
                                                   "the interview invite is on its way.")
    ann = page.locator("article.pending", has_text="Ann Lee")
    ann.locator("input[name=reason]").fill("We filled the forklift roles this week")
    ann.locator("input[name=notify]").check()
    with page.expect_navigation(url=server + "/approvals"):
        ann.locator("button:has-text('Dismiss')").tap()
    assert page.locator(".flash").inner_text() == "Dismissed Ann Lee. They will get a text."
    shot(page, "phone-after-dismiss")
    sent = len(posts)
    page.go_back()
    page.go_back()
    assert len(posts) == sent  # back after a form: the redirect's page, never the POST again

    page.goto(f"{server}/candidates/{candidate_id(container, '+12025550122')}")
    history = page.locator("table.history").inner_text()
    assert EMAIL in history and "recruiter:" not in history
    when = page.locator("table.history time").first.inner_text()
    assert when.endswith((" EST", " EDT")), when  # the sample's agents hire in America/New_York
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "phone-candidate-approved")

    page.goto(server + "/candidates/99999")
    assert "not in your company" in page.inner_text("main")
    page.click("text=Back to the pipeline")
    page.wait_for_url(server + "/")
    assert page.locator("table.list tbody tr").count() == 3
