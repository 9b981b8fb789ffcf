"""Twilio's status callback for the texts we send: ``POST /sms/status``.

The sender job passes ``StatusCallback={PUBLIC_BASE_URL}/sms/status`` when it creates each
Message, so nothing needs configuring in the Twilio Console. Form fields (Twilio, "Outbound
Message Status in Status Callbacks" and "Messaging webhooks"): ``MessageSid``,
``MessageStatus`` (queued, sending, sent, delivered, undelivered, failed; accepted, scheduled,
canceled with a Messaging Service; read for WhatsApp), ``ErrorCode`` on failed and
undelivered (e.g. 30003 unreachable handset). Twilio sends no callback for the initial
status, and callbacks may arrive out of order: the row's status only moves forward.

Answers: 204 (also for an unknown MessageSid or status: there is nothing for Twilio to
retry), 400 without ``MessageSid``, 403 on a bad signature.
"""
from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app, request

from receptionist.services.outbox import record_delivery_status
from . import fields
from .security import require_twilio_signature

log = logging.getLogger(__name__)
bp = Blueprint("sms_status", __name__, url_prefix="/sms")


@bp.post("/status")
@require_twilio_signature
def status():
    clean = fields.sms_status(request.form)  # InvalidTwilioRequest: 400 (the app's error handler)
    sid, twilio_status, error_code = clean.message_sid, clean.message_status, clean.error_code
    outcome = current_app.extensions["container"].uow.run(  # one UPDATE: on PostgreSQL no BEGIN/COMMIT
        lambda session: record_delivery_status(session, sid, twilio_status, error_code), autocommit_first=True)
    if outcome == "unknown-sid":
        log.info("status callback for unknown MessageSid %s (%s); ignored", sid, twilio_status)
    elif outcome == "unknown-status":
        log.warning("status callback for %s with unexpected MessageStatus %r; ignored", sid, twilio_status)
    elif outcome == "unchanged":
        log.info("status callback for %s: %s is not newer than the stored status; ignored", sid, twilio_status)
    return Response(status=204)
