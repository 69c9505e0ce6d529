"""Relation edges leaving a *frontier* of entities, found with a handful of scans whatever the number of kinds.

Two families of relation:

- **co-mention**: two entities named by one record in given roles — a person and the phone of their registry
  row, a vehicle and its owner, a hotel and its guest, a person and the address they live at (``RULES``).
  Owners are also found by key: a vehicle's or house's ``owner_id`` statement equals a person's ID number or an
  organization's credit code, so ownership is known even before persons are resolved.
- **shared context** between persons: the same household number (户号), the same current address (the standard
  address when matched, else the identical address text), a shared phone, the same hotel on the same night, the
  same criminal case (``co_offender`` when both are suspects, ``same_case`` otherwise).

How: the frontier's links (``_fm``) and every link of the same records (``_fa``) are read once; each shared
context finds its *other records* (same household number, same hotel and night, …) in the warehouse, filtered
by literal values so Parquet statistics can skip files; the persons of all those records are read with one more
pass over the links. The result is the temp table ``_edges (src, dst, kind, detail, last_at, weight)``.
"""

from __future__ import annotations

from collections.abc import Iterable

import duckdb

from policecloud.apps.dossier.reader import quote, rows_where

# (table, role of A, type of A, role of B, type of B, kind A→B, kind B→A)
RULES = (
    ("person", "subject", "person", "phone", "phone", "phone", "user"),
    ("organization", "subject", "organization", "phone", "phone", "phone", "user"),
    ("call110", "caller", "person", "caller", "phone", "phone", "user"),
    ("vehicle", "owner", "person", "subject", "vehicle", "vehicle", "owner"),
    ("house", "owner", "person", "subject", "house", "house", "owner"),
    ("organization", "legal_representative", "person", "subject", "organization", "organization",
     "legal_representative"),
    ("hotel_stay", "guest", "person", "hotel", "organization", "hotel", "guest"),
    ("internet_session", "user", "person", "cafe", "organization", "cafe", "cafe_user"),
    ("person", "subject", "person", "current_address", "address", "lives_at", "resident"),
    ("person", "subject", "person", "registered_address", "address", "registered_at", "registered"),
    ("organization", "subject", "organization", "address", "address", "located_at", "organization"),
    ("house", "subject", "house", "address", "address", "address", "house"),
)  # fmt: skip
CO_MENTION_KINDS = frozenset(k for rule in RULES for k in rule[5:])
OWNER_KINDS = frozenset({"owner", "vehicle", "house"})
SHARED_KINDS = ("household", "co_residence", "shared_phone", "same_hotel_night", "co_offender", "same_case")
_LINK = "record_key, table_name, role, entity_type, entity_id"
# The persons of the other records each shared context finds.
_PERSON_OF_RECORD = (
    "(table_name = 'person' AND role = 'subject') OR (table_name = 'hotel_stay' AND role = 'guest') "
    "OR table_name = 'case_involvement'"
)


def lit(values: Iterable[str | None]) -> str:
    """A SQL list of literals (Parquet readers prune row groups on literal IN-lists, not on joins)."""
    chosen = sorted({v for v in values if v is not None})
    return "(" + ", ".join(quote(v) for v in chosen) + ")" if chosen else "(NULL)"


def _key(alias: str) -> str:
    return f"({alias}.batch || ':' || CAST({alias}.row AS VARCHAR))"


def notes_for(tables: dict[str, set[str]]) -> list[str]:
    """What the relations cannot show on this data (older warehouses, missing tables)."""
    notes = []
    if "household_number" not in tables.get("person", set()):
        notes.append("household_unavailable")
    if "address_matches" not in tables:
        notes.append("co_residence_by_text")
    return notes


class _Finder:
    def __init__(self, cur: duckdb.DuckDBPyConnection, tables: dict[str, set[str]], kind: str | None) -> None:
        self.cur, self.tables, self.kind = cur, tables, kind
        self.parts: list[str] = []

    def wanted(self, *kinds: str) -> bool:
        return self.kind is None or self.kind in kinds

    def has(self, table: str, *columns: str) -> bool:
        return table in self.tables and set(columns) <= self.tables[table]

    def column(self, sql: str) -> list:
        return [r[0] for r in self.cur.execute(sql).fetchall()]

    def run(self, ids: list[str]) -> None:
        cur = self.cur
        cur.execute("CREATE OR REPLACE TEMP TABLE _ids AS SELECT unnest(?::VARCHAR[]) AS entity_id", [ids])
        where = f"entity_id IN {lit(ids)}" if len(ids) <= 2000 else "entity_id IN (SELECT entity_id FROM _ids)"
        cur.execute(f"CREATE OR REPLACE TEMP TABLE _fm AS SELECT {_LINK} FROM links_e WHERE {where}")
        self._around("_fa", "_fm")
        self._rules()
        cur.execute(f"CREATE OR REPLACE TEMP TABLE _cm AS {self._co_mention('_fm', '_fa')}")
        if self.wanted(*CO_MENTION_KINDS):
            self.parts.append("SELECT * FROM _cm")
        if self.wanted(*OWNER_KINDS):
            self._owners(ids)
        if self.wanted("shared_phone"):
            self._shared_phone()
        cur.execute(
            "CREATE OR REPLACE TEMP TABLE _others (record_key VARCHAR, src VARCHAR, kind VARCHAR, detail VARCHAR, "
            "last_at TIMESTAMPTZ)"
        )
        if self.wanted("household") and self.has("person", "household_number", "household_relation"):
            self._household()
        if self.wanted("co_residence") and self.has("person", "current_address"):
            self._co_residence()
        if self.wanted("same_hotel_night") and self.has("hotel_stay", "hotel_id", "start", "end", "room"):
            self._hotel_nights()
        if self.wanted("co_offender", "same_case") and self.has("case_involvement", "case_id", "role", "time"):
            self._cases()
        cur.execute(
            f"""CREATE OR REPLACE TEMP TABLE _far AS SELECT {_LINK} FROM links_r
                WHERE record_key IN (SELECT unnest(?::VARCHAR[])) AND entity_type = 'person'
                  AND ({_PERSON_OF_RECORD})""",
            [self.column("SELECT DISTINCT record_key FROM _others")],
        )
        self.parts.append(
            "SELECT o.src, f.entity_id, o.kind, o.detail, o.last_at FROM _others o JOIN _far f USING (record_key) "
            "WHERE f.entity_id <> o.src"
        )
        union = " UNION ALL ".join(f"SELECT * FROM ({p})" for p in self.parts)
        cur.execute(
            f"""CREATE OR REPLACE TEMP TABLE _edges AS
                SELECT src, dst, kind, min(detail) AS detail, max(last_at) AS last_at, count(*)::INTEGER AS weight
                FROM ({union}) AS e(src, dst, kind, detail, last_at)
                WHERE $kind IS NULL OR kind = $kind GROUP BY src, dst, kind""",
            {"kind": self.kind},
        )

    def _around(self, name: str, mine: str) -> None:
        """Temp table ``name``: every link of the records of the links in ``mine`` (looked up by record key)."""
        keys = self.column(f"SELECT DISTINCT record_key FROM {mine}")
        self.cur.execute(
            f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT {_LINK} FROM links_r "
            "WHERE record_key IN (SELECT unnest(?::VARCHAR[]))",
            [keys],
        )

    def _rules(self) -> None:
        rows = []
        for table, role_a, type_a, role_b, type_b, kind_ab, kind_ba in RULES:
            rows += [(table, role_a, type_a, role_b, type_b, kind_ab), (table, role_b, type_b, role_a, type_a, kind_ba)]
        values = ", ".join("(" + ", ".join(quote(v) for v in row) + ")" for row in rows)
        self.cur.execute(
            f"CREATE OR REPLACE TEMP TABLE _rules AS SELECT * FROM (VALUES {values}) "
            "AS r(table_name, role_a, type_a, role_b, type_b, kind)"
        )

    @staticmethod
    def _co_mention(mine: str, around: str) -> str:
        return f"""SELECT a.entity_id AS src, b.entity_id AS dst, r.kind, a.table_name AS detail,
                          NULL::TIMESTAMPTZ AS last_at
                   FROM {mine} a
                   JOIN _rules r ON r.table_name = a.table_name AND r.role_a = a.role AND r.type_a = a.entity_type
                   JOIN {around} b ON b.record_key = a.record_key AND b.role = r.role_b AND b.entity_type = r.type_b
                   WHERE b.entity_id <> a.entity_id"""

    def _owners(self, ids: list[str]) -> None:
        """Ownership by key, both ways: the frontier's vehicles and houses → owners, its persons and
        organizations → what they own (keys looked up as literals: no join over all statements)."""
        listed = lit(ids)
        owner_keys = self.column(
            f"SELECT DISTINCT upper(trim(value)) FROM statements_e WHERE entity_id IN {listed} "
            "AND property = 'owner_id'"
        )
        if owner_keys:
            self.parts.append(
                f"""SELECT s.entity_id, e.entity_id, 'owner', 'owner_id', NULL::TIMESTAMPTZ
                    FROM statements_e s JOIN entities e ON e.key = upper(trim(s.value))
                    WHERE s.entity_id IN {listed} AND s.property = 'owner_id' AND e.key IN {lit(owner_keys)}
                      AND e.entity_type IN ('person', 'organization')"""
            )
        keys = self.column(
            f"SELECT DISTINCT key FROM entities_e WHERE entity_id IN {listed} "
            "AND entity_type IN ('person', 'organization')"
        )
        if keys:
            self.parts.append(
                f"""SELECT e.entity_id, s.entity_id, s.entity_type, 'owner_id', NULL::TIMESTAMPTZ
                    FROM statements_v s JOIN entities_e e ON e.key = upper(trim(s.value)) AND e.entity_id IN {listed}
                    WHERE s.property = 'owner_id' AND s.value IN {lit(keys + [k.lower() for k in keys])}
                      AND s.entity_type IN ('vehicle', 'house')"""
            )

    def _shared_phone(self) -> None:
        phones = self.column("SELECT DISTINCT dst FROM _cm WHERE kind = 'phone'")
        if not phones:
            return
        cur = self.cur
        cur.execute(f"CREATE OR REPLACE TEMP TABLE _pm AS SELECT {_LINK} FROM links_e WHERE entity_id IN {lit(phones)}")
        self._around("_pa", "_pm")
        self.parts.append(
            f"""SELECT xp.src, u.dst, 'shared_phone', xp.dst, NULL::TIMESTAMPTZ
                FROM _cm xp JOIN ({self._co_mention("_pm", "_pa")}) u ON u.src = xp.dst AND u.kind = 'user'
                WHERE xp.kind = 'phone' AND u.dst <> xp.src"""
        )

    def _mine(self, table: str, alias: str, role: str | None = None) -> tuple[str, str]:
        """(the frontier's person links to ``table`` records, a condition on ``alias`` selecting those records)."""
        where = f"table_name = '{table}' AND entity_type = 'person'" + (f" AND role = '{role}'" if role else "")
        keys = self.column(f"SELECT DISTINCT record_key FROM _fm WHERE {where}")
        return f"(SELECT record_key, entity_id FROM _fm WHERE {where})", rows_where(keys, alias)

    def _household(self) -> None:
        mine, rows = self._mine("person", "p", "subject")
        if rows == "false":  # the frontier has no such records
            return
        self.cur.execute(
            f"""CREATE OR REPLACE TEMP TABLE _hh AS SELECT DISTINCT s.entity_id AS src, p.household_number AS hh
                FROM person p JOIN {mine} s ON s.record_key = {_key("p")}
                WHERE {rows} AND p.household_number IS NOT NULL"""
        )
        numbers = self.column("SELECT DISTINCT hh FROM _hh")
        if numbers:
            self.cur.execute(
                f"""INSERT INTO _others SELECT {_key("p")}, h.src, 'household',
                           h.hh || coalesce(' ' || p.household_relation, ''), NULL
                    FROM person p JOIN _hh h ON h.hh = p.household_number
                    WHERE p.household_number IN {lit(numbers)}"""
            )

    def _co_residence(self) -> None:
        mine, rows = self._mine("person", "p", "subject")
        if rows == "false":  # the frontier has no such records
            return
        places = self.cur.execute(
            f"""SELECT DISTINCT s.entity_id, a.entity_id, p.current_address
                FROM person p JOIN {mine} s ON s.record_key = {_key("p")}
                LEFT JOIN _fa a ON a.record_key = s.record_key AND a.entity_type = 'address'
                     AND a.role = 'current_address'
                WHERE {rows} AND nullif(trim(p.current_address), '') IS NOT NULL"""
        ).fetchall()
        self.cur.execute("CREATE OR REPLACE TEMP TABLE _places (src VARCHAR, place VARCHAR, text VARCHAR)")
        if not places:
            return
        self.cur.executemany("INSERT INTO _places VALUES (?, ?, ?)", places)
        addresses = [p[1] for p in places if p[1]]
        if addresses:  # the standard address: every person record whose current address matched it
            self.cur.execute(
                f"""INSERT INTO _others SELECT l.record_key, pl.src, 'co_residence', pl.place, NULL
                    FROM links_e l JOIN _places pl ON pl.place = l.entity_id
                    WHERE l.entity_id IN {lit(addresses)} AND l.role = 'current_address' AND l.table_name = 'person'"""
            )
        texts = [p[2] for p in places if not p[1]]
        if texts:  # no standard address: the same address text
            self.cur.execute(
                f"""INSERT INTO _others SELECT {_key("p")}, pl.src, 'co_residence',
                           'text:' || regexp_replace(pl.text, '\\s', '', 'g'), NULL
                    FROM person p JOIN _places pl ON pl.text = p.current_address AND pl.place IS NULL
                    WHERE p.current_address IN {lit(texts)}"""
            )

    def _hotel_nights(self) -> None:
        mine, rows = self._mine("hotel_stay", "h", "guest")
        if rows == "false":  # the frontier has no such records
            return
        self.cur.execute(
            f"""CREATE OR REPLACE TEMP TABLE _stays AS
                SELECT g.entity_id AS src, h.hotel_id, h.start, h."end", h.room, {_key("h")} AS k
                FROM hotel_stay h JOIN {mine} g ON g.record_key = {_key("h")}
                WHERE {rows} AND h.hotel_id IS NOT NULL"""
        )
        bounds = self.cur.execute('SELECT min(start), max("end"), list(DISTINCT hotel_id) FROM _stays').fetchone()
        if not bounds[2]:
            return
        self.cur.execute(
            f"""INSERT INTO _others
                SELECT {_key("h")}, m.src, 'same_hotel_night',
                       m.hotel_id || ' ' || CAST(CAST(greatest(m.start, h.start) AS DATE) AS VARCHAR)
                         || CASE WHEN m.room = h.room THEN ' room ' || m.room ELSE '' END,
                       greatest(m.start, h.start)
                FROM hotel_stay h JOIN _stays m ON h.hotel_id = m.hotel_id AND h.start < m."end" AND m.start < h."end"
                     AND CAST(least(m."end", h."end") AS DATE) > CAST(greatest(m.start, h.start) AS DATE)
                WHERE h.hotel_id IN {lit(bounds[2])} AND h.start < $hi AND h."end" > $lo AND {_key("h")} <> m.k""",
            {"lo": bounds[0], "hi": bounds[1]},
        )

    def _cases(self) -> None:
        mine, rows = self._mine("case_involvement", "c")
        if rows == "false":  # the frontier has no such records
            return
        self.cur.execute(
            f"""CREATE OR REPLACE TEMP TABLE _cases AS
                SELECT i.entity_id AS src, c.case_id, c.role, c.time, {_key("c")} AS k
                FROM case_involvement c JOIN {mine} i ON i.record_key = {_key("c")}
                WHERE {rows} AND c.case_id IS NOT NULL"""
        )
        cases = self.column("SELECT DISTINCT case_id FROM _cases")
        if cases:
            self.cur.execute(
                f"""INSERT INTO _others
                    SELECT {_key("c")}, m.src,
                           CASE WHEN m.role = 'suspect' AND c.role = 'suspect' THEN 'co_offender' ELSE 'same_case' END,
                           m.case_id || ' ' || coalesce(m.role, '?') || '/' || coalesce(c.role, '?'), m.time
                    FROM case_involvement c JOIN _cases m ON m.case_id = c.case_id
                    WHERE c.case_id IN {lit(cases)} AND {_key("c")} <> m.k"""
            )


def find_edges(cur: duckdb.DuckDBPyConnection, tables: dict[str, set[str]], ids: Iterable[str], kind=None) -> None:
    """Make the temp table ``_edges`` of every edge leaving the entities ``ids`` (only ``kind`` when given)."""
    _Finder(cur, tables, kind).run(sorted(set(ids)))


def neighbours(cur: duckdb.DuckDBPyConnection, tables: dict[str, set[str]], ids: Iterable[str]) -> list[tuple]:
    """All edges (src, dst, kind, detail) leaving the entities ``ids``."""
    find_edges(cur, tables, ids)
    return cur.execute("SELECT src, dst, kind, detail FROM _edges").fetchall()
