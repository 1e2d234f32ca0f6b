from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gateway.models.base import Base, utcnow

LABELS = ("home", "work")


class Participant(Base):
    """A mobile number that receives alerts. The phone is personal data: never log it in full."""

    __tablename__ = "participants"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(20), unique=True)  # E.164
    language: Mapped[str] = mapped_column(String(5), default="nl")
    birth_year: Mapped[int | None]
    # Only verified, active participants are alerted; SMS STOP clears `active`.
    verified_at: Mapped[datetime | None]
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    addresses: Mapped[list[Address]] = relationship(
        back_populates="participant", cascade="all, delete-orphan", order_by="Address.id"
    )


class Address(Base):
    """Where a participant lives or works; each address has its own channel (a name in
    gateway.channels.REGISTRY)."""

    __tablename__ = "addresses"
    __table_args__ = (Index("ix_addresses_lat_lon", "lat", "lon"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    label: Mapped[str] = mapped_column(String(10))
    lat: Mapped[float]
    lon: Mapped[float]
    channel: Mapped[str] = mapped_column(String(10))

    participant: Mapped[Participant] = relationship(back_populates="addresses")
