"""Text simulator: text a running receptionist from the terminal, exactly as Twilio would.

The simulator plays Twilio's messaging platform toward the server: each text the simulated
phone sends is a signed webhook ``POST {url}/sms/inbound``; the TwiML answer's ``<Message>``
elements are the replies, printed as ``AGENT: ...``. Texts the server sends on its own
(confirmations, reminders, nudges) go through the outbox table, not through TwiML, so the
simulator reads that table too (``flask --app app text`` runs in the app context and sees
the same database) and prints new rows addressed to the simulated phone as
``OUTBOX (purpose, status): ...``.

Twilio behaviour reproduced here, with its source in Twilio's documentation:

- "Twilio's request to your incoming message Webhook URL" (Messaging): form-encoded
  MessageSid, SmsMessageSid and SmsSid (the same 34-character sid, ``SM`` + 32 hex, or
  ``MM`` for a text with media, as Twilio gives MMS), AccountSid, From, To, Body, NumMedia,
  NumSegments, SmsStatus=received, ApiVersion=2010-04-01, the geographic From*/To* fields,
  and per attachment MediaUrl{N} + MediaContentType{N}. MessagingServiceSid is omitted
  (the number is not in a Messaging Service).
- NumSegments follows SMS encoding (``engine.gsm7``, "What the heck is a segment?"): GSM-7 bodies fit 160
  characters in one segment, 153 per segment beyond (extension characters such as ``€``
  count twice); any other character makes the body UCS-2: 70 UTF-16 units in one segment,
  67 per segment beyond.
- "Webhooks security": ``X-Twilio-Signature`` as in ``receptionist.devtools.twilio_http.TwilioHTTP``.
- "TwiML for Programmable Messaging": ``<Response>`` holds ``<Message>`` verbs (text as
  element text, or nested ``<Body>`` and ``<Media>`` nouns; a ``to`` attribute sends it to
  another number) and ``<Redirect>`` (default POST, relative URLs resolved against the
  document URL, verbs after it ignored). An empty ``<Response/>`` sends nothing.

Library use::

    with TextSimulator("http://127.0.0.1:5000", token, "+12025550123", "+12025550101") as sim:
        sim.send("JOBS")              # -> ["We have 3 openings: ..."]; prints YOU:/AGENT: lines
        sim.send("", media=["https://example.com/cv.jpg"])   # a picture only (MMS)
        sim.check_outbox(3.0)         # -> [("confirmation", "sent", "Thanks! ...")]
"""
from __future__ import annotations

import datetime as dt
import mimetypes
import sys
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence, TextIO

import click
import httpx
from flask import current_app

from receptionist.engine.gsm7 import segments

from .defaults import DEFAULT_FROM, DEFAULT_OUTBOX_WAIT, DEFAULT_SMS_TO, SCRIPT_OUTBOX_WAIT
from .twilio_http import (Script, ScriptFailed, SimulatedPhone, SimulatorError, Step, fake_sid, load_script,
                          normalise, redirect_target, script_directives, signing_token)

OUTBOX_POLL = 0.2  # seconds between outbox reads
MAX_WAIT = 60.0  # a script's `wait` is bounded to this
MAX_REDIRECTS = 10  # <Redirect>s in a row for one text: surely a loop
IN_FLIGHT = frozenset({"pending", "sending"})  # outbox statuses still waiting for the sender job

HINT = (
    "Type a text and press Enter. An empty line checks the outbox, '/media URL [text]' sends "
    "a picture, '/quit' or Ctrl-D exits."
)

def num_segments(body: str) -> int:
    """How many SMS segments ``body`` takes (Twilio's NumSegments): ``engine.gsm7.segments``,
    and 1 for an empty body (Twilio counts an MMS without text as one)."""
    return max(1, segments(body))


def media_content_type(url: str) -> str:
    """MediaContentType{N} for an attachment URL, guessed from its extension."""
    guessed, _ = mimetypes.guess_type(url.split("?", 1)[0])
    return guessed or "application/octet-stream"


# --------------------------------------------------------------------------- the outbox


@dataclass(frozen=True)
class OutboxText:
    """One text of the outbox as the simulator shows it (an ``sms`` ``OutboxItem``)."""

    id: int
    to_number: str
    from_number: str
    body: str
    purpose: str
    status: str
    created_at: dt.datetime | None = None


# (phone, since, seen_ids) -> outbox rows to ``phone`` created at or after ``since`` whose id
# is not in ``seen_ids``, oldest first. Rows need .id, .body, .purpose and .status (a str or
# an enum with a str value), e.g. OutboxText. May raise SimulatorError.
OutboxReader = Callable[[str, dt.datetime, frozenset], Sequence[Any]]


def database_outbox_reader(db: Any) -> OutboxReader:
    """An OutboxReader over ``db`` (a ``receptionist.adapters.db.Database``).

    Each call is one short read transaction; database errors (e.g. no ``outbox`` table
    because the simulator looks at another database than the server) become SimulatorError.
    """
    from sqlalchemy import select
    from sqlalchemy.exc import SQLAlchemyError

    from receptionist.adapters.models import OutboxItem
    from receptionist.engine.vocabulary import OutboxKind

    def read(phone: str, since: dt.datetime, seen_ids: frozenset) -> list[OutboxText]:
        query = (select(OutboxItem)
                 .where(OutboxItem.kind == OutboxKind.sms, OutboxItem.recipient == phone,
                        OutboxItem.created_at >= since)
                 .order_by(OutboxItem.created_at, OutboxItem.id))
        if seen_ids:
            query = query.where(OutboxItem.id.not_in(sorted(seen_ids)))
        try:
            with db.transaction() as session:
                # Twilio's own delivery status, once it reported one, says more than ours ("sent").
                return [OutboxText(row.id, row.recipient, row.payload.get("from", ""), row.payload.get("body", ""),
                                   row.purpose, row.provider_status or _status(row.status), row.created_at)
                        for row in session.scalars(query)]
        except SQLAlchemyError as exc:
            first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise SimulatorError(f"cannot read the outbox in {_safe_url(db)}: {first_line}") from exc

    return read


def _status(status: Any) -> str:
    return str(getattr(status, "value", status))


def _safe_url(db: Any) -> str:
    """The database URL without its password, for messages."""
    url = getattr(db, "url", "the database")
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "the database"


# --------------------------------------------------------------------------- the phone


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class TextSimulator(SimulatedPhone):
    """A phone texting one number of the server, the way Twilio's messaging platform does.

    ``send(body, media)`` posts one signed inbound-message webhook to ``/sms/inbound`` and
    returns the reply texts: the ``<Message>`` elements addressed to this phone, in order,
    each as its text plus one ``[media: URL]`` line per ``<Media>``. A ``<Message to=...>``
    for another number is printed but not returned. ``last_replies`` keeps them.

    ``check_outbox(wait)`` prints and returns ``(purpose, status, body)`` for each outbox row
    to this phone created since the simulator was made and not yet shown, waiting up to
    ``wait`` seconds (polling every 0.2 s) until at least one row is there and none is still
    pending/sending. Without an ``outbox_reader`` it returns ``[]`` at once.
    ``outbox_since_send`` holds the rows shown since the last ``send``.

    Output: every line (``YOU: ...``, ``AGENT: ...``, ``OUTBOX (...): ...``, notes in
    parentheses) is printed to ``out`` (default: ``sys.stdout`` at the time of printing)
    and kept in ``transcript``; lines after the first of a multi-line text are indented.

    Raises SimulatorError from ``send`` on an HTTP status other than 200 (message: URL,
    status and body), a body that is not TwiML, a ``<Redirect>`` loop or an unreachable
    server; from ``check_outbox`` when the reader fails. The phone stays usable after it.
    """

    def __init__(self, base_url: str, auth_token: str, from_number: str, to_number: str, *,
                 outbox_reader: OutboxReader | None = None, out: TextIO | None = None,
                 client: httpx.Client | None = None) -> None:
        super().__init__(base_url, auth_token, from_number, to_number, out=out, client=client)
        self.started_at = utcnow()  # outbox rows older than this are not ours to show
        self.texts_sent = 0
        self.last_replies: list[str] = []
        self.outbox_since_send: list[tuple[str, str, str]] = []
        self._reader = outbox_reader
        self._seen_ids: set = set()

    @property
    def reads_outbox(self) -> bool:
        return self._reader is not None

    # -- texting

    def send(self, body: str, media: Iterable[str] = ()) -> list[str]:
        """Text ``body`` (with ``media`` URLs attached) and return the reply texts."""
        media = [url for url in media if url]
        self.last_replies, self.outbox_since_send = [], []
        self._print_text("YOU", body, media)
        self.texts_sent += 1
        params = self._message_params(body, media)
        url = self._http.url("/sms/inbound")
        method = "POST"
        for _ in range(MAX_REDIRECTS + 1):
            try:
                verbs = self._http.fetch_twiml(method, url, params)
            except SimulatorError as exc:
                if exc.status is not None:
                    self._log(f"(no reply: the server answered HTTP {exc.status})")
                raise
            redirect = self._read_reply(verbs, url)
            if redirect is None:
                break
            url, method = redirect
        else:
            raise SimulatorError(f"{MAX_REDIRECTS} <Redirect>s in a row for one text: a loop?")
        if not self.last_replies:
            self._log("(no reply)")
        return list(self.last_replies)

    def _message_params(self, body: str, media: list[str]) -> dict[str, str]:
        sid = fake_sid("MM" if media else "SM")
        params = self._webhook_params() | {
            "MessageSid": sid,
            "SmsMessageSid": sid,
            "SmsSid": sid,
            "Body": body,
            "NumMedia": str(len(media)),
            "NumSegments": str(num_segments(body)),
            "SmsStatus": "received",
        }
        for i, url in enumerate(media):
            params[f"MediaContentType{i}"] = media_content_type(url)
            params[f"MediaUrl{i}"] = url
        return params

    def _read_reply(self, verbs: list[ET.Element], document_url: str) -> tuple[str, str] | None:
        """Show a document's messages; returns a Redirect target (url, method) or None."""
        for verb in verbs:
            if verb.tag == "Message":
                text, media = _message_content(verb)
                to = (verb.get("to") or "").strip()
                if to and to != self.from_number:
                    self._print_text(f"AGENT (to {to})", text, media)
                    continue
                self._print_text("AGENT", text, media)
                self.last_replies.append("\n".join(filter(None, [text, *(f"[media: {m}]" for m in media)])))
            elif verb.tag == "Redirect":
                return redirect_target(verb, document_url)
            else:
                self._log(f"(<{verb.tag}> is not simulated; skipped)")
        return None

    # -- the outbox

    def check_outbox(self, wait: float) -> list[tuple[str, str, str]]:
        """Show new outbox texts to this phone; returns ``[(purpose, status, body), ...]``."""
        if self._reader is None:
            return []
        deadline = time.monotonic() + max(0.0, wait)
        while True:
            rows = self._unseen()
            if rows and not any(_status(row.status) in IN_FLIGHT for row in rows):
                break
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            time.sleep(min(OUTBOX_POLL, remaining))
        return self._show(rows)

    def wait_for_outbox(self, text: str, wait: float) -> bool:
        """Wait up to ``wait`` s until an outbox text since the last send contains ``text``
        (case-insensitive, whitespace-insensitive). Shows every new row; True if found."""
        wanted = normalise(text)
        deadline = time.monotonic() + max(0.0, wait)
        while True:
            if any(wanted in normalise(body) for _, _, body in self.outbox_since_send):
                return True
            if self._reader is None:
                return False
            rows = self._unseen()
            if any(wanted in normalise(row.body) for row in rows) or time.monotonic() >= deadline:
                self._show(rows)
                return any(wanted in normalise(body) for _, _, body in self.outbox_since_send)
            time.sleep(min(OUTBOX_POLL, max(0.0, deadline - time.monotonic())))

    def _unseen(self) -> list[Any]:
        rows = self._reader(self.from_number, self.started_at, frozenset(self._seen_ids))
        return [row for row in rows if row.id not in self._seen_ids]

    def _show(self, rows: list[Any]) -> list[tuple[str, str, str]]:
        shown = []
        for row in rows:
            self._seen_ids.add(row.id)
            item = (str(row.purpose), _status(row.status), str(row.body))
            self._print_text(f"OUTBOX ({item[0]}, {item[1]})", item[2], [])
            self.outbox_since_send.append(item)
            shown.append(item)
        return shown

    # -- output

    def _print_text(self, label: str, text: str, media: Sequence[str]) -> None:
        lines = text.splitlines() or ([] if media else ["(empty)"])
        lines += [f"[media: {url}]" for url in media]
        indent = " " * (len(label) + 2)
        self._log(f"{label}: {lines[0]}" + "".join(f"\n{indent}{line}" for line in lines[1:]))

    def note(self, line: str) -> None:
        """Print a line of commentary (e.g. ``(waiting 2 s)``) and keep it in the transcript."""
        self._log(line)


def _message_content(verb: ET.Element) -> tuple[str, list[str]]:
    """(text, media URLs) of a ``<Message>``: its own text plus any ``<Body>``, then ``<Media>``."""
    parts = [verb.text or ""]
    media = []
    for child in verb:
        if child.tag == "Body":
            parts.append(child.text or "")
        elif child.tag == "Media":
            media.append((child.text or "").strip())
        parts.append(child.tail or "")
    return "".join(parts).strip(), [m for m in media if m]


# --------------------------------------------------------------------------- scripts


@dataclass
class TextScript(Script):
    """A parsed texting script (see ``parse_text_script``): steps of kind send | expect |
    expect-outbox | expect-no-reply | wait. Headers are None when absent."""

    outbox_since_minutes: float = 0.0


_HEADERS = {"@from": "from_number", "@to": "to_number"}
_DIRECTIVES = ("send", "expect", "expect-outbox", "expect-no-reply", "wait")


def parse_text_script(text: str) -> TextScript:
    """Parse a texting script; raises ValueError("line N: ...") for anything invalid.

    One directive per line; blank lines, ``#`` lines and trailing `` # comments`` are ignored::

        @from +12025550123      headers, before the first send: the simulated phone
        @to +12025550101        and the number it texts
        @outbox-since 10        also show outbox texts from the last 10 minutes (e.g. the
                                confirmation of a call that just ended)
        send JOBS               send a text (everything after "send ")
        expect <text>           case-insensitive substring of the replies (TwiML <Message>s)
                                to the last text
        expect-outbox <text>    case-insensitive substring of an outbox text to this phone
                                since the last send, waiting for it (default up to 10 s)
        expect-no-reply         the last text got an empty <Response/>
        wait <seconds>          sleep, 0 to 60 seconds
    """
    script = TextScript()
    first_send = None
    for directive in script_directives(text):
        number, word, arg = directive
        fail = directive.error
        if word == "@outbox-since":
            try:
                script.outbox_since_minutes = float(arg)
            except ValueError:
                raise fail("@outbox-since needs a number of minutes") from None
            continue
        if word in _HEADERS:
            directive.set_header(script, _HEADERS[word], needs="a phone number", first_input=first_send,
                                 input_kind="send")
            continue
        if word not in _DIRECTIVES:
            raise fail(f"unknown directive {word!r} ({', '.join(_DIRECTIVES)}, @from, @to)")
        if word == "expect-no-reply":
            if arg:
                raise fail("expect-no-reply takes no argument")
        elif word == "wait":
            try:
                seconds = float(arg)
            except ValueError:
                seconds = -1.0
            if not 0 <= seconds <= MAX_WAIT:  # also rejects nan
                raise fail(f"wait takes seconds from 0 to {MAX_WAIT:.0f}, not {arg!r}")
        elif not arg:
            raise fail("send needs a text" if word == "send" else f"{word} needs a text to look for")
        if word in ("expect", "expect-no-reply") and not first_send:
            raise fail(f"{word} needs a send before it")
        if word == "send":
            first_send = first_send or number
        script.steps.append(Step(word, arg, number))
    return script


def _quote(texts: Sequence[str]) -> str:
    return " | ".join(repr(" ".join(t.split())) for t in texts)


def play_text_script(sim: TextSimulator, script: TextScript, *, outbox_wait: float = SCRIPT_OUTBOX_WAIT) -> None:
    """Play ``script`` on ``sim``. Raises ScriptFailed ("line N: ...") at the first expectation
    that does not hold or the first text the server does not answer properly.

    After each ``send`` the outbox is shown without waiting (a script is not slowed down by
    texts nobody expects); ``expect-outbox`` waits up to ``outbox_wait`` seconds.
    """
    for step in script.steps:
        try:
            if step.kind == "send":
                sim.send(step.value)
                sim.check_outbox(0)
            elif step.kind == "expect":
                if normalise(step.value) not in normalise("\n".join(sim.last_replies)):
                    got = f"the agent replied: {_quote(sim.last_replies)}" if sim.last_replies \
                        else "there was no reply (empty <Response/>)"
                    raise ScriptFailed(f"line {step.line}: expected a reply containing {step.value!r}, but {got}")
            elif step.kind == "expect-no-reply":
                if sim.last_replies:
                    raise ScriptFailed(f"line {step.line}: expected no reply, but the agent replied: "
                                       f"{_quote(sim.last_replies)}")
            elif step.kind == "expect-outbox":
                if not sim.wait_for_outbox(step.value, outbox_wait):
                    bodies = [body for _, _, body in sim.outbox_since_send]
                    if not sim.reads_outbox:
                        got = "the simulator cannot read the outbox"
                    elif bodies:
                        got = f"the outbox had: {_quote(bodies)}"
                    else:
                        got = f"no outbox text to {sim.from_number} arrived"
                    raise ScriptFailed(f"line {step.line}: expected an outbox text containing {step.value!r} "
                                       f"within {outbox_wait:g} s, but {got}")
            else:  # wait
                sim.note(f"(waiting {float(step.value):g} s)")
                time.sleep(float(step.value))
        except SimulatorError as exc:
            raise ScriptFailed(f"line {step.line}: {exc}") from exc


def run_text_script(script: TextScript, base_url: str, auth_token: str, *, from_number: str = DEFAULT_FROM,
                    to_number: str = DEFAULT_SMS_TO, outbox_reader: OutboxReader | None = None,
                    outbox_wait: float | None = None, out: TextIO | None = None, err: TextIO | None = None,
                    client: httpx.Client | None = None) -> int:
    """Run a texting script; returns 0 if every expectation held, else 1.

    Script headers win over the keyword arguments; ``outbox_wait`` None means 10 s. The
    exchange goes to ``out``, a one-line ``FAIL: line N: ...`` to ``err`` (default: the
    current sys.stdout / sys.stderr).
    """
    wait = SCRIPT_OUTBOX_WAIT if outbox_wait is None else outbox_wait
    sim = TextSimulator(base_url, auth_token, script.from_number or from_number, script.to_number or to_number,
                        outbox_reader=outbox_reader, out=out, client=client)
    sim.started_at -= dt.timedelta(minutes=script.outbox_since_minutes)

    def play() -> str:
        sim.note(f"(texting {sim.to_number} from {sim.from_number})")
        play_text_script(sim, script, outbox_wait=wait)
        sim.check_outbox(0)  # anything that arrived since the last look (may raise SimulatorError)
        return f"{sim.texts_sent} text{'s' if sim.texts_sent != 1 else ''} sent, every expectation held"

    return sim.run_and_report(play, err)


# --------------------------------------------------------------------------- interactive


def run_interactive_texts(
    sim: TextSimulator,
    *,
    outbox_wait: float = DEFAULT_OUTBOX_WAIT,
    input_fn: Callable[[str], str] = input,
    err: TextIO | None = None,
) -> int:
    """Let a person text at a ``YOU> `` prompt until ``/quit``, Ctrl-D or Ctrl-C; returns 0.

    A typed line is sent as a text; an empty line only checks the outbox; ``/media URL
    [text]`` sends a text with a picture. Server errors are printed (``ERROR: ...`` on
    ``err``) and the prompt continues: a text conversation survives a failed webhook.
    """
    print(HINT, file=sim.out, flush=True)
    where = "outbox shown" if sim.reads_outbox else "outbox not readable here"
    print(f"(texting {sim.to_number} from {sim.from_number}; {where})", file=sim.out, flush=True)
    while True:
        try:
            line = input_fn("YOU> ").strip()
        except (EOFError, KeyboardInterrupt):
            print(file=sim.out)
            return 0
        if line == "/quit":
            return 0
        try:
            if line.startswith("/media"):
                _, _, rest = line.partition(" ")
                url, _, body = rest.strip().partition(" ")
                if not url:
                    print("(usage: /media URL [text])", file=sim.out, flush=True)
                    continue
                sim.send(body.strip(), media=[url])
            elif line.startswith("/"):
                print(HINT, file=sim.out, flush=True)
                continue
            elif line:
                sim.send(line)
            if not sim.check_outbox(outbox_wait) and not line and sim.reads_outbox:
                print("(no new outbox texts)", file=sim.out, flush=True)
        except SimulatorError as exc:
            print(f"ERROR: {exc}", file=err or sys.stderr, flush=True)
        except KeyboardInterrupt:  # Ctrl-C while waiting on the outbox: back to the prompt
            print(file=sim.out)


# --------------------------------------------------------------------------- the command


def run_command(body: str | None, base_url: str, to_number: str, from_number: str, media: Sequence[str],
                script_path: Path | None, auth_token: str | None, outbox_wait: float | None) -> int:
    """``flask --app app text`` (its options are in ``receptionist.devtools.cli``), run in the
    app context: with ``script_path``, play that script; with ``body`` or ``media``, send one
    text and show the replies and outbox texts; otherwise an interactive phone. Outbox texts
    are read from the app's database (``current_app.extensions["db"]``) when it has one.
    Returns the exit code; raises click.ClickException when there is no token to sign with
    or the script is invalid."""
    token = signing_token(auth_token)
    reader = _app_outbox_reader()
    if script_path:
        return run_text_script(load_script(script_path, parse_text_script), base_url, token,
                               from_number=from_number, to_number=to_number, outbox_reader=reader,
                               outbox_wait=outbox_wait)
    wait = DEFAULT_OUTBOX_WAIT if outbox_wait is None else outbox_wait
    with TextSimulator(base_url, token, from_number, to_number, outbox_reader=reader) as sim:
        if body is None and not media:
            return run_interactive_texts(sim, outbox_wait=wait)
        try:
            sim.send(body or "", media=media)
            sim.check_outbox(wait)
        except SimulatorError as exc:
            click.echo(f"ERROR: {exc}", err=True)
            return 1
    return 0


def _app_outbox_reader() -> OutboxReader | None:
    db = current_app.extensions.get("db")
    return database_outbox_reader(db) if db is not None else None
