"""Master data (一标三实) as a platform app: its judgement table and audit events."""

from __future__ import annotations

from policecloud.data.resolve import judgements, models  # noqa: F401  (models registers the judgement table)
from policecloud.platform.registry import App

APP = App(
    name="resolve",
    zh="一标三实",
    en="Master data",
    audit_events=[judgements.ResolutionJudged, judgements.ResolutionJudgementRetracted],
)
