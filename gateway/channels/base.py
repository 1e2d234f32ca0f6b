"""What a channel is to the engine: how to build the provider request for one delivery, how to
read the provider's status callbacks, how to find a request again at the provider, and what it
costs the rate limiter. The engine never branches on a channel's name."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from gateway.config import Config
    from gateway.provider.gateway import ProviderGateway
    from gateway.urls import CallbackUrls


@dataclass(frozen=True)
class Outgoing:
    """One delivery attempt as the engine hands it to a channel."""

    delivery_id: int
    attempt: int
    phone: str  # E.164; the channel turns it into its own address form
    purpose: str
    language: str
    text: str  # what to text; a call speaks TwiML served from our own URL instead


@dataclass(frozen=True)
class ProviderRequest:
    resource: str  # "calls" or "messages": which create() of the provider
    params: dict  # its keyword arguments, as the twilio library names them
    bucket: str  # the shared rate limiter's bucket
    cost: int  # units that bucket is charged: 1 call, N SMS segments, 1 WhatsApp message


@dataclass(frozen=True)
class StatusChange:
    """A status callback read into our terms. status None: nothing we act on."""

    status: str | None
    sid: str | None
    error_code: str | None = None
    answered_by: str | None = None


class Channel:
    name: str
    resource: str
    bucket: str
    # Someone with two addresses in the area is alerted once, by the lowest preference (a
    # ringing phone is noticed sooner than a message).
    preference: int

    def address(self, phone: str) -> str:
        return phone

    def sender(self, config: Config) -> str:
        raise NotImplementedError

    def rate(self, config: Config) -> float:
        """Units per second the provider takes for this channel's bucket."""
        raise NotImplementedError

    def request(self, out: Outgoing, urls: CallbackUrls, config: Config) -> ProviderRequest:
        raise NotImplementedError

    def status_change(self, form: Mapping[str, str],
                      known_answered_by: str | None = None) -> StatusChange:
        """`known_answered_by`: a detection verdict an earlier request already told us."""
        raise NotImplementedError

    def status_change_alone(self, form: Mapping[str, str]) -> StatusChange | None:
        """The change this callback makes by itself, or None when reading it needs what an
        earlier request told us (the status callback then reads the delivery first)."""
        return self.status_change(form)

    def find(self, provider: ProviderGateway, phone: str, since: datetime,
             config: Config) -> list[str]:
        """Sids of requests the provider holds to this phone created since `since`, newest
        first: after a timeout, the one we may have created."""
        return provider.find(self.resource, self.address(phone), self.sender(config), since)
