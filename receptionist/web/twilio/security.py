"""Twilio webhook signature checks (``X-Twilio-Signature``).

Source: Twilio, "Webhooks security" — the signature is an HMAC of the full URL Twilio
requested plus the sorted POST parameters, keyed with the account's auth token.
"""
from __future__ import annotations

import functools
import logging

from flask import abort, current_app, request
from twilio.request_validator import (SIGNATURE_SETTINGS_HEADER, RequestValidator,
                                      get_signature_algorithm)

log = logging.getLogger(__name__)


def public_url() -> str:
    """The URL Twilio requested: ``PUBLIC_BASE_URL`` + path and query when configured
    (behind a proxy or tunnel the request URL seen here differs), else the request URL."""
    base = current_app.config["SETTINGS"].public_base_url
    if base:
        return base + request.full_path.rstrip("?")
    return request.url


def require_twilio_signature(view):
    """Decorator: 403 (and nothing stored) unless the request carries a valid Twilio signature."""

    @functools.wraps(view)
    def checked(*args, **kwargs):
        signature = request.headers.get("X-Twilio-Signature", "")
        validator = RequestValidator(current_app.config["SETTINGS"].twilio_auth_token)
        algorithm = get_signature_algorithm(request.headers.get(SIGNATURE_SETTINGS_HEADER))
        if not signature or not validator.validate(public_url(), request.form, signature, algorithm):
            log.warning("rejected %s: %s Twilio signature", request.path,
                        "missing" if not signature else "invalid")
            abort(403, description="Invalid or missing X-Twilio-Signature.")
        return view(*args, **kwargs)

    return checked
