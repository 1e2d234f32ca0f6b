"""key=value logging that never prints a full phone number."""

from __future__ import annotations

import logging
import re

logger = logging.getLogger("simulator")


def mask(number: str | None) -> str:
    """'+31612345678' -> '+316****5678': enough to tell numbers apart, not enough to call one.
    A channel prefix stays readable: 'whatsapp:+316****5678'."""
    if not number:
        return "-"
    channel, sep, rest = number.rpartition(":")
    if sep:
        return channel + sep + mask(rest)
    if len(number) <= 8:
        return "*" * max(len(number) - 4, 0) + number[-4:]
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def log(event: str, level: int = logging.INFO, **fields: object) -> None:
    if not logger.isEnabledFor(level):
        return
    parts = [f"event={event}"]
    for key, value in fields.items():
        text = "-" if value is None else str(value)
        if " " in text or '"' in text:
            text = '"' + text.replace('"', "'") + '"'
        parts.append(f"{key}={text}")
    logger.log(level, " ".join(parts))


# A phone number inside free text such as a request line: "+31612345678" or "%2B31612345678".
_NUMBER_IN_TEXT = re.compile(r"(\+|%2B)(\d{3})(\d+)(\d{4})", re.IGNORECASE)


def mask_text(text: str) -> str:
    return _NUMBER_IN_TEXT.sub(lambda m: m[1] + m[2] + "*" * len(m[3]) + m[4], text)
