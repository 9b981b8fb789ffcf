"""The text simulator against a tiny signed SMS agent served over real HTTP."""
from __future__ import annotations

import datetime as dt
import io
import itertools
import re
import threading
import time
import uuid

import pytest
from flask import Flask, Response, request
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import Body, Media, Message, MessagingResponse, Redirect
from werkzeug.serving import make_server

from receptionist.devtools.cli import text_command
from receptionist.devtools.text import (
    OutboxText,
    TextSimulator,
    num_segments,
    parse_text_script,
    run_interactive_texts,
    run_text_script,
)
from receptionist.devtools.twilio_http import SimulatorError

TOKEN = "test-auth-token-0123456789abcdef"
PHONE = "+12025550123"
AGENT = "+12025550101"


def agent_app(received: list[dict], hooks: dict) -> Flask:
    """Echoes texts; STOP gets an empty <Response/>, TWO two messages, CONFIRM an outbox row."""
    app = Flask(__name__)
    validator = RequestValidator(TOKEN)

    @app.before_request
    def check_signature():
        valid = validator.validate(request.url, request.form, request.headers.get("X-Twilio-Signature", ""))
        received.append({"path": request.path, "method": request.method, "form": request.form.to_dict(),
                         "valid": valid})
        if not valid:
            return Response("invalid signature", status=403)

    @app.post("/sms/inbound")
    def inbound():
        body = request.form["Body"]
        reply = MessagingResponse()
        if body == "STOP":
            pass
        elif body == "TWO":
            reply.message("First.")
            reply.message("Second.")
        elif body == "LINES":
            reply.message("Line one\nLine two")
        elif body == "PICTURE":
            message = Message()
            message.append(Body("Here is the map"))
            message.append(Media("https://example.com/map.png"))
            reply.append(message)
        elif body == "FORWARD":
            reply.message("For the recruiter", to="+19995550000")
            reply.message("Passed on.")
        elif body == "REDIRECT":
            reply.append(Redirect("elsewhere"))
        elif body == "BOOM":
            return Response("Traceback: boom", status=500)
        else:
            if body == "CONFIRM" and hooks.get("outbox"):
                hooks["outbox"](request.form["From"], "Your interview link: https://interview.test/abc")
            reply.message(f"Echo: {body}")
        return Response(str(reply), mimetype="text/xml")

    @app.post("/sms/elsewhere")
    def elsewhere():
        reply = MessagingResponse()
        reply.message(f"Redirected: {request.form['Body']}")
        return Response(str(reply), mimetype="text/xml")

    return app


class Agent:
    def __init__(self, url: str, received: list[dict], hooks: dict):
        self.url, self.received, self.hooks = url, received, hooks

    @property
    def last(self) -> dict:
        return self.received[-1]["form"]


@pytest.fixture(scope="module")
def _server():
    received: list[dict] = []
    hooks: dict = {}
    server = make_server("127.0.0.1", 0, agent_app(received, hooks), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Agent(f"http://127.0.0.1:{server.server_port}", received, hooks)
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture
def agent(_server):
    _server.received.clear()
    _server.hooks.clear()
    return _server


class FakeOutbox:
    """An outbox_reader whose rows appear (and get sent) after given delays."""

    def __init__(self):
        self.rows: list[dict] = []
        self.ids = itertools.count(1)
        self.calls = 0

    def add(self, to: str, body: str, *, purpose: str = "confirmation", appear_after: float = 0.0,
            sent_after: float | None = 0.0) -> None:
        now = time.monotonic()
        self.rows.append({"id": next(self.ids), "to": to, "body": body, "purpose": purpose,
                          "visible": now + appear_after,
                          "sent": None if sent_after is None else now + appear_after + sent_after})

    def __call__(self, phone: str, since: dt.datetime, seen_ids: frozenset) -> list[OutboxText]:
        assert since.tzinfo is not None
        self.calls += 1
        now = time.monotonic()
        return [OutboxText(r["id"], r["to"], AGENT, r["body"], r["purpose"],
                           "sent" if r["sent"] is not None and now >= r["sent"] else "pending")
                for r in self.rows if r["to"] == phone and now >= r["visible"] and r["id"] not in seen_ids]


def phone(agent: Agent, token: str = TOKEN, **kwargs) -> TextSimulator:
    kwargs.setdefault("out", io.StringIO())
    return TextSimulator(agent.url, token, PHONE, AGENT, **kwargs)


def run(agent: Agent, text: str, token: str = TOKEN, **kwargs) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run_text_script(parse_text_script(text), agent.url, token, out=out, err=err, **kwargs)
    return code, out.getvalue(), err.getvalue()


# --------------------------------------------------------------------------- what Twilio sends


def test_a_text_carries_twilios_fields_and_a_valid_signature(agent):
    with phone(agent) as sim:
        assert sim.send("hello") == ["Echo: hello"]
        sim.send("again")

    first, second = (r["form"] for r in agent.received)
    assert all(r["valid"] and r["path"] == "/sms/inbound" and r["method"] == "POST" for r in agent.received)
    assert re.fullmatch(r"SM[0-9a-f]{32}", first["MessageSid"])
    assert first["SmsMessageSid"] == first["SmsSid"] == first["MessageSid"]
    assert second["MessageSid"] != first["MessageSid"]  # new per text
    assert re.fullmatch(r"AC[0-9a-f]{32}", first["AccountSid"])
    assert (first["From"], first["To"], first["Body"]) == (PHONE, AGENT, "hello")
    assert (first["NumMedia"], first["NumSegments"], first["SmsStatus"], first["ApiVersion"]) == (
        "0", "1", "received", "2010-04-01")
    assert first["FromCountry"] == first["ToCountry"] == "US"
    assert first["FromCity"] == first["ToZip"] == ""
    assert "MessagingServiceSid" not in first
    assert not any(key.startswith("Media") for key in first)


def test_media_urls_and_content_types(agent):
    with phone(agent) as sim:
        sim.send("my CV", media=["https://files.test/cv.pdf", "https://files.test/me.jpg?size=2"])

    form = agent.last
    assert re.fullmatch(r"MM[0-9a-f]{32}", form["MessageSid"])  # Twilio gives texts with media MM sids
    assert form["NumMedia"] == "2"
    assert (form["MediaUrl0"], form["MediaContentType0"]) == ("https://files.test/cv.pdf", "application/pdf")
    assert (form["MediaUrl1"], form["MediaContentType1"]) == ("https://files.test/me.jpg?size=2", "image/jpeg")
    assert "MediaUrl2" not in form
    assert "YOU: my CV\n     [media: https://files.test/cv.pdf]" in sim.out.getvalue()


def test_a_long_body_counts_its_segments(agent):
    with phone(agent) as sim:
        sim.send("a" * 400)
    assert agent.last["NumSegments"] == "3"  # ceil(400 / 153)
    assert agent.last["Body"] == "a" * 400


@pytest.mark.parametrize("body, segments", [
    ("", 1), ("a" * 160, 1), ("a" * 161, 2), ("a" * 306, 2), ("a" * 307, 3),
    ("€" * 80, 1), ("€" * 81, 2),      # GSM-7 extension characters take two septets
    ("ñ" * 160, 1),                      # in the GSM-7 basic set
    ("你" * 70, 1), ("你" * 71, 2),      # UCS-2: 70 in one segment, 67 per segment beyond
    ("🙂" * 35, 1), ("🙂" * 36, 2),      # an emoji is two UTF-16 units
])
def test_num_segments(body, segments):
    assert num_segments(body) == segments


def test_emoji_and_non_latin_text_survive(agent):
    with phone(agent) as sim:
        assert sim.send("José 🙂 你好") == ["Echo: José 🙂 你好"]
    assert agent.received[-1]["valid"]
    assert agent.last["Body"] == "José 🙂 你好"
    assert "AGENT: Echo: José 🙂 你好" in sim.out.getvalue()


# --------------------------------------------------------------------------- replies


def test_replies_are_printed_one_agent_line_per_message(agent):
    with phone(agent) as sim:
        assert sim.send("TWO") == ["First.", "Second."]
        assert sim.send("LINES") == ["Line one\nLine two"]
        assert sim.send("PICTURE") == ["Here is the map\n[media: https://example.com/map.png]"]
        assert sim.send("FORWARD") == ["Passed on."]  # a message to another number is no reply
        assert sim.send("STOP") == []

    assert sim.transcript == [
        "YOU: TWO", "AGENT: First.", "AGENT: Second.",
        "YOU: LINES", "AGENT: Line one\n       Line two",
        "YOU: PICTURE", "AGENT: Here is the map\n       [media: https://example.com/map.png]",
        "YOU: FORWARD", "AGENT (to +19995550000): For the recruiter", "AGENT: Passed on.",
        "YOU: STOP", "(no reply)",
    ]
    assert sim.out.getvalue() == "\n".join(sim.transcript) + "\n"


def test_redirect_is_followed_with_the_same_message(agent):
    with phone(agent) as sim:
        assert sim.send("REDIRECT") == ["Redirected: REDIRECT"]
    first, second = agent.received
    assert second["path"] == "/sms/elsewhere" and second["valid"]
    assert second["form"]["MessageSid"] == first["form"]["MessageSid"]


def test_an_http_error_names_status_and_body(agent):
    with phone(agent) as sim:
        with pytest.raises(SimulatorError, match=r"answered HTTP 500: Traceback: boom"):
            sim.send("BOOM")
        assert sim.send("still here") == ["Echo: still here"]  # the phone stays usable


# --------------------------------------------------------------------------- scripts


def test_script_expectations_pass(agent):
    code, out, err = run(agent, "@from +12025550177\n@to +12025550101\n"
                                "send JOBS   # a comment\nexpect echo: jobs\n"
                                "send STOP\nexpect-no-reply\nsend TWO\nexpect first\nexpect SECOND.\n")
    assert (code, err) == (0, "")
    assert "YOU: JOBS\nAGENT: Echo: JOBS\n" in out
    assert "YOU: STOP\n(no reply)\n" in out
    assert "PASS: 3 texts sent" in out
    assert agent.received[0]["form"]["From"] == "+12025550177"  # the header wins


@pytest.mark.parametrize("script, message", [
    ("send hello\nexpect goodbye\n",
     "FAIL: line 2: expected a reply containing 'goodbye', but the agent replied: 'Echo: hello'"),
    ("send STOP\nexpect anything\n",
     "FAIL: line 2: expected a reply containing 'anything', but there was no reply (empty <Response/>)"),
    ("send TWO\nexpect-no-reply\n",
     "FAIL: line 2: expected no reply, but the agent replied: 'First.' | 'Second.'"),
])
def test_script_expectations_fail_with_the_line_and_what_came(agent, script, message):
    code, out, err = run(agent, script)
    assert code == 1
    assert err.strip() == message


def test_expect_outbox_waits_for_a_text_from_the_outbox(agent):
    outbox = FakeOutbox()
    agent.hooks["outbox"] = lambda to, body: outbox.add(to, body, appear_after=0.6)
    outbox.add("+19995550000", "For someone else")
    code, out, err = run(agent, "send CONFIRM\nexpect Echo\nexpect-outbox INTERVIEW LINK\n", outbox_reader=outbox)

    assert (code, err) == (0, "")
    assert "OUTBOX (confirmation, sent): Your interview link: https://interview.test/abc" in out
    assert "someone else" not in out


def test_expect_outbox_fails_when_nothing_arrives_in_time(agent):
    outbox = FakeOutbox()
    started = time.monotonic()
    code, out, err = run(agent, "send hello\nexpect-outbox interview\n", outbox_reader=outbox, outbox_wait=0.5)

    assert code == 1
    assert 0.5 <= time.monotonic() - started < 5
    assert err.strip() == ("FAIL: line 2: expected an outbox text containing 'interview' within 0.5 s, "
                           "but no outbox text to +12025550123 arrived")


def test_expect_outbox_looks_only_since_the_last_send(agent):
    outbox = FakeOutbox()
    agent.hooks["outbox"] = lambda to, body: outbox.add(to, body)
    code, out, err = run(agent, "send CONFIRM\nexpect-outbox interview\nsend hello\nexpect-outbox interview\n",
                         outbox_reader=outbox, outbox_wait=0.3)
    assert code == 1
    assert "line 4: expected an outbox text containing 'interview'" in err
    assert out.count("OUTBOX") == 1  # shown once, never again


def test_wait_sleeps(agent, monkeypatch):
    naps = []
    monkeypatch.setattr("receptionist.devtools.text.time.sleep", naps.append)
    code, out, _ = run(agent, "send hi\nwait 1.5\n")
    assert code == 0 and naps == [1.5]
    assert "(waiting 1.5 s)" in out


def test_wrong_token_gets_403_and_exit_1(agent):
    code, out, err = run(agent, "send hello\nexpect echo\n", token="wrong-token")
    assert code == 1
    assert not agent.received[0]["valid"]
    assert err.strip() == f"FAIL: line 1: POST {agent.url}/sms/inbound answered HTTP 403: invalid signature"
    assert "(no reply: the server answered HTTP 403)" in out


def test_parse_text_script_reads_headers_steps_and_comments():
    script = parse_text_script("# a script\n@from +12025550123  # me\n@to +12025550101\n\nsend I am #1 fan\n"
                               "expect thanks\nexpect-outbox link   # from the outbox\nexpect-no-reply\nwait 2\n")
    assert (script.from_number, script.to_number) == ("+12025550123", "+12025550101")
    assert [(s.kind, s.value, s.line) for s in script.steps] == [
        ("send", "I am #1 fan", 5), ("expect", "thanks", 6), ("expect-outbox", "link", 7),
        ("expect-no-reply", "", 8), ("wait", "2", 9)]


@pytest.mark.parametrize("text, message", [
    ("send hi\n\nshout hello\n", "line 3: unknown directive 'shout'"),
    ("send hi\n@from +12025550123\n", "line 2: @from must come before the first send (line 1)"),
    ("@to\n", "line 1: @to needs a phone number"),
    ("send\n", "line 1: send needs a text"),
    ("send hi\nexpect\n", "line 2: expect needs a text to look for"),
    ("send hi\nexpect-outbox   # nothing\n", "line 2: expect-outbox needs a text to look for"),
    ("send hi\nexpect-no-reply please\n", "line 2: expect-no-reply takes no argument"),
    ("expect hello\n", "line 1: expect needs a send before it"),
    ("# c\nexpect-no-reply\n", "line 2: expect-no-reply needs a send before it"),
    ("wait soon\n", "line 1: wait takes seconds from 0 to 60, not 'soon'"),
    ("wait 61\n", "line 1: wait takes seconds"),
    ("wait -1\n", "line 1: wait takes seconds"),
])
def test_parse_errors_name_the_line(text, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_text_script(text)


# --------------------------------------------------------------------------- the outbox


def test_check_outbox_waits_for_pending_rows_and_shows_each_once(agent):
    outbox = FakeOutbox()
    with phone(agent, outbox_reader=outbox) as sim:
        outbox.add(PHONE, "Reminder: interview tomorrow\nReply C to cancel", purpose="reminder",
                   appear_after=0.2, sent_after=0.4)
        assert sim.check_outbox(3.0) == [("reminder", "sent", "Reminder: interview tomorrow\nReply C to cancel")]
        assert sim.check_outbox(0) == []
        outbox.add(PHONE, "Still interested?", purpose="nudge", sent_after=None)  # the sender never runs
        started = time.monotonic()
        assert sim.check_outbox(0.4) == [("nudge", "pending", "Still interested?")]
        assert time.monotonic() - started >= 0.4
    assert ("OUTBOX (reminder, sent): Reminder: interview tomorrow\n"
            "                         Reply C to cancel") in sim.transcript


def test_check_outbox_without_a_reader_returns_at_once(agent):
    with phone(agent) as sim:
        started = time.monotonic()
        assert sim.check_outbox(5) == []
        assert time.monotonic() - started < 1


# --------------------------------------------------------------------------- interactive and CLI


def test_interactive_mode(agent):
    outbox = FakeOutbox()
    lines = iter(["hi", "", "/media https://files.test/id.png my ID", "/quit"])

    def fake_input(prompt):
        assert prompt == "YOU> "
        return next(lines)

    out = io.StringIO()
    with TextSimulator(agent.url, TOKEN, PHONE, AGENT, outbox_reader=outbox, out=out) as sim:
        assert run_interactive_texts(sim, outbox_wait=0.2, input_fn=fake_input) == 0
    text = out.getvalue()
    assert "An empty line checks the outbox" in text.splitlines()[0]
    assert "AGENT: Echo: hi" in text
    assert "(no new outbox texts)" in text
    assert agent.last["MediaUrl0"] == "https://files.test/id.png" and agent.last["Body"] == "my ID"


def test_interactive_survives_errors_and_ctrl_d(agent):
    lines = iter(["BOOM", "ok"])

    def fake_input(prompt):
        try:
            return next(lines)
        except StopIteration:
            raise EOFError from None

    err = io.StringIO()
    with phone(agent) as sim:
        assert run_interactive_texts(sim, outbox_wait=0, input_fn=fake_input, err=err) == 0
    assert "ERROR: POST" in err.getvalue() and "HTTP 500" in err.getvalue()
    assert "AGENT: Echo: ok" in sim.out.getvalue()


def bare_runner():
    return Flask(__name__).test_cli_runner()  # an app without a database: no outbox


def test_text_command_sends_one_text(agent, monkeypatch):
    monkeypatch.delenv("TWILIO_AUTH_TOKEN", raising=False)
    result = bare_runner().invoke(text_command, ["--url", agent.url, "--auth-token", TOKEN, "TWO"])
    assert result.exit_code == 0, result.output
    assert result.output == "YOU: TWO\nAGENT: First.\nAGENT: Second.\n"
    assert (agent.last["From"], agent.last["To"]) == ("+12025550123", "+12025550101")  # the defaults


def test_text_command_media_only(agent):
    result = bare_runner().invoke(text_command, ["--url", agent.url, "--auth-token", TOKEN,
                                                 "--media", "https://files.test/a.gif"])
    assert result.exit_code == 0, result.output
    assert (agent.last["Body"], agent.last["NumMedia"], agent.last["MediaContentType0"]) == ("", "1", "image/gif")


def test_text_command_wrong_token_exits_1(agent):
    result = bare_runner().invoke(text_command, ["--url", agent.url, "--auth-token", "nope", "hello"])
    assert result.exit_code == 1
    assert "answered HTTP 403: invalid signature" in result.output


def test_text_command_script_and_usage_errors(agent, tmp_path):
    script = tmp_path / "texts.txt"
    script.write_text("send hello\nexpect echo\n")
    result = bare_runner().invoke(text_command, ["--url", agent.url, "--auth-token", TOKEN, "--script", str(script)])
    assert result.exit_code == 0, result.output
    assert "PASS: 1 text sent" in result.output

    script.write_text("send hello\nexpect\n")
    result = bare_runner().invoke(text_command, ["--auth-token", TOKEN, "--script", str(script)])
    assert result.exit_code == 1 and "line 2: expect needs a text" in result.output

    result = bare_runner().invoke(text_command, ["--auth-token", TOKEN, "--script", str(script), "hello"])
    assert result.exit_code == 2 and "either BODY/--media or --script" in result.output


def test_text_command_reads_the_outbox_in_the_database(agent, app, db, tmp_path):
    """Through the registered `flask text`, against the app's real (migrated) database."""
    from receptionist.adapters.models import OutboxItem

    def write(to: str, body: str, **fields) -> None:
        with db.transaction() as session:
            session.add(OutboxItem(kind="sms", recipient=to, payload={"to": to, "from": AGENT, "body": body},
                                   purpose="confirmation", idempotency_key=f"test:{uuid.uuid4()}", **fields))

    write(PHONE, "An old text", created_at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1))
    agent.hooks["outbox"] = lambda to, body: (write(to, body), write("+19995550000", "Not for this phone"))
    script = tmp_path / "confirm.txt"
    script.write_text("send CONFIRM\nexpect echo\nexpect-outbox interview link\n")

    # `flask text` as a user runs it: FlaskGroup loads the command from its entry point.
    from flask.cli import FlaskGroup
    cli = FlaskGroup(create_app=lambda: app)
    runner = app.test_cli_runner()
    result = runner.invoke(cli, args=["text", "--url", agent.url, "--auth-token", TOKEN, "--script", str(script),
                                 "--outbox-wait", "2"])
    assert result.exit_code == 0, result.output
    assert "OUTBOX (confirmation, pending): Your interview link: https://interview.test/abc" in result.output
    assert "An old text" not in result.output and "Not for this phone" not in result.output

    result = runner.invoke(cli, args=["text", "--url", agent.url, "--auth-token", TOKEN, "--outbox-wait", "0.3",
                                 "CONFIRM"])
    assert result.exit_code == 0, result.output
    assert result.output.count("OUTBOX (confirmation, pending): Your interview link") == 1
