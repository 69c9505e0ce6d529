"""The ground truth collected while the sources are written, and its files under ``truth/``.

Only tests and benchmarks may read these files: they are the oracle, not an input of the platform.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from policecloud.synth.mess import Mess


@dataclass
class Truth:
    record_entities: list[tuple[str, str, str, str]] = field(default_factory=list)
    messes: list[Mess] = field(default_factory=list)
    scenarios: dict[str, object] = field(default_factory=dict)
    eligible: dict[str, dict[str, int]] = field(default_factory=dict)  # source → error kind → opportunities

    def link(self, source: str, record_id: str, entity_type: str, entity_id: str) -> None:
        self.record_entities.append((source, record_id, entity_type, entity_id))

    def mess(self, mess: Mess) -> Mess:
        self.messes.append(mess)
        return mess

    def count(self, source: str, kind: str, n: int = 1) -> None:
        bucket = self.eligible.setdefault(source, {})
        bucket[kind] = bucket.get(kind, 0) + n

    def errors(self) -> list[tuple[str, ...]]:
        return [e for m in self.messes for e in m.errors]

    def write(self, out: Path) -> None:
        out.mkdir(parents=True, exist_ok=True)
        columns = ("source", "record_id", "entity_type", "entity_id")
        write_table(out / "record_entities.parquet", columns, self.record_entities)
        write_table(out / "errors.parquet", ("source", "record_id", "field", "kind", "clean", "dirty"), self.errors())
        write_json(out / "scenarios.json", self.scenarios)
        write_json(out / "error_opportunities.json", self.eligible)


def write_table(path: Path, columns: tuple[str, ...], rows: list[tuple] | dict[str, list]) -> None:
    """A Parquet file from rows (tuples) or columns (dict); deterministic bytes for the same input."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(rows, dict):
        table = pa.table({c: rows[c] for c in columns})
    else:
        data = list(zip(*rows, strict=True)) if rows else [[] for _ in columns]
        table = pa.table(
            {c: pa.array(list(col)) if col else pa.array([], pa.string()) for c, col in zip(columns, data, strict=True)}
        )
    pq.write_table(table, path, compression="zstd")


def write_json(path: Path, obj: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, ensure_ascii=False, sort_keys=True, indent=1, default=str) + "\n", encoding="utf-8")
