"""Signatures checked over the URL exactly as Twilio requested it (percent-encoding included),
with PUBLIC_BASE_URL and without, through the test client and through real HTTP servers."""
from __future__ import annotations

import dataclasses
import threading

import httpx
import pytest
from sqlalchemy import select
from twilio.request_validator import HMAC_SHA256, SIGNATURE_SETTINGS_HEADER, RequestValidator
from werkzeug.serving import make_server

from receptionist.adapters.models import Conversation
from receptionist.web.twilio.security import received_uri

from .conftest import AUTH_TOKEN, TwilioClient, call_params, twilio_signature

pytestmark = pytest.mark.usefixtures("sample_company")

# (query as Twilio sends it, the source label the call is stored with)
ENCODED = [("source=caf%C3%A9", "café"), ("source=a%2Fb", "a/b"), ("source=press+1%20now", "press 1 now"),
           ("source=%E2%98%8E%EF%B8%8F", "\u260e\ufe0f"), ("source=ivr&x=%41", "ivr")]


def stored_source(db, call_sid: str) -> str | None:
    with db.transaction() as s:
        return s.scalars(select(Conversation.source).filter_by(call_sid=call_sid)).one()


def with_public_base_url(app, base: str | None) -> None:
    app.config["SETTINGS"] = dataclasses.replace(app.config["SETTINGS"], public_base_url=base)


@pytest.mark.parametrize("query, source", ENCODED, ids=[q for q, _ in ENCODED])
@pytest.mark.parametrize("public", [None, "https://jobs.example.com"])
def test_percent_encoded_query_validates_as_twilio_signed_it(app, db, query, source, public):
    with_public_base_url(app, public)
    twilio = TwilioClient(app.test_client(), base_url=public or "http://localhost")
    sid = "CA" + "e" * 32
    reply = twilio.post(f"/voice/inbound?{query}", call_params(sid))
    assert reply.status_code == 200, reply.data
    assert stored_source(db, sid) == source


def test_a_signature_over_the_decoded_url_is_not_twilios(app, db):
    """Twilio signs what it sends; the decoded form is another URL and is refused."""
    params = call_params("CA" + "d" * 32)
    decoded = twilio_signature("http://localhost/voice/inbound?source=café", params)
    reply = app.test_client().post("/voice/inbound?source=caf%C3%A9", data=params,
                                   headers={"X-Twilio-Signature": decoded})
    assert reply.status_code == 403


def test_a_server_without_the_raw_uri_still_validates(app, db):
    """A WSGI server setting neither REQUEST_URI nor RAW_URI: the URI is rebuilt from the
    undecoded QUERY_STRING."""
    params, sid = call_params("CA" + "c" * 32), "CA" + "c" * 32
    url = "http://localhost/voice/inbound?source=caf%C3%A9"
    reply = app.test_client().post("/voice/inbound?source=caf%C3%A9", data=params,
                                   headers={"X-Twilio-Signature": twilio_signature(url, params)},
                                   environ_overrides={"REQUEST_URI": "", "RAW_URI": ""})
    assert reply.status_code == 200, reply.data
    assert stored_source(db, sid) == "café"


@pytest.mark.parametrize("environ, within_app, uri", [
    ({"REQUEST_URI": "/voice/inbound?source=caf%C3%A9"}, False, "/voice/inbound?source=caf%C3%A9"),
    ({"RAW_URI": "/voice/a%2Fb?x=%2F"}, False, "/voice/a%2Fb?x=%2F"),                    # gunicorn
    ({"REQUEST_URI": "http://jobs.example.com/voice/inbound?s=%41"}, False, "/voice/inbound?s=%41"),
    ({"REQUEST_URI": "/voice/caf\xc3\xa9"}, False, "/voice/café"),                      # raw UTF-8 bytes
    ({"REQUEST_URI": "/app/voice/inbound?s=1", "SCRIPT_NAME": "/app"}, True, "/voice/inbound?s=1"),
    ({"REQUEST_URI": "/apple/voice", "SCRIPT_NAME": "/app"}, True, "/apple/voice"),
    ({"PATH_INFO": "/voice/caf\xc3\xa9 x", "QUERY_STRING": "source=caf%C3%A9"}, False,
     "/voice/caf%C3%A9%20x?source=caf%C3%A9"),
    ({"SCRIPT_NAME": "/app", "PATH_INFO": "/voice/inbound", "QUERY_STRING": ""}, False, "/app/voice/inbound"),
    ({"SCRIPT_NAME": "/app", "PATH_INFO": "/voice/inbound", "QUERY_STRING": ""}, True, "/voice/inbound"),
])
def test_received_uri(environ, within_app, uri):
    assert received_uri(environ, within_app=within_app) == uri


# ---------------------------------------------------------------- real HTTP servers

def _waitress(app):
    import waitress

    server = waitress.create_server(app, host="127.0.0.1", port=0, threads=2)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    return f"http://127.0.0.1:{server.effective_port}", lambda: (server.close(), thread.join(5))


def _werkzeug(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return f"http://127.0.0.1:{server.server_port}", lambda: (server.shutdown(), thread.join(5))


@pytest.mark.parametrize("serve", [_waitress, _werkzeug], ids=["waitress", "werkzeug"])
@pytest.mark.parametrize("public", [None, "https://jobs.example.com"])
def test_real_servers_pass_the_raw_uri(app, db, serve, public):
    with_public_base_url(app, public)
    base, stop = serve(app)
    try:
        with httpx.Client(base_url=base, timeout=10) as client:
            for n, (query, source) in enumerate(ENCODED):
                sid = f"CA{n:032x}"
                params = call_params(sid)
                path = f"/voice/inbound?{query}"
                signature = twilio_signature((public or base) + path, params)
                reply = client.post(path, data=params, headers={"X-Twilio-Signature": signature})
                assert reply.status_code == 200, (query, reply.text)
                assert stored_source(db, sid) == source
    finally:
        stop()


# ---------------------------------------------------------------- the one-HMAC check and its fallbacks

def _stored(db, sid: str) -> bool:
    with db.transaction() as s:
        return s.scalar(select(Conversation.id).filter_by(call_sid=sid)) is not None


@pytest.mark.parametrize("signed_base", ["https://jobs.example.com", "https://jobs.example.com:443"],
                         ids=["as-requested", "default-port"])
def test_a_signature_over_the_url_with_or_without_its_default_port_is_accepted(app, db, signed_base):
    """The URL as requested is checked first; Twilio's other spelling (with ``:443``) still
    passes, through RequestValidator.validate's variants."""
    with_public_base_url(app, "https://jobs.example.com")
    sid = "CA" + ("1" if signed_base.endswith("443") else "2") * 32
    params = call_params(sid)
    reply = app.test_client().post("/voice/inbound", data=params, base_url="https://jobs.example.com", headers={
        "X-Twilio-Signature": twilio_signature(signed_base + "/voice/inbound", params)})
    assert reply.status_code == 200, reply.data
    assert _stored(db, sid)


def test_an_hmac_sha256_signature_named_in_the_settings_header_is_accepted(app, db):
    sid, params = "CA" + "3" * 32, call_params("CA" + "3" * 32)
    signature = RequestValidator(AUTH_TOKEN).compute_signature("http://localhost/voice/inbound", params, HMAC_SHA256)
    reply = app.test_client().post("/voice/inbound", data=params, headers={
        "X-Twilio-Signature": signature, SIGNATURE_SETTINGS_HEADER: f"algorithm={HMAC_SHA256}"})
    assert reply.status_code == 200, reply.data
    assert _stored(db, sid)


@pytest.mark.parametrize("announced, signature", [
    ("algorithm=HMAC_SHA512", "sha1"),      # an algorithm twilio does not know: refused, not a 500
    ("", "sha256"),                         # SHA-256 signed, SHA-1 announced (no header)
    ("", "other-token"),
])
def test_a_signature_that_does_not_match_is_refused_and_nothing_is_stored(app, db, announced, signature):
    sid, params = "CA" + "4" * 32, call_params("CA" + "4" * 32)
    url = "http://localhost/voice/inbound"
    value = {"sha1": RequestValidator(AUTH_TOKEN).compute_signature(url, params),
             "sha256": RequestValidator(AUTH_TOKEN).compute_signature(url, params, HMAC_SHA256),
             "other-token": RequestValidator("another-token").compute_signature(url, params)}[signature]
    headers = {"X-Twilio-Signature": value, **({SIGNATURE_SETTINGS_HEADER: announced} if announced else {})}
    reply = app.test_client().post("/voice/inbound", data=params, headers=headers)
    assert reply.status_code == 403
    assert not _stored(db, sid)
