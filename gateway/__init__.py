"""The Flask application: Twilio webhooks, the dispatch API, the console."""

from __future__ import annotations

import secrets

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from gateway import logs
from gateway.config import Config
from gateway.runtime import Runtime


def create_app(config: Config | None = None, runtime: Runtime | None = None) -> Flask:
    """Defaults, then the environment, then `config`. Nothing connects at import time."""
    config = config or (runtime.config if runtime else Config.from_env())
    config.check()
    logs.configure()
    app = Flask(__name__)
    if config.proxy_hops:
        # The client's address, as the proxies report it, for the per-address limits.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=config.proxy_hops)
    # Testing without a key gets a random one: no known key ever signs a session.
    app.config["SECRET_KEY"] = config.secret_key or secrets.token_urlsafe(32)
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_SECURE"] = config.public_base_url.startswith("https://")
    app.extensions["burgernet"] = runtime or Runtime.from_config(config)

    from gateway import (
        api,
        console,
        errors,
        group_console,
        group_pages,
        participant_pages,
        registry_pages,
        security,
        webhooks,
    )

    errors.init_app(app)
    security.init_app(app)
    app.register_blueprint(api.bp)
    app.register_blueprint(webhooks.bp)
    app.register_blueprint(console.bp)
    app.register_blueprint(participant_pages.bp)
    app.register_blueprint(registry_pages.bp)
    app.register_blueprint(group_pages.bp)
    app.register_blueprint(group_console.bp)

    @app.get("/health")
    def health():
        return {"ok": True}

    return app
