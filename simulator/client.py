"""A real twilio.rest.Client pointed at the simulator instead of api.twilio.com."""

from __future__ import annotations

from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

TWILIO_API = "https://api.twilio.com"


class SimulatorHttpClient(TwilioHttpClient):
    """Rewrites https://api.twilio.com to the simulator; everything else is the real client."""

    def __init__(self, base_url: str, timeout: float | None = None) -> None:
        super().__init__(timeout=timeout)
        self.base_url = base_url.rstrip("/")

    def request(self, method, url, *args, **kwargs):
        if url.startswith(TWILIO_API):
            url = self.base_url + url[len(TWILIO_API) :]
        return super().request(method, url, *args, **kwargs)


def make_client(
    base_url: str, account_sid: str, auth_token: str, timeout: float | None = None
) -> Client:
    return Client(account_sid, auth_token, http_client=SimulatorHttpClient(base_url, timeout))
