"""SMS texts, segment counting (GSM-7 vs UCS-2) and inbound keywords."""

from __future__ import annotations

from dataclasses import dataclass

from callflows import texts

# GSM 03.38 basic set; the extension set costs two septets each.
GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = set("^{}\\[~]|€\f")

STOP_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "AFMELDEN"}
START_WORDS = {"START", "UNSTOP", "YES", "AANMELDEN"}


@dataclass(frozen=True)
class Segments:
    encoding: str  # "GSM-7" or "UCS-2"
    count: int
    units: int  # septets for GSM-7, UTF-16 code units for UCS-2


def segments(body: str) -> Segments:
    """How many SMS parts a body costs: 160/153 septets in GSM-7, else 70/67 UCS-2 units."""
    if all(ch in GSM7_BASIC or ch in GSM7_EXTENDED for ch in body):
        units = sum(2 if ch in GSM7_EXTENDED else 1 for ch in body)
        single, part = 160, 153
        encoding = "GSM-7"
    else:
        units = len(body.encode("utf-16-le")) // 2
        single, part = 70, 67
        encoding = "UCS-2"
    count = 1 if units <= single else -(-units // part)
    return Segments(encoding, count, units)


def alert(incident_type: str, description: str, tipline_display: str, language: str) -> str:
    return texts.text(
        "alert_sms", language,
        label=texts.incident_label(incident_type, language),
        description=texts.sentence(description),
        tipline=tipline_display,
    )


def outcome(outcome_text: str, language: str) -> str:
    return texts.text("outcome_sms", language, outcome=texts.sentence(outcome_text))


def keyword(body: str) -> str | None:
    """'stop' / ' Stop ' -> 'stop'; 'start' -> 'start'; anything else is a tip (None)."""
    word = body.strip().upper()
    if word in STOP_WORDS:
        return "stop"
    if word in START_WORDS:
        return "start"
    return None
