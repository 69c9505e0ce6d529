"""Benchmark: generation time and peak memory of the synthetic province.

Usage: python bench/synth_generation.py [--scales small medium] [--seed 1] [--out DIR]

Each scale runs in a fresh child process (``policecloud synth``), so the peak resident memory reported is
that run's own (``getrusage(RUSAGE_CHILDREN)`` after the child ends).
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def run(scale: str, seed: int, out: Path) -> dict:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "policecloud",
            "synth",
            "--scale",
            scale,
            "--seed",
            str(seed),
            "--out",
            str(out),
            "--quiet",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    seconds = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    manifest = json.loads((out / "truth" / "manifest.json").read_text(encoding="utf-8"))
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    return {
        "scale": scale,
        "seconds": round(seconds, 1),
        "peak_rss_mb": round(peak_kb / 1024) if peak_kb > before else None,
        "persons": manifest["counts"]["persons"],
        "vehicles": manifest["counts"]["vehicles"],
        "passes": manifest["counts"]["passes"],
        "passes_per_s": round(manifest["counts"]["passes"] / seconds),
        "output_mb": round(size / 2**20),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", nargs="+", default=["small", "medium"])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=None, help="where to write (default: a temporary dir)")
    parser.add_argument("--keep", action="store_true", help="keep the generated provinces")
    args = parser.parse_args()
    base = args.out or Path(tempfile.mkdtemp(prefix="pc-synth-bench-"))
    print(
        f"{'scale':<8} {'seconds':>8} {'peak MB':>8} {'persons':>9} {'vehicles':>9} {'passes':>11} "
        f"{'passes/s':>9} {'out MB':>7}"
    )
    for scale in args.scales:
        out = base / scale
        r = run(scale, args.seed, out)
        print(
            f"{r['scale']:<8} {r['seconds']:>8} {r['peak_rss_mb']!s:>8} {r['persons']:>9} {r['vehicles']:>9} "
            f"{r['passes']:>11} {r['passes_per_s']:>9} {r['output_mb']:>7}",
            flush=True,
        )
        if not args.keep:
            shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
