"""Manual resolution judgements in the operational store; created by migration 0003_resolution.

A judgement says two source records are the same entity, are not, or that the reviewer is unsure. Judgements
are inputs to every resolution run (they override the model and so survive re-runs); undoing one marks it
retracted — the row stays, so the review history is never lost — and the next run gives the model's clusters.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from policecloud.platform.store.base import Base, UTCDateTime

VERDICTS = ("same", "not_same", "unsure")
KINDS = ("person",)


class ResolutionJudgement(Base):
    __tablename__ = "resolution_judgement"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entity_type: Mapped[str] = mapped_column(String(16))
    left_key: Mapped[str] = mapped_column(String(120))  # record keys (batch:row), stored in sorted order
    right_key: Mapped[str] = mapped_column(String(120))
    verdict: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(500))
    author: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    retracted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    retracted_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    __table_args__ = (Index("ix_resolution_judgement_pair", "left_key", "right_key"),)
