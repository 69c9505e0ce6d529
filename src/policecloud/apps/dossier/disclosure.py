"""What a dossier answer disclosed, for its audit entry: every entity it names and every record it shows.

An answer names entities directly (``entity_id`` anywhere in it, or an ``entity_ids`` list) and shows records
(``record_key`` anywhere in it). A record's values belong to the entities linked to it — a hotel stay shows its
guest's name and ID number — so those entities are disclosed too, except the ones outside the reader's
jurisdiction, whose columns the answer blanked (see ``outside``). The audit entry lists both: the entities
(``disclosed``) and the records (``records``).
"""

from __future__ import annotations

from typing import Any

import duckdb

from policecloud.apps.dossier.outside import scope_of
from policecloud.apps.dossier.reader import Viewer


def named_in(answer: Any) -> tuple[set[str], set[str]]:
    """(entity ids, record keys) an answer carries anywhere in it."""
    ids: set[str] = set()
    keys: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if isinstance(value.get("entity_id"), str):
                ids.add(value["entity_id"])
            if isinstance(value.get("entity_ids"), list):
                ids.update(v for v in value["entity_ids"] if isinstance(v, str))
            if isinstance(value.get("record_key"), str):
                keys.add(value["record_key"])
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(answer)
    return ids, keys


def disclosed(cur: duckdb.DuckDBPyConnection, viewer: Viewer, answer: Any) -> tuple[list[str], list[str]]:
    """(entity ids, record keys) the answer disclosed, each sorted: the entities it names and those linked to
    the records it shows (the ones in the reader's jurisdiction: the others' values were not shown)."""
    ids, keys = named_in(answer)
    if keys:
        linked = [r[0] for r in cur.execute(
            "SELECT DISTINCT entity_id FROM links_r WHERE record_key IN (SELECT unnest(?::VARCHAR[]))", [sorted(keys)]
        ).fetchall()]  # fmt: skip
        ids.update(entity for entity, shown in scope_of(cur, viewer, linked).items() if shown)
    return sorted(ids), sorted(keys)
