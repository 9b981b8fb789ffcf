"""The Flask object: configuration, logging and ``/healthz``. Blueprints and commands are
registered by the composition root (``receptionist.bootstrap.create_app``)."""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from flask import Flask, Response, jsonify, request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.exceptions import HTTPException

from .form_request import FormRequest

if TYPE_CHECKING:
    from ..bootstrap import Container

log = logging.getLogger(__name__)
MAX_REQUEST_BYTES = 256 * 1024  # Twilio webhooks are small; refuse floods


class _CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions (the recruiter pages'), opened without building the
    cookie signer when the request carries no session cookie, as no Twilio webhook does:
    Flask opens a session for every request, and the signer is a new object each time."""

    def open_session(self, app, request):
        # No Cookie header at all (every Twilio webhook): skip parsing the headers for cookies.
        if app.secret_key and ("HTTP_COOKIE" not in request.environ
                               or not request.cookies.get(self.get_cookie_name(app))):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app, session, response):
        # Never read nor written (every Twilio webhook): Flask would read seven cookie settings
        # to then set no cookie and no Vary header.
        if session or session.modified or session.accessed:
            super().save_session(app, session, response)


def make_flask(container: "Container") -> Flask:
    """A Flask app holding ``container`` (``app.extensions["container"]``; its database also
    as ``app.extensions["db"]``, its settings as ``app.config["SETTINGS"]``)."""
    settings = container.settings
    app = Flask("receptionist", instance_path=str(settings.instance_path))
    app.config["SETTINGS"] = settings
    app.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    app.session_interface = _CookieSessions()
    app.request_class = FormRequest
    app.extensions["container"] = container
    app.extensions["db"] = container.database
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        logging.getLogger("httpx").setLevel(logging.WARNING)  # the simulators' client: a line per request is noise

    from .twilio.fields import InvalidTwilioRequest

    # An HTTP error outside any view (no such path, a method not allowed, a body too large)
    # has no blueprint to answer it: each part that can say it better (the API in JSON, the
    # recruiter pages as a page) adds a renderer here; the first that answers wins.
    app.extensions["http_error_renderers"] = []

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        for render in app.extensions["http_error_renderers"]:
            response = render(exc)
            if response is not None:
                return response
        return exc

    @app.errorhandler(InvalidTwilioRequest)
    def refused(exc: InvalidTwilioRequest):
        """A request that cannot be Twilio's: 400 with the one-line reason (never the value)."""
        log.warning("%s refused (400): %s", request.path, exc)
        return Response(str(exc), status=400, mimetype="text/plain")

    @app.get("/healthz")
    def healthz():
        """Each component's state (``services.health``), every probe bounded (~2 s in all):
        200 ``{"status": "ok" | "degraded", "checks": [...]}``, or 503 ``"down"`` when a
        critical component (the database) fails: a load balancer should then send traffic
        elsewhere. Redis, worker, cron and outbox problems are "degraded" and keep 200."""
        from ..services import health

        checks = health.check(container)
        status = "ok" if health.healthy(checks) else "degraded" if health.healthy(checks, critical_only=True) else "down"
        return jsonify(status=status, checks=[c.as_dict() for c in checks]), 503 if status == "down" else 200

    return app
