"""Flask application factory of the telephony simulator."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

from simulator import api, control
from simulator.logs import log
from simulator.resources import error
from simulator.runtime import Runtime
from simulator.settings import Settings


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or Settings.from_env()
    app = Flask(__name__)
    app.json.sort_keys = False  # keep Twilio's field order, readable for humans
    runtime = Runtime.build(settings)
    app.extensions["simulator"] = runtime
    app.register_blueprint(api.bp)
    app.register_blueprint(control.bp)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if request.path.startswith("/2010-04-01"):
            if exc.code == 404:
                return api.not_found()
            if exc.code == 405:
                return error(405, 20004, "Method not allowed")
            return error(exc.code or 500, exc.code or 500, exc.description or exc.name)
        return jsonify({"error": exc.description or exc.name}), exc.code

    @app.errorhandler(Exception)
    def crash(exc: Exception):
        log("request_crashed", logging.ERROR, path=request.path, error=repr(exc))
        logging.getLogger("simulator").exception("request crashed")
        if request.path.startswith("/2010-04-01"):
            return error(500, 20500, "Internal Server Error")
        return jsonify({"error": "internal error"}), 500

    return app
