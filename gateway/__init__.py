"""The Flask application: Twilio webhooks, the dispatch API, the console."""

from __future__ import annotations

import logging

from flask import Flask

from gateway.config import Config
from gateway.runtime import Runtime


def create_app(config: Config | None = None, runtime: Runtime | None = None) -> Flask:
    """Defaults, then the environment, then `config`. Nothing connects at import time."""
    config = config or (runtime.config if runtime else Config.from_env())
    config.check()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    app = Flask(__name__)
    app.config["SECRET_KEY"] = config.secret_key or "testing-only"
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.extensions["burgernet"] = runtime or Runtime.from_config(config)

    from gateway import api, console, errors, webhooks

    errors.init_app(app)
    app.register_blueprint(api.bp)
    app.register_blueprint(webhooks.bp)
    app.register_blueprint(console.bp)

    @app.get("/health")
    def health():
        return {"ok": True}

    return app
