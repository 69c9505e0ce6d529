"""Exact lookup of an entity by what an officer types: a plate, an ID number, a phone number, a credit code, a
VIN, or a name. The query's shape is recognised with the data model's element types and the mode is said in the
answer; nothing is guessed. This is the dossier's own way in when the full-text search index is not available.
"""

from __future__ import annotations

import re
from typing import Any

import duckdb

from policecloud.apps.dossier.reader import Viewer, fetch_dicts, plain
from policecloud.data.model.types import get

# Identifier shapes, tried in order: (element type, statement properties holding it).
IDENTIFIERS = (
    ("id_number", ("id_number",)),
    ("uscc", ("uscc",)),
    ("vin", ("vin",)),
    ("plate", ("plate",)),
    ("phone", ("number", "phone")),
)
_NAME = re.compile(r"[\u3400-\u9fff]{2,4}|[\u3400-\u9fff]+·[\u3400-\u9fff·]+")  # 张伟, 阿依古丽·买买提
MAX_RESULTS = 50


def recognise(q: str) -> tuple[str, str, tuple[str, ...]]:
    """(mode, normalized value, properties to look in) for a query; mode 'identifier:<type>', 'name' or 'text'."""
    text = q.strip()
    for type_name, props in IDENTIFIERS:
        checked = get(type_name).check(text)
        if checked.value is not None and checked.reason is None:
            return f"identifier:{type_name}", str(checked.value), props
    compact = re.sub(r"\s+", "", text)
    if _NAME.fullmatch(compact):
        return "name", compact, ("name",)
    return "text", compact, ()


def lookup(cur: duckdb.DuckDBPyConnection, viewer: Viewer, q: str, limit: int = 20) -> dict[str, Any]:
    """Entities in the viewer's jurisdiction having the recognised value (as key, caption or statement)."""
    mode, value, props = recognise(q)
    items: list[dict[str, Any]] = []
    if props:
        items = fetch_dicts(
            cur,
            f"""SELECT e.entity_id, e.entity_type, e.caption, e.key, e.county, e.records, e.first_seen, e.last_seen
                FROM entities e
                WHERE e.entity_id IN (SELECT entity_id FROM statements_v WHERE value = ?
                                      AND property IN (SELECT unnest(?::VARCHAR[])))
                  AND {viewer.scope_sql("e.county")}
                ORDER BY e.records DESC, e.entity_id LIMIT {int(min(limit, MAX_RESULTS))}""",
            [value, list(props)],
        )
    shown = [plain({**viewer.entity(r), "id": r["entity_id"]}) for r in items]
    return {"q": q, "mode": mode, "items": shown, "count": len(shown)}
