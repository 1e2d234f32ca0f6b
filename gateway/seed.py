"""Demo data: synthetic, verified participants around the centre of Zoetermeer."""

from __future__ import annotations

import math
import random

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gateway.models import Address, Participant, utcnow

ZOETERMEER = (52.0575, 4.4931)  # lat, lon of the Stadhuisplein
SPREAD_M = 3000


def _point_near(rng: random.Random, lat: float, lon: float, spread_m: float) -> tuple[float, float]:
    distance = spread_m * math.sqrt(rng.random())  # uniform over the disc, not bunched at the centre
    bearing = rng.uniform(0, 2 * math.pi)
    dlat = distance * math.cos(bearing) / 111_320
    dlon = distance * math.sin(bearing) / (111_320 * math.cos(math.radians(lat)))
    return round(lat + dlat, 6), round(lon + dlon, 6)


def demo_participants(db: Session, count: int = 300, seed: int = 2007) -> int:
    """Adds `count` participants unless the table already has some; returns how many it added.
    Numbers are +31 6 1000 xxxx: the simulator's behaviour follows the last digit."""
    if db.scalar(select(func.count()).select_from(Participant)):
        return 0
    rng = random.Random(seed)
    now = utcnow()
    for i in range(count):
        home = _point_near(rng, *ZOETERMEER, SPREAD_M)
        addresses = [Address(label="home", lat=home[0], lon=home[1],
                             channel="voice" if rng.random() < 0.5 else "sms")]
        if rng.random() < 0.4:
            work = _point_near(rng, *ZOETERMEER, SPREAD_M)
            addresses.append(Address(label="work", lat=work[0], lon=work[1],
                                     channel="voice" if rng.random() < 0.5 else "sms"))
        db.add(Participant(phone=f"+3161000{i:04d}", language="en" if rng.random() < 0.1 else "nl",
                           birth_year=rng.randint(1940, 2008), verified_at=now,
                           addresses=addresses))
    db.flush()
    return count
