"""``POST /sms/inbound``: Twilio's messaging webhook for every agent's number.

Point each number's "A message comes in" webhook at ``{PUBLIC_BASE_URL}/sms/inbound``.
Replies are TwiML (twilio's ``MessagingResponse``); texts sent later go through the outbox.
"""
from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app, request
from twilio.twiml.messaging_response import MessagingResponse

from receptionist.web.twilio.security import require_twilio_signature

from .inbound import InboundText, handle_text

log = logging.getLogger(__name__)
bp = Blueprint("sms", __name__, url_prefix="/sms")
MAX_MEDIA = 10  # Twilio delivers at most 10 media items per MMS


def render_reply(texts: list[str]) -> str:
    """TwiML answering with one ``<Message>`` per text (none: an empty ``<Response/>``)."""
    response = MessagingResponse()
    for text in texts:
        if text:
            response.message(text)
    return str(response)


def _inbound_text() -> InboundText:
    form = request.form
    try:
        num_media = min(int(form.get("NumMedia") or 0), MAX_MEDIA)
    except ValueError:
        num_media = 0
    media = tuple(url for i in range(num_media) if (url := form.get(f"MediaUrl{i}")))
    return InboundText(message_sid=form.get("MessageSid") or form.get("SmsMessageSid") or "",
                       from_number=form.get("From", ""), to_number=form.get("To", ""), body=form.get("Body", ""),
                       media_urls=media, opt_out_type=form.get("OptOutType") or None)


@bp.post("/inbound")
@require_twilio_signature
def inbound():
    text = _inbound_text()
    if not text.message_sid:
        return Response("MessageSid is required", status=400, mimetype="text/plain")
    container = current_app.extensions["container"]
    expires_after = container.settings.sms_expires_after_s
    try:
        twiml = container.uow.run(lambda session: handle_text(session, text, render_reply, expires_after))
    except Exception:
        # Nothing was stored: an empty answer now, and Twilio's retry (or the candidate's next
        # text) is processed in full later; an error page would only reach Twilio's debugger.
        log.exception("text %s: the webhook could not complete; answered empty", text.message_sid)
        return Response(render_reply([]), mimetype="text/xml")
    return Response(twiml, mimetype="text/xml")
