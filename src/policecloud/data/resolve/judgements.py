"""Recording, retracting and reading manual resolution judgements (audited).

The latest active judgement on a pair of records is the one that counts: a new judgement on the same pair
retracts the previous one. Retracting (undo) keeps the row with who and when.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import ClassVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from policecloud.data.resolve.models import KINDS, VERDICTS, ResolutionJudgement
from policecloud.platform.access import audit
from policecloud.platform.access.events import AuditEvent


class JudgementError(ValueError):
    """A judgement that cannot be recorded or retracted, with a message for the user."""


@dataclass(frozen=True)
class ResolutionJudged(AuditEvent):
    name: ClassVar[str] = "resolve.judged"
    judgement_id: int
    entity_type: str
    left_key: str
    right_key: str
    verdict: str
    reason: str


@dataclass(frozen=True)
class ResolutionJudgementRetracted(AuditEvent):
    name: ClassVar[str] = "resolve.judgement_retracted"
    judgement_id: int


def judge(
    session: Session,
    actor: audit.Actor,
    left_key: str,
    right_key: str,
    verdict: str,
    reason: str,
    entity_type: str = "person",
    now: datetime | None = None,
) -> ResolutionJudgement:
    """Record a judgement on two records (and audit it in the same transaction); returns it."""
    if verdict not in VERDICTS:
        raise JudgementError(
            f"verdict must be one of {', '.join(VERDICTS)}, not {verdict!r} / 判断只能是 同一/不同/不确定"
        )
    if entity_type not in KINDS:
        raise JudgementError(f"judgements are kept for {', '.join(KINDS)} records, not {entity_type!r}")
    left_key, right_key = sorted((left_key.strip(), right_key.strip()))
    if left_key == right_key or not left_key:
        raise JudgementError("a judgement needs two different record keys (batch:row) / 需要两条不同的记录")
    if not reason.strip():
        raise JudgementError("a judgement needs a reason / 请说明理由")
    now = now or datetime.now(UTC)
    for previous in _active(session, entity_type, left_key, right_key):
        previous.retracted_at, previous.retracted_by = now, actor.name
    judgement = ResolutionJudgement(
        entity_type=entity_type,
        left_key=left_key,
        right_key=right_key,
        verdict=verdict,
        reason=reason.strip(),
        author=actor.name,
        created_at=now,
    )
    session.add(judgement)
    session.flush()
    audit.append(
        session,
        ResolutionJudged(judgement.id, entity_type, left_key, right_key, verdict, judgement.reason),
        actor,
        now,
    )
    session.commit()
    return judgement


def retract(session: Session, actor: audit.Actor, judgement_id: int, now: datetime | None = None) -> None:
    """Undo a judgement: the next resolution run no longer applies it."""
    judgement = session.get(ResolutionJudgement, judgement_id)
    if judgement is None or judgement.retracted_at is not None:
        raise JudgementError(f"no active judgement {judgement_id} / 没有该判断或已撤销")
    now = now or datetime.now(UTC)
    judgement.retracted_at, judgement.retracted_by = now, actor.name
    audit.append(session, ResolutionJudgementRetracted(judgement_id), actor, now)
    session.commit()


def _active(session: Session, entity_type: str, left_key: str, right_key: str) -> list[ResolutionJudgement]:
    query = select(ResolutionJudgement).where(
        ResolutionJudgement.entity_type == entity_type,
        ResolutionJudgement.left_key == left_key,
        ResolutionJudgement.right_key == right_key,
        ResolutionJudgement.retracted_at.is_(None),
    )
    return list(session.scalars(query))


def active_judgements(session: Session, entity_type: str = "person") -> list[tuple[str, str, str]]:
    """(left_key, right_key, verdict) of every active judgement — the input of a resolution run."""
    query = select(ResolutionJudgement.left_key, ResolutionJudgement.right_key, ResolutionJudgement.verdict).where(
        ResolutionJudgement.entity_type == entity_type, ResolutionJudgement.retracted_at.is_(None)
    )
    return sorted((a, b, v) for a, b, v in session.execute(query))


def list_judgements(session: Session, include_retracted: bool = False) -> list[ResolutionJudgement]:
    query = select(ResolutionJudgement).order_by(ResolutionJudgement.id)
    if not include_retracted:
        query = query.where(ResolutionJudgement.retracted_at.is_(None))
    return list(session.scalars(query))
