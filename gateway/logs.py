"""Logging for every process, with phone numbers masked in whatever ends up in a line: our own
messages mask them already, but a database error (PostgreSQL names the duplicate key), a library
or a traceback could carry one."""

from __future__ import annotations

import logging
import re

from gateway.phones import mask

FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
# E.164 (also inside "whatsapp:+31…" and "(phone)=(+31…)") and Dutch national mobile numbers.
NUMBER = re.compile(r"\+\d{8,15}|(?<!\d)06\d{8}(?!\d)")


def scrub(text: str) -> str:
    return NUMBER.sub(lambda m: mask(m.group()), text)


class MaskingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return scrub(super().format(record))


def configure(level: int = logging.INFO) -> None:
    logging.basicConfig(level=level, format=FORMAT)
    for handler in logging.getLogger().handlers:
        handler.setFormatter(MaskingFormatter(FORMAT))
