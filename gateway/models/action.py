from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gateway.models.base import Base, utcnow

INCIDENT_TYPES = (
    "burglary", "robbery", "hit_and_run", "violent_crime", "missing_person", "other",
)
# Publishing a description of a missing person needs the consent of family or guardian, recorded
# by the operator when the action is drafted.
NEEDS_CONSENT = frozenset({"missing_person"})

# draft -> active -> closed, or draft -> discarded. Only an active action sends alerts and
# updates; closing and discarding are final.
DRAFT, ACTIVE, CLOSED, DISCARDED = "draft", "active", "closed", "discarded"
STATUSES = (DRAFT, ACTIVE, CLOSED, DISCARDED)


class Action(Base):
    __tablename__ = "actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_type: Mapped[str] = mapped_column(String(30))
    description: Mapped[str] = mapped_column(Text)
    # The first area: a GeoJSON (Multi)Polygon, or {"type": "Circle", "center": [lon, lat],
    # "radius_m": r}. Areas added by widening follow in `widened`, oldest first.
    area: Mapped[dict] = mapped_column(JSON)
    widened: Mapped[list] = mapped_column(JSON, default=list)
    # Reach per channel and the texts, computed once when drafted (selection is not free).
    preview: Mapped[dict | None] = mapped_column(JSON)
    consent_recorded: Mapped[bool] = mapped_column(default=False)
    # Heterdaadkracht: whether the administrators of the neighbourhood groups the area overlaps
    # get the messages too (a default per incident type, HETERDAADKRACHT_INCIDENT_TYPES).
    groups: Mapped[bool] = mapped_column(default=False)
    # The operator line the tip line puts this action's callers through to (E.164); null: the
    # control room (CONTROL_ROOM_NUMBER).
    operator_line: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(10), default=DRAFT, index=True)
    outcome: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("operators.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]

    @property
    def areas(self) -> list[dict]:
        return [self.area, *(self.widened or [])]


class ActionUpdate(Base):
    """A message sent during an action to everyone reached so far (e.g. "he was seen heading
    north"). Its id is the `round` of its deliveries."""

    __tablename__ = "action_updates"

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("actions.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("operators.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditEvent(Base):
    """Who did what to which action, kept apart from the action so it is never overwritten."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id"))
    action_id: Mapped[int | None] = mapped_column(ForeignKey("actions.id"), index=True)
    event: Mapped[str] = mapped_column(String(40))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
