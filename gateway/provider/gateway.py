"""The only code that talks to the provider. It paces every request through the shared rate
limiter, caps the requests in flight per worker, and sorts what happened into four outcomes the
retry policy understands:

- Accepted: the provider took it (we have its sid);
- Temporary: it certainly did not (429, 5xx, the connection never opened): try again later;
- Permanent: it refused this request for good (21211 invalid number, 21610 unsubscribed, ...);
- Unknown: the request may have arrived (a read timeout, a dropped connection): never resend
  blindly; verify against the provider's records first.

Anything else is a bug in our code and propagates, so it is seen rather than retried.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import requests
from redis.exceptions import RedisError
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from gateway.channels import ProviderRequest
from gateway.provider.pacing import RateLimiter

log = logging.getLogger("gateway.provider")


@dataclass(frozen=True)
class Accepted:
    sid: str


@dataclass(frozen=True)
class Temporary:
    code: str
    message: str = ""


@dataclass(frozen=True)
class Permanent:
    code: str
    message: str = ""


@dataclass(frozen=True)
class Unknown:
    reason: str


@dataclass(frozen=True)
class NotWanted:
    """Paced, then dropped: by the time its slot came the caller no longer wanted it sent."""


@dataclass(frozen=True)
class NotSent:
    """Our side failed before the request left (the shared rate limiter's Redis is away)."""

    reason: str


Result = Accepted | Temporary | Permanent | Unknown | NotWanted | NotSent


def classify(exc: Exception) -> Result:
    if isinstance(exc, TwilioRestException):
        code = str(exc.code or exc.status)
        message = (exc.msg or "")[:200]
        if exc.status == 429 or exc.status >= 500:
            return Temporary(code, message)
        return Permanent(code, message)
    if isinstance(exc, requests.ConnectTimeout) or (
            isinstance(exc, requests.ConnectionError)
            and "NewConnectionError" in repr(exc.args)):
        return Temporary("connect", type(exc).__name__)  # nothing was sent
    if isinstance(exc, requests.RequestException):
        return Unknown(type(exc).__name__)
    raise exc


class ProviderGateway:
    def __init__(self, client: Client, limiter: RateLimiter | None, rates: dict[str, float],
                 max_in_flight: int):
        self.client, self.limiter, self.rates = client, limiter, rates
        self.in_flight = threading.BoundedSemaphore(max(1, max_in_flight))

    def _resource(self, name: str):
        return getattr(self.client, name)  # client.calls / client.messages

    def send(self, request: ProviderRequest,
             still_wanted: Callable[[], bool] | None = None) -> Result:
        # Everything slow comes before the slot: the twilio library loads its API classes on
        # first use, and a wasted slot is better spent by another request.
        resource = self._resource(request.resource)
        if still_wanted is not None and not still_wanted():
            return NotWanted()
        if self.limiter is not None:
            try:
                self.limiter.acquire(request.bucket, self.rates[request.bucket], request.cost)
            except RedisError as exc:  # no pacing, no sending: the provider's rate is a contract
                return NotSent(type(exc).__name__)
            if still_wanted is not None and not still_wanted():
                return NotWanted()
        with self.in_flight:
            try:
                created = resource.create(**request.params)
            except (TwilioRestException, requests.RequestException) as exc:
                return classify(exc)
        return Accepted(created.sid)

    def find(self, resource: str, to: str, from_: str, since: datetime) -> list[str]:
        """Sids of calls or messages to `to` created since `since`, newest first."""
        with self.in_flight:
            records = self._resource(resource).list(to=to, from_=from_, limit=50)
        return [r.sid for r in records if r.date_created is not None and r.date_created >= since]

    def redirect_call(self, sid: str, url: str) -> Result:
        """Send a live call to other TwiML (the voicemail text after a machine verdict)."""
        with self.in_flight:
            try:
                self.client.calls(sid).update(url=url, method="POST")
            except (TwilioRestException, requests.RequestException) as exc:
                return classify(exc)
        return Accepted(sid)

    def delete_recording(self, sid: str) -> bool:
        """Delete a recording's media at the provider. True when it is gone (also when it was
        gone already); False to try again later."""
        with self.in_flight:
            try:
                self.client.recordings(sid).delete()
            except TwilioRestException as exc:
                return exc.status == 404
            except requests.RequestException:
                return False
        return True
