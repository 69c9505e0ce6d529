"""The search index on disk: versioned directories, an atomically switched ``current`` pointer, updates.

Layout under ``<data_dir>/search``::

    current.json            {"version": "v20261125T093000123456"}; replaced with os.replace, never edited
    v<timestamp>/           one tantivy index, plus
        manifest.json       schema version, build time, master run, home province, documents
        state.parquet       doc_id, fingerprint of every indexed document (what an update compares with)
        similar_names.json  character substitutions seen in the master data (for the name search)

A full build writes a new version next to the current one, switches the pointer, then deletes older versions:
a reader sees the old index or the new one, never a half-built one. An update changes the current version in
place through tantivy's own commit (readers see the old or the new commit): it deletes, by ``doc_id`` term,
every document that changed or disappeared and adds the changed ones again. The state file is replaced after
the commit; if that is lost in a crash, the next update redoes the same deletes and adds, which changes nothing.
The index is derived data: deleting the whole directory and building again is always safe.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import tantivy

from policecloud.apps.search import documents
from policecloud.apps.search.fields import SCHEMA_VERSION, build_schema, to_document
from policecloud.platform.durable import VersionedDir, file_lock, fsync_and_replace, write_json_atomic
from policecloud.platform.sql import literal as _q

POINTER = "current.json"
Progress = Callable[[int], None]


class IndexMissing(RuntimeError):
    def __init__(self, root: Path) -> None:
        super().__init__(
            f"no search index in {root}: run `policecloud index search` / 尚未建立搜索索引，请先运行 index search"
        )


@dataclass(frozen=True)
class BuildReport:
    version: str
    mode: str  # 'full' or 'incremental'
    added: int  # documents written (new or changed)
    deleted: int  # documents removed (changed or gone)
    total: int  # documents in the index afterwards
    seconds: float

    @property
    def docs_per_second(self) -> float:
        return self.added / self.seconds if self.seconds else 0.0


class SearchIndex:
    """One opened version of the index."""

    def __init__(self, path: Path | None, index: tantivy.Index, manifest: dict, similar: dict) -> None:
        self.path = path
        self.index = index
        self.schema = index.schema
        self.manifest = manifest
        self.similar: dict[str, dict[str, int]] = similar
        self._meta_mtime = _mtime(path)

    @classmethod
    def open(cls, path: Path) -> SearchIndex:
        manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
        similar_file = path / "similar_names.json"
        similar = json.loads(similar_file.read_text(encoding="utf-8")) if similar_file.exists() else {}
        return cls(path, tantivy.Index.open(str(path)), manifest, similar)

    @property
    def version(self) -> str:
        return self.path.name if self.path else "memory"

    @property
    def home_province(self) -> str | None:
        return self.manifest.get("home_province")

    def searcher(self) -> tantivy.Searcher:
        mtime = _mtime(self.path)
        # Another process committed an update: reload. A version deleted by a rebuild (mtime None) keeps
        # answering from the files it has open until its holder moves to the new one.
        if mtime is not None and mtime != self._meta_mtime:
            self.index.reload()
            self._meta_mtime = mtime
        return self.index.searcher()


def _mtime(path: Path | None) -> float | None:
    try:
        return (path / "meta.json").stat().st_mtime_ns if path else None
    except FileNotFoundError:
        return None


# --- the pointer -----------------------------------------------------------------------------------------
def _versions(root: Path) -> VersionedDir:
    return VersionedDir(Path(root), key="version", prefix="v", pointer_name=POINTER)


def current_version(root: Path) -> Path | None:
    return _versions(root).live()


def switch(root: Path, version: Path) -> None:
    """Point ``current`` at ``version`` atomically (temporary file, fsync, rename)."""
    _versions(root).publish(version)


def open_current(root: Path) -> SearchIndex:
    # A version may be deleted between reading the pointer and opening it (a rebuild finished): read again.
    for _ in range(3):
        path = current_version(root)
        if path is None:
            break
        try:
            return SearchIndex.open(path)
        except (FileNotFoundError, ValueError, OSError):
            continue
    raise IndexMissing(root)


def _remove_old(root: Path) -> None:
    """Remove the versions the live one replaced and any build's leftover work directories."""
    _versions(root).prune()
    for path in root.iterdir():
        if path.is_dir() and path.name.startswith("work-"):
            shutil.rmtree(path, ignore_errors=True)


def _locked(root: Path) -> AbstractContextManager[None]:
    return file_lock(root / ".lock")


# --- building and updating -------------------------------------------------------------------------------


def _rows_union(files: dict[str, Path]) -> str:
    return " UNION ALL ".join(f"SELECT * FROM read_parquet({_q(p)})" for p in files.values())


def _home_province(con: duckdb.DuckDBPyConnection, rows: str) -> str | None:
    """The province most documents lie in: documents of unknown county are shown to its province-wide users."""
    found = con.execute(
        f"SELECT substr(county, 1, 2) p, count(*) n FROM ({rows}) WHERE county IS NOT NULL "
        "GROUP BY p ORDER BY n DESC, p LIMIT 1"
    ).fetchall()
    return found[0][0] if found else None


def _write_docs(writer, con, sql: str, home: str | None, progress: Progress | None) -> int:
    n = 0
    for doc, _fingerprint in documents.iter_docs(con, sql):
        writer.add_document(to_document(doc, home))
        n += 1
        if progress and n % 10_000 == 0:
            progress(n)
    if progress:
        progress(n)
    return n


def build_index(
    master_dir: Path | None,
    warehouse_dir: Path,
    root: Path,
    *,
    progress: Progress | None = None,
    heap_bytes: int = 256_000_000,
    threads: int = 1,
) -> BuildReport:
    """Build a new version from the master data (``None``: texts only) and the warehouse, then switch to it."""
    started = time.perf_counter()
    with _locked(root):
        version = _versions(root).new_version()
        work = root / f"work-{version.name}"
        try:
            with documents.connect_sources(master_dir, warehouse_dir) as con:
                files = documents.write_rows(con, work)
                similar = documents.similar_name_pairs(con)
                master_run = _run_name(master_dir)
                version.mkdir()
                index = tantivy.Index(build_schema(), str(version))
                rows = _rows_union(files) if files else None
                home = _home_province(con, rows) if rows else None
                writer = index.writer(heap_bytes, threads)
                added = _write_docs(writer, con, rows, home, progress) if rows else 0
                writer.commit()
                writer.wait_merging_threads()
                state_sql = f"SELECT doc_id, fingerprint FROM ({rows})" if rows else _EMPTY_STATE
                con.execute(f"COPY ({state_sql}) TO {_q(version / 'state.parquet')} (FORMAT parquet)")
            manifest = {
                "schema_version": SCHEMA_VERSION,
                "built_at": datetime.now(UTC).isoformat(),
                "master_run": master_run,
                "home_province": home,
                "documents": added,
            }
            write_json_atomic(version / "similar_names.json", similar)
            write_json_atomic(version / "manifest.json", manifest)
            switch(root, version)
        except BaseException:
            shutil.rmtree(version, ignore_errors=True)
            raise
        finally:
            shutil.rmtree(work, ignore_errors=True)
        _remove_old(root)
    return BuildReport(version.name, "full", added, 0, added, time.perf_counter() - started)


_EMPTY_STATE = "SELECT NULL::VARCHAR AS doc_id, NULL::VARCHAR AS fingerprint WHERE false"


def update_index(
    master_dir: Path | None,
    warehouse_dir: Path,
    root: Path,
    *,
    progress: Progress | None = None,
    heap_bytes: int = 128_000_000,
    threads: int = 1,
) -> BuildReport:
    """Bring the current version up to date (only changed documents are rewritten); builds if there is none."""
    current = current_version(root)
    if current is None or _manifest(current).get("schema_version") != SCHEMA_VERSION:
        return build_index(master_dir, warehouse_dir, root, progress=progress, heap_bytes=heap_bytes, threads=threads)
    started = time.perf_counter()
    with _locked(root):
        manifest = _manifest(current)
        work = root / f"work-{current.name}-{os.getpid()}"
        try:
            with documents.connect_sources(master_dir, warehouse_dir) as con:
                files = documents.write_rows(con, work)
                rows = _rows_union(files) if files else _EMPTY_STATE
                old = f"read_parquet({_q(current / 'state.parquet')})"
                changed = f"SELECT n.* FROM ({rows}) n ANTI JOIN {old} o USING (doc_id, fingerprint)"
                # Deleted by term first: documents gone from the sources, and every changed or new one (a new one
                # may already be in the index if an earlier update died before saving its state).
                gone = con.execute(
                    f"SELECT o.doc_id, true FROM {old} o ANTI JOIN ({rows}) n USING (doc_id) UNION ALL "
                    f"SELECT doc_id, doc_id IN (SELECT doc_id FROM {old}) FROM ({changed})"
                ).fetchall()
                index = tantivy.Index.open(str(current))
                writer = index.writer(heap_bytes, threads)
                for doc_id, _indexed in gone:
                    writer.delete_documents_by_term("doc_id", doc_id)
                added = _write_docs(writer, con, changed, manifest.get("home_province"), progress)
                writer.commit()
                writer.wait_merging_threads()
                temp = current / "state.parquet.tmp"
                state_sql = f"SELECT doc_id, fingerprint FROM ({rows})"
                con.execute(f"COPY ({state_sql}) TO {_q(temp)} (FORMAT parquet)")
                fsync_and_replace(temp, current / "state.parquet")
                write_json_atomic(current / "similar_names.json", documents.similar_name_pairs(con))
                index.reload()
                total = index.searcher().num_docs
            manifest.update(updated_at=datetime.now(UTC).isoformat(), master_run=_run_name(master_dir), documents=total)
            write_json_atomic(current / "manifest.json", manifest)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    deleted = sum(1 for _, indexed in gone if indexed)
    return BuildReport(current.name, "incremental", added, deleted, total, time.perf_counter() - started)


def _run_name(master_dir: Path | None) -> str | None:
    return documents.resolve_master_dir(master_dir).name if master_dir is not None else None


def _manifest(version: Path) -> dict:
    try:
        return json.loads((version / "manifest.json").read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


class IndexHandle:
    """The current index of a search directory for a long-running process: reopened when the pointer moves."""

    def __init__(self, root: Path | None = None, fixed: SearchIndex | None = None) -> None:
        self.root = root
        self._fixed = fixed
        self._opened: SearchIndex | None = None
        self._pointer: tuple[float, str] | None = None
        # One opening at a time: the concurrent first requests after a start or a re-index wait for one opening
        # instead of each opening the index (8 searches at once after a start took 0.4 s instead of 0.05 s).
        self._opening = threading.Lock()

    def get(self) -> SearchIndex | None:
        if self._fixed is not None:
            return self._fixed
        assert self.root is not None
        pointer = self.root / POINTER
        try:
            stamp = (pointer.stat().st_mtime_ns, pointer.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        opened = self._opened
        if opened is not None and stamp == self._pointer:
            return opened
        with self._opening:
            if self._opened is None or stamp != self._pointer:
                try:
                    self._opened = open_current(self.root)
                except IndexMissing:
                    return None
                self._pointer = stamp
            return self._opened
