"""Twilio webhook signature checks (``X-Twilio-Signature``).

Source: Twilio, "Webhooks security" — the signature is an HMAC of the full URL Twilio
requested plus the sorted POST parameters, keyed with the account's auth token. The URL is
the one Twilio put on the wire, percent-encoding included (``?source=caf%C3%A9``, ``%2F``),
so it is taken from the raw request URI, not rebuilt from the decoded path and query.
"""
from __future__ import annotations

import functools
import logging
from typing import Mapping
from urllib.parse import quote, urlsplit

from flask import abort, current_app, request
from twilio.request_validator import (SIGNATURE_SETTINGS_HEADER, RequestValidator, compare,
                                      get_signature_algorithm)

log = logging.getLogger(__name__)

# The WSGI environ key of twilio's signature settings header (X-Twilio-Webhooks-Signature-Settings).
_SETTINGS_KEY = "HTTP_" + SIGNATURE_SETTINGS_HEADER.upper().replace("-", "_")

# Characters left as they are when a decoded path must be encoded again (RFC 3986 pchar).
_PATH_SAFE = "/:@!$&'()*+,;=-._~"


def _from_wsgi(value: str) -> str:
    """PEP 3333 hands URI parts over as bytes decoded as latin-1; undo that (UTF-8)."""
    try:
        return value.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value


def received_uri(environ: Mapping[str, object], within_app: bool = False) -> str:
    """The path and query exactly as the client sent them, e.g.
    ``/voice/inbound?source=caf%C3%A9``; with ``within_app``, without the app's mount point
    (``SCRIPT_NAME``), i.e. relative to the app root.

    Read from ``REQUEST_URI`` (set by waitress, Werkzeug's server and test client, uWSGI,
    mod_wsgi) or ``RAW_URI`` (gunicorn); an absolute-form target (``POST http://host/x``)
    gives its path and query. A server setting neither: the decoded ``SCRIPT_NAME`` +
    ``PATH_INFO`` encoded again (only an encoded ``%2F`` in the path is then lost) and
    ``QUERY_STRING``, which PEP 3333 leaves undecoded.
    """
    root = quote(_from_wsgi(str(environ.get("SCRIPT_NAME", ""))), safe=_PATH_SAFE).rstrip("/")
    raw = environ.get("REQUEST_URI") or environ.get("RAW_URI")
    if raw:
        uri = _from_wsgi(str(raw))
        if not uri.startswith("/"):
            parts = urlsplit(uri)
            uri = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    else:
        path = quote(_from_wsgi(str(environ.get("PATH_INFO", ""))), safe=_PATH_SAFE)
        query = _from_wsgi(str(environ.get("QUERY_STRING", "")))
        uri = root + (path or "/") + (f"?{query}" if query else "")
    if within_app and root and uri.startswith(root) and uri[len(root):len(root) + 1] in ("", "/", "?"):
        uri = uri[len(root):]
        uri = uri if uri.startswith("/") else "/" + uri
    return uri


def public_url(req=None, settings=None) -> str:
    """The URL Twilio requested and signed: ``PUBLIC_BASE_URL`` (the app root as Twilio sees
    it, behind a proxy or tunnel) + the received path and query within the app when
    configured, else this request's scheme and host + the received path and query.
    ``req``, ``settings``: the current request and the app's settings, when the caller holds them."""
    req = req if req is not None else request._get_current_object()
    base = (settings or current_app.config["SETTINGS"]).public_base_url
    if base:
        return base.rstrip("/") + received_uri(req.environ, within_app=True)
    return f"{req.scheme}://{req.host}" + received_uri(req.environ)


@functools.lru_cache(maxsize=4)
def _validator(auth_token: str) -> RequestValidator:
    return RequestValidator(auth_token)


def signature_valid(auth_token: str, url: str, params: Mapping[str, str], signature: str,
                    algorithm: str | None) -> bool:
    """Whether ``signature`` (``X-Twilio-Signature``) signs ``url`` and ``params`` with
    ``auth_token``, by twilio's ``RequestValidator``.

    ``validate`` always computes two HMACs, over the URL without and with its default port
    ("sig generation on back end is inconsistent"); the URL exactly as Twilio requested it
    is nearly always the one signed, so its HMAC alone is checked first (constant-time, with
    twilio's ``compare``), and ``validate`` with its variants runs only when it differs."""
    validator = _validator(auth_token)
    try:
        if compare(validator.compute_signature(url, params, algorithm), signature):
            return True
    except ValueError:  # an algorithm twilio does not know: validate refuses it and logs why
        pass
    return validator.validate(url, params, signature, algorithm)


def require_twilio_signature(view):
    """Decorator: 403 (and nothing stored) unless the request carries a valid Twilio signature."""

    @functools.wraps(view)
    def checked(*args, **kwargs):
        # The request and the settings looked up once (each LocalProxy lookup costs a context
        # variable and a few calls), the headers read from the environ (WSGI's HTTP_* keys:
        # no Headers view built for two values).
        req = request._get_current_object()
        environ = req.environ
        signature = environ.get("HTTP_X_TWILIO_SIGNATURE", "")
        algorithm = get_signature_algorithm(environ.get(_SETTINGS_KEY))
        settings = current_app.config["SETTINGS"]
        if not signature or not signature_valid(settings.twilio_auth_token, public_url(req, settings), req.form,
                                                signature, algorithm):
            log.warning("rejected %s: %s Twilio signature", req.path,
                        "missing" if not signature else "invalid")
            abort(403, description="Invalid or missing X-Twilio-Signature.")
        return view(*args, **kwargs)

    return checked
