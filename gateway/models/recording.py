"""A recording left on the tip line, as the provider's recording status callback describes it.
The media stays at the provider: the console plays it through the app (GET /api/tips/{id}/recording)
and the purge deletes it there and here after RECORDING_RETENTION_DAYS."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gateway.models.base import Base, utcnow


class Recording(Base):
    __tablename__ = "recordings"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The provider's RecordingSid: a replayed callback finds it and adds nothing.
    sid: Mapped[str] = mapped_column(String(40), unique=True)
    call_sid: Mapped[str | None] = mapped_column(String(40), index=True)
    # Only a link to the provider's own media (gateway.security.trusted_media) is kept.
    url: Mapped[str | None] = mapped_column(String(300))
    duration_s: Mapped[int | None]
    status: Mapped[str] = mapped_column(String(12), default="completed")
    action_id: Mapped[int | None] = mapped_column(ForeignKey("actions.id"), index=True)
    tip_id: Mapped[int | None] = mapped_column(ForeignKey("tips.id", ondelete="SET NULL"),
                                               index=True)
    # Filled only when a transcriber is configured (gateway/transcription.py); off by default.
    transcript: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
