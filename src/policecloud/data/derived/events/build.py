"""Build the event key index: the warehouse's event tables re-sorted by lookup key (see ``event_tables``).

The warehouse keeps checkpoint passes in ingest order, partitioned by day, so finding one plate's passes
means reading every file. The index copies each event table into files partitioned by month and by a hash
bucket of the key, each sorted by (key, time) and cut into small row groups, so that the min/max statistics
of the key column lead a lookup to one or two row groups of one file per month.

Building is incremental and bounded in memory. Each run indexes only the warehouse batches a table has not
indexed yet, in two passes: (1) one streaming copy of the new rows into staging files partitioned by
(month, bucket); (2) for each (month, bucket) one sort of at most a few million rows into a new file. A
partition that has collected ``max_files`` files is compacted into one by the same sort. New files become
visible when the manifest is replaced (atomically, last); a rebuild writes a new version directory and
switches ``current.json`` to it.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import shutil
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq

from policecloud.data.derived.events.tables import (
    DROPPED_COLUMNS,
    EVENT_TABLES,
    FORMAT,
    MANIFEST,
    EventTable,
    bucket_sql,
    builder_lock,
    current_version,
    layout_for,
    month_sql,
    new_manifest,
    places_sql,
    publish,
    quote,
    read_manifest,
    versions,
)
from policecloud.data.model.vectorized import connect
from policecloud.data.warehouse import BatchInfo, WarehouseError, open_warehouse
from policecloud.platform.durable import write_json_atomic
from policecloud.platform.sql import ident

Progress = Callable[[str, int, int], None]  # (what, done, total)
_DAY = re.compile(r"(?:^|/)day=(\d{4}-\d{2})-\d{2}(?:/|$)")


class EventIndexError(RuntimeError):
    """The index cannot be built or read; the message is for the user."""


@dataclass
class BuildReport:
    version: str
    rebuilt: bool  # a new version was written and published
    batches: list[str] = field(default_factory=list)  # warehouse batches newly seen
    rows: dict[str, int] = field(default_factory=dict)  # rows indexed by this run, per table
    files: dict[str, int] = field(default_factory=dict)  # files written by this run, per table
    compacted: int = 0  # files merged away by compaction
    seconds: float = 0.0

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    @property
    def rows_per_second(self) -> float:
        return self.total_rows / self.seconds if self.seconds else 0.0


@dataclass(frozen=True)
class BuildOptions:
    timezone: str = "Asia/Shanghai"
    row_group_size: int = 8192  # small: a lookup reads a row group, and the key's min/max prune the rest
    target_file_rows: int = 1_000_000  # rows per (month, bucket) file, chooses the bucket count
    max_files: int = 8  # files per (month, bucket) before they are compacted into one
    chunk_rows: int = 4_000_000  # rows staged per DuckDB query: bounds the memory of pass 1
    memory_limit: str = "2GB"
    threads: int | None = None


def build_event_index(
    warehouse_dir: str | Path,
    index_dir: str | Path,
    tables: Iterable[str] | None = None,
    *,
    rebuild: bool = False,
    options: BuildOptions | None = None,
    progress: Progress | None = None,
) -> BuildReport:
    """Index the warehouse batches not indexed yet (all of them with ``rebuild``); returns what was done."""
    warehouse_dir, index_dir = Path(warehouse_dir), Path(index_dir)
    options = options or BuildOptions()
    chosen = list(EVENT_TABLES if tables is None else tables)
    unknown = [t for t in chosen if t not in EVENT_TABLES]
    if unknown:
        raise EventIndexError(f"no key index is defined for {', '.join(unknown)}; known: {', '.join(EVENT_TABLES)}")
    if not (warehouse_dir / "_batches").is_dir():
        raise EventIndexError(f"{warehouse_dir} is not a warehouse (no _batches directory)")
    started = time.perf_counter()
    with builder_lock(index_dir):
        batches = list(open_warehouse(warehouse_dir).batches())
        _clean(index_dir)
        live = None if rebuild else current_version(index_dir)
        manifest = read_manifest(live) if live else None
        if manifest and not _reusable(manifest, warehouse_dir, batches, options):
            live, manifest = None, None
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
        if manifest is None or live is None:
            live = versions(index_dir).new_version(f"%Y%m%dT%H%M%S-{secrets.token_hex(3)}")
            live.mkdir(parents=True)
            manifest = new_manifest(live.name, warehouse_dir, options.timezone, options.row_group_size)
        report = BuildReport(version=live.name, rebuilt=not manifest["builds"])
        build_id = f"b{len(manifest['builds']) + 1:04d}-{stamp}"
        scratch = index_dir / "_tmp" / build_id
        replaced: list[Path] = []
        con = _connect(scratch / "spill", options)
        try:
            for name in chosen:
                job = _TableJob(con, warehouse_dir, live, manifest, EVENT_TABLES[name], options, build_id, scratch)
                rows, files, old = job.run(batches, progress)
                if files:
                    report.rows[name], report.files[name] = rows, files
                replaced += old
            places = manifest["checkpoints"]
            if _touches(batches, "checkpoint", set(places["batches"]) if places else set()):
                manifest["checkpoints"] = _write_places(con, warehouse_dir, batches, live, build_id)
                if places:
                    replaced.append(live / places["path"])
            elif places:
                places["batches"] = sorted(b.batch_id for b in batches)
        finally:
            con.close()
            shutil.rmtree(scratch, ignore_errors=True)
        report.batches = [b.batch_id for b in batches if b.batch_id not in set(manifest["batches"])]
        report.compacted = len(replaced)
        report.seconds = time.perf_counter() - started
        manifest["batches"] = sorted(b.batch_id for b in batches)
        manifest["builds"].append(
            {"id": build_id, "at": dt.datetime.now(dt.UTC).isoformat(), "seconds": round(report.seconds, 3),
             "new_batches": len(report.batches), "rows": report.rows}
        )  # fmt: skip
        write_json_atomic(live / MANIFEST, manifest, indent=1, sort_keys=True)
        if report.rebuilt:
            publish(index_dir, live)
        for path in replaced:  # after the manifest no longer lists them; readers retry on a vanished file
            path.unlink(missing_ok=True)
    return report


def _clean(index_dir: Path) -> None:
    """Remove what an interrupted build left: scratch files, unpublished versions, unlisted files."""
    shutil.rmtree(index_dir / "_tmp", ignore_errors=True)
    live = current_version(index_dir)
    versions(index_dir).prune()
    if live is not None:
        manifest = read_manifest(live)
        listed = {f["path"] for entry in manifest["tables"].values() for f in entry["files"]}
        listed |= {manifest["checkpoints"]["path"]} if manifest["checkpoints"] else set()
        for path in live.rglob("*.parquet"):
            if path.relative_to(live).as_posix() not in listed:
                path.unlink()


def _reusable(manifest: dict[str, Any], warehouse_dir: Path, batches: Sequence[BatchInfo], options) -> bool:
    """An index can be extended only if it has this format and settings and indexes a prefix of this warehouse."""
    if manifest.get("format") != FORMAT or manifest.get("warehouse") != str(warehouse_dir.resolve()):
        return False
    if manifest.get("timezone") != options.timezone or manifest.get("row_group_size") != options.row_group_size:
        return False
    return set(manifest["batches"]) <= {b.batch_id for b in batches}


def _touches(batches: Sequence[BatchInfo], table: str, seen: set[str]) -> bool:
    return any(table in b.files and b.batch_id not in seen for b in batches)


def _connect(spill: Path, options: BuildOptions) -> duckdb.DuckDBPyConnection:
    spill.mkdir(parents=True, exist_ok=True)
    con = connect()
    con.execute(f"SET memory_limit = {quote(options.memory_limit)}")
    con.execute(f"SET temp_directory = {quote(spill)}")
    if options.threads:
        con.execute(f"SET threads = {int(options.threads)}")
    return con


def _chunks(root: Path, files: Sequence[str], limit: int) -> list[list[str]]:
    """The files in consecutive groups of at most ``limit`` rows (or one file, if bigger)."""
    out: list[list[str]] = []
    rows = 0
    for name in files:
        count = pq.read_metadata(root / name).num_rows
        if not out or rows + count > limit:
            out.append([])
            rows = 0
        out[-1].append(name)
        rows += count
    return out


def _scan(root: Path, files: Iterable[str]) -> str:
    listed = ", ".join(quote(root / f) for f in files)
    return f"read_parquet([{listed}], hive_partitioning = true, union_by_name = true)"


class _TableJob:
    """Indexing the new batches of one table."""

    def __init__(self, con, warehouse_dir, version_dir, manifest, table: EventTable, options, build_id, scratch):
        self.con, self.warehouse_dir, self.version_dir = con, warehouse_dir, version_dir
        self.manifest, self.table, self.options = manifest, table, options
        self.build_id, self.stage = build_id, scratch / table.name

    def run(self, batches: Sequence[BatchInfo], progress: Progress | None) -> tuple[int, int, list[Path]]:
        entry = self.manifest["tables"].get(self.table.name)
        done = set(entry["batches"]) if entry else set()
        new = [b for b in batches if self.table.name in b.files and b.batch_id not in done]
        if not new:
            if entry is not None:
                entry["batches"] = sorted(b.batch_id for b in batches)
            return 0, 0, []
        files = [f for b in new for f in b.files[self.table.name]]
        source = _scan(self.warehouse_dir, files)
        columns = [c for (c, *_rest) in self.con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()]
        missing = [c for c in (self.table.key, *self.table.time_columns) if c not in columns]
        if missing:
            raise EventIndexError(f"warehouse table {self.table.name} has no column {', '.join(missing)}")
        if entry is None:
            months = {m.group(1) for f in files if (m := _DAY.search(f))}
            rows = sum(b.rows.get(self.table.name, 0) for b in new)
            grain, buckets = layout_for(rows, len(months), self.options.target_file_rows)
            entry = {"key": self.table.key, "time": self.table.time, "end": self.table.end, "batches": [],
                     "grain": grain, "buckets": buckets, "max_duration_s": 0, "rows": 0, "files": []}  # fmt: skip
            self.manifest["tables"][self.table.name] = entry
        chunks = _chunks(self.warehouse_dir, files, self.options.chunk_rows)
        for n, chunk in enumerate(chunks):
            self._stage(_scan(self.warehouse_dir, chunk), entry["grain"], entry["buckets"])
            if progress:
                progress(f"{self.table.name} 1/2", n + 1, len(chunks))
        if self.table.end:
            entry["max_duration_s"] = max(entry["max_duration_s"], self._max_duration(source))
        written, replaced = self._sort_partitions(entry, progress)
        entry["batches"] = sorted(b.batch_id for b in batches)  # every batch considered, with rows or not
        return sum(f["rows"] for f in written), len(written), replaced

    def _stage(self, source: str, grain: str, buckets: int) -> None:
        """Pass 1, for one chunk of the new files: copy its rows into staging files by (month, bucket).

        DuckDB holds a partitioned write in memory (spilling beyond the limit), hence chunks of bounded size."""
        key, timezone = ident(self.table.key), self.manifest["timezone"]
        dropped = ", ".join(quote(c) for c in DROPPED_COLUMNS)
        query = (
            f"SELECT COLUMNS(lambda c: c NOT IN ({dropped})), "
            f"{month_sql(ident(self.table.time), timezone, grain)} AS _month, "
            f"{bucket_sql(key, buckets)} AS _bucket FROM {source} WHERE {key} IS NOT NULL"
        )
        self.stage.mkdir(parents=True, exist_ok=True)
        self.con.execute("SET preserve_insertion_order = false")
        self.con.execute(
            f"COPY ({query}) TO {quote(self.stage)} (FORMAT parquet, COMPRESSION snappy, ROW_GROUP_SIZE 65536, "
            f"PARTITION_BY (_month, _bucket), FILENAME_PATTERN 'part_{{uuid}}', OVERWRITE_OR_IGNORE)"
        )
        self.con.execute("SET preserve_insertion_order = true")

    def _max_duration(self, source: str) -> int:
        start, end = ident(self.table.time), ident(self.table.end or self.table.time)
        sql = f"SELECT max(epoch({end}) - epoch({start})) FROM {source} WHERE {ident(self.table.key)} IS NOT NULL"
        value = self.con.execute(sql).fetchall()[0][0]
        return int(value) + 1 if value is not None and value > 0 else 0

    def _sort_partitions(self, entry: dict[str, Any], progress: Progress | None) -> tuple[list[dict], list[Path]]:
        """Pass 2: one sorted file per staged (month, bucket), merged with the partition's files if too many."""
        parts = sorted(
            (m.name.split("=", 1)[1], int(b.name.split("=", 1)[1]), b)
            for m in self.stage.glob("_month=*")
            for b in m.glob("_bucket=*")
        )
        order = ", ".join(ident(c) for c in (self.table.key, self.table.time, "batch", "row"))
        written, replaced = [], []
        for n, (month, bucket, staged) in enumerate(parts):
            existing = [f for f in entry["files"] if f["month"] == month and f["bucket"] == bucket]
            inputs = [str(p) for p in sorted(staged.glob("*.parquet"))]
            if len(existing) + 1 > self.options.max_files:
                inputs += [str(self.version_dir / f["path"]) for f in existing]
                replaced += [self.version_dir / f["path"] for f in existing]
                entry["files"] = [f for f in entry["files"] if f not in existing]
            relative = f"{self.table.name}/month={month}/bucket={bucket:03d}/{self.build_id}.parquet"
            target = self.version_dir / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            listed = "[" + ", ".join(quote(p) for p in inputs) + "]"
            rows = self.con.execute(
                f"COPY (SELECT * FROM read_parquet({listed}, hive_partitioning = false, union_by_name = true) "
                f"ORDER BY {order}) TO {quote(target)} "
                f"(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE {int(self.options.row_group_size)})"
            ).fetchall()[0][0]
            record = {"path": relative, "month": month, "bucket": bucket, "rows": int(rows)}
            entry["files"].append(record)
            written.append(record)
            if progress:
                progress(self.table.name, n + 1, len(parts))
        entry["rows"] = sum(f["rows"] for f in entry["files"])
        return written, replaced


def _write_places(con, warehouse_dir: Path, batches: Sequence[BatchInfo], version_dir: Path, build_id: str):
    """Checkpoint coordinates, for drawing trajectories: one small file rewritten when the registry changes."""
    files = [f for b in batches for f in b.files.get("checkpoint", ())]
    seq = {b.batch_id: n for n, b in enumerate(batches)}
    name = f"checkpoints-{build_id}.parquet"
    con.execute(f"COPY ({places_sql(warehouse_dir, files, seq)}) TO {quote(version_dir / name)} (FORMAT parquet)")
    return {"path": name, "batches": sorted(seq)}


__all__ = ["BuildOptions", "BuildReport", "EventIndexError", "WarehouseError", "build_event_index"]
