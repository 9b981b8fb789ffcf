"""Twilio Voice webhooks: ``/voice/inbound``, ``/voice/gather``, ``/voice/status``, ``/voice/recording``.

Point the Twilio number's "A call comes in" webhook at ``POST {PUBLIC_BASE_URL}/voice/inbound``
(optionally ``?source=ivr`` or any label) and "Call status changes" at ``/voice/status``.
``/voice/recording`` needs no configuration: a recorded call's first TwiML names it as the
``<Recording recordingStatusCallback>`` (Twilio, "TwiML Voice: <Recording>").
Handlers only touch the database, through the unit of work; form fields are Twilio's
(Twilio, "Twilio's request to your application": CallSid, From, To, ForwardedFrom,
SpeechResult, Confidence, Digits, CallStatus, CallDuration).

Whatever fails, a caller hears an apology in their language with HTTP 200, never Twilio's
own "application error": the language rides in each ``<Gather>`` action URL (``lang``), so
it is known even when the database is not. A call that cannot be started or answered because
of our side (the database down or locked) is held: "one moment, please", a pause, and a
``<Redirect>`` back to the same webhook (``retry=N``), up to HOLD_RETRIES times; the
question the caller was answering is then asked again (``flow.Repeat``). Only after that does
the caller hear "please call again" and the call end.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, request, url_for

from receptionist.adapters.twiml import VoiceSetup, render_apology, render_hold, render_turn
from receptionist.engine import flow
from receptionist.engine.languages import LANGUAGES
from receptionist.engine.texts import Line, render
from receptionist.phones import mask
from receptionist.services import calls

from . import fields
from .security import require_twilio_signature

log = logging.getLogger(__name__)
bp = Blueprint("voice", __name__, url_prefix="/voice")

# A webhook that failed on our side holds the call: Twilio comes back this many times, each
# after the apology and this pause (each attempt is bounded too: DB_* timeouts, under 10 s).
HOLD_RETRIES = 3
HOLD_PAUSE_S = 2

_TWIML_TYPE = "text/xml; charset=utf-8"  # what mimetype="text/xml" gives, without building it per answer


def _twiml(xml: str, status: int = 200) -> Response:
    return Response(xml, status=status, content_type=_TWIML_TYPE)


def _all_languages() -> tuple[str, ...]:
    """Before the caller's language is known: every supported language, each in turn."""
    return tuple(LANGUAGES)


def _apology(key: str, languages: Sequence[str], status: int = 200) -> Response:
    return _twiml(render_apology([(render(Line(key), lang), lang) for lang in languages]), status)


def _caller_language() -> tuple[str, ...]:
    """The language of the call from the action URL (``lang``), else every language."""
    lang = request.args.get("lang", "")
    return (lang,) if lang in LANGUAGES else _all_languages()


def _renderer(turn: flow.Turn, said: list[tuple[str, str]], step: int, setup: VoiceSetup) -> str:
    # An absolute path: Twilio resolves it against the URL it requested.
    callback = _recording_callback() if setup.start_recording else None
    return render_turn(turn, said, f"/voice/gather?lang={turn.language}&step={step + 1}", setup, callback)


def _recording_callback() -> str:
    """The absolute URL of ``/voice/recording`` as Twilio reaches it (PUBLIC_BASE_URL when set)."""
    base = current_app.config["SETTINGS"].public_base_url
    return f"{base}/voice/recording" if base else url_for("voice.recording", _external=True)


def _hold_url(retry: int) -> str | None:
    """This request's own path and query with ``retry`` set to ``retry + 1``, or None once
    HOLD_RETRIES were spent."""
    if retry >= HOLD_RETRIES:
        return None
    args = {k: v for k, v in request.args.items() if k != "retry"}
    return f"{request.path}?{urlencode({**args, 'retry': retry + 1})}"


def _answer(call_sid: str, action: Callable, languages: Sequence[str], retry: int, orm: bool = True,
            autocommit_first: bool = False) -> Response:
    """Run ``action(session)`` as one unit of work (``orm=False``: ``action(connection)``;
    ``autocommit_first``: see ``UnitOfWork.run``) and answer its TwiML. When it cannot
    complete (the database down or locked past the retries, anything unexpected), nothing is
    stored and the call is held (``sorry_hold`` and a ``<Redirect>`` to this webhook,
    :func:`_hold_url`) while ``retry`` (the times Twilio already came back) is under
    HOLD_RETRIES; then the caller hears ``sorry_busy`` and the call ends."""
    try:
        return _twiml(current_app.extensions["container"].uow.run(action, orm=orm,
                                                                   autocommit_first=autocommit_first))
    except (calls.UnknownCall, calls.UnknownNumber):
        raise
    except Exception as exc:
        again = _hold_url(retry)
        log.exception("call %s: %s could not complete (%s); %s", call_sid, request.path, type(exc).__name__,
                      f"the caller is held, Twilio comes back ({retry + 1} of {HOLD_RETRIES})" if again
                      else f"the caller hears an apology and the call ends after {retry} retries")
        if again is None:
            return _apology("sorry_busy", languages)
        return _twiml(render_hold([(render(Line("sorry_hold"), lang), lang) for lang in languages], again,
                                  HOLD_PAUSE_S))


def _refused(exc: fields.InvalidTwilioRequest, languages: Sequence[str]) -> Response:
    """A request that cannot be Twilio's: 400 with the reason logged (the apology as body)."""
    log.warning("%s refused (400): %s", request.path, exc)
    return _apology("sorry_lost", languages, 400)


def _note_dropped(clean: fields.TwilioFields) -> None:
    fields.log_dropped(clean, request.path)


@bp.post("/inbound")
@require_twilio_signature
def inbound():
    try:
        clean = fields.voice_inbound(request.form, request.args)
    except fields.InvalidTwilioRequest as exc:
        return _refused(exc, _all_languages())
    _note_dropped(clean)
    call = calls.InboundCall(call_sid=clean.call_sid, from_number=clean.from_number or "",
                             to_number=clean.to_number, forwarded_from=clean.forwarded_from, source=clean.source)
    try:
        return _answer(call.call_sid, lambda c: calls.start_call(c, call, _renderer), _all_languages(), clean.retry,
                       orm=False)
    except calls.UnknownNumber as exc:
        log.warning("call to %s: no receptionist has this number%s", mask(call.to_number),
                    " (an SMS screening agent's: the caller is told to text it)" if exc.by_text else "")
        return _apology("sorry_text_only" if exc.by_text else "sorry_unknown_number", _all_languages())


def _event(clean: fields.GatherFields) -> flow.Event:
    """The caller's input: Digits, else SpeechResult with its Confidence (None when Twilio
    sent none, or a malformed one: then it triggers no read-back), else silence; no input on
    our own ``<Redirect>`` after a failure (``retry``) asks the question again."""
    if clean.digits:
        return flow.Digits(clean.digits)
    if clean.speech:
        return flow.Speech(clean.speech, clean.confidence)
    return flow.Repeat() if clean.retry else flow.Silence()


@bp.post("/gather")
@require_twilio_signature
def gather():
    languages = _caller_language()
    try:
        clean = fields.voice_gather(request.form, request.args)
    except fields.InvalidTwilioRequest as exc:
        return _refused(exc, languages)
    _note_dropped(clean)
    call_sid, step, event = clean.call_sid, clean.step, _event(clean)
    try:
        return _answer(call_sid, lambda c: calls.answer_prompt(c, call_sid, step, event, _renderer), languages,
                       clean.retry, orm=False, autocommit_first=True)
    except calls.UnknownCall:
        log.warning("gather for unknown call %s", call_sid)
        return _apology("sorry_lost", languages)


@bp.post("/status")
@require_twilio_signature
def status():
    clean = fields.voice_status(request.form)  # InvalidTwilioRequest: 400 (the app's error handler)
    _note_dropped(clean)
    call_sid = clean.call_sid
    try:
        current_app.extensions["container"].uow.run(
            lambda c: calls.end_call(c, call_sid, clean.call_status, clean.call_duration_s), orm=False,
            autocommit_first=True)
    except calls.UnknownCall:
        log.info("status callback for unknown call %s", call_sid)
    except Exception:  # nobody is listening: say so to Twilio's debugger, keep the process serving
        log.exception("call %s: the status callback could not be stored", call_sid)
        return Response("Temporarily unable to store the call status.", status=503, mimetype="text/plain")
    return Response(status=204)


@bp.post("/recording")
@require_twilio_signature
def recording():
    """Twilio's recording status callback: the recording is referenced on the conversation.
    204 when stored (or for an unknown call: nothing to store, no retry wanted), 503 when
    it cannot be stored now (Twilio's debugger shows it)."""
    clean = fields.recording_status(request.form)  # InvalidTwilioRequest: 400 (the app's error handler)
    _note_dropped(clean)
    try:
        current_app.extensions["container"].uow.run(lambda s: calls.store_recording(
            s, clean.call_sid, clean.recording_sid, clean.recording_url, clean.recording_duration_s,
            clean.recording_status))
    except calls.UnknownCall:
        log.info("recording callback for unknown call %s", clean.call_sid)
    except Exception:
        log.exception("call %s: the recording callback could not be stored", clean.call_sid)
        return Response("Temporarily unable to store the recording.", status=503, mimetype="text/plain")
    return Response(status=204)
