"""Simulated Twilio callers for the load benchmark: signed webhooks, TwiML followed as Twilio does.

One call (:func:`place_call`): ``POST /voice/inbound``, then for each ``<Gather>`` an answer
posted to its action (``SpeechResult`` + ``Confidence``, or ``Digits``), ``<Redirect>``
followed, until ``<Hangup/>``/``<Reject/>`` or the end of the verbs (the agent hangs up) or
the caller runs out of answers (the caller hangs up); then ``POST /voice/status`` with
``CallStatus=completed`` and ``CallDuration``. Every request is form-encoded and carries
``X-Twilio-Signature`` from twilio's ``RequestValidator`` over the exact URL and parameters.
TwiML is read with the phone simulator's parser (``receptionist.devtools.call``), so
``<Gather action>`` is resolved against the document URL with Twilio's defaults.
Sources: Twilio docs "Twilio's request to your application", "Webhooks security",
"TwiML Voice: <Gather>", "<Redirect>".

The caller answers like ``examples/calls/qualified.txt`` (English, applies for the forklift
job, passes every question), choosing each answer from the prompt it heard (key words,
:func:`choose_reply`), so rewording a prompt does not break it. A prompt it does not know
(the ceiling app says only "Hi") gets the next answer of the script in order: the same
request mix either way.

:func:`run_share` runs a share of the calls on threads in one process (the load generator
runs several such processes) and returns plain tuples, cheap to send back to the parent.
"""
from __future__ import annotations

import functools
import queue
import re
import signal
import threading
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urljoin, urlsplit

import urllib3
from twilio.request_validator import RequestValidator

from receptionist.devtools.call import Gather
from receptionist.devtools.twilio_http import SimulatorError, parse_twiml

TIMEOUT_SECONDS = 15.0  # Twilio's own webhook timeout
CONFIDENCE = "0.91"
ACCOUNT_SID = "AC" + "0" * 32
MAX_DOCUMENTS = 60  # TwiML documents per call before the caller gives up (a loop)


@dataclass(frozen=True)
class Reply:
    """One answer of the caller's script.

    ``cues``: words or phrases (whole words, any case) that show the prompt asks for it.
    ``say`` is spoken; else ``press`` is keyed, or, when ``option`` is set, the key the
    prompt names for that option ("For Forklift Operator, press 2") with ``press`` as the
    fallback. ``screening``: it answers a screening question, so the service must store
    exactly one answer for it. ``required``: part of the positional script (a read-back
    confirmation is answered only when asked).
    """

    key: str
    cues: tuple[str, ...]
    say: str | None = None
    press: str | None = None
    option: str | None = None
    screening: bool = False
    required: bool = True

    def fields(self, prompt: str) -> dict[str, str]:
        """The Gather fields for this answer to ``prompt``: SpeechResult+Confidence or Digits."""
        if self.say is not None:
            return {"SpeechResult": self.say, "Confidence": CONFIDENCE}
        digits = self.press or ""
        if self.option:
            found = re.search(rf"{re.escape(self.option)}\W+press (\d)", prompt, re.IGNORECASE)
            digits = found.group(1) if found else digits
        return {"Digits": digits}


# examples/calls/qualified.txt, answer by answer.
QUALIFIED: tuple[Reply, ...] = (
    Reply("language", ("english", "español"), say="English"),
    Reply("intent", ("apply",), say="I'd like to apply"),
    Reply("posting", ("which job", "which position", "interested in"), press="2", option="Forklift Operator"),
    Reply("age", ("18", "years of age", "age"), say="yes", screening=True),
    Reply("authorization", ("authorized", "authorised", "eligible to work"), say="yes I am", screening=True),
    Reply("lift", ("lift", "pounds"), press="1", screening=True),
    Reply("experience", ("how many years", "experience"), say="about four years", screening=True),
    Reply("start", ("earliest", "start"), say="next Monday", screening=True),
    Reply("shift", ("shift",), say="nights", screening=True),
    Reply("name", ("your name", "first and last name", "full name"), say="my name is Jane Doe"),
    Reply("confirm", ("is that right", "is that correct", "did you say", "correct?"), say="yes", required=False),
)


@functools.lru_cache(maxsize=None)
def _cues(reply: Reply) -> re.Pattern:
    """One pattern for all of ``reply``'s cues, each a whole word or phrase, any case."""
    return re.compile("|".join(rf"(?<!\w){re.escape(cue)}(?!\w)" for cue in reply.cues), re.IGNORECASE)


def choose_reply(prompt: str, script: tuple[Reply, ...], given: list[str]) -> tuple[Reply | None, bool]:
    """The answer to ``prompt``: ``(reply, by_cue)``.

    The reply whose cue comes last in the prompt wins (a prompt acknowledges the previous
    answer before it asks the next question). Without a cue, the next required reply not
    yet given (``given``: keys in order), ``by_cue`` False; ``(None, False)`` when the
    script is exhausted (the caller hangs up).
    """
    best, best_at = None, -1
    for reply in script:
        at = max((m.start() for m in _cues(reply).finditer(prompt)), default=-1)
        if at > best_at:
            best, best_at = reply, at
    if best is not None:
        return best, True
    pending = [r for r in script if r.required and r.key not in given]
    return (pending[0] if pending else None), False


class CallFailed(Exception):
    """The call could not go on as Twilio would (HTTP error, bad TwiML, a loop)."""


@dataclass
class CallResult:
    """What one call did. ``requests``: ``(endpoint path, sent at (epoch s), latency s,
    HTTP status or 0 for no response)`` per request. ``answered``: screening questions
    answered (distinct). ``completed``: every required answer given, the call ended and the
    status callback was accepted, with no error."""

    call_sid: str
    from_number: str
    requests: list[tuple[str, float, float, int]] = field(default_factory=list)
    given: list[str] = field(default_factory=list)
    answered: int = 0
    by_position: int = 0  # answers chosen by order, not by the prompt (the ceiling's "Hi")
    ended_by: str = ""
    completed: bool = False
    error: str | None = None


class Call:
    """One call's HTTP side: signed requests through a shared keep-alive pool, carrying the
    cookies the server set earlier in the call (Twilio keeps a call's cookies: "Twilio's
    cookie support"); each request recorded in ``result.requests``."""

    def __init__(self, http: urllib3.HTTPConnectionPool, base_url: str, validator: RequestValidator,
                 result: CallResult, to_number: str):
        self.http, self.base_url, self.validator, self.result = http, base_url, validator, result
        self.cookies: dict[str, str] = {}
        self.params = {"CallSid": result.call_sid, "AccountSid": ACCOUNT_SID, "From": result.from_number,
                       "To": to_number, "Caller": result.from_number, "Called": to_number,
                       "CallStatus": "ringing", "Direction": "inbound", "ApiVersion": "2010-04-01",
                       "FromCountry": "US", "ToCountry": "US"}

    def post(self, url: str, fields: dict[str, str]) -> bytes:
        """POST ``fields`` plus the call's fields to ``url`` (absolute), signed; the body."""
        return self.send("POST", url, fields)

    def send(self, method: str, url: str, fields: dict[str, str]) -> bytes:
        """``method`` (GET or POST) ``url`` (absolute) with ``fields`` plus the call's fields,
        signed as Twilio signs (GET: the URL with the fields in its query; POST: the URL and
        the sorted fields); the body. Raises CallFailed on no answer within TIMEOUT_SECONDS or
        a non-2xx status."""
        params = {**self.params, **fields}
        parts = urlsplit(url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        headers = {"User-Agent": "TwilioProxy/1.1"}
        if method == "GET":
            target += ("&" if parts.query else "?") + urlencode(params)
            body, signed = None, self.validator.compute_signature(urljoin(url, target), {})
        else:
            body, signed = urlencode(params), self.validator.compute_signature(url, params)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        headers["X-Twilio-Signature"] = signed
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        sent, start = time.time(), time.perf_counter()
        try:
            response = self.http.urlopen(method, target, body=body, headers=headers,
                                         retries=False, timeout=TIMEOUT_SECONDS, preload_content=True)
        except urllib3.exceptions.HTTPError as exc:
            self.result.requests.append((parts.path, sent, time.perf_counter() - start, 0))
            raise CallFailed(f"{method} {parts.path}: {type(exc).__name__}: {exc}") from exc
        self.result.requests.append((parts.path, sent, time.perf_counter() - start, response.status))
        if not 200 <= response.status < 300:
            raise CallFailed(f"{method} {parts.path} answered HTTP {response.status}: {response.data[:200]!r}")
        self._keep_cookies(response.headers.getlist("Set-Cookie"))
        return response.data

    def _keep_cookies(self, headers: list[str]) -> None:
        for header in headers:
            for name, morsel in SimpleCookie(header).items():
                if morsel.value and morsel["max-age"] != "0" and "1970" not in morsel["expires"]:
                    self.cookies[name] = morsel.value
                else:  # an expired, empty cookie clears it (Flask's for an emptied session)
                    self.cookies.pop(name, None)

    def twiml(self, url: str, fields: dict[str, str], method: str = "POST") -> list[ET.Element]:
        """The TwiML verbs of ``method`` ``url`` with ``fields`` (see :meth:`send`)."""
        body = self.send(method, url, fields)
        self.params["CallStatus"] = "in-progress"  # answered once the first TwiML is fetched
        try:
            return parse_twiml(body, url)
        except SimulatorError as exc:
            raise CallFailed(str(exc)) from exc


def _run_document(verbs: list[ET.Element], url: str) -> tuple[str, Gather | str | None]:
    """Play one document: ``(heard text, next)`` where next is a Gather waited on, a
    Redirect URL (str), or None when the agent ends the call."""
    heard: list[str] = []
    for i, verb in enumerate(verbs):
        if verb.tag == "Gather":
            heard += ["".join(child.itertext()) for child in verb if child.tag == "Say"]
            try:
                return " ".join(heard), Gather.from_element(verb, url, tuple(verbs[i + 1:]))
            except SimulatorError as exc:
                raise CallFailed(str(exc)) from exc
        if verb.tag == "Redirect":
            return " ".join(heard), urljoin(url, (verb.text or "").strip())
        if verb.tag in ("Hangup", "Reject"):
            return " ".join(heard), None
        if verb.tag == "Say":
            heard.append("".join(verb.itertext()))
    return " ".join(heard), None


def place_call(http: urllib3.HTTPConnectionPool, base_url: str, validator: RequestValidator, call_sid: str,
               from_number: str, to_number: str, script: tuple[Reply, ...] = QUALIFIED) -> CallResult:
    """Place one call as Twilio does and answer it with ``script``; never raises (a failure
    is in ``error``; the status callback is still posted, as Twilio does after an error)."""
    result = CallResult(call_sid, from_number)
    call = Call(http, base_url, validator, result, to_number)
    started = time.monotonic()
    max_inputs = 2 * len(script)
    try:
        url = f"{base_url}/voice/inbound"
        verbs = call.twiml(url, {})
        for _ in range(MAX_DOCUMENTS):
            prompt, nxt = _run_document(verbs, url)
            if nxt is None:
                result.ended_by = "agent-hangup"
                break
            if isinstance(nxt, str):
                url, verbs = nxt, call.twiml(nxt, {})
                continue
            reply, by_cue = choose_reply(prompt, script, result.given)
            if reply is None:  # nothing left to say: the caller hangs up
                result.ended_by = "caller-hangup"
                break
            if len(result.given) >= max_inputs:
                raise CallFailed(f"still asked after {max_inputs} answers (last prompt: {prompt[-120:]!r})")
            result.given.append(reply.key)
            result.by_position += not by_cue
            fields = reply.fields(prompt)
            if ("SpeechResult" in fields and "speech" not in nxt.inputs) or (
                    "Digits" in fields and "dtmf" not in nxt.inputs):
                raise CallFailed(f"the Gather at {url} does not listen for the {reply.key} answer")
            url, verbs = nxt.action, call.twiml(nxt.action, fields)
        else:
            raise CallFailed(f"{MAX_DOCUMENTS} documents without the call ending")
    except CallFailed as exc:
        result.error = str(exc)
    result.answered = len({r.key for r in script if r.screening and r.key in result.given})
    try:
        call.post(f"{base_url}/voice/status", {"CallStatus": "completed",
                                                "CallDuration": str(int(time.monotonic() - started))})
    except CallFailed as exc:
        result.error = result.error or str(exc)
    missing = [r.key for r in script if r.required and r.key not in result.given]
    result.completed = result.error is None and not missing
    if result.error is None and missing:
        result.error = f"call ended ({result.ended_by}) before the caller gave: {', '.join(missing)}"
    return result


def caller_number(n: int) -> str:
    """A distinct E.164 caller number for call ``n`` (every call is a new candidate)."""
    return f"+1312{2000000 + n:07d}"


def call_sid(n: int) -> str:
    """A CallSid for call ``n``: ``CA`` + 32 hex digits, as Twilio's."""
    return f"CA{n:032x}"


def run_share(base_url: str, auth_token: str, to_number: str, calls: list[int], threads: int,
              deadline: float, place=place_call) -> dict:
    """Run ``calls`` (call numbers) on ``threads`` concurrent callers with one keep-alive
    pool; a caller starts no call after ``deadline`` (epoch s). Returns ``{"results":
    [CallResult as tuple], "cpu": process CPU s, "wall": s}`` (tuples pickle cheaply).
    ``place``: places one call, called as :func:`place_call` is (``bench/follower.py``
    follows an outside app's TwiML)."""
    parts = urlsplit(base_url)
    http = urllib3.HTTPConnectionPool(parts.hostname, parts.port, maxsize=threads, block=True)
    validator = RequestValidator(auth_token)
    todo: queue.SimpleQueue[int] = queue.SimpleQueue()
    for n in calls:
        todo.put(n)
    results: list[CallResult] = []
    lock = threading.Lock()

    def caller() -> None:
        while time.time() < deadline:
            try:
                n = todo.get_nowait()
            except queue.Empty:
                return
            done = place(http, base_url, validator, call_sid(n), caller_number(n), to_number)
            with lock:
                results.append(done)

    cpu, wall = time.process_time(), time.perf_counter()
    workers = [threading.Thread(target=caller, name=f"caller-{i}") for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    http.close()
    return {"results": [(r.call_sid, r.from_number, r.requests, r.given, r.answered, r.by_position, r.ended_by,
                         r.completed, r.error) for r in results],
            "cpu": time.process_time() - cpu, "wall": time.perf_counter() - wall}


def share_process(conn, *args, **kwargs) -> None:
    """A client process's entry: :func:`run_share` with ``args``, its result sent on ``conn``.
    Ignores SIGINT: a Ctrl-C reaches the whole process group, and the parent, which
    handles it, stops its client processes itself."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    result = run_share(*args, **kwargs)
    try:
        conn.send(result)
    except BrokenPipeError:  # the parent is gone (killed): nobody to report to
        pass
    conn.close()
