"""Phone simulator: call a running receptionist from the terminal, exactly as Twilio would.

The simulator plays Twilio's part of a voice call toward the server: it POSTs signed
webhooks (``/voice/inbound``, Gather actions, Redirects, the ``/voice/status`` callback),
reads the TwiML answers and prints what the caller hears. A developer types the caller's
side (interactive mode), or a script plays it and checks the call (script mode, for CI).

Twilio behaviour reproduced here, with its source in Twilio's documentation:

- "Twilio's request to your application" (Voice webhooks): form-encoded parameters
  CallSid, AccountSid, From, To, Caller, Called, CallStatus, Direction, ApiVersion,
  ForwardedFrom, and the geographic From*/To*/Caller*/Called* fields.
- "Webhooks security": ``X-Twilio-Signature`` is HMAC-SHA1 (auth token) over the full URL
  followed by the POST parameters sorted by name; for GET the parameters are in the URL.
- "TwiML Voice: <Gather>": defaults action = current document URL, method = POST,
  input = dtmf, finishOnKey = ``#``; on no input (timeout, or finishOnKey before any digit)
  Twilio continues with the verb after the Gather unless ``actionOnEmptyResult="true"``;
  when the TwiML runs out of verbs, the call ends.

Library use::

    with CallSimulator("http://127.0.0.1:5000", token, "+12025550123", "+12025550100") as sim:
        sim.start()          # greeting; the call now waits on a <Gather>
        sim.say("yes")       # SpeechResult=yes, Confidence=0.91
        sim.press("1")       # Digits=1
        sim.hangup()         # caller hangs up: only the status callback follows
"""
from __future__ import annotations

import re
import secrets
import sys
import time
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, TextIO
from urllib.parse import urlencode, urljoin

import click
import httpx
from twilio.request_validator import RequestValidator

DEFAULT_URL = "http://127.0.0.1:5000"
DEFAULT_FROM = "+12025550123"
DEFAULT_TO = "+12025550100"
# A fixed, obviously fake account: the server only needs a well-formed AccountSid.
FAKE_ACCOUNT_SID = "AC" + "5e1a7c0ffee5e1a7c0ffee5e1a7c0ff0"

AGENT_HANGUP = "agent-hangup"
CALLER_HANGUP = "caller-hangup"
END_KINDS = (AGENT_HANGUP, CALLER_HANGUP)

KEYS = "0123456789*#"
TIMEOUT_SECONDS = 15.0  # Twilio's own webhook timeout
MAX_REDIRECTS = 50  # documents fetched in a row without caller input: surely a loop
DEFAULT_CONFIDENCE = 0.91

HINT = (
    "Type what you say and press Enter. '#123' presses the keys 1 2 3, an empty line is "
    "silence, '/hangup' or Ctrl-D hangs up."
)


class SimulatorError(Exception):
    """The server answered as Twilio would not accept, or could not be reached.

    Raised for: an HTTP status other than 200 on a TwiML request (other than 2xx on the
    status callback), a body that is not TwiML (invalid XML, root not ``<Response>``),
    an invalid ``<Gather>``/``<Redirect>``, a redirect loop, and connection failures.
    The message is one line and names the URL and, for HTTP errors, status and body.
    """


class ScriptFailed(Exception):
    """A scripted call did not go as the script expects (one-line message)."""


# --------------------------------------------------------------------------- TwiML


@dataclass(frozen=True)
class Gather:
    """A ``<Gather>`` the call is waiting on, with Twilio's defaults filled in.

    ``action`` is absolute (resolved against the document URL, like Twilio does);
    ``rest`` holds the verbs after the Gather, run when the caller gives no input.
    Source: Twilio docs, "TwiML Voice: <Gather>".
    """

    action: str
    method: str
    inputs: frozenset[str]
    num_digits: int | None
    finish_on_key: str
    timeout: str
    language: str
    hints: str
    action_on_empty_result: bool
    document_url: str
    rest: tuple[ET.Element, ...] = field(default=(), repr=False)

    @classmethod
    def from_element(cls, el: ET.Element, document_url: str, rest: tuple[ET.Element, ...]) -> "Gather":
        inputs = frozenset(el.get("input", "dtmf").lower().split())
        if not inputs or not inputs <= {"speech", "dtmf"}:
            raise SimulatorError(f"<Gather input={el.get('input')!r}> in {document_url}: use speech, dtmf or 'speech dtmf'")
        num_digits = el.get("numDigits")
        if num_digits is not None and not (num_digits.isdigit() and int(num_digits) >= 1):
            raise SimulatorError(f"<Gather numDigits={num_digits!r}> in {document_url}: must be a positive integer")
        return cls(
            # An empty or missing action means "the current document URL".
            action=urljoin(document_url, el.get("action") or document_url),
            method=_method(el, document_url),
            inputs=inputs,
            num_digits=int(num_digits) if num_digits else None,
            finish_on_key=el.get("finishOnKey", "#"),
            timeout=el.get("timeout", "5"),
            language=el.get("language", "en-US"),
            hints=el.get("hints", ""),
            action_on_empty_result=el.get("actionOnEmptyResult", "false").lower() == "true",
            document_url=document_url,
            rest=rest,
        )

    def describe(self) -> str:
        """A short line for the terminal: what the phone listens for."""
        kinds = " or ".join("keys" if kind == "dtmf" else "speech" for kind in sorted(self.inputs, reverse=True))
        parts = [f"listening for {kinds}"]
        if "dtmf" in self.inputs:
            if self.num_digits:
                parts.append(f"{self.num_digits} key{'s' if self.num_digits > 1 else ''}")
            if self.finish_on_key:
                parts.append(f"end keys with {self.finish_on_key}")
        if "speech" in self.inputs and self.language != "en-US":
            parts.append(f"language {self.language}")
        if self.hints:
            parts.append(f"hints: {self.hints}")
        return "; ".join(parts)


def _method(el: ET.Element, document_url: str) -> str:
    method = el.get("method", "POST").upper()
    if method not in ("GET", "POST"):
        raise SimulatorError(f"<{el.tag} method={method!r}> in {document_url}: use GET or POST")
    return method


def parse_twiml(body: bytes, url: str) -> list[ET.Element]:
    """The verbs of a TwiML document; raises SimulatorError if it is not TwiML."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise SimulatorError(f"invalid XML from {url}: {exc}") from exc
    if root.tag != "Response":
        raise SimulatorError(f"TwiML from {url} must have <Response> as its root, not <{root.tag}>")
    return list(root)


def collect_digits(keys: str, num_digits: int | None, finish_on_key: str) -> tuple[str, str]:
    """Split pressed keys as a Gather does: (submitted digits, keys pressed after it ended).

    Input ends at ``finish_on_key`` (not submitted) or once ``num_digits`` are in.
    """
    digits = ""
    for i, key in enumerate(keys):
        if finish_on_key and key in finish_on_key:
            return digits, keys[i + 1:]
        digits += key
        if num_digits and len(digits) >= num_digits:
            return digits, keys[i + 1:]
    return digits, ""


def _country(number: str) -> str:
    """ISO country of an E.164 number, as Twilio fills FromCountry/ToCountry."""
    try:
        import phonenumbers

        return phonenumbers.region_code_for_number(phonenumbers.parse(number)) or ""
    except Exception:  # not installed or not a phone number (e.g. client:alice)
        return "US" if number.startswith("+1") else ""


# --------------------------------------------------------------------------- the call


class CallSimulator:
    """One inbound call, played toward the server the way Twilio's voice platform does.

    Lifecycle: ``start()`` posts ``/voice/inbound`` (``?source=`` when given) and runs the
    TwiML until the call waits on a ``<Gather>`` or ends. While ``waiting``, answer with
    ``say(text)``, ``press(keys)`` or ``silence()``; ``hangup()`` ends it from the caller's
    side. Each of these returns what the caller heard in response (``last_heard``). When the
    call ends (``<Hangup/>``, ``<Reject/>``, TwiML out of verbs, or caller hangup) the
    status callback ``/voice/status`` gets CallStatus=completed and CallDuration.

    Every request is form-encoded and signed (``X-Twilio-Signature``) with ``auth_token``.
    Output: each line heard or said is printed to ``out`` (default: ``sys.stdout`` at the
    time of printing) and kept in ``transcript``.

    Raises ``SimulatorError`` (see there) from start/say/press/silence/hangup; the call is
    then over, as Twilio hangs up on an application error. Raises ``RuntimeError`` when an
    input is given while the call is not waiting for one.
    Sources: Twilio docs "Twilio's request to your application", "Webhooks security",
    "TwiML Voice: <Gather>".
    """

    def __init__(
        self,
        base_url: str,
        auth_token: str,
        from_number: str,
        to_number: str,
        *,
        forwarded_from: str | None = None,
        source: str | None = None,
        out: TextIO | None = None,
        client: httpx.Client | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.from_number = from_number
        self.to_number = to_number
        self.forwarded_from = forwarded_from
        self.source = source
        self.call_sid = "CA" + secrets.token_hex(16)
        self.account_sid = FAKE_ACCOUNT_SID
        self._validator = RequestValidator(auth_token)
        self._out = out
        self._client = client or httpx.Client(timeout=TIMEOUT_SECONDS)
        self._owns_client = client is None
        self._state = "new"  # new -> open -> ended
        self._ended_by: str | None = None
        self._answered = False  # first TwiML fetched: CallStatus moves from ringing
        self._started_at: float | None = None
        self._gather: Gather | None = None
        self._heard: list[str] = []  # what the caller heard since the last input
        self._transcript: list[str] = []

    # -- state

    @property
    def is_open(self) -> bool:
        """True from start() until the call ends (either side hangs up, or an error)."""
        return self._state == "open"

    @property
    def waiting(self) -> bool:
        """True while the call waits on a ``<Gather>`` for the caller's input."""
        return self._gather is not None

    @property
    def waiting_for(self) -> str | None:
        """What the pending Gather listens for (for the terminal), or None."""
        return self._gather.describe() if self._gather else None

    @property
    def ended_by(self) -> str | None:
        """``"agent-hangup"``, ``"caller-hangup"``, ``"error"``, or None while not ended."""
        return self._ended_by

    @property
    def last_heard(self) -> str:
        """Everything the caller heard since the last input (or the greeting), one string."""
        return " ".join(self._heard)

    @property
    def transcript(self) -> list[str]:
        """Every printed line so far: ``AGENT: ...``, ``CALLER: ...``, notes in parentheses."""
        return list(self._transcript)

    @property
    def duration(self) -> int:
        """Whole seconds since the call started (CallDuration)."""
        return int(time.monotonic() - self._started_at) if self._started_at else 0

    @property
    def out(self) -> TextIO:
        return self._out or sys.stdout

    # -- the caller's actions

    def start(self) -> str:
        """Dial in: POST /voice/inbound and play the answer. Returns what was heard."""
        if self._state != "new":
            raise RuntimeError("the call has already started")
        url = f"{self.base_url}/voice/inbound"
        if self.source:
            url += "?" + urlencode({"source": self.source})
        self._state = "open"
        self._started_at = time.monotonic()
        via = f", forwarded from {self.forwarded_from}" if self.forwarded_from else ""
        self._log(f"(calling {self.to_number} from {self.from_number}{via}; CallSid {self.call_sid})")
        return self._turn(lambda: self._drive(self._fetch(url, "POST", {}), url))

    def say(self, text: str, confidence: float = DEFAULT_CONFIDENCE) -> str:
        """Speak ``text`` into the pending Gather (SpeechResult + Confidence)."""
        text = " ".join(text.split())
        if not text:
            return self.silence()
        gather = self._take_gather()

        def step() -> None:
            self._log(f"CALLER: {text}")
            if "speech" not in gather.inputs:
                self._log("(the phone ignores speech here: keys only)")
                self._no_input(gather)
            else:
                self._submit(gather, {"SpeechResult": text, "Confidence": f"{confidence:.2f}"})

        return self._turn(step)

    def press(self, keys: str) -> str:
        """Press keys (``0-9 * #``) into the pending Gather (Digits). Raises ValueError on other keys."""
        keys = keys.replace(" ", "")
        if not keys or set(keys) - set(KEYS):
            raise ValueError(f"keys must be 0-9, * or #, got {keys!r}")
        gather = self._take_gather()

        def step() -> None:
            self._log(f"CALLER presses {keys}")
            if "dtmf" not in gather.inputs:
                self._log("(the phone ignores keys here: speech only)")
                self._no_input(gather)
                return
            digits, lost = collect_digits(keys, gather.num_digits, gather.finish_on_key)
            if lost:
                self._log(f"(input already ended; keys lost: {lost})")
            if digits:
                self._submit(gather, {"Digits": digits})
            else:  # only the finishOnKey: Twilio counts that as no input
                self._no_input(gather)

        return self._turn(step)

    def silence(self) -> str:
        """Say nothing until the Gather times out."""
        gather = self._take_gather()

        def step() -> None:
            self._log("CALLER: (silence)")
            self._no_input(gather)

        return self._turn(step)

    def hangup(self) -> None:
        """The caller hangs up: no further action request, only the status callback."""
        if not self.is_open:
            raise RuntimeError("the call is not open")
        self._gather = None
        self._heard = []
        self._log("CALLER hangs up")
        self._end(CALLER_HANGUP)

    def close(self) -> None:
        """Close the HTTP client if this simulator created it."""
        if self._owns_client:
            self._client.close()

    def __enter__(self) -> "CallSimulator":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    # -- running TwiML

    def _take_gather(self) -> Gather:
        if not self.is_open or self._gather is None:
            raise RuntimeError("the call is not waiting for input")
        gather, self._gather = self._gather, None
        return gather

    def _turn(self, step: Callable[[], None]) -> str:
        """Run one exchange; on an application error end the call like Twilio does."""
        self._heard = []
        try:
            step()
        except SimulatorError:
            if self.is_open:
                self._gather = None
                self._state, self._ended_by = "ended", "error"
                self._log('(Twilio would say "An application error has occurred" and hang up)')
                try:
                    self._post_status()
                except SimulatorError:
                    pass  # the original error is the one worth reporting
            raise
        return self.last_heard

    def _no_input(self, gather: Gather) -> None:
        if gather.action_on_empty_result:
            self._submit(gather, {})
        else:  # fall through to the verbs after the Gather
            self._drive(list(gather.rest), gather.document_url)

    def _submit(self, gather: Gather, fields: dict[str, str]) -> None:
        self._drive(self._fetch(gather.action, gather.method, fields), gather.action)

    def _drive(self, verbs: list[ET.Element], document_url: str) -> None:
        """Run verbs, following Redirects, until the call waits on a Gather or ends."""
        for _ in range(MAX_REDIRECTS):
            redirect = self._run(verbs, document_url)
            if redirect is None:
                return
            document_url, method = redirect
            verbs = self._fetch(document_url, method, {})
        raise SimulatorError(f"{MAX_REDIRECTS} documents in a row without caller input: a <Redirect> loop?")

    def _run(self, verbs: list[ET.Element], document_url: str) -> tuple[str, str] | None:
        """Run one document's verbs; returns a Redirect target (url, method) or None."""
        for i, verb in enumerate(verbs):
            if verb.tag == "Gather":
                for child in verb:  # nested Say/Play/Pause are heard first
                    self._hear(child)
                self._gather = Gather.from_element(verb, document_url, tuple(verbs[i + 1:]))
                return None
            if verb.tag == "Redirect":
                target = (verb.text or "").strip()
                if not target:
                    raise SimulatorError(f"<Redirect> without a URL in {document_url}")
                return urljoin(document_url, target), _method(verb, document_url)
            if verb.tag == "Hangup":
                self._end(AGENT_HANGUP, "(the agent hung up)")
                return None
            if verb.tag == "Reject":
                self._end(AGENT_HANGUP, "(the agent rejected the call)")
                return None
            self._hear(verb)
        self._end(AGENT_HANGUP, "(no more TwiML: the call ends)")
        return None

    def _hear(self, verb: ET.Element) -> None:
        if verb.tag == "Say":
            text = " ".join("".join(verb.itertext()).split())  # flattens SSML children
            language = verb.get("language")
            label = f"AGENT [{language}]" if language and language != "en-US" else "AGENT"
            self._log(f"{label}: {text}", heard=text)
        elif verb.tag == "Play":
            if verb.get("digits"):
                self._log(f"[tones: {verb.get('digits')}]")
            else:
                audio = f"[audio: {(verb.text or '').strip()}]"
                self._log(audio, heard=audio)
        elif verb.tag == "Pause":
            pass  # silence on the line; nothing to show
        else:
            self._log(f"(<{verb.tag}> is not simulated; skipped)")

    def _end(self, kind: str, note: str | None = None) -> None:
        self._gather = None
        self._state, self._ended_by = "ended", kind
        if note:
            self._log(note)
        self._post_status()

    # -- HTTP, as Twilio sends it

    def _call_params(self, status: str | None = None) -> dict[str, str]:
        params = {
            "AccountSid": self.account_sid,
            "CallSid": self.call_sid,
            "From": self.from_number,
            "To": self.to_number,
            "Caller": self.from_number,
            "Called": self.to_number,
            "CallStatus": status or ("in-progress" if self._answered else "ringing"),
            "Direction": "inbound",
            "ApiVersion": "2010-04-01",
        }
        # Twilio sends geographic fields for both ends, empty when unknown.
        for prefix, number in (("From", self.from_number), ("To", self.to_number),
                               ("Caller", self.from_number), ("Called", self.to_number)):
            params.update({f"{prefix}City": "", f"{prefix}State": "", f"{prefix}Zip": "",
                           f"{prefix}Country": _country(number)})
        if self.forwarded_from:
            params["ForwardedFrom"] = self.forwarded_from
        return params

    def _fetch(self, url: str, method: str, fields: dict[str, str]) -> list[ET.Element]:
        """Request a TwiML document with the call fields plus ``fields``."""
        response = self._send(url, method, self._call_params() | fields)
        self._answered = True
        if response.status_code != 200:
            raise SimulatorError(f"{method} {url} answered HTTP {response.status_code}: {_snippet(response)}")
        return parse_twiml(response.content, url)

    def _post_status(self) -> None:
        url = f"{self.base_url}/voice/status"
        params = self._call_params("completed") | {"CallDuration": str(self.duration)}
        response = self._send(url, "POST", params)
        # Twilio ignores a status callback's body, so any 2xx (e.g. 204) is fine.
        if not response.is_success:
            raise SimulatorError(f"POST {url} answered HTTP {response.status_code}: {_snippet(response)}")

    def _send(self, url: str, method: str, params: dict[str, str]) -> httpx.Response:
        return send_signed(self._client, self._validator, method, url, params)

    def _log(self, line: str, heard: str | None = None) -> None:
        self._transcript.append(line)
        if heard:
            self._heard.append(heard)
        print(line, file=self.out, flush=True)


def send_signed(client: httpx.Client, validator: RequestValidator, method: str, url: str,
                params: dict[str, str]) -> httpx.Response:
    """Send a webhook request as Twilio does; retry once if the connection fails.

    POST carries ``params`` form-encoded, GET in the URL. ``X-Twilio-Signature`` is computed
    over the URL exactly as sent plus, for POST, the parameters (Twilio docs, "Webhooks
    security"); ``I-Twilio-Idempotency-Token`` stays the same on the retry. Returns the
    response whatever its status; raises SimulatorError when the server cannot be reached
    or does not answer within TIMEOUT_SECONDS.
    """
    if method == "GET":  # GET carries the parameters in the (signed) URL
        url = url + ("&" if "?" in url else "?") + urlencode(params)
        request = client.build_request("GET", url)
        signed_params: dict[str, str] = {}
    else:
        request = client.build_request("POST", url, data=params)
        signed_params = params
    # Sign the URL exactly as sent (httpx may normalise its encoding).
    request.headers["X-Twilio-Signature"] = validator.compute_signature(str(request.url), signed_params)
    request.headers["I-Twilio-Idempotency-Token"] = str(uuid.uuid4())  # same on the retry
    request.headers["User-Agent"] = "TwilioProxy/1.1"
    for attempt in (1, 2):
        try:
            return client.send(request)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.RemoteProtocolError) as exc:
            if attempt == 2:
                raise SimulatorError(f"cannot reach {url} ({exc}); is the server running?") from exc
            time.sleep(0.3)
        except httpx.TimeoutException as exc:
            raise SimulatorError(f"{method} {url}: no answer within {TIMEOUT_SECONDS:.0f} s (Twilio gives up too)") from exc
        except httpx.HTTPError as exc:
            raise SimulatorError(f"{method} {url}: {exc}") from exc
    raise AssertionError("unreachable")


def _snippet(response: httpx.Response, limit: int = 300) -> str:
    body = " ".join(response.text.split())
    return (body[:limit] + "...") if len(body) > limit else (body or "(empty body)")


# --------------------------------------------------------------------------- scripts


@dataclass(frozen=True)
class Step:
    """One script line: kind is say | press | silence | hangup | expect."""

    kind: str
    value: str
    line: int


@dataclass
class Script:
    """A parsed caller script (see ``parse_script``). Header fields are None when absent."""

    steps: list[Step] = field(default_factory=list)
    from_number: str | None = None
    to_number: str | None = None
    forwarded_from: str | None = None
    source: str | None = None
    end: str = AGENT_HANGUP


_HEADERS = {"@from": "from_number", "@to": "to_number", "@forwarded-from": "forwarded_from", "@source": "source"}
_INPUTS = ("say", "press", "silence", "hangup")
_INLINE_COMMENT = re.compile(r"\s+#\s.*$")  # " # note": keeps "press 1234#" and "press #"


def script_directives(text: str):
    """The directives of a script, as (line number, lower-cased first word, the rest):
    blank lines, ``#`` lines and trailing `` # comments`` are skipped. Shared by the call
    and text simulators."""
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        word, _, arg = _INLINE_COMMENT.sub("", line).partition(" ")
        yield number, word.lower(), arg.strip()


def parse_script(text: str) -> Script:
    """Parse a caller script; raises ValueError("line N: ...") for anything invalid.

    One directive per line; blank lines, ``#`` lines and trailing `` # comments`` are ignored::

        @from +12025550123      headers, before the first input: caller number,
        @to +12025550100        number dialed, forwarding number, ?source= value
        @forwarded-from +12025559999
        @source ivr
        say yes                 speech for the current Gather
        press 1234#             keys 0-9 * #
        silence                 no input (the Gather times out)
        hangup                  the caller hangs up (last input)
        expect some words       case-insensitive substring of what the caller heard
                                since the previous input (or of the greeting)
        @end agent-hangup       or caller-hangup; default caller-hangup if the
                                script hangs up, else agent-hangup
    """
    script = Script()
    seen_input = hangup_line = end_line = None
    for number, word, arg in script_directives(text):

        def fail(message: str) -> ValueError:
            return ValueError(f"line {number}: {message}")

        if word in _HEADERS:
            if not arg:
                raise fail(f"{word} needs a value")
            if seen_input:
                raise fail(f"{word} must come before the first input (line {seen_input})")
            setattr(script, _HEADERS[word], arg)
        elif word == "@end":
            if arg not in END_KINDS:
                raise fail(f"@end must be {' or '.join(END_KINDS)}, not {arg!r}")
            script.end, end_line = arg, number
        elif word in _INPUTS or word == "expect":
            if hangup_line:
                raise fail(f"nothing can follow hangup (line {hangup_line})")
            script.steps.append(Step(word, _step_value(word, arg, fail), number))
            if word in _INPUTS:
                seen_input = seen_input or number
            if word == "hangup":
                hangup_line = number
        else:
            raise fail(f"unknown directive {word!r} (say, press, silence, hangup, expect, "
                       "@from, @to, @forwarded-from, @source, @end)")
    if hangup_line and end_line and script.end != CALLER_HANGUP:
        raise ValueError(f"line {end_line}: @end {script.end} contradicts hangup on line {hangup_line}")
    if hangup_line and not end_line:
        script.end = CALLER_HANGUP
    return script


def _step_value(word: str, arg: str, fail: Callable[[str], ValueError]) -> str:
    if word in ("silence", "hangup"):
        if arg:
            raise fail(f"{word} takes no argument")
        return ""
    if not arg:
        raise fail("say needs words (use silence for no input)" if word == "say" else f"{word} needs a value")
    if word == "press":
        keys = arg.replace(" ", "")
        if set(keys) - set(KEYS):
            raise fail(f"press takes keys 0-9, * and #, not {arg!r}")
        return keys
    return arg


def _normalise(text: str) -> str:
    return " ".join(text.split()).casefold()


def play_script(sim: CallSimulator, script: Script) -> None:
    """Play ``script`` on a fresh ``sim``. Raises ScriptFailed or SimulatorError.

    Fails when an ``expect`` is not heard, the agent ends the call while inputs remain,
    the inputs run out while the agent still waits on a Gather (the caller then hangs up),
    or the call ends another way than ``script.end``.
    """
    sim.start()
    for step in script.steps:
        if step.kind == "expect":
            if _normalise(step.value) not in _normalise(sim.last_heard):
                heard = sim.last_heard or "nothing"
                raise ScriptFailed(f"line {step.line}: expected to hear {step.value!r}, but the caller heard: {heard!r}")
            continue
        if not sim.is_open:
            raise ScriptFailed(f"line {step.line}: the call already ended ({sim.ended_by}) "
                               f"but the script still has input: {step.kind} {step.value}".rstrip())
        if step.kind == "say":
            sim.say(step.value)
        elif step.kind == "press":
            sim.press(step.value)
        elif step.kind == "silence":
            sim.silence()
        else:
            sim.hangup()
    if sim.is_open:
        sim.hangup()
        raise ScriptFailed("the script ran out of inputs while the agent was still waiting (<Gather>); "
                           "hung up as the caller")
    if sim.ended_by != script.end:
        raise ScriptFailed(f"the call ended by {sim.ended_by}, but the script expects {script.end}")


def run_script(
    script: Script,
    base_url: str,
    auth_token: str,
    *,
    from_number: str = DEFAULT_FROM,
    to_number: str = DEFAULT_TO,
    forwarded_from: str | None = None,
    source: str | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
    client: httpx.Client | None = None,
) -> int:
    """Run a scripted call; returns 0 if it ended as expected, else 1.

    Script headers win over the keyword arguments. The transcript goes to ``out``, a
    one-line ``FAIL: ...`` to ``err`` (default: the current sys.stdout / sys.stderr).
    """
    sim = CallSimulator(
        base_url,
        auth_token,
        script.from_number or from_number,
        script.to_number or to_number,
        forwarded_from=script.forwarded_from or forwarded_from,
        source=script.source or source,
        out=out,
        client=client,
    )
    with sim:
        try:
            play_script(sim, script)
        except (ScriptFailed, SimulatorError) as exc:
            _hang_up_quietly(sim)  # let the server close its side of the call
            print(f"FAIL: {exc}", file=err or sys.stderr, flush=True)
            return 1
    print(f"PASS: the call ended as expected ({script.end})", file=sim.out, flush=True)
    return 0


def _hang_up_quietly(sim: CallSimulator) -> None:
    if sim.is_open:
        try:
            sim.hangup()
        except SimulatorError:
            pass


def run_interactive(sim: CallSimulator, *, input_fn: Callable[[str], str] = input, err: TextIO | None = None) -> int:
    """Let a person play the caller at a ``YOU> `` prompt; returns 0, or 1 on SimulatorError.

    Typed text is speech, ``#123`` presses keys 1 2 3, an empty line is silence,
    ``/hangup``, Ctrl-D or Ctrl-C hang up.
    """
    print(HINT, file=sim.out, flush=True)
    try:
        sim.start()
        while sim.is_open:
            if sim.waiting_for:
                print(f"  ({sim.waiting_for})", file=sim.out, flush=True)
            try:
                line = input_fn("YOU> ").strip()
            except (EOFError, KeyboardInterrupt):
                print(file=sim.out)
                line = "/hangup"
            _interactive_turn(sim, line)
    except SimulatorError as exc:
        print(f"ERROR: {exc}", file=err or sys.stderr, flush=True)
        return 1
    return 0


def _interactive_turn(sim: CallSimulator, line: str) -> None:
    if line == "/hangup":
        sim.hangup()
    elif line.startswith("/"):
        print(HINT, file=sim.out)
    elif line.startswith("#"):
        keys = line[1:].replace(" ", "")
        if keys and not set(keys) - set(KEYS):
            sim.press(keys)
        else:
            print("(keys are 0-9, * and #, e.g. #1 or #123#)", file=sim.out)
    elif line:
        sim.say(line)
    else:
        sim.silence()


# --------------------------------------------------------------------------- CLI


def _local_auth_token() -> str:
    """The development token the local server uses when TWILIO_AUTH_TOKEN is unset."""
    missing = click.ClickException(
        "no auth token: set TWILIO_AUTH_TOKEN (or pass --auth-token) to the token the server checks signatures with"
    )
    try:
        from receptionist.settings import local_auth_token
    except ImportError as exc:
        raise missing from exc
    token = local_auth_token()
    if not token:
        raise missing
    return token


@click.command("call")
@click.option("--url", "base_url", default=DEFAULT_URL, envvar="RECEPTIONIST_URL", show_default=True,
              show_envvar=True, help="Base URL of the running server.")
@click.option("--from", "from_number", default=DEFAULT_FROM, show_default=True, help="Caller's number (E.164).")
@click.option("--to", "to_number", default=DEFAULT_TO, show_default=True, help="Number dialed (E.164).")
@click.option("--forwarded-from", default=None, help="ForwardedFrom: the number that forwarded the call.")
@click.option("--source", default=None, help="Sent as ?source= on /voice/inbound (e.g. ivr).")
@click.option("--script", "script_path", default=None, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Play this caller script instead of the prompt; exit 0 only if the call goes as scripted.")
@click.option("--auth-token", default=None, envvar="TWILIO_AUTH_TOKEN", show_envvar=True,
              help="Token to sign requests with. Default: the local development token.")
def call_command(base_url, from_number, to_number, forwarded_from, source, script_path, auth_token):
    """Call the receptionist as Twilio would: signed webhooks, TwiML played in the terminal.

    Script headers (@from, @to, @forwarded-from, @source) win over the options.
    """
    token = auth_token or _local_auth_token()
    options = dict(from_number=from_number, to_number=to_number, forwarded_from=forwarded_from, source=source)
    if script_path:
        try:
            script = parse_script(script_path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise click.ClickException(f"{script_path}: {exc}") from exc
        code = run_script(script, base_url, token, **options)
    else:
        with CallSimulator(base_url, token, **options) as sim:
            code = run_interactive(sim)
    click.get_current_context().exit(code)
