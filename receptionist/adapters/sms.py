"""Sending texts: the :class:`SmsSender` contract, Twilio's implementation and the development one.

Jobs receive a sender (``bootstrap`` picks it from the settings); they never build a client
or read the environment themselves.
"""
from __future__ import annotations

import datetime as dt
import logging
import uuid
from typing import Protocol

from ..phones import mask
from .twilio_sms import SendError, SendResult, find_sent, make_client, send_sms

log = logging.getLogger(__name__)

__all__ = ["SmsSender", "TwilioSmsSender", "LogSmsSender", "SendError", "SendResult"]


class SmsSender(Protocol):
    """Hands one text to the carrier side.

    ``send`` returns the provider's id and first status (Twilio: "SM..." and "queued"), and
    raises :class:`SendError` (``retryable`` tells whether the same request may succeed later).
    """

    def send(self, *, to: str, from_: str, body: str, purpose: str) -> SendResult: ...

    def find_sent(self, *, to: str, from_: str, body: str, since: dt.datetime) -> SendResult | None:
        """The text with ``body`` from ``from_`` to ``to`` the provider took at or after
        ``since`` (UTC), or None: asked before sending again a text whose job died mid-send.
        Raises :class:`SendError` like ``send``."""


class TwilioSmsSender:
    """Texts through Twilio's REST API (``POST /2010-04-01/Accounts/{AccountSid}/Messages.json``),
    each with ``StatusCallback={public_base_url}/sms/status`` when a public URL is known."""

    def __init__(self, account_sid: str, auth_token: str, *, public_base_url: str | None = None,
                 api_base_url: str | None = None):
        self.client = make_client(account_sid, auth_token, api_base_url)
        self.status_callback = f"{public_base_url}/sms/status" if public_base_url else None

    def send(self, *, to: str, from_: str, body: str, purpose: str) -> SendResult:
        return send_sms(self.client, to=to, from_=from_, body=body, status_callback=self.status_callback)

    def find_sent(self, *, to: str, from_: str, body: str, since: dt.datetime) -> SendResult | None:
        return find_sent(self.client, to=to, from_=from_, body=body, since=since)


class LogSmsSender:
    """Development: nothing leaves the machine. Logs that a text would go out (recipient
    masked; the body only as its length, unless ``log_bodies``) and returns a fake "SMdev..." id.
    The text simulator shows the texts themselves, read from the outbox."""

    def __init__(self, log_bodies: bool = False):
        self.log_bodies = log_bodies

    def send(self, *, to: str, from_: str, body: str, purpose: str) -> SendResult:
        shown = body if self.log_bodies else f"[{len(body)} characters]"
        log.info("SMS (development, not sent) %s to %s from %s: %s", purpose, mask(to), mask(from_), shown)
        return SendResult(sid="SMdev" + uuid.uuid4().hex, status="sent")

    def find_sent(self, *, to: str, from_: str, body: str, since: dt.datetime) -> SendResult | None:
        return None  # nothing left the machine: sending again only logs it again
