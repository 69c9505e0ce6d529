"""Stream processing: events from the bus → matches → alerts, hits and hourly statistics in the store.

One batch of deliveries is one store transaction, which also records the offset of its last event
(``event_consumer``). After a crash the processor resumes right after that offset, so each event's effects
land exactly once; the unique (event, rule) constraint on hits backs this up should the offsets ever
disagree. Deduplication: a match for the same rule, subject and place as an open alert seen within
``alert_dedup_seconds`` (event time) is another hit of that alert, not a new alert.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from policecloud.apps.alerts.bus import Delivery
from policecloud.apps.alerts.models import Alert, AlertHit, ConsumerOffset, EventHour
from policecloud.apps.alerts.rules import Match, RuleSet

CONSUMER = "alerts"


def alert_dict(alert: Alert) -> dict[str, Any]:
    return {
        "id": alert.id,
        "type": alert.alert_type,
        "rule": alert.rule,
        "subject": alert.subject,
        "reason": alert.reason,
        "place_code": alert.place_code,
        "place_name": alert.place_name,
        "lon": alert.lon,
        "lat": alert.lat,
        "jurisdiction_code": alert.jurisdiction_code,
        "owner_jurisdiction": alert.owner_jurisdiction,
        "event_kind": alert.event_kind,
        "first_event": alert.first_event,
        "first_seen": alert.first_seen.isoformat(),
        "last_seen": alert.last_seen.isoformat(),
        "hits": alert.hits,
        "status": alert.status,
        "assigned_unit": alert.assigned_unit,
        "assigned_officer": alert.assigned_officer,
    }


def resume_offset(session: Session, consumer: str = CONSUMER) -> int:
    row = session.get(ConsumerOffset, consumer)
    return -1 if row is None else row.offset


class AlertProcessor:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        rules: Callable[[], RuleSet],
        dedup_seconds: int,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.sessions = sessions
        self.rules = rules
        self.window = timedelta(seconds=dedup_seconds)
        self.clock = clock

    def process(self, deliveries: Sequence[Delivery]) -> list[dict[str, Any]]:
        """Apply a batch; returns the alerts created or changed, each with ``new`` and ``accepted_at``."""
        if not deliveries:
            return []
        rules = self.rules()
        changed: dict[int, dict[str, Any]] = {}
        hours: Counter[tuple[datetime, str, str]] = Counter()
        with self.sessions() as session:
            done = resume_offset(session)
            for delivery in deliveries:
                if delivery.offset <= done:
                    continue  # already in the store (redelivered after a crash)
                event = delivery.event
                when = datetime.fromisoformat(event["time"])
                hour = when.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
                hours[(hour, event["kind"], event.get("county", "")[:4] + "00")] += 1
                for match in rules.match(event):
                    alert, new = self._record(session, rules, event, when, match)
                    if alert is not None:
                        item = changed.setdefault(alert.id, {"new": new, "accepted_at": event.get("accepted_at")})
                        item["alert"] = alert
            self._count(session, hours)
            last = deliveries[-1].offset
            row = session.get(ConsumerOffset, CONSUMER)
            if row is None:
                session.add(ConsumerOffset(name=CONSUMER, offset=last))
            elif last > row.offset:
                row.offset = last
            session.commit()
            return [
                {**alert_dict(v["alert"]), "new": v["new"], "accepted_at": v["accepted_at"]} for v in changed.values()
            ]

    def _record(
        self, session: Session, rules: RuleSet, event: dict[str, Any], when: datetime, match: Match
    ) -> tuple[Alert | None, bool]:
        seen = session.execute(
            select(AlertHit.id).where(AlertHit.event_id == event["id"], AlertHit.rule == match.rule)
        ).first()
        if seen is not None:
            return None, False
        place = event["place"]
        alert = session.execute(
            select(Alert)
            .where(
                Alert.rule == match.rule,
                Alert.subject == match.subject,
                Alert.place_code == place,
                Alert.status != "closed",
                Alert.last_seen >= when - self.window,
                Alert.first_seen <= when + self.window,
            )
            .order_by(Alert.last_seen.desc())
            .limit(1)
        ).scalar_one_or_none()
        now = self.clock()
        new = alert is None
        if alert is None:
            where = rules.location(event)
            alert = Alert(
                alert_type=match.alert_type,
                rule=match.rule,
                subject=match.subject,
                reason=match.reason[:200],
                place_code=place,
                place_name=(event.get("place_name") or (where[2] if where else ""))[:100],
                lon=where[0] if where else None,
                lat=where[1] if where else None,
                jurisdiction_code=event.get("county", ""),
                owner_jurisdiction=match.owner_jurisdiction,
                event_kind=event["kind"],
                first_event=event["id"],
                first_seen=when,
                last_seen=when,
                hits=1,
                status="new",
                created_at=now,
                updated_at=now,
            )
            session.add(alert)
        else:
            alert.hits += 1
            alert.last_seen = max(alert.last_seen, when)
            alert.first_seen = min(alert.first_seen, when)
            alert.updated_at = now
        session.flush()
        session.add(AlertHit(alert_id=alert.id, event_id=event["id"], rule=match.rule, at=when))
        return alert, new

    @staticmethod
    def _count(session: Session, hours: Counter[tuple[datetime, str, str]]) -> None:
        for (hour, kind, prefecture), n in hours.items():
            row = session.get(EventHour, (hour, kind, prefecture))
            if row is None:
                session.add(EventHour(hour=hour, kind=kind, prefecture=prefecture, count=n))
            else:
                row.count += n
