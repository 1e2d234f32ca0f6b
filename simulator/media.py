"""Audio for simulated recordings: a short beep followed by silence, as a real WAV file."""

from __future__ import annotations

import io
import math
import wave
from functools import lru_cache

RATE = 8000  # 8 kHz, 8-bit mono PCM: what a phone line carries, and small
MAX_SECONDS = 120  # keep downloads small even for long simulated recordings


@lru_cache(maxsize=32)
def wav(seconds: int) -> bytes:
    seconds = max(1, min(int(seconds), MAX_SECONDS))
    beep = bytes(128 + int(40 * math.sin(2 * math.pi * 440 * i / RATE)) for i in range(RATE // 2))
    silence = b"\x80" * (RATE * seconds - len(beep))
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(1)
        out.setframerate(RATE)
        out.writeframes(beep + silence)
    return buffer.getvalue()
