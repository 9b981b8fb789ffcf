"""The SMS sender against real HTTP servers on loopback: Prism serving Twilio's OpenAPI spec
(requests are validated against it), a closed port, and a tiny werkzeug server for the error
answers the spec does not describe (429, 5xx, Twilio's JSON error body, a slow answer).
"""
from __future__ import annotations

import json
import threading
import time

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Response

from receptionist.adapters.twilio_sms import SendError, SendResult, make_client, send_sms
from tests.twilio_mock import free_port, start_twilio_mock

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2  # the spec's pattern: ^AC[0-9a-fA-F]{32}$
AUTH_TOKEN = "test-auth-token"
SMS = dict(to="+15005550006", from_="+15005550001", body="Thanks! Reply YES to confirm.")
CALLBACK = "https://receptionist.example.com/sms/status"


@pytest.fixture(scope="session")
def prism(tmp_path_factory):
    """(base URL, log path) of Prism mocking Twilio's API for the whole session."""
    log_path = tmp_path_factory.mktemp("prism") / "prism.log"
    with start_twilio_mock(log_path) as base_url:
        if base_url is None:
            pytest.skip("Prism or ../shared/twilio/twilio_api_v2010.json missing: run `npm ci` in the repo root")
        yield base_url, log_path


PASSED = "The request passed the validation rules"  # Prism's log line per valid request


def _count_in_log(log_path, text, at_least=0, timeout_s=5.0) -> int:
    """How often Prism's log holds ``text``, waiting up to ``timeout_s`` for ``at_least``
    (a line may be written just after the response)."""
    deadline = time.monotonic() + timeout_s
    while True:
        n = log_path.read_text(errors="replace").count(text)
        if n >= at_least or time.monotonic() > deadline:
            return n
        time.sleep(0.05)


def test_valid_send_returns_the_mocks_message(prism):
    base_url, log_path = prism
    client = make_client(ACCOUNT_SID, AUTH_TOKEN, api_base_url=base_url)
    passed_before = _count_in_log(log_path, PASSED)

    result = send_sms(client, **SMS, status_callback=CALLBACK)

    assert isinstance(result, SendResult)
    assert result.sid.startswith("SM") and len(result.sid) == 34  # the spec's example
    assert result.status == "queued"
    sent = client.http_client._test_only_last_request  # twilio's own hook for tests
    assert sent.url == f"{base_url}/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    assert sent.data == {"To": SMS["to"], "From": SMS["from_"], "Body": SMS["body"],
                         "StatusCallback": CALLBACK}
    # --errors would have answered 422 otherwise; Prism's log says so explicitly too.
    assert _count_in_log(log_path, PASSED, at_least=passed_before + 1) == passed_before + 1


def test_without_status_callback_the_parameter_is_left_out(prism):
    base_url, _ = prism
    client = make_client(ACCOUNT_SID, AUTH_TOKEN, api_base_url=base_url)
    assert send_sms(client, **SMS, status_callback=None).sid.startswith("SM")
    assert "StatusCallback" not in client.http_client._test_only_last_request.data


@pytest.mark.parametrize("account_sid, status_callback", [
    (ACCOUNT_SID, "not a url"),  # StatusCallback must have format "uri"
    ("AC123", CALLBACK),  # AccountSid path parameter must match ^AC[0-9a-fA-F]{32}$
], ids=["bad-status-callback", "bad-account-sid"])
def test_request_the_spec_rejects_is_not_retryable(prism, account_sid, status_callback):
    base_url, _ = prism
    client = make_client(account_sid, AUTH_TOKEN, api_base_url=base_url)
    with pytest.raises(SendError) as err:
        send_sms(client, **SMS, status_callback=status_callback)
    assert (err.value.status, err.value.code, err.value.retryable) == (422, None, False)


def test_connection_refused_is_retryable():
    client = make_client(ACCOUNT_SID, AUTH_TOKEN, api_base_url=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(SendError) as err:
        send_sms(client, **SMS, status_callback=None)
    assert (err.value.status, err.value.code, err.value.retryable) == (None, None, True)


@pytest.fixture
def fake_twilio():
    """A werkzeug server on loopback answering every request with ``reply`` (status, JSON),
    after ``delay_s``."""
    reply = {"status": 500, "body": {}, "delay_s": 0}

    def app(environ, start_response):
        time.sleep(reply["delay_s"])
        body = reply["body"]
        text = body if isinstance(body, str) else json.dumps(body)
        return Response(text, status=reply["status"], content_type="application/json")(
            environ, start_response)

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", reply
    server.shutdown()
    thread.join()


@pytest.mark.parametrize("status, body, code, retryable", [
    (500, {"message": "Internal error"}, None, True),
    (503, "<html>Service Unavailable</html>", None, True),  # not even JSON
    (429, {"code": 20429, "message": "Too Many Requests", "status": 429}, 20429, True),
    (400, {"code": 21610, "message": "Attempt to send to unsubscribed recipient",
           "more_info": "https://www.twilio.com/docs/errors/21610", "status": 400}, 21610, False),
    (400, {"code": 21211, "message": "The 'To' number +15005550006 is not a valid phone number.",
           "more_info": "https://www.twilio.com/docs/errors/21211", "status": 400}, 21211, False),
])
def test_http_errors_map_to_send_error(fake_twilio, status, body, code, retryable):
    base_url, reply = fake_twilio
    reply.update(status=status, body=body)
    client = make_client(ACCOUNT_SID, AUTH_TOKEN, api_base_url=base_url)
    with pytest.raises(SendError) as err:
        send_sms(client, **SMS, status_callback=CALLBACK)
    assert (err.value.status, err.value.code, err.value.retryable) == (status, code, retryable)
    assert SMS["to"] not in str(err.value)  # job logs must not carry the number


def test_timeout_is_retryable(fake_twilio):
    base_url, reply = fake_twilio
    reply.update(status=201, body={"sid": "SM" + "0" * 32}, delay_s=1.0)
    client = make_client(ACCOUNT_SID, AUTH_TOKEN, api_base_url=base_url)
    client.http_client.timeout = 0.2  # instead of TIMEOUT_S, to keep the test fast
    with pytest.raises(SendError) as err:
        send_sms(client, **SMS, status_callback=None)
    assert (err.value.status, err.value.code, err.value.retryable) == (None, None, True)
