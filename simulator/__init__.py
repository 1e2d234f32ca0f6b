"""Telephony simulator that speaks Twilio's REST API and behaves like the phone network."""

from simulator.server import serve
from simulator.settings import Settings

__all__ = ["Settings", "serve"]
