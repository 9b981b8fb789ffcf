"""The phone simulator against a tiny signed IVR served over real HTTP."""
from __future__ import annotations

import io
import re
import sys
import threading
import types
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from flask import Flask, Response, request
from twilio.request_validator import RequestValidator
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # tests/ has no __init__.py and the project may not be installed
    sys.path.insert(0, str(ROOT))

from receptionist.devtools.call import (  # noqa: E402
    AGENT_HANGUP,
    CALLER_HANGUP,
    CallSimulator,
    collect_digits,
    parse_script,
    run_interactive,
    run_script,
)
from receptionist.devtools.cli import call_command  # noqa: E402
from receptionist.devtools.twilio_http import SimulatorError  # noqa: E402

TOKEN = "test-auth-token-0123456789abcdef"


def twiml(body: str) -> Response:
    return Response(f'<?xml version="1.0" encoding="UTF-8"?><Response>{body}</Response>', mimetype="text/xml")


def ivr_app(received: list[dict]) -> Flask:
    """A yes/no IVR: greeting + Gather(speech dtmf), a keys-only menu, Redirects, Hangup."""
    app = Flask(__name__)
    validator = RequestValidator(TOKEN)

    @app.before_request
    def check_signature():
        params = request.form if request.method == "POST" else {}
        valid = validator.validate(request.url, params, request.headers.get("X-Twilio-Signature", ""))
        received.append({"path": request.path, "method": request.method, "args": request.args.to_dict(),
                         "form": request.values.to_dict(), "valid": valid})
        if not valid:
            return Response("invalid signature", status=403)

    @app.post("/voice/inbound")
    def inbound():
        return twiml(
            "<Say>Hello, thanks for calling Acme. This call is recorded.</Say>"
            '<Gather action="gather?step=1" input="speech dtmf" actionOnEmptyResult="true">'
            "<Say>Are you calling about a job? Say yes or press 1.</Say></Gather>"
        )

    @app.post("/voice/gather")
    def gather():
        step = request.args.get("step")
        speech = request.form.get("SpeechResult", "").lower()
        digits = request.form.get("Digits", "")
        if step == "1":
            if "yes" in speech or digits == "1":
                return twiml(
                    '<Say language="en-GB">Great.</Say>'
                    '<Gather action="/voice/gather?step=2" input="dtmf" numDigits="1">'
                    "<Say>Press 1 for warehouse jobs, 2 for drivers.</Say></Gather>"
                    "<Say>We did not get that.</Say>"
                    '<Redirect method="GET">goodbye</Redirect>'
                )
            if "no" in speech or digits == "2":
                return twiml("<Say>Okay, goodbye.</Say><Hangup/>")
            return twiml(
                "<Say>Sorry, I did not catch that.</Say>"
                '<Gather action="gather?step=1" input="speech dtmf" actionOnEmptyResult="true">'
                "<Say>Are you calling about a job?</Say></Gather>"
            )
        if step == "2":
            role = {"1": "Warehouse", "2": "Driver"}.get(digits, "Unknown")
            return twiml(f"<Say>{role} it is.</Say><Pause/><Redirect>goodbye</Redirect>")
        return Response("no such step", status=500)

    @app.route("/voice/goodbye", methods=["GET", "POST"])
    def goodbye():
        return twiml("<Say>Thanks for calling, goodbye.</Say><Play>https://example.com/bye.mp3</Play>")

    @app.post("/voice/status")
    def status():
        return Response(status=204)

    return app


class IVR:
    def __init__(self, url: str, received: list[dict]):
        self.url = url
        self.received = received

    def paths(self) -> list[str]:
        """Paths requested, with the IVR's ``step`` query kept: ``/voice/gather?step=1``."""
        return [r["path"] + (f"?step={r['args']['step']}" if "step" in r["args"] else "") for r in self.received]


@pytest.fixture(scope="module")
def _server():
    received: list[dict] = []
    server = make_server("127.0.0.1", 0, ivr_app(received), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield IVR(f"http://127.0.0.1:{server.server_port}", received)
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture
def ivr(_server):
    _server.received.clear()
    return _server


def run(ivr, text: str, token: str = TOKEN, **kwargs) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run_script(parse_script(text), ivr.url, token, out=out, err=err, **kwargs)
    return code, out.getvalue(), err.getvalue()


HAPPY_SCRIPT = """
# a candidate answers yes, picks warehouse
@from +12025550199
@forwarded-from +12025559999
@source ivr
expect this call is recorded
expect calling about a job       # the nested Say in the Gather counts
say Yes please
expect great
press 1
expect warehouse it is
expect goodbye
@end agent-hangup
"""


def test_happy_script_exits_0_and_server_sees_twilio_fields(ivr):
    code, out, err = run(ivr, HAPPY_SCRIPT)

    assert (code, err) == (0, "")
    assert all(r["valid"] for r in ivr.received)
    assert ivr.paths() == ["/voice/inbound", "/voice/gather?step=1", "/voice/gather?step=2",
                           "/voice/goodbye", "/voice/status"]
    inbound, step1, step2, goodbye, status = ivr.received
    assert inbound["args"] == {"source": "ivr"}
    form = inbound["form"]
    assert re.fullmatch(r"CA[0-9a-f]{32}", form["CallSid"])
    assert re.fullmatch(r"AC[0-9a-f]{32}", form["AccountSid"])
    assert form["From"] == form["Caller"] == "+12025550199"
    assert form["To"] == form["Called"] == "+12025550100"
    assert form["ForwardedFrom"] == "+12025559999"
    assert (form["CallStatus"], form["Direction"], form["ApiVersion"]) == ("ringing", "inbound", "2010-04-01")
    assert form["FromCountry"] == form["ToCountry"] == "US"
    assert {r["form"]["CallSid"] for r in ivr.received} == {form["CallSid"]}
    assert step1["form"]["SpeechResult"] == "Yes please"
    assert step1["form"]["Confidence"] == "0.91"
    assert step1["form"]["CallStatus"] == "in-progress"
    assert "Digits" not in step1["form"]
    assert step2["form"]["Digits"] == "1"
    assert "SpeechResult" not in step2["form"]
    assert goodbye["method"] == "POST"  # Redirect without method: POST
    assert status["form"]["CallStatus"] == "completed"
    assert int(status["form"]["CallDuration"]) >= 0
    assert "AGENT: Hello, thanks for calling Acme." in out
    assert "AGENT [en-GB]: Great." in out
    assert "CALLER: Yes please" in out
    assert "CALLER presses 1" in out
    assert "[audio: https://example.com/bye.mp3]" in out
    assert "PASS" in out


def test_wrong_token_gets_403_and_exit_1(ivr):
    code, out, err = run(ivr, "say yes\n", token="not-the-token")

    assert code == 1
    assert "403" in err and "/voice/inbound" in err
    assert ivr.received[0]["valid"] is False


def test_wrong_expect_fails_with_line_number(ivr):
    code, _, err = run(ivr, "say yes\nexpect welcome to globex\npress 1\n")

    assert code == 1
    assert err.startswith("FAIL: line 2: expected to hear 'welcome to globex'")
    assert len(err.strip().splitlines()) == 1
    # The simulator hangs up so the server can close the call.
    assert ivr.received[-1]["path"] == "/voice/status"
    assert ivr.received[-1]["form"]["CallStatus"] == "completed"


def test_caller_hangup_midway_posts_only_the_status_callback(ivr):
    code, out, err = run(ivr, "say yes\nexpect press 1\nhangup\n")

    assert (code, err) == (0, "")
    assert ivr.paths() == ["/voice/inbound", "/voice/gather?step=1", "/voice/status"]
    assert ivr.received[-1]["form"]["CallStatus"] == "completed"
    assert "CALLER hangs up" in out


def test_speech_to_a_keys_only_gather_is_silence(ivr):
    code, out, err = run(ivr, "say yes\nsay warehouse\nexpect did not get that\nexpect goodbye\n")

    assert (code, err) == (0, "")
    assert "(the phone ignores speech here: keys only)" in out
    # No step=2 request: Twilio fell through to the verbs after the Gather, then a GET Redirect.
    assert ivr.paths() == ["/voice/inbound", "/voice/gather?step=1", "/voice/goodbye", "/voice/status"]
    goodbye = ivr.received[2]
    assert goodbye["method"] == "GET" and goodbye["valid"]
    assert goodbye["args"]["CallSid"] == ivr.received[0]["form"]["CallSid"]


def test_silence_with_action_on_empty_result_posts_without_input(ivr):
    code, _, err = run(ivr, "silence\nexpect did not catch that\nsay no\nexpect okay, goodbye\n")

    assert (code, err) == (0, "")
    empty = ivr.received[1]["form"]
    assert "SpeechResult" not in empty and "Digits" not in empty
    assert ivr.received[2]["form"]["SpeechResult"] == "no"


def test_relative_actions_resolve_against_the_current_url(ivr):
    # inbound?source=x  -> "gather?step=1" -> /voice/gather?step=1 ; "goodbye" -> /voice/goodbye
    code, _, _ = run(ivr, "@source x\nsay yes\npress 2\n")

    assert code == 0
    assert ivr.paths() == ["/voice/inbound", "/voice/gather?step=1", "/voice/gather?step=2",
                           "/voice/goodbye", "/voice/status"]
    assert ivr.received[1]["args"] == {"step": "1"}


def test_agent_ending_while_inputs_remain_fails(ivr):
    code, _, err = run(ivr, "say no\nsay hello?\n")

    assert code == 1
    assert "line 2" in err and "ended" in err


def test_running_out_of_inputs_while_gathering_fails_and_hangs_up(ivr):
    code, _, err = run(ivr, "say yes\n")

    assert code == 1
    assert "ran out of inputs" in err
    assert ivr.received[-1]["path"] == "/voice/status"


def test_wrong_end_kind_fails(ivr):
    code, _, err = run(ivr, "say no\n@end caller-hangup\n")

    assert code == 1
    assert "agent-hangup" in err and "caller-hangup" in err


def test_simulator_api_keeps_state_and_transcript(ivr):
    out = io.StringIO()
    with CallSimulator(ivr.url, TOKEN, "+12025550123", "+12025550100", out=out) as sim:
        heard = sim.start()
        assert "recorded" in heard and sim.is_open and sim.waiting
        assert "speech or keys" in sim.waiting_for
        sim.press("1")  # "speech dtmf": keys are fine
        assert sim.last_heard.startswith("Great.")
        assert sim.waiting_for.startswith("listening for keys; 1 key")
        sim.press("2")
        assert not sim.is_open and sim.ended_by == AGENT_HANGUP
        assert sim.transcript[-1] == "(no more TwiML: the call ends)"
        assert out.getvalue().splitlines() == sim.transcript
        with pytest.raises(RuntimeError):
            sim.say("hello?")


def test_simulator_caller_hangup_state(ivr):
    with CallSimulator(ivr.url, TOKEN, "+12025550123", "+12025550100", out=io.StringIO()) as sim:
        sim.start()
        sim.hangup()
        assert sim.ended_by == CALLER_HANGUP and not sim.is_open


def test_collect_digits_follows_num_digits_and_finish_on_key():
    assert collect_digits("1234#", None, "#") == ("1234", "")
    assert collect_digits("12", 1, "#") == ("1", "2")
    assert collect_digits("#5", None, "#") == ("", "5")  # finishOnKey first: no input
    assert collect_digits("1#2", None, "") == ("1#2", "")


def mock_client(status: int, body: str) -> httpx.Client:
    return httpx.Client(transport=httpx.MockTransport(lambda request: httpx.Response(status, text=body)))


@pytest.mark.parametrize(
    "status, body, message",
    [
        (500, "Traceback: boom", "answered HTTP 500: Traceback: boom"),
        (200, "<Response><Say>unclosed</Response>", "invalid XML"),
        (200, "<html>hi</html>", "<Response> as its root"),
    ],
)
def test_server_errors_fail_with_one_clear_line(status, body, message):
    err = io.StringIO()
    code = run_script(parse_script("say yes\n"), "http://receptionist.test", TOKEN,
                      out=io.StringIO(), err=err, client=mock_client(status, body))

    assert code == 1
    assert message in err.getvalue()
    assert len(err.getvalue().strip().splitlines()) == 1


def test_unreachable_server_is_retried_then_reported():
    calls = []

    def refuse(request):
        calls.append(request.url.path)
        raise httpx.ConnectError("connection refused", request=request)

    sim = CallSimulator("http://receptionist.test", TOKEN, "+1", "+2", out=io.StringIO(),
                        client=httpx.Client(transport=httpx.MockTransport(refuse)))
    with pytest.raises(SimulatorError, match="is the server running"):
        sim.start()
    assert calls.count("/voice/inbound") == 2  # one retry
    assert sim.ended_by == "error"


def test_parse_script_reads_headers_steps_and_comments():
    script = parse_script(
        "# header\n@from +12025550123   # caller\n@to +12025550100\n@forwarded-from +12025559999\n"
        "@source ivr\n\nexpect hello\nsay yes   # speech\npress 1234#\npress #\nsilence\nhangup\n"
    )
    assert (script.from_number, script.to_number, script.forwarded_from, script.source) == (
        "+12025550123", "+12025550100", "+12025559999", "ivr")
    assert [(s.kind, s.value, s.line) for s in script.steps] == [
        ("expect", "hello", 7), ("say", "yes", 8), ("press", "1234#", 9), ("press", "#", 10),
        ("silence", "", 11), ("hangup", "", 12)]
    assert script.end == CALLER_HANGUP
    assert parse_script("say yes\n").end == AGENT_HANGUP


@pytest.mark.parametrize(
    "text, message",
    [
        ("say yes\n\nshout hello\n", "line 3: unknown directive 'shout'"),
        ("say yes\n@from +12025550123\n", "line 2: @from must come before the first input"),
        ("press 12a\n", "line 1: press takes keys"),
        ("say\n", "line 1: say needs words"),
        ("silence now\n", "line 1: silence takes no argument"),
        ("@end maybe\n", "line 1: @end must be"),
        ("hangup\nsay yes\n", "line 2: nothing can follow hangup"),
        ("hangup\n@end agent-hangup\n", "line 2: @end agent-hangup contradicts hangup"),
    ],
)
def test_parse_script_errors_name_the_line(text, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_script(text)


def test_interactive_mode(ivr):
    lines = iter(["", "yes", "#1"])

    def fake_input(prompt):
        assert prompt == "YOU> "
        try:
            return next(lines)
        except StopIteration:
            raise EOFError from None

    out = io.StringIO()
    sim = CallSimulator(ivr.url, TOKEN, "+12025550123", "+12025550100", out=out)
    with sim:
        assert run_interactive(sim, input_fn=fake_input) == 0
    text = out.getvalue()
    assert "'#123' presses the keys 1 2 3" in text
    assert "CALLER: (silence)" in text and "AGENT: Sorry, I did not catch that." in text
    assert "CALLER presses 1" in text
    assert sim.ended_by == AGENT_HANGUP


def test_interactive_ctrl_d_hangs_up(ivr):
    sim = CallSimulator(ivr.url, TOKEN, "+12025550123", "+12025550100", out=io.StringIO())
    with sim:
        assert run_interactive(sim, input_fn=lambda prompt: (_ for _ in ()).throw(EOFError)) == 0
    assert sim.ended_by == CALLER_HANGUP
    assert ivr.paths() == ["/voice/inbound", "/voice/status"]


def test_call_command_runs_a_script(ivr, tmp_path, monkeypatch):
    monkeypatch.delenv("TWILIO_AUTH_TOKEN", raising=False)
    script = tmp_path / "call.txt"
    script.write_text("@from +12025550111\nsay yes\npress 1\nexpect goodbye\n")
    result = CliRunner().invoke(call_command, ["--url", ivr.url, "--auth-token", TOKEN, "--script", str(script)])

    assert result.exit_code == 0, result.output
    assert "PASS" in result.output
    assert ivr.received[0]["form"]["From"] == "+12025550111"  # the header wins over --from's default


def test_call_command_uses_the_local_dev_token(ivr, tmp_path, monkeypatch):
    monkeypatch.delenv("TWILIO_AUTH_TOKEN", raising=False)
    settings = types.ModuleType("receptionist.settings")
    settings.local_auth_token = lambda: TOKEN
    monkeypatch.setitem(sys.modules, "receptionist.settings", settings)
    result = CliRunner().invoke(call_command, ["--url", ivr.url], input="no\n")

    assert result.exit_code == 0, result.output
    assert "AGENT: Okay, goodbye." in result.output


def test_call_command_without_any_token_says_what_to_set(monkeypatch):
    monkeypatch.delenv("TWILIO_AUTH_TOKEN", raising=False)
    monkeypatch.setitem(sys.modules, "receptionist.settings", None)  # import fails
    result = CliRunner().invoke(call_command, ["--url", "http://127.0.0.1:9"])

    assert result.exit_code == 1
    assert "TWILIO_AUTH_TOKEN" in result.output


def test_call_command_reports_script_errors_with_the_line(tmp_path):
    script = tmp_path / "bad.txt"
    script.write_text("say yes\nwhistle\n")
    result = CliRunner().invoke(call_command, ["--auth-token", TOKEN, "--script", str(script)])

    assert result.exit_code == 1
    assert "line 2: unknown directive 'whistle'" in result.output
