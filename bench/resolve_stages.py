"""Benchmark: a full resolution run (all stages) of an ingested province — wall time and peak memory per stage.

    .venv/bin/python bench/resolve_stages.py --data-dir /tmp/w_medium [--threads 2] [--memory-limit 6GB]

The data dir holds `warehouse/` and `province/` (as `policecloud demo` / `synth` + `ingest` lay them out). The run
is written to a scratch data dir (the warehouse is only read), so the benchmark never touches published master
data. Peak memory is the process's resident set (DuckDB runs in-process), sampled every 50 ms.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import threading
import time
from pathlib import Path

from policecloud.data.resolve.jobs import Stage, run_stages
from policecloud.data.resolve.stages import STAGES


def _rss_bytes() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class PeakSampler:
    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            self.peak = max(self.peak, _rss_bytes())

    def reset(self) -> None:
        self.peak = _rss_bytes()

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--memory-limit", default=None)
    args = parser.parse_args()
    warehouse = args.data_dir / "warehouse"
    province = args.data_dir / "province"
    rows: list[tuple[str, float, float]] = []
    with PeakSampler() as sampler, tempfile.TemporaryDirectory(prefix="resolve-bench-") as scratch:

        def timed(stage: Stage) -> Stage:
            def run(ctx):
                sampler.reset()
                started = time.perf_counter()
                stats = stage.run(ctx)
                rows.append((stage.name, time.perf_counter() - started, sampler.peak / 2**30))
                return stats

            return Stage(stage.name, stage.label, run)

        started = time.perf_counter()
        report = run_stages(
            Path(scratch),
            [timed(s) for s in STAGES],
            warehouse_dir=warehouse,
            province_dir=province if province.exists() else None,
            threads=args.threads,
            memory_limit=args.memory_limit,
        )
        total = time.perf_counter() - started
        stats = {r.name: r.stats for r in report.results}
    print(f"data dir {args.data_dir}  load average {os.getloadavg()[0]:.1f}  cores {os.cpu_count()}")
    print(f"{'stage':<14} {'wall s':>8} {'peak RSS GiB':>13}")
    for name, seconds, peak in rows:
        print(f"{name:<14} {seconds:8.1f} {peak:13.2f}")
    print(f"{'total':<14} {total:8.1f} {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20:13.2f}")
    persons = stats.get("persons", {})
    print(f"person mentions {persons.get('mentions')}, person entities {persons.get('entities')}")


if __name__ == "__main__":
    main()
