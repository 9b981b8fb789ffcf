"""The Flask application factory."""
from __future__ import annotations

import logging

from flask import Flask, jsonify

from ..adapters.db import Database
from ..settings import Settings


def create_app(settings: Settings | None = None) -> Flask:
    """Build the app from ``settings`` (default: the environment). Registers the webhooks,
    a ``/healthz`` check and the CLI commands (``db upgrade``, ``load-company``, ``call``, ``serve``)."""
    settings = settings or Settings.from_env()
    app = Flask("receptionist", instance_path=str(settings.instance_path))
    app.config["SETTINGS"] = settings
    app.config["MAX_CONTENT_LENGTH"] = 256 * 1024  # Twilio webhooks are small; refuse floods
    app.extensions["db"] = Database(settings.database_url)
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request is noise

    from .twilio import voice
    app.register_blueprint(voice.bp)
    from .twilio import sms_status
    app.register_blueprint(sms_status.bp)

    from sms_screening.web import bp as sms_bp
    app.register_blueprint(sms_bp)

    from receptionist import cli
    cli.register(app)

    @app.get("/healthz")
    def healthz():
        return jsonify(status="ok")

    return app
