"""How many SMS parts a text costs, per GSM 03.38. The gateway budgets with it and the simulator
bills with it, so the two can never disagree.

A text that fits one part gets 160 septets (GSM-7) or 70 UTF-16 units (UCS-2). A longer text is
cut into parts of 153 septets or 67 units (the rest of each part is the concatenation header),
and a part never splits an escape pair (an extension character such as € is ESC + a septet) or
a surrogate pair (an emoji): such a character moves whole to the next part.
"""

from __future__ import annotations

from dataclasses import dataclass

GSM7, UCS2 = "GSM-7", "UCS-2"

# The GSM 03.38 default alphabet (one septet each), without ESC, which only introduces the
# extension table. Position 0x09 is Ç as the standard prints it.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# The extension table: two septets each (ESC + the character).
GSM7_EXTENDED = frozenset("\f^{}\\[~]|€")

LIMITS = {GSM7: (160, 153), UCS2: (70, 67)}


@dataclass(frozen=True)
class Segments:
    encoding: str  # GSM-7 or UCS-2
    count: int
    units: int  # septets for GSM-7, UTF-16 code units for UCS-2


def encoding(text: str) -> str:
    return GSM7 if all(ch in GSM7_BASIC or ch in GSM7_EXTENDED for ch in text) else UCS2


def _unit_sizes(text: str, kind: str) -> list[int]:
    if kind == GSM7:
        return [2 if ch in GSM7_EXTENDED else 1 for ch in text]
    return [2 if ord(ch) > 0xFFFF else 1 for ch in text]


def measure(text: str) -> Segments:
    kind = encoding(text)
    sizes = _unit_sizes(text, kind)
    single, per_part = LIMITS[kind]
    total = sum(sizes)
    if total <= single:
        return Segments(kind, 1, total)
    parts, used = 1, 0
    for size in sizes:
        if used + size > per_part:  # the whole character goes to the next part
            parts, used = parts + 1, 0
        used += size
    return Segments(kind, parts, total)
