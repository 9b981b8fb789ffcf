"""Calls over real HTTP for the drills: webhooks signed as Twilio signs them, posted to a
server on loopback (``flask --app app serve``, or the app on a threaded test server), each
timed, as Twilio would time them against its 15 s webhook timeout."""
from __future__ import annotations

import threading
import time
import xml.etree.ElementTree as ET
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterator

import httpx
from werkzeug.serving import make_server

from .conftest import AUTH_TOKEN, call_params, twilio_signature
from .test_voice_webhooks import QUALIFIED

APOLOGY = "having a problem"  # texts.sorry_busy and sorry_hold, English


@dataclass
class Answer:
    status: int
    twiml: str
    seconds: float

    @property
    def said(self) -> str:
        return " ".join((el.text or "") for el in ET.fromstring(self.twiml).iter("Say"))

    @property
    def apology(self) -> bool:
        return self.status == 200 and APOLOGY in self.said

    @property
    def redirect(self) -> str | None:
        """The ``<Redirect>`` URL Twilio would request next (a held call), or None."""
        found = ET.fromstring(self.twiml).find("Redirect") if self.status == 200 else None
        return None if found is None or ET.fromstring(self.twiml).find("Gather") is not None else found.text


@dataclass
class HttpCall:
    """One caller: ``start``, then ``answer`` each prompt (following the Gather's action URL)."""

    base: str
    sid: str
    phone: str
    token: str = AUTH_TOKEN
    action: str | None = None
    answers: list[Answer] = field(default_factory=list)

    def post(self, path: str, **fields) -> Answer:
        url = self.base + path
        params = call_params(self.sid, from_number=self.phone, **fields)
        start = time.monotonic()
        response = httpx.post(url, data=params, timeout=30,
                              headers={"X-Twilio-Signature": twilio_signature(url, params, self.token)})
        answer = Answer(response.status_code, response.text, time.monotonic() - start)
        self.answers.append(answer)
        gather = ET.fromstring(response.text).find("Gather") if response.status_code == 200 else None
        if gather is not None:
            self.action = gather.get("action")
        return answer

    def start(self) -> Answer:
        return self.post("/voice/inbound")

    def answer(self, inputs: dict) -> Answer:
        return self.post(self.action, **inputs)

    def follow(self) -> Answer:
        """What Twilio does with a held call's ``<Redirect>``: the same call's fields, no input."""
        return self.post(self.answers[-1].redirect)

    def status(self, call_status: str = "completed") -> Answer:
        return self.post("/voice/status", CallStatus=call_status, CallDuration="60")

    def all_but_the_last_answer(self) -> None:
        self.start()
        for inputs in QUALIFIED[:-1]:
            assert self.answer(inputs).status == 200

    def last_answer(self) -> Answer:
        return self.answer(QUALIFIED[-1])


@contextmanager
def serving(app) -> Iterator[str]:
    """``app`` on a threaded HTTP server on a free loopback port; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


def post_text(base: str, params: dict, token: str = AUTH_TOKEN) -> Answer:
    """An inbound text (``/sms/inbound``), signed and timed."""
    url = base + "/sms/inbound"
    start = time.monotonic()
    response = httpx.post(url, data=params, timeout=30,
                          headers={"X-Twilio-Signature": twilio_signature(url, params, token)})
    return Answer(response.status_code, response.text, time.monotonic() - start)
