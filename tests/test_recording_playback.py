"""A recruiter plays a call's recording from the candidate page: the route streams Twilio's MP3
through to the browser. Twilio's media endpoint is played by a real HTTP server on 127.0.0.1
(basic auth checked, Range honoured, 404/500/hang on demand); recordings reach the
conversations through the signed recording status callback, as in production."""
from __future__ import annotations

import base64
import dataclasses
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from receptionist.adapters import twilio_recordings
from receptionist.adapters.models import Conversation

from .conftest import AUTH_TOKEN
from .dashboard_helpers import PASSWORD, add_other_company, candidate_id, create_recruiter, qualified_call
from .test_dashboard import ACME, BETA, Browser
from .test_dashboard_browser import CHROMIUM, browser, shot  # noqa: F401  (the fixture: headless Chromium)
from .test_sms_concurrency import server  # noqa: F401  (the fixture: the app on a real server, 127.0.0.1)
from .test_recording import recording_params

pytestmark = pytest.mark.usefixtures("sample_company")

ACCOUNT = "AC" + "0" * 32
PORTS = range(55620, 55640)  # this work's port range
AUDIO = b"ID3\x04\x00" + bytes(range(256)) * 400  # 102,405 bytes standing in for an MP3
PLAYS, GONE, BROKEN, HANGS = ("RE" + c * 32 for c in "abcd")
PHONE = "+12025550111"
CALL_SID = "CA" + "1" * 32


class TwilioMedia(BaseHTTPRequestHandler):
    """``GET /2010-04-01/Accounts/AC…/Recordings/RE….mp3`` as Twilio answers it with HTTP auth
    enforced: 401 without the account's basic auth, the bytes (200, or 206 for a Range, 416
    past the end), 404 for a deleted recording, 500 on a bad day, or no answer at all."""

    def do_GET(self):  # noqa: N802 (http.server's name)
        self.server.seen.append((self.path, dict(self.headers)))
        expected = "Basic " + base64.b64encode(f"{ACCOUNT}:{AUTH_TOKEN}".encode()).decode()
        if self.headers.get("Authorization") != expected:
            return self.answer(401, b'{"code": 20003, "message": "Authenticate"}',
                               {"WWW-Authenticate": 'Basic realm="Twilio API"'})
        found = re.fullmatch(r"/2010-04-01/Accounts/AC0{32}/Recordings/(RE[0-9a-f]{32})\.mp3", self.path)
        sid = found and found.group(1)
        if sid == HANGS:
            self.server.release.wait(30)
            return None
        if sid == BROKEN:
            return self.answer(500, b"oops")
        if sid != PLAYS:
            return self.answer(404, b'{"code": 20404, "message": "The requested resource was not found"}')
        wanted = re.fullmatch(r"bytes=(\d*)-(\d*)", self.headers.get("Range", ""))
        if not wanted:
            return self.answer(200, AUDIO, {"Accept-Ranges": "bytes"})
        first, last = wanted.groups()
        start = int(first) if first else len(AUDIO) - int(last)
        end = min(int(last), len(AUDIO) - 1) if first and last else len(AUDIO) - 1
        if start >= len(AUDIO):
            return self.answer(416, b"", {"Content-Range": f"bytes */{len(AUDIO)}"})
        return self.answer(206, AUDIO[start:end + 1], {"Content-Range": f"bytes {start}-{end}/{len(AUDIO)}",
                                                      "Accept-Ranges": "bytes"})

    def answer(self, status, body, headers=None):
        self.send_response(status)
        self.send_header("Content-Type", "audio/mpeg" if status in (200, 206) else "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def twilio_media():
    for port in PORTS:
        try:
            server = ThreadingHTTPServer(("127.0.0.1", port), TwilioMedia)
            break
        except OSError:
            continue
    else:
        pytest.fail(f"no free port in {PORTS}")
    server.daemon_threads = True
    server.seen, server.release = [], threading.Event()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.release.set()
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def settings(settings, twilio_media):
    """A server with Twilio credentials, its REST base on the stand-in."""
    return dataclasses.replace(settings, twilio_account_sid=ACCOUNT,
                               twilio_api_base_url=f"http://127.0.0.1:{twilio_media.server_port}")


def recorded_call(twilio, recording_sid=PLAYS, url=None) -> None:
    """A qualified call from PHONE whose recording status callback names ``recording_sid``."""
    qualified_call(twilio, PHONE, "Ann Lee", "1")
    params = recording_params(CALL_SID, RecordingSid=recording_sid)
    params["RecordingUrl"] = url or f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Recordings/{recording_sid}"
    assert twilio.post("/voice/recording", params).status_code in (200, 204)


@pytest.fixture
def recruiters(app, container):
    add_other_company(container)
    assert create_recruiter(app, ACME, "acme-staffing").exit_code == 0
    assert create_recruiter(app, BETA, "beta-logistics").exit_code == 0


def signed_in(app, email=ACME) -> Browser:
    browser = Browser(app)
    assert browser.sign_in(email).status_code == 302
    return browser


def recording_path(container) -> str:
    cid = candidate_id(container, PHONE)
    call_id = container.uow.run(lambda s: s.scalars(select(Conversation.id).filter_by(call_sid=CALL_SID)).one())
    return f"/candidates/{cid}/calls/{call_id}/recording"


def test_the_recording_plays_whole_and_seeks(app, container, twilio, recruiters, twilio_media):
    recorded_call(twilio)
    acme, path = signed_in(app), recording_path(container)

    whole = acme.get(path)
    assert whole.status_code == 200 and whole.mimetype == "audio/mpeg" and whole.data == AUDIO
    assert whole.headers["Content-Length"] == str(len(AUDIO))
    assert whole.headers["Cache-Control"].startswith("private")
    fetched, headers = twilio_media.seen[-1]
    assert fetched.endswith(f"/Recordings/{PLAYS}.mp3") and "Range" not in headers

    # A phone's player asks in pieces and seeks: each range comes back as Twilio sent it.
    for asked, start, end in (("bytes=0-1", 0, 1), ("bytes=50000-", 50000, len(AUDIO) - 1),
                              ("bytes=-100", len(AUDIO) - 100, len(AUDIO) - 1)):
        part = acme.get(path, headers={"Range": asked})
        assert part.status_code == 206, asked
        assert part.data == AUDIO[start:end + 1]
        assert part.headers["Content-Range"] == f"bytes {start}-{end}/{len(AUDIO)}"
        assert part.headers["Content-Length"] == str(end - start + 1)
        assert twilio_media.seen[-1][1]["Range"] == asked
    past = acme.get(path, headers={"Range": f"bytes={len(AUDIO) + 10}-"})
    assert past.status_code == 416 and past.headers["Content-Range"] == f"bytes */{len(AUDIO)}"

    download = acme.get(path + "?download=1")
    assert download.status_code == 200 and download.headers["Content-Disposition"].startswith("attachment")


def test_only_the_candidates_own_company_hears_it(app, container, twilio, recruiters, twilio_media):
    recorded_call(twilio)
    path = recording_path(container)
    cid = candidate_id(container, PHONE)
    assert signed_in(app, BETA).get(path).status_code == 404
    acme = signed_in(app)
    assert acme.get(path.replace(f"/candidates/{cid}/", f"/candidates/{cid + 1}/")).status_code == 404
    assert acme.get(re.sub(r"/calls/\d+/", "/calls/99999/", path)).status_code == 404
    assert twilio_media.seen == []  # nothing was asked of Twilio for them
    anonymous = app.test_client().get(path)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]


@pytest.mark.parametrize("recording_sid, status, says", [
    (GONE, 404, "Twilio no longer has this recording"),
    (BROKEN, 502, "HTTP 500"),
    (HANGS, 502, "no answer"),
])
def test_twilio_failing_gets_a_page_the_recruiter_understands(app, container, twilio, recruiters, twilio_media,
                                                               monkeypatch, caplog, recording_sid, status, says):
    monkeypatch.setattr(twilio_recordings, "READ_TIMEOUT_S", 0.5)
    recorded_call(twilio, recording_sid)
    answer = signed_in(app).get(recording_path(container))
    assert answer.status_code == status and answer.mimetype == "text/html"
    assert says in answer.get_data(as_text=True)
    assert "Back to the pipeline" in answer.get_data(as_text=True)
    assert "recording not fetched from Twilio" in caplog.text


def test_wrong_credentials_are_named(app, container, twilio, recruiters, twilio_media):
    recorded_call(twilio)
    container.settings = dataclasses.replace(container.settings, twilio_auth_token="not-the-token")
    answer = signed_in(app).get(recording_path(container))
    assert answer.status_code == 502 and "do not match the account" in answer.get_data(as_text=True)
    assert twilio_media.seen[-1][1]["Authorization"].startswith("Basic ")


def test_twilio_unreachable_gets_a_502(app, container, twilio, recruiters, twilio_media):
    recorded_call(twilio)
    twilio_media.shutdown()
    twilio_media.server_close()  # nothing listens on the port any more
    answer = signed_in(app).get(recording_path(container))
    assert answer.status_code == 502 and "no answer" in answer.get_data(as_text=True)


@pytest.mark.parametrize("stored", [
    "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
    f"https://api.twilio.com.attacker.example/2010-04-01/Accounts/{ACCOUNT}/Recordings/{PLAYS}",
    f"https://attacker.example/2010-04-01/Accounts/{ACCOUNT}/Recordings/{PLAYS}",
    f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Recordings/{PLAYS}?redirect=https://attacker.example",
    f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Calls/CA{'1' * 32}",
])
def test_a_stored_url_off_twilios_api_is_never_fetched(app, container, twilio, recruiters, twilio_media, stored):
    recorded_call(twilio, url=stored)
    answer = signed_in(app).get(recording_path(container))
    assert answer.status_code == 404 and "not Twilio" in answer.get_data(as_text=True)
    assert twilio_media.seen == []


def test_the_candidate_page_has_a_player_not_the_twilio_link(app, container, twilio, recruiters, twilio_media):
    recorded_call(twilio)
    html = signed_in(app).get(f"/candidates/{candidate_id(container, PHONE)}").get_data(as_text=True)
    path = recording_path(container)
    assert f'<audio controls preload="none" src="{path}">' in html
    assert f'href="{path}?download=1"' in html
    assert "api.twilio.com" not in html


def test_without_twilio_credentials_the_page_says_so(app, container, twilio, recruiters, twilio_media):
    container.settings = dataclasses.replace(container.settings, twilio_account_sid=None)
    recorded_call(twilio)
    acme = signed_in(app)
    html = acme.get(f"/candidates/{candidate_id(container, PHONE)}").get_data(as_text=True)
    assert "<audio" not in html and "plays here once Twilio credentials" in html
    answer = acme.get(recording_path(container))
    assert answer.status_code == 503 and "TWILIO_ACCOUNT_SID" in answer.get_data(as_text=True)
    assert twilio_media.seen == []


@pytest.mark.skipif(not CHROMIUM.exists(), reason="no /usr/bin/chromium (apt-get install chromium)")
def test_the_player_in_a_real_browser_on_a_phone(app, container, twilio, recruiters, twilio_media, server, browser):
    """Headless Chromium at a phone's width: the player is on the candidate page, fits the
    screen, and its address answers the browser's own range requests with the signed-in cookie."""
    recorded_call(twilio)
    page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
    page.goto(server + "/login")
    page.fill("input[name=email]", ACME)
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_url(server + "/")
    page.goto(f"{server}/candidates/{candidate_id(container, PHONE)}")
    player = page.locator("audio[controls]")
    assert player.count() == 1 and player.is_visible()
    assert player.get_attribute("preload") == "none"
    assert page.locator("a:has-text('Download the recording')").get_attribute("href").endswith("?download=1")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "phone-candidate-recording")
    got = page.evaluate("""async () => {
        const r = await fetch(document.querySelector('audio').src, {headers: {Range: 'bytes=0-9'}});
        return [r.status, r.headers.get('content-type'), (await r.arrayBuffer()).byteLength];
    }""")
    assert got == [206, "audio/mpeg", 10]
