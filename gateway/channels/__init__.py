"""The channels, by name. Adding one is a module beside these and one line here."""

from __future__ import annotations

from gateway.channels.base import Channel, Outgoing, ProviderRequest, StatusChange
from gateway.channels.sms import Sms
from gateway.channels.voice import Voice
from gateway.channels.whatsapp import WhatsApp

REGISTRY: dict[str, Channel] = {c.name: c for c in (Voice(), Sms(), WhatsApp())}
NAMES = tuple(REGISTRY)


def get(name: str) -> Channel:
    return REGISTRY[name]


def preferred(a: str, b: str) -> str:
    """Of two channels one person could be alerted by, the one to use."""
    return a if REGISTRY[a].preference <= REGISTRY[b].preference else b


__all__ = ["Channel", "Outgoing", "ProviderRequest", "StatusChange", "REGISTRY", "NAMES", "get",
           "preferred"]
