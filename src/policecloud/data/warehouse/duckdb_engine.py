"""The embedded warehouse engine: DuckDB over Hive-partitioned Parquet files on a local file system.

Layout under the root::

    <table>/<key>=<value>/…/<batch>_<n>.parquet   data files (only those listed by a commit record count)
    _batches/<batch>.json                          commit records, written last, atomically
    _staging/<batch>/                              files of a batch being written
    _lock                                          one writer at a time (flock)

A batch is written into ``_staging``, then each file is renamed into place, then the commit record is
written to a temporary name, fsynced and renamed. Readers list files from commit records only, so files
renamed into place by a batch that crashed before its record are invisible, and ``recover`` deletes them.

Lineage ids: a table whose rows carry ``id``, ``batch`` and ``row`` reads a NULL ``id`` as ``<batch>:<row>``
(the views and ``scan`` compute it). Ingestion stores NULL for records without an id of their own, which
keeps a column of unique strings (a fifth of the write time of a checkpoint file) out of the Parquet files.
Each commit record lists the columns of every table it wrote, so no file needs to be opened to know this.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import shutil
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from policecloud.data.model.vectorized import connect
from policecloud.data.warehouse import layout as partition_layout
from policecloud.data.warehouse.base import BatchInfo, BatchWriter, Warehouse, WarehouseError
from policecloud.platform.durable import file_lock, fsync_dir, write_json_atomic
from policecloud.platform.sql import ident as _ident
from policecloud.platform.sql import literal as _quote

log = logging.getLogger(__name__)
_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_TABLE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
LINEAGE_ID = frozenset({"id", "batch", "row"})
# Parquet 2 encodings (delta-packed integers and timestamps, delta-length strings): a third of the bytes of
# version 1 and a fifth less time to write 5 M checkpoint passes. A column with more than 5,000 distinct
# values in a row group gets no dictionary: DuckDB's default limit lets the writer build one for plates or
# ids only to drop it, a quarter of the write time for the same file size (docs/BENCHMARKS.md).
_OPTIONS = "FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 262144, PARQUET_VERSION V2, DICTIONARY_SIZE_LIMIT 5000"
# Partition values written as directory names without escaping (others go through DuckDB's partitioned writer).
_PARTITION_VALUE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")


class _DuckDBBatch(BatchWriter):
    def __init__(
        self, warehouse: DuckDBWarehouse, batch_id: str, skipped: bool, con: duckdb.DuckDBPyConnection | None
    ) -> None:
        self.warehouse = warehouse
        self.batch_id = batch_id
        self.skipped = skipped
        self.staging = warehouse.root / "_staging" / batch_id
        self.rows: dict[str, int] = {}
        self.nulls: dict[str, dict[str, int]] = {}
        self.columns: dict[str, list[str]] = {}
        self.owns_connection = con is None
        self.con = connect() if con is None else con
        # Each table's partition keys: those of its committed files, else of this batch's first write to it.
        self.layouts: dict[str, partition_layout.Layout] = (
            partition_layout.layouts(warehouse._records()) if not skipped else {}
        )

    def write(self, table: str, query: str, partition_by: Sequence[str] = ()) -> int:
        if self.skipped:
            return 0
        if not _TABLE.match(table):
            raise WarehouseError(f"invalid table name {table!r}: use lower-case letters, digits and _")
        expected = self.layouts.get(table)
        if not partition_layout.allowed(expected, partition_by):
            raise WarehouseError(
                f"table {table!r} is partitioned by ({', '.join(expected or ())}); "
                f"a write partitioned by ({', '.join(partition_by)}) would make every read of it fail"
            )
        self.layouts[table] = tuple(partition_by)
        target = self.staging / table
        target.mkdir(parents=True, exist_ok=True)
        n = sum(1 for _ in target.rglob("*.parquet"))
        columns = [d[0] for d in self.con.execute(f"DESCRIBE {query}").fetchall()]  # binds, runs nothing
        self.columns[table] = list(dict.fromkeys(self.columns.get(table, []) + columns))
        single = self._single_partition(query, partition_by) if partition_by else None
        # RETURN_STATS: a row per file written, with its row count and the statistics of each column.
        options = f"{_OPTIONS}, RETURN_STATS true"
        if single is not None:
            directory = target.joinpath(*(f"{c}={v}" for c, v in zip(partition_by, single, strict=True)))
            directory.mkdir(parents=True, exist_ok=True)
            excluded = ", ".join(_ident(c) for c in partition_by)
            destination = _quote(directory / f"{self.batch_id}_{n}_0.parquet")
            sql = f"COPY (SELECT * EXCLUDE ({excluded}) FROM ({query})) TO {destination} ({options})"
        elif partition_by:
            cols = ", ".join(_ident(c) for c in partition_by)
            pattern = f"{self.batch_id}_{n}_{{i}}"
            sql = (
                f"COPY ({query}) TO {_quote(target)} ({options}, PARTITION_BY ({cols}), "
                f"FILENAME_PATTERN {_quote(pattern)}, OVERWRITE_OR_IGNORE)"
            )
        else:
            sql = f"COPY ({query}) TO {_quote(target / f'{self.batch_id}_{n}.parquet')} ({options})"
        files = self.con.execute(sql).fetchall()
        count = sum(int(f[1]) for f in files)
        nulls = self.nulls.setdefault(table, {})
        for f in files:
            for column, stats in (f[4] or {}).items():
                name = column[1:-1].replace('""', '"') if column.startswith('"') else column
                nulls[name] = nulls.get(name, 0) + int(stats.get("null_count") or 0)
        self.rows[table] = self.rows.get(table, 0) + count
        return count

    def null_counts(self, table: str) -> Mapping[str, int] | None:
        return self.nulls.get(table)

    def _single_partition(self, query: str, partition_by: Sequence[str]) -> list[str] | None:
        """The partition values of every row when the planner can prove they are one set (the query writes
        them as constants), else None.

        DuckDB's partitioned writer buffers and copies every row on the way (a fifth of the time of a 5 M-row
        write); a batch of one partition — a source's records, a daily file — goes straight into its directory.
        """
        texts = ", ".join(f"CAST({_ident(c)} AS VARCHAR)" for c in partition_by)
        first = self.con.execute(f"SELECT {texts} FROM ({query}) LIMIT 1").fetchall()
        if not first or not all(v is not None and _PARTITION_VALUE.match(v) for v in first[0]):
            return None
        same = " AND ".join(
            f"CAST({_ident(c)} AS VARCHAR) IS NOT DISTINCT FROM {_quote(v)}"
            for c, v in zip(partition_by, first[0], strict=True)
        )
        plan = self.con.execute(f"EXPLAIN (FORMAT json) SELECT * FROM ({query}) WHERE NOT ({same})").fetchall()
        nodes = json.loads(plan[0][1])
        return list(first[0]) if [n["name"] for n in nodes] == ["EMPTY_RESULT"] else None


class DuckDBWarehouse(Warehouse):
    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        for sub in ("_batches", "_staging"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)

    # --- writing ------------------------------------------------------------------------------------
    def _lock(self) -> AbstractContextManager[None]:
        return file_lock(self.root / "_lock")

    @contextmanager
    def batch(
        self,
        batch_id: str,
        meta: Mapping[str, Any] | None = None,
        con: duckdb.DuckDBPyConnection | None = None,
        supersedes: Sequence[str] = (),
    ) -> Iterator[BatchWriter]:
        if not _NAME.match(batch_id):
            raise WarehouseError(f"invalid batch id {batch_id!r}")
        with self._lock():
            self._recover_locked()
            writer = _DuckDBBatch(self, batch_id, skipped=self.is_committed(batch_id), con=con)
            try:
                yield writer
                if not writer.skipped:
                    self._commit(writer, dict(meta or {}), supersedes)
                    if partition_layout.misplaced(self._records()):  # a batch refined a table's layout
                        self._recover_locked()  # the table's older files move to it now
            finally:
                if writer.owns_connection:
                    writer.con.close()
                shutil.rmtree(writer.staging, ignore_errors=True)

    def _commit(self, writer: _DuckDBBatch, meta: dict[str, Any], supersedes: Sequence[str] = ()) -> None:
        staged_files = sorted(writer.staging.rglob("*.parquet"))
        for staged in staged_files:  # the files themselves, whatever the writes claimed: nothing moves yet
            relative = staged.relative_to(writer.staging).as_posix()
            table = relative.split("/", 1)[0]
            if partition_layout.keys_of(relative) != writer.layouts.get(table):
                raise WarehouseError(f"{relative} is not laid out by the keys its batch wrote {table} with")
        files: dict[str, list[str]] = {}
        for staged in staged_files:
            relative = staged.relative_to(writer.staging)
            final = self.root / relative
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staged, final)
            files.setdefault(relative.parts[0], []).append(relative.as_posix())
        for directory in {(self.root / f).parent for fs in files.values() for f in fs}:
            fsync_dir(directory)
        record = {
            "batch_id": writer.batch_id,
            "seq": self._next_seq(),
            "committed_at": dt.datetime.now(dt.UTC).isoformat(),
            "files": files,
            "rows": {t: writer.rows.get(t, 0) for t in sorted(set(writer.rows) | set(files))},
            "columns": writer.columns,
            "meta": meta,
            # Batches this one replaces (the same unit ingested again with a changed mapping or content):
            # from this commit on they are invisible, and recovery deletes their files.
            "supersedes": sorted(set(supersedes) - {writer.batch_id}),
        }
        final_record = self.root / "_batches" / f"{writer.batch_id}.json"
        write_json_atomic(final_record, record, sort_keys=True)
        fsync_dir(final_record.parent)

    def _next_seq(self) -> int:
        return max((b["seq"] for b in self._all_records()), default=0) + 1

    # --- reading ------------------------------------------------------------------------------------
    def _records(self) -> list[dict[str, Any]]:
        """The live commit records: those no later commit supersedes."""
        records = self._all_records()
        superseded_at: dict[str, int] = {}
        for r in records:
            for old in r.get("supersedes", ()):
                superseded_at[old] = max(superseded_at.get(old, 0), r["seq"])
        return [r for r in records if superseded_at.get(r["batch_id"], 0) <= r["seq"]]

    def _all_records(self) -> list[dict[str, Any]]:
        records = []
        for path in (self.root / "_batches").glob("*.json"):
            with open(path, encoding="utf-8") as handle:
                records.append(json.load(handle))
        return sorted(records, key=lambda r: r["seq"])

    def is_committed(self, batch_id: str) -> bool:
        if not (self.root / "_batches" / f"{batch_id}.json").exists():
            return False
        return any(r["batch_id"] == batch_id for r in self._records())

    def batches(self) -> Iterator[BatchInfo]:
        for r in self._records():
            yield BatchInfo(
                batch_id=r["batch_id"],
                committed_at=dt.datetime.fromisoformat(r["committed_at"]),
                files=r["files"],
                rows=r["rows"],
                meta=r.get("meta", {}),
            )

    def _files(self) -> dict[str, list[str]]:
        files: dict[str, list[str]] = {}
        for r in self._records():
            for table, names in r["files"].items():
                files.setdefault(table, []).extend(names)
        return files

    def tables(self) -> list[str]:
        return sorted(self._files())

    def scan(self, table: str) -> str:
        records = self._records()
        names = [n for r in records for n in r["files"].get(table, [])]
        if not names:
            raise WarehouseError(f"the warehouse has no committed data for table {table!r}")
        listed = ", ".join(_quote(self.root / n) for n in names)
        files = f"read_parquet([{listed}], hive_partitioning = true, union_by_name = true)"
        if not any(set(r.get("columns", {}).get(table, ())) >= LINEAGE_ID for r in records):
            return files
        return f"""(SELECT * REPLACE (coalesce(id, batch || ':' || "row") AS id) FROM {files})"""

    def connect(self) -> duckdb.DuckDBPyConnection:
        """A DuckDB connection with one view per table over its committed files."""
        con = connect()
        for table in self.tables():
            con.execute(f"CREATE OR REPLACE VIEW {_ident(table)} AS SELECT * FROM {self.scan(table)}")
        return con

    def sql(self, query: str, params: Sequence[Any] | None = None) -> list[tuple]:
        con = self.connect()
        try:
            return con.execute(query, params or []).fetchall()
        finally:
            con.close()

    # --- recovery -----------------------------------------------------------------------------------
    def recover(self) -> int:
        with self._lock():
            return self._recover_locked()

    def misplaced(self) -> list[partition_layout.Misplaced]:
        """Committed files not laid out like their table (left by an older writer; reads of them fail)."""
        return partition_layout.misplaced(self._records())

    def repair(self) -> RepairReport:
        """Move every misplaced committed file under its table's layout (see :meth:`_repair_locked`)."""
        with self._lock():
            self._recover_locked(repair=False)
            report = self._repair_locked()
            self._recover_locked(repair=False)  # the files the rewritten records no longer list
            return report

    def _repair_locked(self) -> RepairReport:
        """Rewrite each misplaced file under its table's partition keys, then its commit record, atomically.

        The file is read with its own path's partition values; a key of the layout that its path lacks comes
        from the file's column of that name (the live sink kept ``source`` as a column), else from the batch's
        meta. DuckDB's partitioned writer lays the rows out (one file per partition value found). The swap of
        files and record is :meth:`_swap_files`. Running it again finds nothing to do.
        """
        report = RepairReport()
        records = {r["batch_id"]: r for r in self._records()}
        by_batch: dict[str, list[partition_layout.Misplaced]] = {}
        for item in partition_layout.misplaced(list(records.values())):
            by_batch.setdefault(item.batch_id, []).append(item)
        for batch_id, items in by_batch.items():
            record = json.loads(json.dumps(records[batch_id]))
            staging = self.root / "_staging" / f"_repair-{batch_id}"
            shutil.rmtree(staging, ignore_errors=True)
            replaced: dict[str, list[str]] = {}
            con = connect()
            try:
                for n, item in enumerate(items):
                    new = self._relayout(con, item.file, item.table, item.layout, record.get("meta", {}), staging,
                                         f"{batch_id}_r{n}")  # fmt: skip
                    if new is None:
                        report.unrepairable.append(item.describe())
                    else:
                        replaced[item.file] = new
            finally:
                con.close()
            record.setdefault("meta", {})["relaid"] = sorted(replaced)
            self._swap_files(record, replaced, staging)
            report.moved.extend(replaced.items())
        return report

    def rewrite(self, batch_id: str, table: str, select: str) -> list[str]:
        """Rewrite the committed files of ``table`` in ``batch_id`` as ``SELECT <select> FROM <file>`` (the file
        read with its partition columns), under the table's layout; returns the new files.

        For a writer whose earlier batches carry columns it no longer writes (the live sink's own column names
        before issue 13): the batch keeps its id, rows and place in commit order; its record is replaced
        atomically (:meth:`_swap_files`). ``select`` must not name the partition columns: they are kept.
        """
        with self._lock():
            self._recover_locked(repair=False)
            records = {r["batch_id"]: r for r in self._records()}
            if batch_id not in records:
                raise WarehouseError(f"no committed batch {batch_id!r}")
            record = json.loads(json.dumps(records[batch_id]))
            layout = partition_layout.layouts(list(records.values())).get(table, ())
            staging = self.root / "_staging" / f"_rewrite-{batch_id}"
            shutil.rmtree(staging, ignore_errors=True)
            replaced: dict[str, list[str]] = {}
            con = connect()
            try:
                for n, name in enumerate(record["files"].get(table, [])):
                    new = self._relayout(con, name, table, layout, {}, staging, f"{batch_id}_w{n}", select)
                    if new is None:
                        raise WarehouseError(f"{name} has no value for a partition key of {table}")
                    replaced[name] = new
                staged = sorted(staging.rglob("*.parquet"))
                columns = [d[0] for d in con.execute(f"DESCRIBE SELECT * FROM read_parquet({_quote(staged[0])})")
                           .fetchall()] if staged else []  # fmt: skip
            finally:
                con.close()
            record.setdefault("columns", {})[table] = [*columns, *layout]
            self._swap_files(record, replaced, staging)
            return [f for names in replaced.values() for f in names]

    def _swap_files(self, record: dict[str, Any], replaced: Mapping[str, list[str]], staging: Path) -> None:
        """Put the files staged for ``replaced`` in place and the changed ``record`` over the batch's record.

        The new files are renamed into place, then the commit record is replaced — the one atomic step — and
        only then are the old files deleted: a crash before the record leaves the old files (and stray new ones
        that recovery removes), a crash after it leaves old files no record lists (removed likewise).
        """
        if not replaced:
            shutil.rmtree(staging, ignore_errors=True)
            return
        for staged in sorted(staging.rglob("*.parquet")):
            final = self.root / staged.relative_to(staging)
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staged, final)
        for directory in {(self.root / f).parent for fs in replaced.values() for f in fs}:
            fsync_dir(directory)
        for table, names in record["files"].items():
            record["files"][table] = [new for name in names for new in replaced.get(name, [name])]
        write_json_atomic(self.root / "_batches" / f"{record['batch_id']}.json", record, sort_keys=True)
        fsync_dir(self.root / "_batches")
        for old, new in replaced.items():
            if old not in new:
                (self.root / old).unlink(missing_ok=True)
        shutil.rmtree(staging, ignore_errors=True)

    def _relayout(
        self,
        con: duckdb.DuckDBPyConnection,
        file: str,
        table: str,
        layout: partition_layout.Layout,
        meta: Mapping[str, Any],
        staging: Path,
        stem: str,
        select: str = "*",
    ) -> list[str] | None:
        """Write ``SELECT <select>`` of a committed file's rows under ``staging/<table>/<layout>/``; the new
        relative paths, or None when a key of the layout has no value to be found."""
        source = f"read_parquet({_quote(self.root / file)}, hive_partitioning = true)"
        present = {d[0] for d in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()}
        kept, added = [], []  # partition columns the file has, and those its batch's meta gives
        for key in layout:
            if key in present:
                kept.append(_ident(key))
            elif meta.get(key) is not None:
                added.append(f"{_quote(str(meta[key]))} AS {_ident(key)}")
            else:
                return None
        listed = ["*"] if select == "*" else [select, *kept]  # ``*`` has the file's partition columns already
        query = f"SELECT {', '.join([*listed, *added])} FROM {source}"
        target = staging / table
        target.mkdir(parents=True, exist_ok=True)
        if layout:
            cols = ", ".join(_ident(c) for c in layout)
            con.execute(
                f"COPY ({query}) TO {_quote(target)} ({_OPTIONS}, PARTITION_BY ({cols}), "
                f"FILENAME_PATTERN {_quote(stem + '_{i}')}, OVERWRITE_OR_IGNORE)"
            )
        else:
            con.execute(f"COPY ({query}) TO {_quote(target / (stem + '_0.parquet'))} ({_OPTIONS})")
        written = sorted(p.relative_to(staging).as_posix() for p in target.rglob(f"{stem}_*.parquet"))
        if any(partition_layout.keys_of(w) != layout for w in written):
            return None
        return written

    def _recover_locked(self, repair: bool = True) -> int:
        for temp in (self.root / "_batches").glob("*.json.tmp"):
            temp.unlink()
        shutil.rmtree(self.root / "_staging", ignore_errors=True)
        (self.root / "_staging").mkdir(exist_ok=True)
        listed = {n for names in self._files().values() for n in names}
        removed = 0
        for path in self.root.rglob("*.parquet"):
            relative = path.relative_to(self.root).as_posix()
            if relative.startswith("_"):
                continue
            if relative not in listed:
                path.unlink()
                removed += 1
        if repair and partition_layout.misplaced(self._records()):
            try:
                report = self._repair_locked()
            except (duckdb.Error, OSError):  # the table stays unreadable; writes to other tables go on
                log.exception("repairing the warehouse's partition layout failed")
            else:
                log.warning("warehouse layout repaired: %d file(s) moved, %d left", len(report.moved),
                            len(report.unrepairable))  # fmt: skip
            removed += self._recover_locked(repair=False)
        return removed


@dataclass
class RepairReport:
    """What :meth:`DuckDBWarehouse.repair` did: files moved (old → new paths) and files it could not move."""

    moved: list[tuple[str, list[str]]] = field(default_factory=list)
    unrepairable: list[str] = field(default_factory=list)
