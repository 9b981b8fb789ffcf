"""The ceiling of this stack: a bare Flask app answering every POST with one constant TwiML.

``bench/load.py`` serves it under gunicorn like the service and drives it with the same
signed requests; it checks no signature and touches nothing, so its requests per second
are what gunicorn + Flask + the load generator can do on this machine at best.

    gunicorn bench.ceiling:app
"""
from __future__ import annotations

from flask import Flask, Response

TWIML = ('<?xml version="1.0" encoding="UTF-8"?><Response><Gather input="speech dtmf" '
         'action="/voice/gather?step=1"><Say>Hi</Say></Gather></Response>')

app = Flask(__name__)


@app.post("/<path:path>")
def constant_twiml(path: str) -> Response:
    """Any POST: the constant TwiML (status callbacks get it too; Twilio ignores their body)."""
    return Response(TWIML, mimetype="text/xml")


@app.get("/healthz")
def healthz() -> Response:
    return Response("ok", mimetype="text/plain")
