from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from gateway.models.base import Base, utcnow

# viewer: follows actions; operator and supervisor: run them; municipality: the participant
# registry (and neighbourhood groups); admin: everything. gateway/auth.py maps them to rights.
ROLES = ("viewer", "operator", "supervisor", "admin", "municipality")


class Operator(Base):
    """A control-room operator: logs in to the console with a password, calls the API with a token."""

    __tablename__ = "operators"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))  # argon2
    # sha256 of the API token: tokens are 32 random bytes, so a fast hash is safe and lookups fast.
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(20), default="operator")
    # Console sessions carry this number; logging out or disabling bumps it, so a copied
    # session cookie dies with the session it came from.
    session_epoch: Mapped[int] = mapped_column(default=0)
    # Disabled operators keep their history (audit events point at them) but cannot log in.
    disabled_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
