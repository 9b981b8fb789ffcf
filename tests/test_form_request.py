"""The webhooks' form (``receptionist.web.form_request``) reads as Werkzeug's own parser does."""
from __future__ import annotations

import io

import pytest
from flask import Flask, Request
from werkzeug.exceptions import ClientDisconnected, RequestEntityTooLarge
from werkzeug.test import EnvironBuilder

from receptionist.web.form_request import FormRequest

BODIES = [
    b"",
    b"CallSid=CA1&From=%2B12025550123&To=%2B12025550100",
    b"SpeechResult=my+name+is+Jos%C3%A9&Confidence=0.9",
    b"Digits=&SpeechResult=",                       # blank values kept
    b"Body=%FF%FE&From=x",                          # percent-escapes that are not UTF-8
    b"MediaUrl0=a&MediaUrl0=b&Body=two",            # a repeated key
    b"Body=caf\xc3\xa9",                            # raw UTF-8
    b"Body=\xff\xfe",                               # a body that is not UTF-8: an empty form
    b"a&b=&=c",
    b"a=1&&b=2&",                                   # empty pieces
    b"a=b=c&k+1=v+2&k%3D=1",                        # "=" in a value, "+" and escapes in a name
    b"%zz=%4&To=%2B12025550100",                    # broken escapes kept as written
]


def _environ(body: bytes, **kwargs) -> dict:
    environ = EnvironBuilder(method="POST", path="/voice/status", input_stream=io.BytesIO(body),
                             content_length=len(body), content_type="application/x-www-form-urlencoded",
                             **kwargs).get_environ()
    environ["wsgi.input_terminated"] = True  # as gunicorn sets it
    return environ


@pytest.fixture
def app():
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = 1024
    with app.app_context():
        yield app


@pytest.mark.parametrize("body", BODIES)
def test_the_form_is_the_one_werkzeug_parses(app, body):
    ours, theirs = FormRequest(_environ(body)), Request(_environ(body))
    assert list(ours.form.items(multi=True)) == list(theirs.form.items(multi=True))
    assert not ours.files and ours.get_data() == theirs.get_data() == b""


def test_a_body_with_a_length_is_read_without_werkzeugs_parser(app, monkeypatch):
    def unused(*_args):
        raise AssertionError("Werkzeug's form parser was used")

    monkeypatch.setattr(Request, "make_form_data_parser", unused)
    assert FormRequest(_environ(BODIES[1])).form["CallSid"] == "CA1"


def test_a_body_past_the_limit_is_refused_with_413(app):
    with pytest.raises(RequestEntityTooLarge):
        FormRequest(_environ(b"Body=" + b"x" * 2000)).form


def test_a_body_shorter_than_its_length_is_a_client_that_went_away(app):
    environ = _environ(b"CallSid=CA1")
    environ["CONTENT_LENGTH"] = "100"
    with pytest.raises(ClientDisconnected):
        FormRequest(environ).form


def test_a_body_read_before_the_form_still_gives_the_form(app):
    request = FormRequest(_environ(BODIES[1]))
    assert request.get_data() == BODIES[1]
    assert request.form["CallSid"] == "CA1"


def test_other_bodies_go_through_werkzeug(app):
    multipart = EnvironBuilder(method="POST", data={"CallSid": "CA1", "Body": "hi"},
                               content_type="multipart/form-data").get_environ()
    assert "multipart/form-data" in multipart["CONTENT_TYPE"]
    assert FormRequest(multipart).form.to_dict() == {"CallSid": "CA1", "Body": "hi"}
    chunked = _environ(b"CallSid=CA1")
    del chunked["CONTENT_LENGTH"]
    assert FormRequest(chunked).form.to_dict() == Request(_environ(b"CallSid=CA1")).form.to_dict()


def test_twilios_validator_reads_every_value_of_a_repeated_parameter(app):
    """twilio's RequestValidator signs each value of a repeated parameter (MediaUrl0 twice):
    the form's ``getall`` (the method it tries first) gives them all, as ``getlist`` does."""
    from twilio.request_validator import RequestValidator

    body = b"MediaUrl0=a&MediaUrl0=b&Body=two"
    form = FormRequest(_environ(body)).form
    assert form.getall("MediaUrl0") == ["a", "b"] == form.getlist("MediaUrl0")
    validator = RequestValidator("token")
    url = "https://example.com/sms/inbound"
    signed_over = url + "Bodytwo" + "MediaUrl0a" + "MediaUrl0b"  # Twilio's rule: sorted names, sorted values
    expected = RequestValidator("token").compute_signature(signed_over, {})
    assert validator.compute_signature(url, form) == expected


QUERIES = ["", "lang=en&step=5", "source=caf%C3%A9", "source=a+b&x", "a=1&&b=2&", "k%3D=v%26w", "%zz=%4&s=%FF",
           "step=1&step=2"]


@pytest.mark.parametrize("query", QUERIES)
def test_the_query_is_the_one_werkzeug_parses(app, query):
    ours, theirs = FormRequest(_environ(b"", query_string=query)), Request(_environ(b"", query_string=query))
    assert list(ours.args.items(multi=True)) == list(theirs.args.items(multi=True))


# A Content-Type Werkzeug reads as URL-encoded or not, a length it would not take as it is
# (none, junk, negative, a non-ASCII digit), a chunked body: the same form either way.
ENVIRONS = [("CONTENT_TYPE", "application/x-www-form-urlencoded; charset=utf-8"),
            ("CONTENT_TYPE", "Application/X-WWW-Form-Urlencoded"), ("CONTENT_TYPE", "text/plain"),
            ("CONTENT_TYPE", "application/x-www-form-urlencodedx"), ("CONTENT_LENGTH", ""),
            ("CONTENT_LENGTH", "abc"), ("CONTENT_LENGTH", "-1"), ("CONTENT_LENGTH", "\u0663"),
            ("HTTP_TRANSFER_ENCODING", "chunked")]


@pytest.mark.parametrize("key, value", ENVIRONS)
def test_the_headers_are_read_as_werkzeug_reads_them(app, key, value):
    body = BODIES[1]
    environ = _environ(body)
    environ[key] = value
    theirs = Request(dict(environ, **{"wsgi.input": io.BytesIO(body)}))
    assert FormRequest(environ).form.to_dict() == theirs.form.to_dict()
