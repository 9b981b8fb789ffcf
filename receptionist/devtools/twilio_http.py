"""Twilio's side of HTTP, shared by the call and the text simulator.

Both simulators play Twilio toward a running server: they send webhooks signed and encoded
as Twilio sends them, read the TwiML answers, and print what the phone hears. This module
holds what they share:

- ``TwilioHTTP``: one server's webhooks, signed (``X-Twilio-Signature`` with twilio's own
  ``RequestValidator``) and form-encoded; TwiML documents fetched and parsed; status
  callbacks posted. ``SimulatorError`` is the one error type for what Twilio would not accept.
- ``SimulatedPhone``: the base of both phones: the HTTP side, the numbers, and the terminal
  side (every line printed and kept in a transcript).
- Twilio's request fields both channels send: fake SIDs, the account, the geographic fields.
- For the commands: the development auth token (``signing_token``) and what both script
  languages build on: ``script_directives`` (a ``Directive`` per line, with the header
  rules), ``Step``/``Script``, ``load_script``, ``normalise`` (how ``expect`` compares) and
  ``ScriptFailed``.

Sources (Twilio's documentation): "Webhooks security" (the signature: HMAC-SHA1 with the auth
token over the full URL, then for POST the parameters sorted by name; for GET the parameters
are in the URL); "Twilio's request to your application" (Voice) and "Twilio's request to your
incoming message Webhook URL" (Messaging) for the fields; "TwiML Voice: <Redirect>" and
"TwiML for Programmable Messaging: <Redirect>" (method defaults to POST, relative URLs are
resolved against the document URL); Twilio's webhook timeout of 15 s.

Needs httpx, a development dependency (the ``dev`` extra): nothing on the runtime path
imports this module.
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
from typing import Callable, Iterator, NamedTuple, Self, TextIO, TypeVar
from urllib.parse import urlencode, urljoin

import click
import httpx
from twilio.request_validator import RequestValidator

# A fixed, obviously fake account: the server only needs a well-formed AccountSid.
FAKE_ACCOUNT_SID = "AC" + "5e1a7c0ffee5e1a7c0ffee5e1a7c0ff0"
API_VERSION = "2010-04-01"  # the ApiVersion Twilio sends with every webhook
TIMEOUT_SECONDS = 15.0  # Twilio's own webhook timeout
RETRY_AFTER_SECONDS = 0.3  # pause before the one retry of a failed connection

T = TypeVar("T")


class SimulatorError(Exception):
    """The server answered as Twilio would not accept, or could not be reached.

    Raised for: an HTTP status other than 200 on a TwiML request (other than 2xx on a status
    callback), a body that is not TwiML (invalid XML, root not ``<Response>``), invalid TwiML
    (e.g. a ``<Redirect>`` without a URL), a redirect loop, and connection failures.
    The message is one line and names the URL and, for HTTP errors, status and body;
    ``status`` is the HTTP status when the server answered one, else None.
    """

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class ScriptFailed(Exception):
    """A scripted call or text exchange did not go as the script expects (one-line message)."""


# --------------------------------------------------------------------------- request fields


def fake_sid(prefix: str) -> str:
    """A fresh random SID shaped as Twilio's: ``prefix`` (two letters: ``CA`` call, ``SM``
    text, ``MM`` text with media) followed by 32 lower-case hex digits."""
    return prefix + secrets.token_hex(16)


def country(number: str) -> str:
    """ISO country of an E.164 number, as Twilio fills FromCountry/ToCountry; "" if unknown."""
    try:
        import phonenumbers

        return phonenumbers.region_code_for_number(phonenumbers.parse(number)) or ""
    except Exception:  # not installed or not a phone number (e.g. client:alice)
        return "US" if number.startswith("+1") else ""


def geographic_params(numbers: dict[str, str]) -> dict[str, str]:
    """Twilio's geographic fields for each ``{prefix: number}`` (prefix: From, To, Caller,
    Called): ``{prefix}City``, ``{prefix}State``, ``{prefix}Zip`` (empty: Twilio sends them
    empty when unknown) and ``{prefix}Country``."""
    params: dict[str, str] = {}
    for prefix, number in numbers.items():
        params.update({f"{prefix}City": "", f"{prefix}State": "", f"{prefix}Zip": "",
                       f"{prefix}Country": country(number)})
    return params


# --------------------------------------------------------------------------- TwiML


def parse_twiml(body: bytes, url: str) -> list[ET.Element]:
    """The verbs of a TwiML document; raises SimulatorError if it is not TwiML."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise SimulatorError(f"invalid XML from {url}: {exc}") from exc
    if root.tag != "Response":
        raise SimulatorError(f"TwiML from {url} must have <Response> as its root, not <{root.tag}>")
    return list(root)


def verb_method(el: ET.Element, document_url: str) -> str:
    """A verb's ``method`` attribute, upper-cased; POST when absent. Raises SimulatorError
    for anything but GET or POST."""
    method = el.get("method", "POST").upper()
    if method not in ("GET", "POST"):
        raise SimulatorError(f"<{el.tag} method={method!r}> in {document_url}: use GET or POST")
    return method


def redirect_target(verb: ET.Element, document_url: str) -> tuple[str, str]:
    """Where a ``<Redirect>`` leads: (absolute URL, method). Raises SimulatorError when it has
    no URL or an unknown method."""
    target = (verb.text or "").strip()
    if not target:
        raise SimulatorError(f"<Redirect> without a URL in {document_url}")
    return urljoin(document_url, target), verb_method(verb, document_url)


# --------------------------------------------------------------------------- HTTP


class TwilioHTTP:
    """Webhook requests toward one server, sent as Twilio sends them.

    ``base_url`` is the server's root (a trailing slash is dropped); ``auth_token`` signs every
    request. ``client`` is an ``httpx.Client`` to use (e.g. with a mock transport); without
    one, a client with Twilio's 15 s timeout is made and closed by ``close()``.
    """

    def __init__(self, base_url: str, auth_token: str, client: httpx.Client | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self._validator = RequestValidator(auth_token)
        self._client = client or httpx.Client(timeout=TIMEOUT_SECONDS)
        self._owns_client = client is None

    def url(self, path: str) -> str:
        """The absolute URL of ``path`` (e.g. ``/voice/inbound``) on this server."""
        return self.base_url + path

    def send(self, method: str, url: str, params: dict[str, str]) -> httpx.Response:
        """Send one webhook request as Twilio does; retry once if the connection fails.

        POST carries ``params`` form-encoded, GET in the URL. ``X-Twilio-Signature`` is
        computed over the URL exactly as sent plus, for POST, the parameters;
        ``I-Twilio-Idempotency-Token`` stays the same on the retry. Returns the response
        whatever its status; raises SimulatorError when the server cannot be reached or does
        not answer within TIMEOUT_SECONDS.
        """
        if method == "GET":  # GET carries the parameters in the (signed) URL
            url = url + ("&" if "?" in url else "?") + urlencode(params)
            request = self._client.build_request("GET", url)
            signed_params: dict[str, str] = {}
        else:
            request = self._client.build_request("POST", url, data=params)
            signed_params = params
        # Sign the URL exactly as sent (httpx may normalise its encoding).
        request.headers["X-Twilio-Signature"] = self._validator.compute_signature(str(request.url), signed_params)
        request.headers["I-Twilio-Idempotency-Token"] = str(uuid.uuid4())  # same on the retry
        request.headers["User-Agent"] = "TwilioProxy/1.1"
        for attempt in (1, 2):
            try:
                return self._client.send(request)
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.RemoteProtocolError) as exc:
                if attempt == 2:
                    raise SimulatorError(f"cannot reach {url} ({exc}); is the server running?") from exc
                time.sleep(RETRY_AFTER_SECONDS)
            except httpx.TimeoutException as exc:
                raise SimulatorError(f"{method} {url}: no answer within {TIMEOUT_SECONDS:.0f} s "
                                     "(Twilio gives up too)") from exc
            except httpx.HTTPError as exc:
                raise SimulatorError(f"{method} {url}: {exc}") from exc
        raise AssertionError("unreachable")

    def fetch_twiml(self, method: str, url: str, params: dict[str, str]) -> list[ET.Element]:
        """Send a webhook whose answer is TwiML and return its verbs.

        Raises SimulatorError (with ``status``) when the answer is not HTTP 200, as Twilio
        accepts no other, and when the body is not TwiML.
        """
        response = self.send(method, url, params)
        if response.status_code != 200:
            raise _status_error(method, url, response)
        return parse_twiml(response.content, url)

    def post_callback(self, url: str, params: dict[str, str]) -> None:
        """POST a status callback. Twilio ignores its body, so any 2xx (e.g. 204) is fine;
        raises SimulatorError (with ``status``) on any other status."""
        response = self.send("POST", url, params)
        if not response.is_success:
            raise _status_error("POST", url, response)

    def close(self) -> None:
        """Close the HTTP client if this object made it."""
        if self._owns_client:
            self._client.close()


def _status_error(method: str, url: str, response: httpx.Response, limit: int = 300) -> SimulatorError:
    body = " ".join(response.text.split())
    snippet = (body[:limit] + "...") if len(body) > limit else (body or "(empty body)")
    return SimulatorError(f"{method} {url} answered HTTP {response.status_code}: {snippet}",
                          status=response.status_code)


# --------------------------------------------------------------------------- the phone


class SimulatedPhone:
    """What both simulated phones are made of: the numbers, Twilio's HTTP side toward
    ``base_url`` (signed with ``auth_token``; ``client`` as for ``TwilioHTTP``), and the
    terminal side.

    Output: each line is printed to ``out`` (default: ``sys.stdout`` at the time of
    printing), flushed, and kept in ``transcript``. Use as a context manager, or call
    ``close()``, to close an HTTP client the phone made.
    """

    def __init__(self, base_url: str, auth_token: str, from_number: str, to_number: str, *,
                 out: TextIO | None = None, client: httpx.Client | None = None) -> None:
        self._http = TwilioHTTP(base_url, auth_token, client)
        self.base_url = self._http.base_url
        self.from_number = from_number
        self.to_number = to_number
        self.account_sid = FAKE_ACCOUNT_SID
        self._out = out
        self._transcript: list[str] = []

    @property
    def transcript(self) -> list[str]:
        """Every printed line so far."""
        return list(self._transcript)

    @property
    def out(self) -> TextIO:
        """Where lines are printed."""
        return self._out or sys.stdout

    def _webhook_params(self, **numbers: str) -> dict[str, str]:
        """The fields every webhook from this phone carries: AccountSid, From, To, ApiVersion,
        plus ``numbers`` (e.g. Voice's ``Caller``, ``Called``), with the geographic fields of
        each number."""
        numbers = {"From": self.from_number, "To": self.to_number, **numbers}
        return {"AccountSid": self.account_sid, **numbers, "ApiVersion": API_VERSION, **geographic_params(numbers)}

    def _log(self, line: str) -> None:
        self._transcript.append(line)
        print(line, file=self.out, flush=True)

    def run_and_report(self, play: Callable[[], str], err: TextIO | None = None) -> int:
        """Play a script on this phone, report, and close the phone; returns the exit code.

        ``play()`` plays the script and returns what held, printed as ``PASS: <that>`` on
        ``out``: exit code 0. ScriptFailed or SimulatorError from it is printed as one line
        ``FAIL: <message>`` on ``err`` (default: ``sys.stderr`` at the time) after
        ``_abandon()``: exit code 1.
        """
        with self:
            try:
                passed = play()
            except (ScriptFailed, SimulatorError) as exc:
                self._abandon()
                print(f"FAIL: {exc}", file=err or sys.stderr, flush=True)
                return 1
            print(f"PASS: {passed}", file=self.out, flush=True)
            return 0

    def _abandon(self) -> None:
        """Leave the exchange after a failed script (a phone with a call open hangs up)."""

    def close(self) -> None:
        """Close the HTTP client if this phone made it."""
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


# --------------------------------------------------------------------------- the command line


def signing_token(auth_token: str | None) -> str:
    """The token to sign with: ``auth_token`` when given (``--auth-token`` or
    TWILIO_AUTH_TOKEN), else the development token the local server checks signatures with
    when TWILIO_AUTH_TOKEN is unset (``receptionist.settings.local_auth_token``).

    Raises click.ClickException, naming what to set, when there is neither.
    """
    if auth_token:
        return auth_token
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


@dataclass(frozen=True)
class Step:
    """One script line: ``kind`` is its directive (e.g. ``say``, ``send``, ``expect``),
    ``value`` the rest of the line ("" when none), ``line`` its number (from 1)."""

    kind: str
    value: str
    line: int


@dataclass
class Script:
    """A parsed script: its steps, and the numbers of its ``@from``/``@to`` headers (None
    when absent). Each simulator's script adds its own headers."""

    steps: list[Step] = field(default_factory=list)
    from_number: str | None = None
    to_number: str | None = None


_INLINE_COMMENT = re.compile(r"\s+#\s.*$")  # " # note": keeps "press 1234#" and "press #"


class Directive(NamedTuple):
    """One directive of a script: its ``line`` number (from 1), its lower-cased first ``word``
    and ``arg``, the rest of the line (stripped)."""

    line: int
    word: str
    arg: str

    def error(self, message: str) -> ValueError:
        """``ValueError("line N: <message>")``: the error the script parsers raise."""
        return ValueError(f"line {self.line}: {message}")

    def set_header(self, script: Script, name: str, *, needs: str, first_input: int | None, input_kind: str) -> None:
        """Set ``script.<name>`` to this header's value. Raises ValueError when the value is
        missing ("@to needs <needs>") or the header follows the first input at line
        ``first_input`` ("must come before the first <input_kind> (line N)")."""
        if not self.arg:
            raise self.error(f"{self.word} needs {needs}")
        if first_input:
            raise self.error(f"{self.word} must come before the first {input_kind} (line {first_input})")
        setattr(script, name, self.arg)


def script_directives(text: str) -> Iterator[Directive]:
    """The directives of a script, in order: blank lines, ``#`` lines and trailing
    `` # comments`` are skipped."""
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        word, _, arg = _INLINE_COMMENT.sub("", line).partition(" ")
        yield Directive(number, word.lower(), arg.strip())


def load_script(path: Path, parse: Callable[[str], T]) -> T:
    """The script at ``path`` (UTF-8) parsed with ``parse``; its ValueError ("line N: ...")
    becomes a click.ClickException naming the file."""
    try:
        return parse(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise click.ClickException(f"{path}: {exc}") from exc


def normalise(text: str) -> str:
    """``text`` as an ``expect`` compares it: whitespace runs folded to one space, case-folded."""
    return " ".join(text.split()).casefold()
