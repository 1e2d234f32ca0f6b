"""Callback URLs built from the web app's own routes, so the worker (which places calls) and the
web process (which serves them) cannot disagree about a path. Both build them from PUBLIC_BASE_URL,
the address Twilio reaches us on."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask
from werkzeug.routing import Map


def webhook_routes() -> Map:
    """The URL map of the webhooks blueprint, exactly as the web app registers it."""
    from gateway import webhooks  # the blueprint imports the runtime, which builds us lazily

    app = Flask("gateway.urls")
    app.register_blueprint(webhooks.bp)
    return app.url_map


class CallbackUrls:
    def __init__(self, public_base_url: str, routes: Map | None = None):
        parts = urlsplit(public_base_url.rstrip("/"))
        self.adapter = (routes or webhook_routes()).bind(
            parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme)

    def build(self, endpoint: str, **values) -> str:
        return self.adapter.build(endpoint, values, force_external=True)

    def status(self, channel: str, delivery_id: int, attempt: int) -> str:
        return self.build("twilio.status_callback", channel=channel, delivery_id=delivery_id,
                          attempt=attempt)

    def voice_message(self, delivery_id: int) -> str:
        return self.build("twilio.voice_message", delivery_id=delivery_id)

    def amd(self, delivery_id: int, attempt: int) -> str:
        return self.build("twilio.amd_verdict", delivery_id=delivery_id, attempt=attempt)

    def voicemail(self, delivery_id: int) -> str:
        return self.build("twilio.voicemail_message", delivery_id=delivery_id)

    def alert_keys(self, delivery_id: int) -> str:
        return self.build("twilio.alert_keys", delivery_id=delivery_id)
