"""One page of an entity's records in one warehouse table (used by the profile and by the type sections)."""

from __future__ import annotations

from typing import Any

import duckdb

from policecloud.apps.dossier.outside import blank_rows
from policecloud.apps.dossier.reader import Viewer, fetch_dicts, linked_keys, plain, rows_where
from policecloud.apps.dossier.timeline import LINEAGE
from policecloud.platform.sql import ident

TIME_COLUMNS = ("time", "start", "registration_date")
MAX_WINDOW = 10_000


def records(
    cur: duckdb.DuckDBPyConnection,
    tables: dict[str, set[str]],
    viewer: Viewer,
    entity_id: str,
    table: str,
    *,
    page: int = 1,
    per_page: int = 20,
    keys: list[str] | None = None,
) -> dict[str, Any]:
    """One page of the entity's records in one warehouse table, newest first, masked for the viewer."""
    total = cur.execute(
        "SELECT count(DISTINCT record_key) FROM links_e WHERE entity_id = ? AND table_name = ?", [entity_id, table]
    ).fetchone()[0]
    out = {"table": table, "total": int(total), "page": page, "per_page": per_page, "rows": []}
    if table not in tables or not total:
        out["missing"] = table not in tables
        return out
    cols = tables[table]
    if keys is None:
        keys = linked_keys(cur, entity_id).get(table, [])
    order = next((c for c in TIME_COLUMNS if c in cols), None)
    order_by = f"t.{ident(order)} DESC NULLS LAST, l.record_key" if order else "l.record_key"
    drop = [c for c in LINEAGE if c in cols]
    exclude = f" EXCLUDE ({', '.join(drop)})" if drop else ""
    offset = min((page - 1) * per_page, MAX_WINDOW)
    rows = fetch_dicts(
        cur,
        f"""SELECT l.record_key, l.roles, t.*{exclude}
            FROM (SELECT record_key, list(DISTINCT role ORDER BY role) AS roles FROM links_e
                  WHERE entity_id = ? AND table_name = ? GROUP BY record_key) l
            JOIN (SELECT *, batch || ':' || CAST(row AS VARCHAR) AS _key FROM {ident(table)}
                  WHERE {rows_where(keys)}) t ON t._key = l.record_key
            ORDER BY {order_by} LIMIT {int(per_page)} OFFSET {int(offset)}""",
        [entity_id, table],
    )
    for r in blank_rows(cur, viewer, table, rows, entity_id):
        r.pop("_key", None)
        r["record_id"] = r.pop("id", None)
        out["rows"].append(plain(viewer.row(r)))
    out["more"] = max(0, out["total"] - offset - len(out["rows"]))
    return out
