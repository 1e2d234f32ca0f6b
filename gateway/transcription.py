"""Optional transcription of tip-line recordings, behind one small interface and off by default
(TRANSCRIBER empty). A speech-to-text service is personal data leaving us: it takes a deliberate
setting, and a module that registers itself here, to switch it on."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from gateway.config import Config


class Transcriber(Protocol):
    def transcribe(self, audio: bytes, language: str) -> str | None:
        """The words in `audio` (WAV), or None when nothing could be made of it."""


# name -> factory; a deployment registers its own (e.g. a service client) at start-up.
REGISTRY: dict[str, Callable[[Config], Transcriber]] = {}


def register(name: str, factory: Callable[[Config], Transcriber]) -> None:
    REGISTRY[name] = factory


def configured(config: Config) -> Transcriber | None:
    if not config.transcriber:
        return None
    if config.transcriber not in REGISTRY:
        raise RuntimeError(f"TRANSCRIBER={config.transcriber!r} is not a registered transcriber "
                           f"({', '.join(sorted(REGISTRY)) or 'none registered'})")
    return REGISTRY[config.transcriber](config)
