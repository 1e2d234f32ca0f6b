"""Every webhook must carry a valid X-Twilio-Signature; a forged one gets 403 and changes nothing.

The signature covers the URL Twilio called, which behind a reverse proxy is not the URL Flask
sees: we rebuild it from PUBLIC_BASE_URL plus the path and query string.
"""

from __future__ import annotations

import logging

from flask import abort, request
from twilio.request_validator import RequestValidator

from gateway.runtime import of_app
from gateway.webhooks import bp

log = logging.getLogger("gateway.webhooks")


def public_url() -> str:
    base = of_app().config.public_base_url.rstrip("/")
    query = request.query_string.decode()
    return f"{base}{request.path}" + (f"?{query}" if query else "")


@bp.before_request
def check_signature():
    config = of_app().config
    validator = RequestValidator(config.twilio_auth_token)
    signature = request.headers.get("X-Twilio-Signature", "")
    if not validator.validate(public_url(), request.form, signature):
        log.warning("webhook.forged path=%s", request.path)
        abort(403, description="invalid X-Twilio-Signature")
