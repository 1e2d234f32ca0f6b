"""What every response and request gets, whoever handles it: size limits before a body is read,
security headers, and which media links may be shown."""

from __future__ import annotations

from flask import Flask, request

from gateway.runtime import of_app

# Twilio's webhooks are a few kB; JSON bodies of the API are small, areas included.
WEBHOOK_MAX_BYTES = 64 * 1024
API_MAX_BYTES = 1024 * 1024

HEADERS = {
    # Scripts, styles and images only from ourselves; no framing (clickjacking).
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data: https:; "
                               "style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; "
                               "base-uri 'none'; form-action 'self'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
TWILIO_MEDIA = "https://api.twilio.com/"


def trusted_media(url: str | None) -> bool:
    """A recording link is shown only when it points at the provider's media (or the
    simulator's, which stands in for it): never at whatever a request once carried."""
    if not url:
        return False
    simulator = of_app().config.twilio_api_base_url.rstrip("/")
    return url.startswith(TWILIO_MEDIA) or bool(simulator) and url.startswith(simulator + "/")


def init_app(app: Flask) -> None:
    app.config["MAX_CONTENT_LENGTH"] = API_MAX_BYTES
    app.add_template_filter(trusted_media)

    @app.before_request
    def _limit_body():
        # Werkzeug answers 413 from Content-Length before anything is read, and stops reading a
        # body without one at the limit; the signature check comes after this.
        if request.path.startswith("/twilio/"):
            request.max_content_length = WEBHOOK_MAX_BYTES

    @app.after_request
    def _headers(response):
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        return response
