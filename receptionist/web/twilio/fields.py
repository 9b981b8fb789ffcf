"""Twilio webhook fields, validated and bounded before anything reaches the database.

Every webhook calls one function here with its form (any ``Mapping[str, str]``: Flask's
``request.form``, a dict in a test) and gets a frozen dataclass of clean values, or
:class:`InvalidTwilioRequest` (answer 400 with ``str(exc)``: one line, never the raw value).
Pure: no Flask, no database.

Two kinds of field, so that a hostile value never costs a call or a text that could be kept:

- *Identity* fields (CallSid, MessageSid, AccountSid, RecordingSid, ``step``, the addresses
  a reply goes to or comes from) must be valid: a request without them cannot be Twilio's, and
  without them it cannot be answered idempotently. Invalid -> :class:`InvalidTwilioRequest`.
- *Content* fields are cleaned: text loses NUL and other control characters (``\\n`` and
  ``\\t`` kept) and is cut to Twilio's own maximum; an optional value that is malformed
  (CallDuration of 20 digits, a Confidence of 1e308, a ForwardedFrom of 50 characters) is
  dropped (``None``) and its name listed in ``dropped`` for one log line.

Sources (Twilio docs): "Twilio's request to your application" (voice: CallSid, AccountSid,
From, To, ForwardedFrom, CallStatus, CallDuration); "TwiML Voice: <Gather>" (SpeechResult,
Confidence 0.0-1.0, Digits); "Messaging webhook request" (MessageSid, From, To, Body up to
1600 characters, NumMedia up to 10, MediaUrl{N}, OptOutType); "Outbound Message Status in
Status Callbacks" (MessageStatus, ErrorCode); "RecordingStatusCallback" (RecordingSid,
RecordingUrl, RecordingStatus, RecordingDuration, RecordingChannels, RecordingSource). SID
patterns: Twilio's OpenAPI description (twilio_api_v2010.json), ``^CA[0-9a-fA-F]{32}$`` and
``^(SM|MM)[0-9a-fA-F]{32}$``: real SIDs are lowercase hex, the spec allows both cases.
"""
from __future__ import annotations

import math
import logging
import re
from dataclasses import dataclass, field
from typing import Callable, Mapping, TypeVar

T = TypeVar("T")
log = logging.getLogger(__name__)

# ---------------------------------------------------------------- bounds (units in the names)

SID_HEX_DIGITS = 32               # two letters + 32 hex digits: 34 characters
ADDRESS_MAX_CHARS = 32            # E.164 is at most 16 ("+" and 15 digits); "client:..", "sip:.."
                                  # fit the 32-character columns (inbound_messages, forwarded_from)
LABEL_MAX_CHARS = 80              # ``?source=`` label (conversations.source)
SPEECH_MAX_CHARS = 1000           # SpeechResult kept
BODY_MAX_CHARS = 1600             # Twilio's maximum message body
DIGITS_MAX_CHARS = 32             # DTMF keys in one <Gather>
TOKEN_MAX_CHARS = 32              # enumerations: CallStatus, MessageStatus, OptOutType, ...
URL_MAX_CHARS = 1024              # MediaUrl{N}, RecordingUrl
MAX_STEP = 10_000                 # turns in one call (the <Gather> action's ``step``)
MAX_RETRY = 99                    # our own <Redirect>'s ``retry`` count (the handler's bound is lower)
MAX_CALL_DURATION_S = 86_400      # Twilio ends a call after 24 h at most
MAX_MEDIA = 10                    # Twilio delivers at most 10 media items per MMS
MAX_ERROR_CODE = 999_999          # Twilio error codes have five digits (30003, 63016)
MAX_INT_DIGITS = 12               # no integer field needs more; 20 digits is hostile


class InvalidTwilioRequest(ValueError):
    """A request that cannot come from Twilio. ``str(exc)`` is a one-line reason for a 400
    answer and for the log; it names the field, never echoes the value (personal data, NUL)."""


# ---------------------------------------------------------------- single fields (pure)

# C0 controls except \t and \n, DEL, C1 controls, and lone surrogates (not encodable as UTF-8).
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_NEWLINES = re.compile("\r\n?")
_DIGITS = re.compile(r"[0-9*#]{1,%d}" % DIGITS_MAX_CHARS)
_INTEGER = re.compile(r"-?[0-9]{1,%d}" % MAX_INT_DIGITS)
_DECIMAL = re.compile(r"[0-9]{0,3}(\.[0-9]{1,32})?")
_TOKEN = re.compile(r"[A-Za-z][A-Za-z_-]{0,%d}" % (TOKEN_MAX_CHARS - 1))
_URL = re.compile(r"https?://[!-~]{1,%d}" % (URL_MAX_CHARS - 8))


def _present(raw: str | None, name: str) -> str:
    if raw is None or raw == "":
        raise InvalidTwilioRequest(f"{name} is missing")
    return raw


def _matching(raw: str | None, name: str, pattern: re.Pattern, what: str) -> str:
    value = _present(raw, name).strip()
    if not pattern.fullmatch(value):
        raise InvalidTwilioRequest(f"{name} is not {what}")
    return value


def parse_sid(raw: str | None, name: str, prefixes: tuple[str, ...]) -> str:
    """``raw`` as a Twilio SID: one of ``prefixes`` (e.g. ``("CA",)``) + 32 hex digits.

    Raises InvalidTwilioRequest when missing or of any other shape (a NUL, 100 characters).
    """
    raw = _present(raw, name)
    if raw[:2] not in prefixes or not _SID_HEX.fullmatch(raw, 2):
        raise InvalidTwilioRequest(f"{name} is not a Twilio {'/'.join(prefixes)} SID")
    return raw


_SID_HEX = re.compile(r"[0-9a-fA-F]{%d}" % SID_HEX_DIGITS)  # after the two-letter prefix
_RECORDING_SID = re.compile(r"RE[0-9a-f]{%d}" % SID_HEX_DIGITS)


def parse_recording_sid(raw: str | None, name: str = "RecordingSid") -> str:
    """A RecordingSid: ``^RE[0-9a-f]{32}$`` (Twilio's OpenAPI description of the Recording
    resource; lowercase hex, as Twilio issues them). Raises InvalidTwilioRequest otherwise."""
    value = _present(raw, name)
    if not _RECORDING_SID.fullmatch(value):
        raise InvalidTwilioRequest(f"{name} is not a Twilio RE SID")
    return value


def parse_address(raw: str | None, name: str) -> str:
    """A From/To/ForwardedFrom value: E.164 ("+12025550123"), a short code, "Anonymous",
    "client:alice", "sip:..": at most ADDRESS_MAX_CHARS, printable, surrounding spaces removed.

    Raises InvalidTwilioRequest when missing, too long or holding control characters.
    """
    value = _present(raw, name).strip()
    if not value or len(value) > ADDRESS_MAX_CHARS or not value.isprintable():
        raise InvalidTwilioRequest(f"{name} is not a phone number or Twilio address "
                                   f"(at most {ADDRESS_MAX_CHARS} printable characters)")
    return value


def parse_int(raw: str | None, name: str, low: int, high: int) -> int:
    """A whole number in ``low..high`` written in ASCII digits (no "1_000", no "٣").

    Raises InvalidTwilioRequest when missing, not such a number or out of range.
    """
    value = _present(raw, name).strip()
    if not _INTEGER.fullmatch(value) or not low <= int(value) <= high:
        raise InvalidTwilioRequest(f"{name} is not a whole number from {low} to {high}")
    return int(value)


def parse_confidence(raw: str | None, name: str = "Confidence") -> float:
    """Twilio's speech recognition confidence, a decimal from 0.0 to 1.0 ("0.91283");
    no "nan", "inf" or exponents. Raises InvalidTwilioRequest otherwise."""
    value = _present(raw, name).strip()
    number = float(value) if value not in ("", ".") and _DECIMAL.fullmatch(value) else math.nan
    if not 0.0 <= number <= 1.0:
        raise InvalidTwilioRequest(f"{name} is not a decimal from 0 to 1")
    return number


def clean_text(raw: str | None, max_chars: int) -> str:
    """Free text (SpeechResult, Body) safe to store: line ends as ``\\n``, NUL and other
    control characters removed (``\\n`` and ``\\t`` kept), cut to ``max_chars``. Never raises."""
    return _CONTROL.sub("", _NEWLINES.sub("\n", raw or ""))[:max_chars]


def parse_label(raw: str | None) -> str | None:
    """A free label from a query string (``?source=ivr``, ``?source=café``): non-printable
    characters removed, trimmed, cut to LABEL_MAX_CHARS; None when nothing is left."""
    value = "".join(c for c in (raw or "") if c.isprintable()).strip()[:LABEL_MAX_CHARS].strip()
    return value or None


def parse_digits(raw: str | None, name: str = "Digits") -> str:
    """DTMF keys from a <Gather>: 0-9, ``*`` and ``#``, at most DIGITS_MAX_CHARS.
    Raises InvalidTwilioRequest otherwise."""
    return _matching(raw, name, _DIGITS, "DTMF keys (0-9, *, #)")


def parse_token(raw: str | None, name: str) -> str:
    """An enumerated value (CallStatus "in-progress", MessageStatus "delivered", OptOutType
    "STOP"): ASCII letters, ``-`` and ``_``, at most TOKEN_MAX_CHARS. Case is kept.
    Raises InvalidTwilioRequest otherwise."""
    return _matching(raw, name, _TOKEN, "a Twilio status word")


def parse_url(raw: str | None, name: str) -> str:
    """An http(s) URL Twilio gives us (MediaUrl0, RecordingUrl): printable ASCII without
    spaces, at most URL_MAX_CHARS. Raises InvalidTwilioRequest otherwise."""
    return _matching(raw, name, _URL, f"an http(s) URL of at most {URL_MAX_CHARS} characters")


# ---------------------------------------------------------------- reading a whole form

class _Form:
    """One webhook's form: required fields raise, optional malformed ones are dropped."""

    def __init__(self, form: Mapping[str, str]):
        self.form = form
        self.dropped: list[str] = []

    def raw(self, name: str) -> str | None:
        # ``in`` first: Werkzeug's MultiDict.get builds a BadRequestKeyError for each absent
        # field, and a webhook lacks several (Digits or SpeechResult, ForwardedFrom, ...).
        value = self.form[name] if name in self.form else None
        return None if value is None else str(value)

    def required(self, name: str, parse: Callable[..., T], *args) -> T:
        return parse(self.raw(name), name, *args)

    def optional(self, name: str, parse: Callable[..., T], *args) -> T | None:
        raw = self.raw(name)
        if raw is None or not raw.strip():
            return None
        try:
            return parse(raw, name, *args)
        except InvalidTwilioRequest:
            self.dropped.append(name)
            return None

    def call_sid(self) -> str:
        return self.required("CallSid", parse_sid, ("CA",))

    def build(self, fields_class: type[T], **values) -> T:
        """``fields_class`` with ``values``, the AccountSid (Twilio always sends it; when
        present it must be an AC SID) and the names of the fields dropped while reading."""
        raw = self.raw("AccountSid")
        account_sid = None if raw is None else parse_sid(raw, "AccountSid", ("AC",))
        return fields_class(account_sid=account_sid, dropped=tuple(self.dropped), **values)


# ---------------------------------------------------------------- one function per webhook


def log_dropped(clean: "TwilioFields", where: str) -> None:
    """One log line naming the malformed optional fields left out of ``clean`` (never their values)."""
    if clean.dropped:
        log.info("%s: ignored malformed %s", where, ", ".join(clean.dropped))

@dataclass(frozen=True)
class TwilioFields:
    """What every webhook's clean fields share: the AccountSid (None when not sent) and
    ``dropped``, the names of optional fields that were malformed and left out (for a log
    line: ``"ignored malformed %s", ", ".join(dropped)``)."""

    account_sid: str | None = field(kw_only=True)
    dropped: tuple[str, ...] = field(default=(), kw_only=True)


@dataclass(frozen=True)
class CallFields(TwilioFields):
    """The voice webhooks' fields: the CallSid first."""

    call_sid: str


@dataclass(frozen=True)
class InboundCallFields(CallFields):
    """``POST /voice/inbound``. ``from_number`` None: no usable caller ID (hidden, or not
    an address), the call goes on as a hidden caller's; ``forwarded_from`` None likewise."""

    from_number: str | None
    to_number: str
    forwarded_from: str | None
    source: str | None
    retry: int = 0


def parse_retry(args: Mapping[str, str]) -> int:
    """``retry`` of the query string: how many times Twilio came back to this webhook through
    our own ``<Redirect>`` after it failed on our side (0 when absent). Raises
    InvalidTwilioRequest when present and not a whole number from 0 to MAX_RETRY."""
    raw = args.get("retry")
    return 0 if raw is None else parse_int(raw, "retry", 0, MAX_RETRY)


def voice_inbound(form: Mapping[str, str], args: Mapping[str, str]) -> InboundCallFields:
    """Clean fields of a new call; ``args`` is the query string (``source``, ``retry``).
    Raises InvalidTwilioRequest without a valid CallSid or To."""
    f = _Form(form)
    return f.build(
        InboundCallFields, call_sid=f.call_sid(),
        from_number=f.optional("From", parse_address), to_number=f.required("To", parse_address),
        forwarded_from=f.optional("ForwardedFrom", parse_address),
        source=parse_label(args.get("source")), retry=parse_retry(args))


@dataclass(frozen=True)
class GatherFields(CallFields):
    """``POST /voice/gather?step=N``: the caller's keys or speech for prompt ``step``.
    ``speech`` is "" when none was heard; ``confidence`` None when absent or malformed
    (the current handler then takes 1.0, as Twilio omits it only for DTMF)."""

    step: int
    digits: str | None
    speech: str
    confidence: float | None
    retry: int = 0


def voice_gather(form: Mapping[str, str], args: Mapping[str, str]) -> GatherFields:
    """Clean fields of a ``<Gather>`` result; ``args`` holds ``step`` (0..MAX_STEP) and
    ``retry`` (:func:`parse_retry`). Raises InvalidTwilioRequest without a valid CallSid or step."""
    step = parse_int(args.get("step"), "step", 0, MAX_STEP)  # our own action URL's
    retry = parse_retry(args)
    f = _Form(form)
    return f.build(
        GatherFields, call_sid=f.call_sid(), step=step, retry=retry,
        digits=f.optional("Digits", parse_digits),
        speech=clean_text(f.raw("SpeechResult"), SPEECH_MAX_CHARS).strip(),
        confidence=f.optional("Confidence", parse_confidence))


@dataclass(frozen=True)
class CallStatusFields(CallFields):
    """``POST /voice/status``: ``call_status`` "" when absent or malformed (not final:
    nothing changes); ``call_duration_s`` None likewise."""

    call_status: str
    call_duration_s: int | None


def voice_status(form: Mapping[str, str]) -> CallStatusFields:
    """Clean fields of a call status callback. Raises InvalidTwilioRequest without a valid CallSid."""
    f = _Form(form)
    return f.build(
        CallStatusFields, call_sid=f.call_sid(),
        call_status=f.optional("CallStatus", parse_token) or "",
        call_duration_s=f.optional("CallDuration", parse_int, 0, MAX_CALL_DURATION_S))


@dataclass(frozen=True)
class InboundTextFields(TwilioFields):
    """``POST /sms/inbound``: ``body`` cleaned and cut to BODY_MAX_CHARS (a text with a NUL
    is kept, minus the NUL); ``media_urls`` the valid ones of MediaUrl0..MediaUrl{NumMedia-1}."""

    message_sid: str
    from_number: str
    to_number: str
    body: str
    media_urls: tuple[str, ...]
    opt_out_type: str | None


def sms_inbound(form: Mapping[str, str]) -> InboundTextFields:
    """Clean fields of an incoming text (MessageSid, or the legacy SmsMessageSid).
    Raises InvalidTwilioRequest without a valid MessageSid, From or To."""
    f = _Form(form)
    sid_field = "SmsMessageSid" if not f.raw("MessageSid") and f.raw("SmsMessageSid") else "MessageSid"
    num_media = f.optional("NumMedia", parse_int, 0, MAX_MEDIA) or 0
    media = (f.optional(f"MediaUrl{i}", parse_url) for i in range(num_media))
    return f.build(
        InboundTextFields, message_sid=f.required(sid_field, parse_sid, ("SM", "MM")),
        from_number=f.required("From", parse_address), to_number=f.required("To", parse_address),
        body=clean_text(f.raw("Body"), BODY_MAX_CHARS), media_urls=tuple(url for url in media if url),
        opt_out_type=f.optional("OptOutType", parse_token))


@dataclass(frozen=True)
class MessageStatusFields(TwilioFields):
    """``POST /sms/status``: ``message_status`` from MessageStatus (or the legacy SmsStatus),
    None when absent or malformed; ``error_code`` None likewise."""

    message_sid: str
    message_status: str | None
    error_code: int | None


def sms_status(form: Mapping[str, str]) -> MessageStatusFields:
    """Clean fields of a message status callback. Raises InvalidTwilioRequest without a valid MessageSid."""
    f = _Form(form)
    status_field = "MessageStatus" if f.raw("MessageStatus") else "SmsStatus"
    return f.build(
        MessageStatusFields, message_sid=f.required("MessageSid", parse_sid, ("SM", "MM")),
        message_status=f.optional(status_field, parse_token),
        error_code=f.optional("ErrorCode", parse_int, 0, MAX_ERROR_CODE))


@dataclass(frozen=True)
class RecordingFields(CallFields):
    """A recording status callback (``recordingStatusCallback``): the recording is referenced
    by ``recording_url``, never copied. Optional values None when absent or malformed."""

    recording_sid: str
    recording_url: str | None
    recording_status: str | None
    recording_duration_s: int | None
    recording_channels: int | None
    recording_source: str | None
    error_code: int | None


def recording_status(form: Mapping[str, str]) -> RecordingFields:
    """Clean fields of a recording status callback.
    Raises InvalidTwilioRequest without a valid CallSid or RecordingSid (RE...)."""
    f = _Form(form)
    return f.build(
        RecordingFields, call_sid=f.call_sid(),
        recording_sid=f.required("RecordingSid", parse_recording_sid),
        recording_url=f.optional("RecordingUrl", parse_url),
        recording_status=f.optional("RecordingStatus", parse_token),
        recording_duration_s=f.optional("RecordingDuration", parse_int, 0, MAX_CALL_DURATION_S),
        recording_channels=f.optional("RecordingChannels", parse_int, 1, 2),
        recording_source=f.optional("RecordingSource", parse_token),
        error_code=f.optional("ErrorCode", parse_int, 0, MAX_ERROR_CODE))
