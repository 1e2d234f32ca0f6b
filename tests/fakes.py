"""A stand-in for the twilio client where a test only needs to see what was texted."""

from __future__ import annotations

import re
from types import SimpleNamespace


class FakeMessages:
    def __init__(self):
        self.sent: list[dict] = []

    def create(self, **params):
        self.sent.append(params)
        return SimpleNamespace(sid=f"SM{len(self.sent):032d}")


class FakeClient:
    def __init__(self):
        self.messages = FakeMessages()

    def texts_to(self, phone: str) -> list[str]:
        return [m["body"] for m in self.messages.sent if m["to"] == phone]

    def last_code(self, phone: str) -> str:
        bodies = self.texts_to(phone)
        assert bodies, f"nothing was texted to {phone}"
        return re.search(r"\b(\d{6})\b", bodies[-1]).group(1)


def install(runtime) -> FakeClient:
    """Swap the runtime's twilio client (before its provider gateway is first made)."""
    assert "provider" not in runtime.__dict__, "install the fake before anything sends"
    fake = FakeClient()
    runtime._client = fake
    return fake
