"""The outside-app caller (``bench/follower.py``) follows a voice app's TwiML as Twilio does.

A small survey app on a real loopback server, shaped like Twilio's automated-survey-flask
sample: its voice webhook is a GET, it redirects with GET, records one answer (with a
transcription callback) and gathers another, keeps state in a cookie and checks every
signature with twilio's RequestValidator. No timing is asserted.
"""
from __future__ import annotations

import urllib3
from flask import Flask, Response, abort, request
from twilio.request_validator import RequestValidator

from bench.follower import TRANSCRIPTION, Follow, follow_call
from tests.drill_calls import serving

TOKEN = "follower-test-token"


def survey_app(seen: list[tuple[str, str, dict]]) -> Flask:
    """The app; ``seen`` gets (method, path, fields) of every request, after its signature check."""
    app = Flask(__name__)
    validator = RequestValidator(TOKEN)

    @app.before_request
    def signed() -> None:
        fields = request.form.to_dict() if request.method == "POST" else {}
        if not validator.validate(request.url, fields, request.headers.get("X-Twilio-Signature", "")):
            abort(403)
        seen.append((request.method, request.path, {**request.args.to_dict(), **fields,
                                                    "cookie": request.cookies.get("step", "")}))

    def twiml(body: str, cookie: str | None = None) -> Response:
        response = Response(f'<?xml version="1.0" encoding="UTF-8"?><Response>{body}</Response>',
                            mimetype="text/xml")
        if cookie:
            response.set_cookie("step", cookie)
        return response

    @app.get("/voice")
    def voice() -> Response:
        return twiml('<Say>Welcome</Say><Redirect method="GET">/question/1</Redirect>', cookie="1")

    @app.get("/question/1")
    def name() -> Response:
        return twiml('<Say>Your name?</Say><Record action="/answer/1" transcribeCallback="/transcribed" />')

    @app.post("/answer/1")
    def answer_name() -> Response:
        return twiml('<Redirect method="GET">/question/2</Redirect>', cookie="2")

    @app.post("/transcribed")
    def transcribed() -> str:
        return ""

    @app.get("/question/2")
    def age() -> Response:
        return twiml('<Say>Over 21? Press 1 for yes.</Say><Gather action="/answer/2" />')

    @app.post("/answer/2")
    def answer_age() -> Response:
        return twiml("<Say>Good bye!</Say><Hangup />")

    return app


def test_a_call_follows_the_apps_twiml_signed_with_its_cookies_and_answers_each_question():
    seen: list[tuple[str, str, dict]] = []
    with serving(survey_app(seen)) as base:
        host, port = base.removeprefix("http://").split(":")
        http = urllib3.HTTPConnectionPool(host, int(port))
        result = follow_call(Follow("/voice", "GET", digits="1"), http, base, RequestValidator(TOKEN),
                             "CA" + "1" * 32, "+13122000001", "+12025550100")
    assert (result.error, result.completed, result.ended_by) == (None, True, "agent-hangup")
    assert result.given == ["recording", "digits"]
    assert [(method, path) for method, path, _ in seen] == [
        ("GET", "/voice"), ("GET", "/question/1"), ("POST", "/answer/1"), ("POST", "/transcribed"),
        ("GET", "/question/2"), ("POST", "/answer/2")]
    fields = {path: f for _, path, f in seen}
    assert fields["/voice"]["CallSid"] == "CA" + "1" * 32 and fields["/voice"]["cookie"] == ""
    assert fields["/answer/1"]["RecordingUrl"].startswith("https://api.twilio.com/")
    assert fields["/answer/1"]["cookie"] == "1"  # set by /voice, sent back for the rest of the call
    assert fields["/transcribed"]["TranscriptionText"] == TRANSCRIPTION
    assert fields["/transcribed"]["RecordingSid"] == fields["/answer/1"]["RecordingSid"]
    assert (fields["/answer/2"]["Digits"], fields["/answer/2"]["cookie"]) == ("1", "2")
    assert [status for *_, status in result.requests] == [200] * 6


def test_a_refused_request_ends_the_call_with_an_error_naming_it():
    with serving(survey_app([])) as base:
        host, port = base.removeprefix("http://").split(":")
        http = urllib3.HTTPConnectionPool(host, int(port))
        result = follow_call(Follow("/voice", "GET"), http, base, RequestValidator("another-token"),
                             "CA" + "2" * 32, "+13122000002", "+12025550100")
    assert not result.completed
    assert "GET /voice answered HTTP 403" in result.error
