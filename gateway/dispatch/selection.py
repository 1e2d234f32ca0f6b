"""Select the participants with an address inside an area: a bounding-box range scan in the
database, then an exact vectorised test in shapely/numpy."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway import channels
from gateway.areas import Area
from gateway.models import Address, Participant


@dataclass(frozen=True)
class Recipient:
    participant_id: int
    phone: str
    channel: str
    language: str


def recipients(session: Session, area: Area) -> list[Recipient]:
    min_lon, min_lat, max_lon, max_lat = area.bbox
    rows = session.execute(
        select(Address.participant_id, Address.lat, Address.lon, Address.channel,
               Participant.phone, Participant.language)
        .join(Participant, Participant.id == Address.participant_id)
        .where(Address.lat.between(min_lat, max_lat), Address.lon.between(min_lon, max_lon),
               Participant.active.is_(True), Participant.verified_at.is_not(None))
    ).all()
    if not rows:
        return []
    inside = area.contains(np.fromiter((r.lon for r in rows), float, len(rows)),
                           np.fromiter((r.lat for r in rows), float, len(rows)))
    chosen: dict[int, Recipient] = {}
    for row, hit in zip(rows, inside, strict=True):
        if not hit:
            continue
        known = chosen.get(row.participant_id)
        # Home and work both inside: one delivery per phone, by the channel noticed soonest.
        if known is None or channels.preferred(row.channel, known.channel) != known.channel:
            chosen[row.participant_id] = Recipient(
                row.participant_id, row.phone, row.channel, row.language)
    return sorted(chosen.values(), key=lambda r: r.participant_id)


def reach(people: list[Recipient]) -> dict[str, int]:
    """How many would be alerted, per channel and in total."""
    counts = dict.fromkeys(channels.NAMES, 0)
    for recipient in people:
        counts[recipient.channel] += 1
    return {**counts, "total": len(people)}
