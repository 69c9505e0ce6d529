"""What one dossier shows of the entities it names that lie outside the reader's jurisdiction: nothing that
identifies them.

An entity outside the jurisdiction does not exist for the reader (its own dossier answers 404), so another
dossier must not show it either — or its name, key, county or id would be read through the back door (a
person's relation lists once named thousands of out-of-jurisdiction persons). The rule, everywhere a dossier
names other entities (relation lists, the path, a record's related entities, people at an address, vehicles
sharing a plate):

- an entity is *listable* when its county lies in the reader's jurisdiction; a phone (no county: a number is
  not bound to a place) is listable as the value it is, masked as the role requires, and never linked;
- an entity that is not listable is not listed; the answer says how many were withheld (``withheld``), and a
  chain that passes through one (the path) shows a placeholder with no id, caption, key or county;
- in the records shown (a hotel's stays, a case's involvements, calls, registrations), the columns that
  identify a person outside the jurisdiction (``PERSON_COLUMNS``: name, ID number, phone, addresses …) are
  blanked and the record names the roles withheld; the properties of the entity that name such a person
  (a vehicle's or house's owner, an organization's legal representative) are withheld the same way.

The rule protects persons in the records (their columns are known from the person mentions of
``resolve.person_mentions``); a record's other values belong to the entity being read.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import duckdb

from policecloud.apps.dossier.reader import Viewer

# The columns of a record that identify the person linked in a role (None: any role of the table).
PERSON_COLUMNS: dict[tuple[str, str | None], tuple[str, ...]] = {
    ("person", "subject"): (
        "id_number",
        "name",
        "sex",
        "birth_date",
        "phone",
        "registered_address",
        "current_address",
        "household_number",
        "household_relation",
    ),
    ("hotel_stay", "guest"): ("id_number", "name"),
    ("internet_session", "user"): ("id_number", "name"),
    ("case_involvement", None): ("id_number", "name"),
    ("call110", "caller"): ("caller_name", "caller_phone"),
    ("organization", "legal_representative"): ("legal_representative", "legal_representative_id_number"),
    ("house", "owner"): ("owner_id", "owner_name"),
    ("vehicle", "owner"): ("owner_id", "owner_name"),
}
# Properties of an entity (statements) that name the person linked to its own records in a role.
PERSON_PROPERTIES = {
    "owner": ("owner_id", "owner_name"),
    "legal_representative": ("legal_representative", "legal_representative_id_number"),
}
PLACEHOLDER_KEYS = ("entity_id", "caption", "key", "county", "records", "first_seen", "last_seen")


def listable(viewer: Viewer, entity_type: str | None, county: str | None) -> bool:
    """Whether another dossier may name this entity to this reader."""
    if county is None and entity_type == "phone":
        return True
    return viewer.covers(county)


def placeholder(entity_type: str | None) -> dict[str, Any]:
    """An entity in a chain that the reader may not see: its type only."""
    return {**dict.fromkeys(PLACEHOLDER_KEYS), "entity_type": entity_type, "in_scope": False, "withheld": True}


def scope_of(cur: duckdb.DuckDBPyConnection, viewer: Viewer, ids: Iterable[str]) -> dict[str, bool]:
    """For each id that has a master row: whether it is listable (ids without a row are not in the answer)."""
    values = sorted({i for i in ids if i})
    if not values:
        return {}
    rows = cur.execute(
        "SELECT entity_id, entity_type, county FROM entities_e WHERE entity_id IN (SELECT unnest(?::VARCHAR[]))",
        [values],
    ).fetchall()
    return {entity_id: listable(viewer, kind, county) for entity_id, kind, county in rows}


def _columns(table: str, role: str) -> tuple[str, ...]:
    return PERSON_COLUMNS.get((table, role)) or PERSON_COLUMNS.get((table, None)) or ()


def outside_persons(
    cur: duckdb.DuckDBPyConnection, viewer: Viewer, keys: Iterable[str], entity_id: str | None
) -> dict[str, set[str]]:
    """Per record key, the roles in which the record names a person outside the reader's jurisdiction (the
    entity being read itself excepted: it is in the jurisdiction)."""
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    links = cur.execute(
        """SELECT record_key, role, entity_id FROM links_r WHERE record_key IN (SELECT unnest(?::VARCHAR[]))
           AND entity_type = 'person' AND entity_id IS DISTINCT FROM ?""",
        [wanted, entity_id],
    ).fetchall()
    seen = scope_of(cur, viewer, [link[2] for link in links])
    found: dict[str, set[str]] = defaultdict(set)
    for key, role, person in links:
        if not seen.get(person, True):
            found[key].add(role)
    return dict(found)


def blank_rows(
    cur: duckdb.DuckDBPyConnection, viewer: Viewer, table: str, rows: list[dict[str, Any]], entity_id: str | None
) -> list[dict[str, Any]]:
    """``rows`` of ``table`` (each with its ``record_key``) with the columns of persons outside the reader's
    jurisdiction blanked; a row that had any says which roles in ``withheld``. Changes the rows in place."""
    outside = outside_persons(cur, viewer, [r["record_key"] for r in rows if r.get("record_key")], entity_id)
    for row in rows:
        blank(table, row, outside.get(row.get("record_key") or "", set()))
    return rows


def blank(table: str, row: dict[str, Any], roles: set[str]) -> dict[str, Any]:
    """``row`` with the columns of the persons in ``roles`` blanked and those roles listed in ``withheld``."""
    if roles:
        for role in roles:
            for column in _columns(table, role):
                if column in row:
                    row[column] = None
        row["withheld"] = sorted(roles)
    return row


def withheld_properties(cur: duckdb.DuckDBPyConnection, viewer: Viewer, entity_id: str) -> set[str]:
    """The entity's properties that name a person outside the reader's jurisdiction (its owner, its legal
    representative), found through the persons its own records link in those roles."""
    keys = [r[0] for r in cur.execute(
        "SELECT DISTINCT record_key FROM links_e WHERE entity_id = ? AND role = 'subject'", [entity_id]
    ).fetchall()]  # fmt: skip
    withheld: set[str] = set()
    for roles in outside_persons(cur, viewer, keys, entity_id).values():
        for role in roles:
            withheld.update(PERSON_PROPERTIES.get(role, ()))
    return withheld
