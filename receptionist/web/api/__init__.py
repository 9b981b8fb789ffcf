"""The recruiter API under ``/v4``: a key (``X-API-KEY``) belongs to one company and sees and
changes only that company's agents, candidates and conversations.

Every request but ``GET /v4/openapi.json`` needs a live key (else 401), is counted against
the key's per-minute limit (429 with ``Retry-After``; ``adapters.rate_limit``), then runs its
operation (``spec.operation``) in one transaction. The use cases' errors map to HTTP here:
NotFound 404 (another company's id answers the same as an unknown one), Invalid 422 naming
the field, Conflict 409; a body that is not JSON 400. Every error is
``{"object": "error", "data": {"type", "message", "field"}}``.
"""
from __future__ import annotations

import logging

from flask import Blueprint, Flask, current_app, g, jsonify, request
from werkzeug.exceptions import HTTPException

from ...adapters import queue
from ...adapters.rate_limit import FixedWindowLimiter
from ...services import api_keys
from ...services.errors import Conflict, Invalid, NotFound
from .spec import PREFIX, BadRequest, document

log = logging.getLogger(__name__)
bp = Blueprint("api", __name__, url_prefix=PREFIX)
PUBLIC = {"api.openapi"}


def error(status: int, type_: str, message: str, field: str | None = None, headers: dict | None = None):
    """The API's error answer."""
    response = jsonify(object="error", data={"type": type_, "message": message, "field": field})
    response.status_code = status
    response.headers.update(headers or {})
    return response


@bp.before_request
def authenticate():
    if request.endpoint in PUBLIC:
        return None
    container = current_app.extensions["container"]
    key = request.headers.get("X-API-KEY")
    found = container.uow.run(lambda s: _key_facts(api_keys.authenticate(s, key)))
    if found is None:
        return error(401, "unauthorized", "send a valid API key in the X-API-KEY header")
    g.api_key_id, g.company_id, prefix = found
    verdict = _limiter(current_app).hit(f"api-key:{prefix}")  # random, unlike an id a restored database reuses
    if not verdict.allowed:
        return error(429, "rate_limited", f"more than {container.settings.api_rate_limit_per_min} requests "
                     "a minute with this key", headers={"Retry-After": str(verdict.retry_after_s)})
    return None


def _key_facts(key):
    return None if key is None else (key.id, key.company_id, key.prefix)


def _limiter(app: Flask) -> FixedWindowLimiter:
    limiter = app.extensions.get("api_rate_limiter")
    if limiter is None:
        settings = app.extensions["container"].settings
        limiter = app.extensions["api_rate_limiter"] = FixedWindowLimiter(
            lambda: queue.connection(settings), settings.api_rate_limit_per_min)
    return limiter


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI document (no key needed: it holds no company's data)."""
    return jsonify(document())


@bp.errorhandler(NotFound)
def not_found(exc):
    return error(404, "not_found", str(exc))


@bp.errorhandler(Invalid)
def invalid(exc: Invalid):
    return error(422, "invalid_request", exc.message, exc.field)


@bp.errorhandler(Conflict)
def conflict(exc):
    return error(409, "conflict", str(exc))


@bp.errorhandler(BadRequest)
def bad_request(exc):
    return error(400, "bad_request", str(exc))


def _http_error(exc: HTTPException):
    """Routing errors under /v4 (no such path, method, a body too large) answer in JSON too;
    None elsewhere (``make_flask``'s renderers)."""
    if not request.path.startswith(PREFIX + "/") and request.path != PREFIX:
        return None
    kind = {404: "not_found", 401: "unauthorized", 405: "bad_request"}.get(exc.code or 400, "bad_request")
    response = error(exc.code or 400, kind, exc.description or exc.name)
    if exc.code == 405 and exc.valid_methods:
        response.headers["Allow"] = ", ".join(exc.valid_methods)
    return response


def register(app: Flask) -> None:
    """Attach the API and its routes to ``app``."""
    from . import routes  # noqa: F401  (registers the operations on bp)
    app.register_blueprint(bp)
    app.extensions["http_error_renderers"].append(_http_error)
