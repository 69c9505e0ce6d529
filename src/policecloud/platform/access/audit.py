"""The append-only, hash-chained audit log: append in the caller's transaction, verify, search.

Each entry's hash is SHA-256 over a canonical JSON serialization of (seq, time, actor, client, event,
payload, prev_hash); the chain head (last seq and hash) is kept in ``audit_head``. Appending updates the head
row first, which locks it until the caller's transaction ends, so concurrent appends queue in order.
An append that fails raises, so the action it records fails with it.

:func:`append_entries` appends several prepared entries at once (one head update for the batch): the
process's audit writer (policecloud.platform.access.audit_writer) uses it to commit many reads' entries together.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from policecloud.platform.access.events import AuditEvent
from policecloud.platform.store.models import GENESIS_HASH, AuditEntry, AuditHead

__all__ = [
    "GENESIS_HASH",
    "Actor",
    "AuditQuery",
    "PendingEntry",
    "VerifyReport",
    "append",
    "append_entries",
    "prepare",
    "search",
    "verify",
]


@dataclass(frozen=True)
class Actor:
    """Who acts and from where: a username (or ``cli:<name>``, ``anonymous``) and the client address."""

    name: str
    client: str = ""


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def entry_hash(seq: int, at: str, actor: str, client: str, event: str, payload: str, prev_hash: str) -> str:
    body = canonical_json([seq, at, actor, client, event, payload, prev_hash])
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class PendingEntry:
    """An entry as the request saw it (time, who, what), not yet placed in the chain."""

    at: str
    actor: str
    client: str
    event: str
    payload: str


def prepare(event: AuditEvent, actor: Actor, now: datetime | None = None) -> PendingEntry:
    if not event.name:
        raise ValueError(f"{type(event).__name__} has no event name")
    at = (now or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="microseconds")
    return PendingEntry(at, actor.name, actor.client, event.name, canonical_json(event.payload()))


# A read-only session (an API read: a snapshot that must not write) carries the process's audit writer here.
WRITER_INFO_KEY = "policecloud.audit_writer"


def append(session: Session, event: AuditEvent, actor: Actor, now: datetime | None = None) -> int:
    """Write ``event`` to the log inside the session's current transaction; returns its sequence number.

    A read-only session cannot write: its entry goes to the audit writer it carries, committed on return.
    """
    entry = prepare(event, actor, now)
    writer = session.info.get(WRITER_INFO_KEY)
    if writer is not None:
        return writer.append([entry])[0]
    return append_entries(session, [entry])[0]


def append_entries(session: Session, entries: Sequence[PendingEntry]) -> list[int]:
    """Chain ``entries`` in order at the end of the log inside the session's transaction; their seqs.

    The head is moved first by the whole batch (reserving its seqs; UPDATE takes the row lock on PostgreSQL,
    the write lock on SQLite), then the entries are inserted in order and the head takes the last one's hash.
    """
    if not entries:
        return []
    count = len(entries)
    session.execute(update(AuditHead).where(AuditHead.id == 1).values(seq=AuditHead.seq + count))
    last_seq, prev_hash = session.execute(select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == 1)).one()
    rows = []
    for seq, entry in enumerate(entries, start=last_seq - count + 1):
        digest = entry_hash(seq, entry.at, entry.actor, entry.client, entry.event, entry.payload, prev_hash)
        rows.append(
            {
                "seq": seq,
                "at": entry.at,
                "actor": entry.actor,
                "client": entry.client,
                "event": entry.event,
                "payload": entry.payload,
                "prev_hash": prev_hash,
                "hash": digest,
            }
        )
        prev_hash = digest
    for row in rows:  # one statement per entry, in order: the log's triggers check each against the one before
        session.execute(insert(AuditEntry).values(**row))
    session.execute(update(AuditHead).where(AuditHead.id == 1).values(hash=prev_hash))
    return [row["seq"] for row in rows]


@dataclass(frozen=True)
class VerifyReport:
    ok: bool
    entries: int
    head_seq: int
    head_hash: str
    first_broken: int | None = None
    problem: str = ""

    @property
    def anchor(self) -> str:
        return f"{self.head_seq}:{self.head_hash}"

    def summary(self) -> str:
        if self.ok:
            return f"audit log intact: {self.entries} entries; head (keep it as an anchor) {self.anchor}"
        return f"audit log BROKEN at entry {self.first_broken}: {self.problem}"


def _rows(session: Session, after_seq: int = 0) -> Iterator[AuditEntry]:
    stmt = select(AuditEntry).where(AuditEntry.seq > after_seq).order_by(AuditEntry.seq)
    yield from session.execute(stmt.execution_options(yield_per=2000)).scalars()


def verify(
    session: Session, anchors: Mapping[int, str] | None = None, since: tuple[int, str] | None = None
) -> VerifyReport:
    """Walk the chain and name the first entry that was edited, deleted or inserted.

    ``anchors`` maps sequence numbers to hashes recorded outside the database earlier (the head printed by
    ``audit verify``, signed checkpoints); they catch a chain rewritten consistently from some entry on, which
    links alone cannot. ``since`` = (seq, hash), a point already trusted (a verified signed checkpoint), walks
    only the entries after it (``entries`` then counts those): the periodic checkpoint needs no full walk.
    """
    anchors = dict(anchors or {})
    head_seq, head_hash = session.execute(select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == 1)).one()
    count = 0
    start_seq, start_hash = since or (0, GENESIS_HASH)
    expected_seq = start_seq + 1
    prev_hash = prevprev_hash = start_hash
    prev_prev_link = start_hash  # prev_hash recorded by the previous entry

    def broken(seq: int, problem: str) -> VerifyReport:
        return VerifyReport(False, count, head_seq, head_hash, seq, problem)

    if start_seq > 0:
        stored = session.execute(select(AuditEntry.hash).where(AuditEntry.seq == start_seq)).scalar_one_or_none()
        if stored != start_hash:
            state = "is missing" if stored is None else "differs from the trusted point"
            return broken(start_seq, f"entry {start_seq} {state}: the chain was rewritten at or before it")
    for row in _rows(session, start_seq):
        if row.seq < expected_seq:
            return broken(row.seq, f"entry {row.seq} is out of order (expected {expected_seq})")
        if row.seq > expected_seq:
            return broken(expected_seq, f"entry {expected_seq} is missing (deleted)")
        if row.prev_hash != prev_hash:
            if row.seq > 1 and row.prev_hash == prevprev_hash and prev_prev_link == prevprev_hash:
                return broken(row.seq - 1, f"entry {row.seq - 1} was inserted (entry {row.seq} links past it)")
            intact = row.hash == entry_hash(
                row.seq, row.at, row.actor, row.client, row.event, row.payload, row.prev_hash
            )
            if intact and row.seq > 1:
                # This entry is intact, so the link it recorded is authentic: the previous one was rewritten.
                return broken(row.seq - 1, f"entry {row.seq - 1} was rewritten (its hash changed)")
            return broken(row.seq, f"entry {row.seq} does not link to the entry before it (deleted or inserted)")
        computed = entry_hash(row.seq, row.at, row.actor, row.client, row.event, row.payload, row.prev_hash)
        if computed != row.hash:
            return broken(row.seq, f"entry {row.seq} was edited (its content does not match its hash)")
        if anchors.get(row.seq, row.hash) != row.hash:
            return broken(row.seq, f"entry {row.seq} differs from its anchor: the chain was rewritten at or before it")
        prev_prev_link = row.prev_hash
        prevprev_hash, prev_hash = prev_hash, row.hash
        count += 1
        expected_seq += 1
    last_seq = expected_seq - 1
    if last_seq < head_seq:
        return broken(last_seq + 1, f"entries {last_seq + 1}..{head_seq} are missing (deleted from the end)")
    if last_seq > head_seq:
        return broken(head_seq + 1, f"entries {head_seq + 1}..{last_seq} were inserted after the recorded head")
    if prev_hash != head_hash:
        return broken(last_seq, f"entry {last_seq} does not match the recorded head hash")
    if beyond := sorted(seq for seq in anchors if seq > last_seq):
        return broken(beyond[0], f"entry {beyond[0]} named by an anchor is missing (deleted)")
    return VerifyReport(True, count, head_seq, head_hash)


@dataclass(frozen=True)
class AuditQuery:
    actor: str | None = None
    event: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    text: str | None = None
    after_seq: int = 0
    limit: int = 100


def search(session: Session, query: AuditQuery) -> list[AuditEntry]:
    stmt = select(AuditEntry).where(AuditEntry.seq > query.after_seq)
    if query.actor:
        stmt = stmt.where(AuditEntry.actor == query.actor)
    if query.event:
        stmt = stmt.where(AuditEntry.event.startswith(query.event, autoescape=True))
    if query.since:
        stmt = stmt.where(AuditEntry.at >= query.since.astimezone(UTC).isoformat(timespec="microseconds"))
    if query.until:
        stmt = stmt.where(AuditEntry.at < query.until.astimezone(UTC).isoformat(timespec="microseconds"))
    if query.text:
        stmt = stmt.where(AuditEntry.payload.contains(query.text, autoescape=True))
    stmt = stmt.order_by(AuditEntry.seq).limit(max(1, min(query.limit, 1000)))
    return list(session.execute(stmt).scalars())


def entry_dict(entry: AuditEntry) -> dict[str, Any]:
    return {
        "seq": entry.seq,
        "at": entry.at,
        "actor": entry.actor,
        "client": entry.client,
        "event": entry.event,
        "payload": json.loads(entry.payload),
        "prev_hash": entry.prev_hash,
        "hash": entry.hash,
    }
