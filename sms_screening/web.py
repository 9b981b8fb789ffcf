"""``POST /sms/inbound``: Twilio's messaging webhook for every agent's number.

Point each number's "A message comes in" webhook at ``{PUBLIC_BASE_URL}/sms/inbound``.
Replies are TwiML (twilio's ``MessagingResponse``); texts sent later go through the outbox.
"""
from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app, request
from twilio.twiml.messaging_response import MessagingResponse

from receptionist.web.twilio import fields
from receptionist.web.twilio.security import require_twilio_signature

from .inbound import InboundText, handle_text

log = logging.getLogger(__name__)
bp = Blueprint("sms", __name__, url_prefix="/sms")


def render_reply(texts: list[str]) -> str:
    """TwiML answering with one ``<Message>`` per text (none: an empty ``<Response/>``)."""
    response = MessagingResponse()
    for text in texts:
        if text:
            response.message(text)
    return str(response)


@bp.post("/inbound")
@require_twilio_signature
def inbound():
    clean = fields.sms_inbound(request.form)  # InvalidTwilioRequest: 400 (the app's error handler)
    fields.log_dropped(clean, request.path)
    text = InboundText(message_sid=clean.message_sid, from_number=clean.from_number, to_number=clean.to_number,
                       body=clean.body, media_urls=clean.media_urls, opt_out_type=clean.opt_out_type)
    container = current_app.extensions["container"]
    expires_after = container.settings.sms_expires_after_s
    try:
        twiml = container.uow.run(lambda c: handle_text(c, text, render_reply, expires_after), orm=False)
    except Exception:
        # Nothing was stored: an empty answer now, and Twilio's retry (or the candidate's next
        # text) is processed in full later; an error page would only reach Twilio's debugger.
        log.exception("text %s: the webhook could not complete; answered empty", text.message_sid)
        return Response(render_reply([]), mimetype="text/xml")
    return Response(twiml, mimetype="text/xml")
