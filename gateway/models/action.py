from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gateway.models.base import Base, utcnow

INCIDENT_TYPES = (
    "burglary", "robbery", "hit_and_run", "violent_crime", "missing_person", "other",
)

# draft -> active -> closed. Only an active action sends alerts; closing is final.
DRAFT, ACTIVE, CLOSED = "draft", "active", "closed"


class Action(Base):
    __tablename__ = "actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_type: Mapped[str] = mapped_column(String(30))
    description: Mapped[str] = mapped_column(Text)
    # A GeoJSON geometry (Polygon), or {"type": "Circle", "center": [lon, lat], "radius_m": r}.
    area: Mapped[dict] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(10), default=DRAFT, index=True)
    outcome: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("operators.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]


class AuditEvent(Base):
    """Who did what to which action, kept apart from the action so it is never overwritten."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id"))
    action_id: Mapped[int | None] = mapped_column(ForeignKey("actions.id"), index=True)
    event: Mapped[str] = mapped_column(String(40))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
