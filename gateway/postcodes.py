"""Dutch postcodes: PC6 (`2711AB`, the street side) and PC4 (`2711`, the neighbourhood)."""

from __future__ import annotations

import re

PC6 = re.compile(r"[1-9][0-9]{3}[A-Z]{2}")
PC4 = re.compile(r"[1-9][0-9]{3}")
# PostNL never issues these letter pairs.
UNUSED_LETTERS = ("SA", "SD", "SS")


class InvalidPostcode(ValueError):
    pass


def normalise(raw: str) -> str:
    """'2711 ab' -> '2711AB'. Raises InvalidPostcode with a reason a person understands."""
    value = "".join(str(raw).split()).upper()
    if not PC6.fullmatch(value) or value[4:] in UNUSED_LETTERS:
        raise InvalidPostcode("must be a Dutch postcode like 2711AB")
    return value


def area(raw: str) -> str:
    """A postcode area as given in a list: PC4 ('2711') or PC6 ('2711 AB' -> '2711AB')."""
    value = "".join(str(raw).split()).upper()
    if PC4.fullmatch(value):
        return value
    return normalise(value)


def pc4(postcode: str | None) -> str | None:
    return postcode[:4] if postcode else None
