"""Address matching measured against the synthetic province's truth (for tests and benchmarks; never used by
the platform itself, which has no truth).

Truth: ``truth/record_entities.parquet`` rows with entity_type 'address' say which true address a source record
is at — the population registry's and the floating-population register's **current address** (现住址; the
synthetic generator links a person's dwelling, not the registered address 户籍地址, which for people from
elsewhere is a text of another place) and the house registry's 标准地址. ``truth/entities/addresses.parquet``
gives each true address's elements.

* The **expected** registry address of a true address is the registry row with the same elements (county code,
  township, community or compound, road, door number, building, unit, room). Two true addresses with identical
  elements (the generator sometimes puts two households at the same dwelling) are one standard address, so
  they share their expected registry address; ``truth_duplicates`` counts them.
* A truth record is **correct** when its mention's match is its expected address. Everything else is wrong: a
  different address, ambiguous, unmatched, no mention at all (its warehouse row quarantined, its address blank)
  or a true address the registry lacks. accuracy = correct / all truth address records.
* Geocoding: the distance between registry coordinates and the true ones, by geocode method.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from policecloud.data.resolve.addresses.geocode import distance_km
from policecloud.data.resolve.records import record_key

# Truth source → (warehouse table, column) of the address the truth refers to.
TRUTH_FIELDS = {
    "population_registry": ("person", "current_address"),
    "floating_population": ("person", "current_address"),
    "house_registry": ("house", "address"),
}


@dataclass
class AddressAccuracy:
    records: int = 0
    correct: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)  # wrong_address / ambiguous / unmatched / no_mention / …
    by_source: dict[str, tuple[int, int]] = field(default_factory=dict)  # source → (correct, records)
    truth_addresses: int = 0
    truth_duplicates: int = 0
    not_in_registry: int = 0
    geocode_km: dict[str, tuple[int, float, float]] = field(default_factory=dict)  # method → (n, median, p90)

    @property
    def accuracy(self) -> float:
        return self.correct / self.records if self.records else 0.0


def _expected_sql(truth_dir: Path, registry: str) -> str:
    addresses = (Path(truth_dir) / "entities" / "addresses.parquet").as_posix()
    suffixed = {"number": "号", "building": "栋", "unit": "单元"}
    conditions = [
        "r.county = t.county",
        "coalesce(r.township, '') = coalesce(t.township, '')",
        "coalesce(r.community, '') = coalesce(t.community, '')",
        "coalesce(r.road, '') = coalesce(t.road, '')",
        "coalesce(r.room, '') = CASE WHEN coalesce(t.room, '') <> '' THEN t.room || '室' ELSE '' END",
    ] + [
        f"coalesce(r.{n}, '') = CASE WHEN coalesce(t.{n}, 0) > 0 THEN CAST(t.{n} AS VARCHAR) || '{s}' ELSE '' END"
        for n, s in suffixed.items()
    ]
    return f"""SELECT t.address_id AS truth_id, t.lon, t.lat, r.address_id AS expected, r.lon AS r_lon,
                      r.lat AS r_lat, r.geocode_method
               FROM read_parquet('{addresses}') t LEFT JOIN {registry} r ON {" AND ".join(conditions)}"""


def evaluate_address_matching(
    con: duckdb.DuckDBPyConnection,
    truth_dir: Path,
    *,
    matches: str = "address_matches",
    registry: str = "address_registry",
) -> AddressAccuracy:
    """Accuracy of ``matches`` against the truth (``con`` has the warehouse views, the registry and matches)."""
    truth_dir = Path(truth_dir)
    links = (truth_dir / "record_entities.parquet").as_posix()
    con.execute(f"CREATE OR REPLACE TEMP TABLE _ev_expected AS {_expected_sql(truth_dir, registry)}")
    mentions = " UNION ALL ".join(
        f"""SELECT '{source}' AS source, w.id, {record_key("w")} AS record_key, '{table}' AS table_name,
                   '{column}' AS field FROM "{table}" w WHERE w.id IN (SELECT record_id FROM _ev_truth)"""
        for source, (table, column) in TRUTH_FIELDS.items()
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _ev_truth AS SELECT source, record_id, entity_id FROM read_parquet('{links}')
            WHERE entity_type = 'address' AND source IN ({", ".join(f"'{s}'" for s in TRUTH_FIELDS)})"""
    )
    rows = con.execute(
        f"""WITH mention AS ({mentions}),
                 judged AS (
                    SELECT t.source, t.record_id, e.expected, m.address_id, m.method, w.record_key IS NOT NULL AS seen
                    FROM _ev_truth t
                    LEFT JOIN (SELECT DISTINCT ON (source, id) * FROM mention) w
                      ON w.source = t.source AND w.id = t.record_id
                    LEFT JOIN {matches} m
                      ON m.record_key = w.record_key AND m.table_name = w.table_name AND m.field = w.field
                    LEFT JOIN (SELECT DISTINCT truth_id, expected FROM _ev_expected) e ON e.truth_id = t.entity_id)
            SELECT source,
                   CASE WHEN expected IS NOT NULL AND address_id = expected THEN 'correct'
                        WHEN NOT seen OR method IS NULL THEN 'no_mention'
                        WHEN expected IS NULL THEN 'not_in_registry'
                        WHEN method IN ('ambiguous', 'unmatched') THEN method
                        ELSE 'wrong_address' END AS outcome,
                   count(*)
            FROM judged GROUP BY ALL"""
    ).fetchall()
    result = AddressAccuracy()
    per_source: dict[str, list[int]] = {}
    for source, outcome, n in rows:
        result.records += n
        tally = per_source.setdefault(source, [0, 0])
        tally[1] += n
        if outcome == "correct":
            result.correct += n
            tally[0] += n
        else:
            result.outcomes[outcome] = result.outcomes.get(outcome, 0) + n
    result.by_source = {s: (c, n) for s, (c, n) in sorted(per_source.items())}
    _truth_figures(con, result)
    con.execute("DROP TABLE IF EXISTS _ev_truth; DROP TABLE IF EXISTS _ev_expected")
    return result


def _truth_figures(con: duckdb.DuckDBPyConnection, result: AddressAccuracy) -> None:
    counts = con.execute(
        """SELECT count(DISTINCT truth_id), count(DISTINCT truth_id) FILTER (WHERE expected IS NULL),
                  count(DISTINCT truth_id) FILTER (WHERE expected IN (
                      SELECT expected FROM _ev_expected GROUP BY expected HAVING count(DISTINCT truth_id) > 1))
           FROM _ev_expected"""
    ).fetchall()[0]
    result.truth_addresses, result.not_in_registry, result.truth_duplicates = counts
    distances: dict[str, list[float]] = {}
    for lon, lat, r_lon, r_lat, method in con.execute(
        "SELECT lon, lat, r_lon, r_lat, geocode_method FROM _ev_expected WHERE r_lon IS NOT NULL"
    ).fetchall():
        distances.setdefault(method, []).append(distance_km((lon, lat), (r_lon, r_lat)))
    for method, values in sorted(distances.items()):
        values.sort()
        p90 = values[min(len(values) - 1, int(0.9 * len(values)))]
        result.geocode_km[method] = (len(values), round(statistics.median(values), 3), round(p90, 3))
