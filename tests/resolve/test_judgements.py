"""Manual judgements: recorded with a reason and audited, the latest on a pair counts, undo keeps history."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from policecloud.data.resolve.judgements import JudgementError, active_judgements, judge, list_judgements, retract
from policecloud.platform.access import audit
from policecloud.platform.store.models import AuditEntry

ANALYST = audit.Actor("analyst01", "10.0.0.8")


def test_judgements_are_recorded_superseded_retracted_and_audited(store_engine, clock):
    with Session(store_engine) as session:
        first = judge(session, ANALYST, "b2:7", "b1:3", "same", "same phone and birth date", now=clock())
        assert (first.left_key, first.right_key) == ("b1:3", "b2:7")  # stored in sorted order
        clock.advance(minutes=5)
        second = judge(session, ANALYST, "b1:3", "b2:7", "not_same", "different fathers' names", now=clock())
        judge(session, ANALYST, "b1:3", "b9:1", "unsure", "needs a visit", now=clock())
        assert active_judgements(session) == [("b1:3", "b2:7", "not_same"), ("b1:3", "b9:1", "unsure")]
        retract(session, ANALYST, second.id, now=clock())
        assert active_judgements(session) == [("b1:3", "b9:1", "unsure")]
        history = list_judgements(session, include_retracted=True)
        assert [(j.verdict, j.retracted_by) for j in history] == [
            ("same", "analyst01"),
            ("not_same", "analyst01"),
            ("unsure", None),
        ]
        assert audit.verify(session).ok
        names = [e.event for e in session.query(AuditEntry).order_by(AuditEntry.seq)]
        assert names == ["resolve.judged"] * 3 + ["resolve.judgement_retracted"]


@pytest.mark.parametrize(
    ("left", "right", "verdict", "reason"),
    [
        ("b1:1", "b1:1", "same", "x"),  # one record with itself
        ("b1:1", "b1:2", "maybe", "x"),  # unknown verdict
        ("b1:1", "b1:2", "same", "  "),  # no reason
    ],
)
def test_bad_judgements_are_refused_with_a_message(store_engine, left, right, verdict, reason):
    with Session(store_engine) as session:
        with pytest.raises(JudgementError):
            judge(session, ANALYST, left, right, verdict, reason)
        assert active_judgements(session) == []


def test_retracting_twice_is_refused(store_engine):
    with Session(store_engine) as session:
        j = judge(session, ANALYST, "b1:1", "b1:2", "same", "checked in person")
        retract(session, ANALYST, j.id)
        with pytest.raises(JudgementError):
            retract(session, ANALYST, j.id)
