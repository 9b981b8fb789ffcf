"""The Flask object: configuration, logging and ``/healthz``. Blueprints and commands are
registered by the composition root (``receptionist.bootstrap.create_app``)."""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from flask import Flask, jsonify

if TYPE_CHECKING:
    from ..bootstrap import Container

MAX_REQUEST_BYTES = 256 * 1024  # Twilio webhooks are small; refuse floods


def make_flask(container: "Container") -> Flask:
    """A Flask app holding ``container`` (``app.extensions["container"]``; its database also
    as ``app.extensions["db"]``, its settings as ``app.config["SETTINGS"]``)."""
    settings = container.settings
    app = Flask("receptionist", instance_path=str(settings.instance_path))
    app.config["SETTINGS"] = settings
    app.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    app.extensions["container"] = container
    app.extensions["db"] = container.database
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        logging.getLogger("httpx").setLevel(logging.WARNING)  # the simulators' client: a line per request is noise

    @app.get("/healthz")
    def healthz():
        return jsonify(status="ok")

    return app
