"""The one place the Twilio client is made. Pointing it at the simulator is configuration only:
the same `twilio` library, the same calls, only the base URL differs."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from gateway.config import Config

# The twilio library logs every request's form data (phone numbers, message bodies) at INFO.
logging.getLogger("twilio.http_client").setLevel(logging.WARNING)


class BaseUrlHttpClient(TwilioHttpClient):
    """Sends Twilio API requests to another host (the simulator), keeping Twilio's paths."""

    def __init__(self, base_url: str, timeout: float):
        super().__init__(timeout=timeout)
        self.base_url = base_url.rstrip("/")

    def request(self, method, url, *args, **kwargs):
        parts = urlsplit(url)
        target = self.base_url + parts.path + (f"?{parts.query}" if parts.query else "")
        return super().request(method, target, *args, **kwargs)


def make_client(config: Config) -> Client:
    if config.twilio_api_base_url:
        http = BaseUrlHttpClient(config.twilio_api_base_url, config.twilio_timeout_seconds)
    else:
        http = TwilioHttpClient(timeout=config.twilio_timeout_seconds)
    return Client(config.twilio_account_sid, config.twilio_auth_token, http_client=http)
