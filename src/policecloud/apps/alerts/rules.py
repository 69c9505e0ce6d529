"""Rules: match one canonical event against the watchlists and geofences in force at the event's time.

A :class:`RuleSet` is a snapshot of the active entries and fences, indexed by value, plus the coordinates of
the known places (checkpoints, cameras; hotels fall back to their county seat). Matching is pure and cheap
(a dictionary lookup per identifier in the event), so the processor can match every event of the stream.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from policecloud.apps.alerts.geofence import Fence
from policecloud.apps.alerts.models import Geofence, MapDevice, WatchlistEntry


@cache
def county_seats() -> dict[str, tuple[float, float, str]]:
    from policecloud.data.model.divisions import load_divisions

    return {d.code: (d.lon, d.lat, d.name) for d in load_divisions() if d.lon is not None and d.lat is not None}


# Which fields of an event carry which kind of watched identifier.
IDENTIFIER_FIELDS = {"plate": "vehicle", "id_number": "person", "phone": "phone"}


@dataclass(frozen=True)
class Watch:
    id: int
    kind: str
    value: str
    reason: str
    jurisdiction_code: str
    valid_from: datetime
    valid_until: datetime | None

    def valid_at(self, when: datetime) -> bool:
        return self.valid_from <= when and (self.valid_until is None or when < self.valid_until)


@dataclass(frozen=True)
class Match:
    rule: str  # "watch:<id>" or "fence:<id>"
    alert_type: str  # person, vehicle, phone or geofence
    subject: str
    reason: str
    owner_jurisdiction: str


class RuleSet:
    def __init__(
        self,
        watches: list[Watch],
        fences: list[Fence],
        places: dict[str, tuple[float, float, str]],
        timezone: str = "Asia/Shanghai",
    ) -> None:
        self.index: dict[tuple[str, str], list[Watch]] = defaultdict(list)
        for watch in watches:
            self.index[(watch.kind, watch.value)].append(watch)
        self.fences = fences
        self.places = places  # code → (lon, lat, name)
        self.timezone = timezone

    @classmethod
    def load(cls, session: Session, timezone: str = "Asia/Shanghai") -> RuleSet:
        watches = [
            Watch(e.id, e.kind, e.value, e.reason, e.jurisdiction_code, e.valid_from, e.valid_until)
            for e in session.execute(select(WatchlistEntry).where(WatchlistEntry.active.is_(True))).scalars()
        ]
        fences = [
            Fence(
                f.id,
                f.name,
                tuple(tuple(p) for p in json.loads(f.polygon)),
                f.start_minute,
                f.end_minute,
                f.watched_only,
                f.reason,
                f.jurisdiction_code,
                f.valid_from,
                f.valid_until,
            )
            for f in session.execute(select(Geofence).where(Geofence.active.is_(True))).scalars()
        ]
        places = {
            d.code: (d.lon, d.lat, d.name)
            for d in session.execute(select(MapDevice)).scalars()
            if d.lon is not None and d.lat is not None
        }
        return cls(watches, fences, places, timezone)

    def location(self, event: dict[str, Any]) -> tuple[float, float, str] | None:
        """The place's coordinates; a place not in the registries (a hotel) is shown at its county seat."""
        return self.places.get(event["place"]) or county_seats().get(event.get("county", ""))

    def match(self, event: dict[str, Any]) -> list[Match]:
        when = datetime.fromisoformat(event["time"])
        found: list[Match] = []
        watched_subjects: list[str] = []
        for name, kind in IDENTIFIER_FIELDS.items():
            value = event.get(name)
            if not value:
                continue
            for watch in self.index.get((kind, value), ()):
                if watch.valid_at(when):
                    found.append(Match(f"watch:{watch.id}", kind, value, watch.reason, watch.jurisdiction_code))
                    watched_subjects.append(value)
        if self.fences:
            where = self.location(event)
            subject = event.get("plate") or event.get("id_number")
            if where is not None and subject:
                for fence in self.fences:
                    if fence.watched_only and subject not in watched_subjects:
                        continue
                    if fence.covers(where[0], where[1], when, self.timezone):
                        reason = f"{fence.name}: {fence.reason}"
                        found.append(Match(f"fence:{fence.id}", "geofence", subject, reason, fence.jurisdiction_code))
        return found
