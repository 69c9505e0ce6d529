"""Benchmark: one-month plate trajectories from the event key index vs a full scan of the warehouse.

Usage: .venv/bin/python bench/trajectory_lookup.py --data-dir DIR [--plates 200] [--baseline-plates 20]
                                                   [--no-build] [--memory-limit 2GB]

``DIR`` is a platform data directory (``DIR/warehouse`` ingested). The script

1. rebuilds the event key index into ``DIR/event_index`` (unless ``--no-build``) and reports rows/s, the
   index size and the peak memory of the process;
2. picks ``--plates`` random plates that passed a checkpoint and looks up each one's passes over one
   calendar month (the month holding most passes), in a fresh ``EventIndex`` (no footer cached yet), then
   again (warm): p50 / p99 / max latency, rows found, row groups read of row groups in the files opened;
3. runs the same lookups for the first ``--baseline-plates`` plates as a full scan of the warehouse (DuckDB
   over every checkpoint_pass file, filtered on plate and time: what a lookup costs without the index) and
   checks that both give the same rows.

Times are wall-clock in this process, files in the OS page cache after the build (a cold disk is slower).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import resource
import statistics
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from policecloud.data.derived.events.build import BuildOptions, build_event_index
from policecloud.data.derived.events.lookup import EventIndex
from policecloud.data.derived.events.tables import default_index_dir, month_bounds
from policecloud.data.model.types import get
from policecloud.data.model.vectorized import connect


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def size_of(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def sample_plates(index: EventIndex, n: int, seed: int) -> list[str]:
    """Random plates among those in the index (every distinct plate read from the sorted files)."""
    state = index._current()
    files = [state.version_dir / f["path"] for f in state.manifest["tables"]["checkpoint_pass"]["files"]]
    con = connect()
    listed = ", ".join(f"'{f}'" for f in files)
    plates = [r[0] for r in con.execute(f"SELECT DISTINCT plate FROM read_parquet([{listed}]) ORDER BY 1").fetchall()]
    con.close()
    return random.Random(seed).sample(plates, min(n, len(plates)))


def timed(lookup, plates, start, end) -> tuple[list[float], list]:
    seconds, results = [], []
    for plate in plates:
        began = time.perf_counter()
        results.append(lookup(plate, start, end))
        seconds.append(time.perf_counter() - began)
    return seconds, results


def report(label: str, seconds: list[float], results: list) -> None:
    rows = statistics.mean(len(r) for r in results)
    groups = statistics.mean(r.row_groups for r in results)
    total = statistics.mean(r.row_groups_total for r in results)
    print(
        f"| {label} | {len(seconds)} | {percentile(seconds, 0.5) * 1000:.1f} | {percentile(seconds, 0.99) * 1000:.1f} "
        f"| {max(seconds) * 1000:.1f} | {rows:.0f} | {groups:.2f} / {total:.0f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--plates", type=int, default=200)
    parser.add_argument("--baseline-plates", type=int, default=20)
    parser.add_argument("--no-build", action="store_true", help="Use the index as it is.")
    parser.add_argument("--memory-limit", default="2GB")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    warehouse_dir, index_dir = args.data_dir / "warehouse", default_index_dir(args.data_dir)
    print(f"# trajectory lookup benchmark — {dt.date.today()} — {platform.node()} ({os.cpu_count()} cores)")
    print(f"load average before: {os.getloadavg()[0]:.2f}")

    if not args.no_build:
        options = BuildOptions(memory_limit=args.memory_limit)
        built = build_event_index(warehouse_dir, index_dir, rebuild=True, options=options)
        passes = built.rows.get("checkpoint_pass", 0)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"build: {built.total_rows:,} rows ({passes:,} passes) in {built.seconds:.1f} s = "
            f"{built.rows_per_second:,.0f} rows/s; index {size_of(index_dir) / 2**20:,.0f} MiB; "
            f"warehouse checkpoint_pass {size_of(warehouse_dir / 'checkpoint_pass') / 2**20:,.0f} MiB; "
            f"peak RSS {peak:,.0f} MiB (memory_limit {args.memory_limit})"
        )

    index = EventIndex(index_dir)
    entry = index._current().manifest["tables"]["checkpoint_pass"]
    months = sorted({f["month"] for f in entry["files"]})
    rows_by_month = {m: sum(f["rows"] for f in entry["files"] if f["month"] == m) for m in months}
    month = max(rows_by_month, key=rows_by_month.get)
    if month == "all":
        con = connect()
        files = ", ".join(f"'{index._current().version_dir / f['path']}'" for f in entry["files"])
        first = con.execute(f"SELECT min(time) FROM read_parquet([{files}])").fetchall()[0][0]
        con.close()
        month = first.strftime("%Y-%m")
    start, end = month_bounds(month, index.timezone)
    layout = f"{entry['grain']} × {entry['buckets']} buckets, {len(entry['files'])} files, {entry['rows']:,} passes"
    footer = pq.read_metadata(index._current().version_dir / entry["files"][0]["path"])
    print(f"index layout: {layout}; row groups of {footer.row_group(0).num_rows:,} rows; month {month}")

    plates = sample_plates(index, args.plates, args.seed)
    began = time.perf_counter()
    # Paid once per process, not per lookup: the plate type's tables, and pyarrow importing pandas on its first
    # conversion of a Python value.
    get("plate").check("鄂A12345")
    pa.scalar("warm-up")
    print(f"one-time imports (element types, pyarrow's pandas check): {(time.perf_counter() - began) * 1000:.0f} ms")
    fresh = EventIndex(index_dir)
    cold, cold_results = timed(fresh.passes, plates, start, end)
    warm, warm_results = timed(fresh.passes, plates, start, end)
    assert all(r.source == "index" for r in warm_results)
    baseline = EventIndex(index_dir / "_none", warehouse_dir=warehouse_dir)
    base, base_results = timed(baseline.passes, plates[: args.baseline_plates], start, end)
    for mine, theirs in zip(warm_results, base_results, strict=False):
        assert mine.table.equals(theirs.table), "index and warehouse disagree"
    print()
    print("| path | lookups | p50 ms | p99 ms | max ms | rows/lookup | row groups read / in files opened |")
    print("|---|---|---|---|---|---|---|")
    report("index, first lookup of each plate (footers read as needed)", cold, cold_results)
    report("index, warm (footers cached)", warm, warm_results)
    report("warehouse full scan (baseline)", base, base_results)
    speedup = percentile(base, 0.5) / percentile(warm, 0.5)
    print(f"\nbaseline results equal the index's for all {len(base_results)} plates; p50 speed-up {speedup:,.0f}×")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
