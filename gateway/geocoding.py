"""Postcode and house number to coordinates, behind one small interface with two
implementations: the PDOK Locatieserver (the free public Dutch geocoder, over HTTP) and an
offline table read from a CSV file (postcode, number, lat, lon) for the demo and the tests.
GEOCODER in the configuration chooses; `make(config)` is the one place that builds it."""

from __future__ import annotations

import csv
import logging
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import requests

log = logging.getLogger("gateway.geocoding")

DEMO_TABLE = Path(__file__).parent / "data" / "postcodes.csv"
POINT = re.compile(r"POINT\(\s*(-?[\d.]+)\s+(-?[\d.]+)\s*\)")


@dataclass(frozen=True)
class Location:
    lat: float
    lon: float


class GeocoderUnavailable(Exception):
    """The geocoder did not answer (timeout, 5xx): not the address's fault."""


class Geocoder(Protocol):
    def locate(self, postcode: str, number: int, addition: str = "") -> Location | None:
        """The address's coordinates, or None when no such address is known."""


class TableGeocoder:
    """An offline table: (postcode, number) -> location. An addition (`12a`) is located as its
    house number: the table has no additions, and the building is the same."""

    def __init__(self, rows: dict[tuple[str, int], Location]):
        self.rows = rows

    @classmethod
    def from_csv(cls, path: str | Path) -> TableGeocoder:
        rows = {}
        with open(path, newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                key = (row["postcode"].replace(" ", "").upper(), int(row["number"]))
                rows[key] = Location(float(row["lat"]), float(row["lon"]))
        return cls(rows)

    def locate(self, postcode: str, number: int, addition: str = "") -> Location | None:
        return self.rows.get((postcode, number))


class PdokGeocoder:
    """PDOK Locatieserver's `free` search, filtered to addresses. Answers (found or not) are
    cached in this process for `cache_seconds`: a bulk registration repeats postcodes, and PDOK
    is a shared public service."""

    def __init__(self, base_url: str, timeout: float = 3.0, cache_seconds: float = 86400,
                 cache_size: int = 10000, session: requests.Session | None = None):
        self.url = base_url.rstrip("/") + "/free"
        self.timeout, self.cache_seconds, self.cache_size = timeout, cache_seconds, cache_size
        self.session = session or requests.Session()
        self.cache: dict[tuple, tuple[float, Location | None]] = {}
        self.lock = threading.Lock()

    def locate(self, postcode: str, number: int, addition: str = "") -> Location | None:
        key = (postcode, number, addition.upper())
        now = time.monotonic()
        with self.lock:
            hit = self.cache.get(key)
            if hit and hit[0] > now:
                return hit[1]
        found = self._ask(postcode, number, addition)
        with self.lock:
            if len(self.cache) >= self.cache_size:
                self.cache.clear()  # crude, but bounded; a day's addresses fit many times over
            self.cache[key] = (now + self.cache_seconds, found)
        return found

    def _ask(self, postcode: str, number: int, addition: str) -> Location | None:
        params = [("q", f"{postcode} {number}"), ("fq", "type:adres"),
                  ("fq", f"postcode:{postcode}"), ("fq", f"huisnummer:{number}"),
                  ("fl", "centroide_ll,huisletter,huisnummertoevoeging"), ("rows", "20")]
        try:
            response = self.session.get(self.url, params=params, timeout=self.timeout)
        except requests.RequestException as exc:
            raise GeocoderUnavailable(type(exc).__name__) from None
        if response.status_code != 200:
            raise GeocoderUnavailable(f"HTTP {response.status_code}")
        try:
            docs = response.json()["response"]["docs"]
        except (ValueError, KeyError, TypeError):
            raise GeocoderUnavailable("unreadable answer") from None
        wanted = addition.upper()
        for doc in docs:
            got = (str(doc.get("huisletter") or "") + str(doc.get("huisnummertoevoeging") or ""))
            if wanted and got.upper() != wanted:
                continue
            match = POINT.fullmatch(str(doc.get("centroide_ll", "")).strip())
            if match:
                return Location(lat=float(match.group(2)), lon=float(match.group(1)))
        return None


def make(config) -> Geocoder:
    if config.geocoder == "pdok":
        return PdokGeocoder(config.pdok_url, timeout=config.geocoder_timeout_seconds)
    return TableGeocoder.from_csv(config.geocoder_table or DEMO_TABLE)
