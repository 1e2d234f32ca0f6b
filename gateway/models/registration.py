from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from gateway.models.base import Base, utcnow

# Why a code was texted. REGISTER keeps the submitted participant in `body` until the code
# proves the number: nothing of an unproven registration reaches the participants table.
# IMPORT verifies a participant a municipality imported with --verify; SIGN_IN opens the
# self-service pages; CHANGE_PHONE moves a participant to the (new) number in `phone`.
REGISTER, IMPORT, SIGN_IN, CHANGE_PHONE = "register", "import", "sign_in", "change_phone"
PURPOSES = (REGISTER, IMPORT, SIGN_IN, CHANGE_PHONE)


class Registration(Base):
    """One code texted to one number. The code is stored only as an HMAC; it expires and
    allows a few tries. Unverified rows are purged after a day."""

    __tablename__ = "registrations"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(20), index=True)  # E.164, the number to prove
    purpose: Mapped[str] = mapped_column(String(12))
    participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True)
    body: Mapped[dict | None] = mapped_column(JSON)
    # Set by the job that texts the code (the code itself exists only in that SMS).
    code_hash: Mapped[str | None] = mapped_column(String(64))
    expires_at: Mapped[datetime | None]
    tries: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    verified_at: Mapped[datetime | None]
