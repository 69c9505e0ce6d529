"""One partition layout per table: every file of a table sits under the same Hive keys, in the same order.

DuckDB reads a table's files with ``hive_partitioning = true``; one file under ``<table>/day=…/`` beside
others under ``<table>/source=…/day=…/`` makes every read of the table fail ("Hive partition mismatch").
That happened once (the live event sink wrote without ``source=``), so the rule is kept by the warehouse
itself — a batch may not add a file whose keys differ from the table's committed files — and
:func:`misplaced` finds what an older writer left behind, for :meth:`DuckDBWarehouse.repair`.

A table's layout is the longest key tuple among its committed files (the first such in commit order):
files with fewer keys are the ones that lack a directory level and have to move. A batch may write a table
with its layout's keys or with strictly more keys (the table's files then move to the finer layout, e.g. a
warehouse that only ever had the old sink's ``day=`` files); any other keys are refused.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

Layout = tuple[str, ...]  # the partition keys, outermost first


def partition_of(relative: str) -> list[tuple[str, str]]:
    """The (key, raw value) pairs of a file path relative to the root: ``t/a=1/b=2/f.parquet`` → a, b."""
    parts = PurePosixPath(relative).parts[1:-1]
    return [tuple(p.split("=", 1)) if "=" in p else (p, "") for p in parts]  # type: ignore[misc]


def keys_of(relative: str) -> Layout:
    return tuple(key for key, _ in partition_of(relative))


def layouts(records: Iterable[Mapping[str, Any]]) -> dict[str, Layout]:
    """Each table's layout: its longest key tuple, the earliest in commit order (records sorted by ``seq``)."""
    found: dict[str, Layout] = {}
    for record in records:
        for table, names in record.get("files", {}).items():
            for name in names:
                keys = keys_of(name)
                if table not in found or len(keys) > len(found[table]):
                    found[table] = keys
    return found


def allowed(layout: Layout | None, keys: Sequence[str]) -> bool:
    """May a batch write a table laid out by ``layout`` (None: no files yet) with these partition keys?"""
    keys = tuple(keys)
    if layout is None or keys == layout:
        return True
    return len(set(keys)) == len(keys) and set(layout) < set(keys)


@dataclass(frozen=True)
class Misplaced:
    """A committed file whose partition keys differ from its table's layout."""

    batch_id: str
    table: str
    file: str  # relative to the warehouse root
    keys: Layout
    layout: Layout

    def describe(self) -> str:
        return f"{self.file}: keys {'/'.join(self.keys) or '-'} but {self.table} is laid out by {'/'.join(self.layout)}"


def misplaced(records: Sequence[Mapping[str, Any]]) -> list[Misplaced]:
    """Every committed file not laid out like the first file of its table."""
    expected = layouts(records)
    out = []
    for record in records:
        for table, names in record.get("files", {}).items():
            for name in names:
                keys = keys_of(name)
                if keys != expected[table]:
                    out.append(Misplaced(record["batch_id"], table, name, keys, expected[table]))
    return out
