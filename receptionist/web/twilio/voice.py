"""Twilio Voice webhooks: ``/voice/inbound``, ``/voice/gather``, ``/voice/status``.

Point the Twilio number's "A call comes in" webhook at ``POST {PUBLIC_BASE_URL}/voice/inbound``
(optionally ``?source=ivr`` or any label) and "Call status changes" at ``/voice/status``.
Handlers only touch the database; form fields are Twilio's (Twilio, "Twilio's request to
your application": CallSid, From, To, ForwardedFrom, SpeechResult, Confidence, Digits, CallStatus).
"""
from __future__ import annotations

import logging

from flask import Blueprint, Response, request

from receptionist.adapters.twiml import render_apology, render_turn
from receptionist.engine import flow
from receptionist.services import calls
from .security import require_twilio_signature
from .transactions import in_transaction

log = logging.getLogger(__name__)
bp = Blueprint("voice", __name__, url_prefix="/voice")

SORRY_UNKNOWN_NUMBER = "Sorry, this number is not taking calls right now. Please try again later. Goodbye."
SORRY_LOST = "Sorry, we lost track of this call. Please call again. Goodbye."
SORRY_BUSY = "Sorry, we are having a problem right now. Please call again in a few minutes. Goodbye."


def _twiml(xml: str, status: int = 200) -> Response:
    return Response(xml, status=status, mimetype="text/xml")


def _renderer(turn: flow.Turn, texts: list[str], step: int, voice: str | None) -> str:
    # An absolute path: Twilio resolves it against the URL it requested.
    return render_turn(turn, texts, f"/voice/gather?step={step + 1}", voice)


@bp.post("/inbound")
@require_twilio_signature
def inbound():
    form = request.form
    call = calls.InboundCall(
        call_sid=form.get("CallSid", ""), from_number=form.get("From", ""), to_number=form.get("To", ""),
        forwarded_from=form.get("ForwardedFrom") or None, source=request.args.get("source") or None)
    if not call.call_sid:
        return _twiml(render_apology(SORRY_LOST), 400)
    try:
        return _twiml(in_transaction(lambda s: calls.start_call(s, call, _renderer)))
    except calls.UnknownNumber:
        log.warning("call to %s: no receptionist has this number", call.to_number)
        return _twiml(render_apology(SORRY_UNKNOWN_NUMBER))


def _event() -> flow.Event:
    """The caller's input from the gather's form: Digits, else SpeechResult, else silence."""
    digits = (request.form.get("Digits") or "").strip()
    if digits:
        return flow.Digits(digits)
    speech = (request.form.get("SpeechResult") or "").strip()
    if speech:
        try:
            confidence = float(request.form.get("Confidence") or 1.0)
        except ValueError:
            confidence = 1.0
        return flow.Speech(speech[:1000], min(max(confidence, 0.0), 1.0))
    return flow.Silence()


@bp.post("/gather")
@require_twilio_signature
def gather():
    call_sid = request.form.get("CallSid", "")
    step = request.args.get("step", type=int)
    if not call_sid or step is None:
        return _twiml(render_apology(SORRY_LOST), 400)
    event = _event()
    try:
        return _twiml(in_transaction(lambda s: calls.answer_prompt(s, call_sid, step, event, _renderer)))
    except calls.UnknownCall:
        log.warning("gather for unknown call %s", call_sid)
        return _twiml(render_apology(SORRY_LOST))


@bp.post("/status")
@require_twilio_signature
def status():
    call_sid = request.form.get("CallSid", "")
    if not call_sid:
        return Response("CallSid is required", status=400, mimetype="text/plain")
    try:
        in_transaction(lambda s: calls.end_call(s, call_sid, request.form.get("CallStatus", ""),
                                                 request.form.get("CallDuration")))
    except calls.UnknownCall:
        log.info("status callback for unknown call %s", call_sid)
    return Response(status=204)
