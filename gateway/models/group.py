from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gateway.models.base import Base, utcnow

# A group registered by residents (or by staff) is REQUESTED until municipality staff approve
# it; only ACTIVE groups are on the public map. INACTIVE: declined, or stopped (staff may
# approve it again).
REQUESTED, ACTIVE, INACTIVE = "requested", "active", "inactive"
STATUSES = (REQUESTED, ACTIVE, INACTIVE)
# The administrator's Heterdaadkracht opt-in: asked for (PENDING) until they confirm by
# replying JA; only CONFIRMED administrators are to receive police messages.
HDK_OFF, HDK_PENDING, HDK_CONFIRMED = "off", "pending", "confirmed"
HDK_STATES = (HDK_OFF, HDK_PENDING, HDK_CONFIRMED)


class Group(Base):
    """A WhatsApp neighbourhood-prevention group. Its area is a GeoJSON (Multi)Polygon, or a list
    of postcodes (PC4 or PC6), or both; `streets` are names shown on the public map."""

    __tablename__ = "groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    municipality: Mapped[str] = mapped_column(String(80), index=True)
    area: Mapped[dict | None] = mapped_column(JSON)
    postcodes: Mapped[list | None] = mapped_column(JSON)
    streets: Mapped[list | None] = mapped_column(JSON)
    member_count: Mapped[int]
    # What the administrator confirmed at registration (both must be true to register).
    members_adult: Mapped[bool]
    one_per_household: Mapped[bool]
    status: Mapped[str] = mapped_column(String(10), default=REQUESTED, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    approved_at: Mapped[datetime | None]
    approved_by: Mapped[int | None] = mapped_column(ForeignKey("operators.id"))

    administrator: Mapped[GroupAdministrator] = relationship(
        back_populates="group", cascade="all, delete-orphan", uselist=False)


class GroupAdministrator(Base):
    """The one administrator of a group (the unique group_id keeps it to one). Name, e-mail
    and phone are personal data: published only with `publish_contact`, never logged."""

    __tablename__ = "group_administrators"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"),
                                          unique=True)
    name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(254))
    phone: Mapped[str] = mapped_column(String(20), index=True)  # E.164 mobile
    publish_contact: Mapped[bool] = mapped_column(default=False)
    heterdaadkracht: Mapped[str] = mapped_column(String(10), default=HDK_OFF)
    # sha256 of the secret link to the administrator's page (sign and sticker requests). The
    # link exists only in the SMS that carries it (worker/groups.py); a new one replaces it.
    link_hash: Mapped[str | None] = mapped_column(String(64), unique=True)

    group: Mapped[Group] = relationship(back_populates="administrator")


# Sign and sticker requests: staff move them NEW -> APPROVED -> DELIVERED.
NEW, APPROVED, DELIVERED = "new", "approved", "delivered"
SUPPLY_STATUSES = (NEW, APPROVED, DELIVERED)


class SupplyRequest(Base):
    """'Let op: Buurtpreventie' street signs and door stickers for a group, to one address."""

    __tablename__ = "group_supply_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), index=True)
    signs: Mapped[int]
    stickers: Mapped[int]
    # Where to deliver: personal data when it is the administrator's home.
    address: Mapped[str] = mapped_column(String(200))
    postcode: Mapped[str] = mapped_column(String(6))
    status: Mapped[str] = mapped_column(String(10), default=NEW)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    approved_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]


class GroupMessage(Base):
    """A text to a group's administrator (the group's approval, each step of a supply request):
    the row is written with the step, in its transaction, and a job sends it (worker/groups.py).
    `{link}` in the body is replaced by a fresh link to the administrator's page when sent, so
    the link is never stored."""

    __tablename__ = "group_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), index=True)
    body: Mapped[str] = mapped_column(String(480))
    # queued -> sent | failed | unknown (a timeout: it may have gone out; not retried, so that
    # nobody gets the same text twice); the provider's sid once it accepted the message.
    status: Mapped[str] = mapped_column(String(10), default="queued")
    sid: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
