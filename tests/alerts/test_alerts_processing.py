"""Matching and alert processing in the store, on SQLite and PostgreSQL: dedup window, exactly-once hits,
validity periods, geofences with time windows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from policecloud.apps.alerts import watchlists
from policecloud.apps.alerts.bus import Delivery
from policecloud.apps.alerts.geofence import contains, in_window
from policecloud.apps.alerts.intake import normalize
from policecloud.apps.alerts.models import Alert, AlertHit, ConsumerOffset, MapDevice
from policecloud.apps.alerts.processor import AlertProcessor
from policecloud.apps.alerts.rules import RuleSet

BOTH_ENGINES = pytest.mark.parametrize("store_kind", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
T0 = datetime(2026, 10, 3, 0, 0, tzinfo=UTC)


class Stream:
    def __init__(self, engine, window_s: int = 600) -> None:
        self.sessions = sessionmaker(engine, expire_on_commit=False)
        self.processor = AlertProcessor(self.sessions, self.rules, window_s, clock=lambda: T0)
        self.offset = 0

    def rules(self) -> RuleSet:
        with self.sessions() as session:
            return RuleSet.load(session)

    def watch(self, kind: str, value: str, **validity) -> int:
        with self.sessions() as session:
            entry = watchlists.add_entry(
                session, kind=kind, value=value, reason="测试", owner="t", jurisdiction_code="420000",
                valid_from=validity.get("valid_from", T0 - timedelta(days=30)),
                valid_until=validity.get("valid_until"), now=T0,
            )  # fmt: skip
            session.commit()
            return entry.id

    def deliver(self, *raws: dict, offsets: list[int] | None = None) -> list[dict]:
        deliveries = []
        for i, raw in enumerate(raws):
            offset = offsets[i] if offsets else self.offset
            deliveries.append(Delivery(offset, normalize(raw)))
            self.offset = max(self.offset, offset + 1)
        return self.processor.process(deliveries)

    def alerts(self) -> list[tuple[str, str, int]]:
        with self.sessions() as session:
            rows = session.execute(select(Alert).order_by(Alert.id)).scalars()
            return [(a.subject, a.place_code, a.hits) for a in rows]


def passing(n: int, plate: str, minute: int, checkpoint: str = "4201110001") -> dict:
    when = (datetime(2026, 10, 3, 8, 0) + timedelta(minutes=minute)).strftime("%Y-%m-%d %H:%M:%S")
    return {"kind": "checkpoint_pass", "id": f"P{n}", "time": when, "checkpoint": checkpoint, "plate": plate}


@BOTH_ENGINES
def test_same_plate_same_checkpoint_within_the_window_is_one_alert(store_engine):
    stream = Stream(store_engine, window_s=600)
    stream.watch("vehicle", "鄂A12345")
    changed = stream.deliver(passing(1, "鄂A12345", 0), passing(2, "鄂A12345", 5), passing(3, "鄂A99999", 6))
    assert [(c["new"], c["hits"]) for c in changed] == [(True, 2)]
    stream.deliver(passing(4, "鄂A12345", 14))  # 9 minutes after the last sighting: still the same alert
    stream.deliver(passing(5, "鄂A12345", 15, checkpoint="4201110002"))  # another checkpoint: another alert
    stream.deliver(passing(6, "鄂A12345", 40))  # 26 minutes later: a new alert
    assert stream.alerts() == [
        ("鄂A12345", "4201110001", 3),
        ("鄂A12345", "4201110002", 1),
        ("鄂A12345", "4201110001", 1),
    ]


@BOTH_ENGINES
def test_a_redelivered_event_adds_no_hit_and_no_alert(store_engine):
    stream = Stream(store_engine)
    stream.watch("vehicle", "鄂A12345")
    stream.deliver(passing(1, "鄂A12345", 0), passing(2, "鄂A12345", 1), offsets=[0, 1])
    # a crash after the store commit but before the bus offset commit: the bus delivers both again
    assert stream.deliver(passing(1, "鄂A12345", 0), passing(2, "鄂A12345", 1), offsets=[0, 1]) == []
    with Session(store_engine) as session:
        session.execute(ConsumerOffset.__table__.delete())  # even with the store's offset lost ...
        session.commit()
    assert stream.deliver(passing(2, "鄂A12345", 1), offsets=[1]) == []  # ... the (event, rule) key holds
    assert stream.alerts() == [("鄂A12345", "4201110001", 2)]
    with Session(store_engine) as session:
        assert session.execute(select(func.count()).select_from(AlertHit)).scalar_one() == 2


@BOTH_ENGINES
def test_entries_match_only_within_their_validity_period(store_engine):
    stream = Stream(store_engine)
    stream.watch("vehicle", "鄂FDW1527", valid_from=datetime(2026, 10, 3, 7, 0, tzinfo=UTC) - timedelta(hours=8))
    stream.watch("vehicle", "鄂A11111", valid_until=datetime(2026, 10, 2, tzinfo=UTC))
    stream.deliver(passing(1, "鄂FDW1527", -90), passing(2, "鄂FDW1527", 0), passing(3, "鄂A11111", 0))
    assert stream.alerts() == [("鄂FDW1527", "4201110001", 1)]  # 06:30 is before the entry; 08:00 after


@BOTH_ENGINES
def test_person_and_phone_entries_match_hotel_check_ins(store_engine):
    stream = Stream(store_engine)
    stream.watch("person", "421024196508216628")
    stream.watch("phone", "13812345678")
    stay = {"kind": "hotel_stay", "id": "LG1", "time": "2026-10-03 21:00:00", "hotel": "91420107MA2NW7P71H",
            "id_number": "421024196508216628", "name": "王佳红", "phone": "138 1234 5678"}  # fmt: skip
    changed = stream.deliver(stay)
    assert sorted(c["type"] for c in changed) == ["person", "phone"]


@BOTH_ENGINES
def test_geofence_with_a_night_window(store_engine):
    stream = Stream(store_engine)
    with stream.sessions() as session:
        session.add(
            MapDevice(code="4201110001", kind="checkpoint", name="卡口1", county_code="420111", lon=114.4, lat=30.5)
        )
        session.add(
            MapDevice(code="4201110002", kind="checkpoint", name="卡口2", county_code="420111", lon=114.9, lat=30.5)
        )
        watchlists.add_geofence(
            session, name="仓库区", polygon=[[114.3, 30.4], [114.5, 30.4], [114.5, 30.6], [114.3, 30.6]],
            start_minute=22 * 60, end_minute=6 * 60, watched_only=False, reason="夜间禁入", owner="t",
            jurisdiction_code="420111", valid_from=T0 - timedelta(days=1), valid_until=None, now=T0,
        )  # fmt: skip
        session.commit()
    night = {**passing(1, "鄂A22222", 0), "time": "2026-10-03 23:30:00"}
    day = {**passing(2, "鄂A33333", 0), "time": "2026-10-03 12:00:00"}
    outside = {**passing(3, "鄂A44444", 0, checkpoint="4201110002"), "time": "2026-10-03 23:30:00"}
    changed = stream.deliver(night, day, outside)
    assert [(c["type"], c["subject"], c["lon"]) for c in changed] == [("geofence", "鄂A22222", 114.4)]


def test_geometry_helpers():
    square = ((0.0, 0.0), (2.0, 0.0), (2.0, 2.0), (0.0, 2.0))
    assert contains(square, 1, 1) and not contains(square, 3, 1) and not contains(square, -0.1, 1)
    at = datetime(2026, 10, 3, 15, 30, tzinfo=UTC)  # 23:30 in Beijing
    assert in_window(22 * 60, 6 * 60, at, "Asia/Shanghai") and not in_window(8 * 60, 18 * 60, at, "Asia/Shanghai")
