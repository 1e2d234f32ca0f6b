"""Test data built through the same code paths the application uses."""

from __future__ import annotations

from gateway.models import Address, Participant, utcnow

ZOETERMEER = (4.4931, 52.0575)  # lon, lat of the town centre


def participant(db, phone: str, lat: float = ZOETERMEER[1], lon: float = ZOETERMEER[0],
                channel: str = "voice", language: str = "nl", verified: bool = True,
                **extra) -> Participant:
    p = Participant(phone=phone, language=language, verified_at=utcnow() if verified else None,
                    addresses=[Address(label="home", lat=lat, lon=lon, channel=channel)], **extra)
    db.add(p)
    db.flush()
    return p


def circle(radius_m: float = 1000, center=ZOETERMEER) -> dict:
    return {"type": "Circle", "center": list(center), "radius_m": radius_m}
