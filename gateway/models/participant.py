from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Computed, ForeignKey, Index, String, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gateway.grid import CELL_SQL
from gateway.models.base import Base, utcnow

LABELS = ("home", "work", "other")


def alertable_sql(table: str = "") -> str:
    """Active and verified, as SQL: the partial indexes' words and their queries' must match."""
    return f"{table}active AND {table}verified_at IS NOT NULL"


def always_open_sql(table: str = "") -> str:
    """An address with no windows (null or an empty list) is always open, as SQL."""
    return f"({table}windows IS NULL OR json_array_length({table}windows) = 0)"


ALERTABLE_SQL = alertable_sql()
ALWAYS_OPEN_SQL = always_open_sql()


class Participant(Base):
    """A mobile number that receives alerts. The phone is personal data: never log it in full."""

    __tablename__ = "participants"
    # The fan-out reads the phone of each person it alerts from here alone, in id order
    # (gateway/dispatch/selection.py spells the same condition).
    __table_args__ = (Index("ix_participants_alertable", "id", "phone",
                            postgresql_where=text(ALERTABLE_SQL), sqlite_where=text(ALERTABLE_SQL)),)

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(20), unique=True)  # E.164
    language: Mapped[str] = mapped_column(String(5), default="nl")
    birth_year: Mapped[int | None]
    # Only verified, active participants are alerted; SMS STOP clears `active`. An unverified
    # participant (imported with --verify) is removed by the purge after a day.
    verified_at: Mapped[datetime | None]
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    addresses: Mapped[list[Address]] = relationship(
        back_populates="participant", cascade="all, delete-orphan", order_by="Address.id"
    )


class Address(Base):
    """Where a participant lives or works; each address has its own channel (a name in
    gateway.channels.REGISTRY) and optional weekly time windows (gateway/windows.py)."""

    __tablename__ = "addresses"
    # Covering and partial: selection reads everything it needs from this index, in cell order,
    # without touching either table (gateway/dispatch/selection.py).
    # Addresses with time windows are apart (ix_addresses_windowed): the database cannot tell
    # whether a window is open, selection asks gateway/windows.py for those few.
    __table_args__ = (
        Index("ix_addresses_cell", "cell", "participant_id", "channel", "lat", "lon",
              postgresql_where=text(f"alertable AND {ALWAYS_OPEN_SQL}"),
              sqlite_where=text(f"alertable AND {ALWAYS_OPEN_SQL}")),
        Index("ix_addresses_windowed", "cell",
              postgresql_where=text(f"alertable AND NOT {ALWAYS_OPEN_SQL}"),
              sqlite_where=text(f"alertable AND NOT {ALWAYS_OPEN_SQL}")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    label: Mapped[str] = mapped_column(String(10))
    lat: Mapped[float]
    lon: Mapped[float]
    channel: Mapped[str] = mapped_column(String(10))
    # The grid cell (gateway/grid.py), computed by the database from lat and lon.
    cell: Mapped[int] = mapped_column(Computed(CELL_SQL, persisted=True))
    # "Its participant is active and verified", kept so by database triggers on both tables
    # (migration 0004) whoever writes them: the preview counts without joining participants.
    alertable: Mapped[bool] = mapped_column(server_default=false())
    # PC6 (2711AB) when known: areas can be lists of postcodes, statistics go per PC4.
    postcode: Mapped[str | None] = mapped_column(String(6), index=True)
    house_number: Mapped[int | None]
    house_addition: Mapped[str | None] = mapped_column(String(10))
    # gateway.windows.parse's normal form; null or [] is always open.
    windows: Mapped[list | None] = mapped_column(JSON)

    participant: Mapped[Participant] = relationship(back_populates="addresses")
