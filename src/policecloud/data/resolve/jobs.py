"""Resumable resolution runs: stages that each write their Parquet outputs, and a state file saying which finished.

A run belongs to one state of its inputs (the warehouse's committed batches and the manual judgements). A run
that stopped half way (crash, kill, Ctrl-C) is resumed from the first unfinished stage as long as its inputs are
unchanged; an input change starts a new run. A stage's outputs are written to temporary files and renamed, and
the stage is recorded as finished only after that, so a crash inside a stage simply re-runs that stage.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from policecloud.data.resolve.master import (
    attach_views,
    current_run,
    master_root,
    parquet_path,
    publish,
    run_versions,
    runs_dir,
)
from policecloud.data.resolve.records import ensure_id_key, prepare_batches, use_id_key
from policecloud.data.warehouse import open_warehouse
from policecloud.platform.durable import fsync_and_replace, write_json_atomic
from policecloud.platform.sql import escape as _lit


@dataclass
class StageContext:
    """What a stage gets: a DuckDB connection with the warehouse and earlier outputs, and where to write."""

    con: duckdb.DuckDBPyConnection
    run_dir: Path
    data_dir: Path
    province_dir: Path | None
    judgements: list[tuple[str, str, str]]
    params: dict[str, Any] = field(default_factory=dict)

    def write(self, name: str, query: str) -> int:
        """Write ``query`` as the run's table ``name`` (atomically) and expose it as a view; returns its rows."""
        target = parquet_path(self.run_dir, name)
        temp = target.with_suffix(".parquet.tmp")
        self.con.execute(f"COPY ({query}) TO '{_lit(temp)}' (FORMAT parquet, COMPRESSION zstd)")
        fsync_and_replace(temp, target)
        self.con.execute(f"CREATE OR REPLACE VIEW \"{name}\" AS SELECT * FROM read_parquet('{_lit(target)}')")
        return self.con.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]


@dataclass(frozen=True)
class Stage:
    name: str
    label: str  # shown in progress: "中文 / English"
    run: Callable[[StageContext], dict[str, Any]]


@dataclass
class StageResult:
    name: str
    seconds: float
    stats: dict[str, Any]
    resumed: bool  # finished in an earlier attempt of this run, not re-run now


@dataclass
class RunReport:
    run_id: str
    results: list[StageResult]
    up_to_date: bool = False


def inputs_fingerprint(warehouse_dir: Path, judgements: Sequence[tuple[str, str, str]]) -> str:
    digest = hashlib.sha256()
    for info in sorted(open_warehouse(warehouse_dir).batches(), key=lambda b: b.batch_id):
        digest.update(info.batch_id.encode() + b"\n")
    for left, right, verdict in sorted(judgements):
        digest.update(f"{left}|{right}|{verdict}\n".encode())
    return digest.hexdigest()[:24]


def _read_state(run_dir: Path) -> dict[str, Any]:
    return json.loads((run_dir / "state.json").read_text(encoding="utf-8"))


def _write_state(run_dir: Path, state: dict[str, Any]) -> None:
    write_json_atomic(run_dir / "state.json", state, indent=1)


def _pick_run(data_dir: Path, fingerprint: str, restart: bool) -> tuple[Path, dict[str, Any]]:
    """The unfinished run to resume for these inputs, or a fresh one (other unfinished runs are discarded)."""
    root = runs_dir(data_dir)
    root.mkdir(parents=True, exist_ok=True)
    for run_dir in sorted(root.iterdir(), reverse=True):
        if not run_dir.is_dir() or (run_dir / "FINISHED").exists():
            continue
        try:
            state = _read_state(run_dir)
        except (FileNotFoundError, json.JSONDecodeError, KeyError):
            state = None
        if state and state.get("inputs") == fingerprint and not restart:
            return run_dir, state
        shutil.rmtree(run_dir, ignore_errors=True)
    run_dir = run_versions(master_root(data_dir)).new_version("%Y%m%dT%H%M%S%fZ")
    run_id = run_dir.name
    run_dir.mkdir()
    state = {"run": run_id, "inputs": fingerprint, "started": datetime.now(UTC).isoformat(), "done": {}}
    _write_state(run_dir, state)
    return run_dir, state


def run_stages(
    data_dir: Path,
    stages: Sequence[Stage],
    *,
    warehouse_dir: Path | None = None,
    province_dir: Path | None = None,
    judgements: Sequence[tuple[str, str, str]] = (),
    params: dict[str, Any] | None = None,
    restart: bool = False,
    force: bool = False,
    on_stage: Callable[[Stage, str], None] | None = None,
    threads: int | None = None,
    memory_limit: str | None = None,
) -> RunReport:
    """Run (or resume) the stages; publish the run when the last one finishes.

    ``on_stage(stage, event)`` is called with event 'start', 'done' or 'resumed' (for progress display).
    """
    data_dir = Path(data_dir)
    warehouse_dir = Path(warehouse_dir or data_dir / "warehouse")
    judgements = sorted(judgements)
    fingerprint = inputs_fingerprint(warehouse_dir, judgements)
    published = current_run(data_dir)
    if published and not (force or restart):
        state = _read_state(runs_dir(data_dir) / published)
        if state.get("inputs") == fingerprint:
            return RunReport(published, [_result(name, done, True) for name, done in state["done"].items()], True)
    run_dir, state = _pick_run(data_dir, fingerprint, restart or force)
    con = open_warehouse(warehouse_dir).connect()
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    if memory_limit:
        con.execute(f"SET memory_limit = '{memory_limit}'")
    temp_dir = run_dir / "_tmp"
    temp_dir.mkdir(exist_ok=True)
    con.execute(f"SET temp_directory = '{_lit(temp_dir)}'")
    attach_views(con, run_dir)
    use_id_key(con, ensure_id_key(data_dir))
    prepare_batches(con, warehouse_dir)
    ctx = StageContext(con, run_dir, data_dir, province_dir, list(judgements), dict(params or {}))
    results = []
    try:
        for stage in stages:
            if stage.name in state["done"]:
                results.append(_result(stage.name, state["done"][stage.name], True))
                if on_stage:
                    on_stage(stage, "resumed")
                continue
            if on_stage:
                on_stage(stage, "start")
            started = time.perf_counter()
            stats = stage.run(ctx) or {}
            seconds = round(time.perf_counter() - started, 3)
            state["done"][stage.name] = {"seconds": seconds, "stats": stats}
            _write_state(run_dir, state)
            results.append(StageResult(stage.name, seconds, stats, False))
            if on_stage:
                on_stage(stage, "done")
    finally:
        con.close()
    shutil.rmtree(temp_dir, ignore_errors=True)
    state["finished"] = datetime.now(UTC).isoformat()
    _write_state(run_dir, state)
    (run_dir / "FINISHED").write_text(state["finished"], encoding="utf-8")
    publish(data_dir, run_dir.name)
    return RunReport(run_dir.name, results)


def _result(name: str, done: dict[str, Any], resumed: bool) -> StageResult:
    return StageResult(name, done.get("seconds", 0.0), done.get("stats", {}), resumed)
