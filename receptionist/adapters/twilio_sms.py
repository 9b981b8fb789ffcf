"""Outbound SMS through Twilio's REST API (twilio's ``Client``).

Source: Twilio API reference, "Message resource" / "Create a Message":
``POST /2010-04-01/Accounts/{AccountSid}/Messages.json``, form-encoded ``To`` (required),
``From``, ``Body``, ``StatusCallback`` (a URI); answers 201 with the Message (``sid`` "SM...",
``status`` "queued" or "accepted"). Errors are JSON ``{"code", "message", "more_info",
"status"}`` with a Twilio error code, e.g. 21211 (invalid ``To``), 21610 (recipient replied
STOP), 21408 (region not enabled); see twilio.com/docs/api/errors.

Only RQ jobs call this (webhooks never wait on Twilio); ``SendError.retryable`` tells the job
whether to retry or to record a permanent failure.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

TIMEOUT_S = 10.0  # connect and read; twilio's default is no timeout at all


def make_client(account_sid: str, auth_token: str, api_base_url: str | None = None) -> Client:
    """A twilio ``Client`` with a ``TIMEOUT_S`` HTTP timeout.

    ``api_base_url`` (e.g. ``"http://127.0.0.1:4010"``, a mock in tests) replaces
    ``https://api.twilio.com`` for the Api domain, which serves Messages.
    """
    client = Client(account_sid, auth_token, http_client=TwilioHttpClient(timeout=TIMEOUT_S))
    if api_base_url:
        # Domain.absolute_url() reads base_url on every request, so overriding it is enough.
        client.api.base_url = api_base_url.rstrip("/")
        # TWILIO_EDGE/TWILIO_REGION from the environment would rewrite the host; not here.
        client.edge = client.region = None
    return client


@dataclass(frozen=True)
class SendResult:
    sid: str  # "SM" + 32 hex digits
    status: str  # Message status at creation: "queued" (or "accepted" via a Messaging Service)


class SendError(Exception):
    """Sending failed.

    ``code``: Twilio error code (21610, 21211, ...) or None (network error, or none given);
    ``status``: HTTP status or None (no answer); ``retryable``: True for network errors,
    timeouts, 429 and 5xx (the same request may succeed later), False for other 4xx.
    """

    def __init__(self, message: str, *, code: int | None, status: int | None, retryable: bool):
        super().__init__(message)
        self.code = code
        self.status = status
        self.retryable = retryable


def send_sms(client: Client, *, to: str, from_: str, body: str,
             status_callback: str | None) -> SendResult:
    """Create an outbound Message (E.164 ``to`` and ``from_``); Twilio POSTs delivery updates
    to ``status_callback`` when given. Returns the new Message's sid and status; raises
    ``SendError``.
    """
    try:
        message = client.messages.create(to=to, from_=from_, body=body,
                                         status_callback=status_callback)
    except (TwilioRestException, TwilioServiceException) as exc:
        status = exc.status
        # twilio fills ``code`` with the HTTP status when the body has none: not a Twilio code.
        code = exc.code if exc.code != status else None
        retryable = status is None or status == 429 or status >= 500
        # "from None": Twilio's message text can quote the phone number, and job logs
        # must not carry it; code and status say what went wrong.
        raise SendError(f"Twilio refused the message: HTTP {status}, error {code}",
                        code=code, status=status, retryable=retryable) from None
    except requests.RequestException as exc:  # refused, reset, DNS, timeout: try again later
        raise SendError(f"Twilio unreachable: {type(exc).__name__}",
                        code=None, status=None, retryable=True) from exc
    return SendResult(sid=message.sid, status=message.status)


RECENT_MESSAGES = 20  # how many of the newest texts from one number to another are looked through


def find_sent(client: Client, *, to: str, from_: str, body: str, since: dt.datetime) -> SendResult | None:
    """The Message Twilio created from ``from_`` to ``to`` with exactly ``body`` at or after
    ``since`` (UTC), among the newest RECENT_MESSAGES between them; None when there is none.
    Raises ``SendError`` (retryable for a network error, 429 or 5xx).

    Source: Twilio API reference, "Read multiple Message resources":
    ``GET /2010-04-01/Accounts/{AccountSid}/Messages.json?To=..&From=..``, newest first. Not
    ``DateSent>``: it filters by whole days, and a text still queued has no ``date_sent``."""
    try:
        for message in client.messages.list(to=to, from_=from_, limit=RECENT_MESSAGES):
            if message.body == body and message.date_created is not None and message.date_created >= since:
                return SendResult(sid=message.sid, status=message.status)
    except TwilioException as exc:  # a list page's error is a bare TwilioException(text, response)
        response = exc.args[1] if len(exc.args) > 1 else None
        status = getattr(exc, "status", None) or getattr(response, "status_code", None)
        raise SendError(f"Twilio refused the message list: HTTP {status}", code=None, status=status,
                        retryable=status is None or status == 429 or status >= 500) from None
    except requests.RequestException as exc:
        raise SendError(f"Twilio unreachable: {type(exc).__name__}", code=None, status=None, retryable=True) from exc
    return None


# Twilio's Message status values (Twilio, "Outbound Message Status in Status Callbacks" and the
# Message resource's ``status`` enum in its OpenAPI description), ranked by how far along a text
# is: a status callback only moves a row forward (callbacks may arrive out of order). failed and
# undelivered are final except for delivered (a carrier's late receipt is the better truth);
# a WhatsApp "read" adds nothing over delivered. receiving/received are inbound-only: not here.
MESSAGE_STATUS_RANK = {
    "accepted": 0, "scheduled": 0,   # a Messaging Service has it, not yet queued
    "queued": 1, "sending": 1,
    "sent": 2, "partially_delivered": 2,
    "undelivered": 3, "failed": 3, "canceled": 3,
    "delivered": 4, "read": 4,
}
