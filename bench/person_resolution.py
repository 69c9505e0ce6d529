"""Person resolution on a synthetic province: wall time, peak memory and accuracy against the truth.

    .venv/bin/python bench/person_resolution.py --data-dir /tmp/w_small [--threshold 0.9] [--threads 2]

``--data-dir`` holds ``warehouse/`` and ``province/`` (the synthetic sources and truth), as the platform lays
them out. Steps timed: building the person mentions from the warehouse, then ``link_persons`` (its own stages:
preparing the splink input, training + scoring, clustering, writing), then the evaluation (not part of the
person stage). Peak memory is the process's maximum resident set size (DuckDB runs in-process), read from
``resource.getrusage`` and from a sampling thread (every 50 ms, /proc/self/statm) for the stage alone.

The baseline in the same run is the deterministic part alone: one person per valid ID number, every other mention
on its own.
"""

from __future__ import annotations

import argparse
import os
import resource
import threading
import time
from pathlib import Path

from policecloud.data.resolve.persons import PersonLinkParams, link_persons
from policecloud.data.resolve.persons.evaluate import evaluate_persons
from policecloud.data.resolve.persons.mentions import build_person_mentions
from policecloud.data.resolve.records import entity_id_sql
from policecloud.data.warehouse import open_warehouse


class PeakRss:
    """Samples this process's resident set size in a thread; ``peak`` in bytes."""

    def __init__(self, interval: float = 0.05) -> None:
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._page = os.sysconf("SC_PAGE_SIZE")

    def _run(self) -> None:
        while not self._stop.is_set():
            with open("/proc/self/statm") as fh:
                self.peak = max(self.peak, int(fh.read().split()[1]) * self._page)
            self._stop.wait(self.interval)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--threshold", type=float, default=PersonLinkParams.threshold)
    parser.add_argument("--threads", type=int, default=None, help="DuckDB threads (default: all cores)")
    args = parser.parse_args()
    con = open_warehouse(args.data_dir / "warehouse").connect()
    con.execute("SET enable_progress_bar = false")
    if args.threads:
        con.execute(f"SET threads = {args.threads}")
    with PeakRss() as rss:
        started = time.perf_counter()
        mentions = build_person_mentions(con)
        t_mentions = time.perf_counter() - started
        started = time.perf_counter()
        result = link_persons(
            con, "person_mentions", params=PersonLinkParams(threshold=args.threshold, threads=args.threads)
        )
        t_link = time.perf_counter() - started
    print(f"data: {args.data_dir}")
    print(f"mentions: {mentions:,} built in {t_mentions:.1f} s")
    print(
        f"link_persons: {t_link:.1f} s (stages {result.seconds}); {result.entities:,} persons; "
        f"{result.unanchored:,} mentions without a valid ID number vs {result.profiles:,} numbered profiles; "
        f"{result.links:,} links above {args.threshold}"
    )
    print(f"methods: {result.methods}")
    print(f"person stage wall time: {t_mentions + t_link:.1f} s")
    print(
        f"peak RSS: {rss.peak / 2**20:,.0f} MiB during the stage (sampled); "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB process maximum"
    )
    province = args.data_dir / "province"
    if (province / "truth" / "record_entities.parquet").exists():
        started = time.perf_counter()
        ours = evaluate_persons(con, province, samples=0)
        con.execute(
            "CREATE OR REPLACE TEMP TABLE baseline_links AS SELECT record_key, "
            f"{entity_id_sql('person', 'coalesce(id_number, record_key)')} AS entity_id FROM person_mentions"
        )
        baseline = evaluate_persons(con, province, links="baseline_links", samples=0)
        print(f"evaluation ({time.perf_counter() - started:.1f} s), {ours.evaluated:,} mentions with a truth person:")
        print(f"  ours:     {ours.summary()}")
        print(f"  baseline: {baseline.summary()}  [valid ID number only]")
        print(f"  truth person records without a mention: {ours.truth_without_mention:,}")


if __name__ == "__main__":
    main()
