"""Search benchmark: index build rate (docs/s) and query latency p50 / p99, in-process and through the API.

    python bench/search_latency.py --data-dir /tmp/w_small            # its master data + warehouse texts
    python bench/search_latency.py --data-dir /tmp/w_small --stand-in 200000

With ``--stand-in N`` (for use before resolution has produced master data) the entities come from the
hand-written generator of ``policecloud.apps.search.testing`` (N persons, N/4 vehicles) and the texts from the
warehouse of ``--data-dir``; everything is written under ``<data-dir>/bench-search`` and the report says so.

Queries are drawn from the indexed data: ID numbers, plates, exact names, names with one character replaced,
and 4–6 character phrases from 110 narratives. In-process latency is ``search()`` on an open index; API
latency is ``GET /api/search`` end to end on a real uvicorn server on 127.0.0.1 (authentication, purpose,
jurisdiction, masking and the audit-log write included), one request at a time.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import time
from pathlib import Path


def percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return {"n": len(ordered), "p50_ms": pick(0.5) * 1000, "p99_ms": pick(0.99) * 1000,
            "mean_ms": statistics.fmean(ordered) * 1000}  # fmt: skip


def sample_queries(con, rng: random.Random, n: int) -> dict[str, list[str]]:
    """Queries of each kind, from what the index holds (master statements and warehouse narratives)."""
    try:
        from policecloud.apps.search.documents import relations
    except ModuleNotFoundError:  # a baseline checkout of the layout before issue 14
        from policecloud.search.documents import relations

    have = relations(con)
    out: dict[str, list[str]] = {}

    def values(sql: str) -> list[str]:
        rows = [r[0] for r in con.execute(sql).fetchall() if r[0]]
        return rng.sample(rows, min(n, len(rows)))

    if "statements" in have:
        out["id_number"] = values("SELECT value FROM statements WHERE property = 'id_number' USING SAMPLE 20000")
        out["plate"] = values("SELECT value FROM statements WHERE property = 'plate' USING SAMPLE 20000")
        names = values("SELECT value FROM statements WHERE property = 'name' AND length(value) BETWEEN 2 AND 4 "
                       "USING SAMPLE 20000")  # fmt: skip
        out["name"] = names
        pool = "".join(names)
        out["name_typo"] = [
            (lambda i: name[:i] + rng.choice(pool) + name[i + 1 :])(rng.randrange(len(name))) for name in names
        ]
    if "call110" in have:
        narratives = values("SELECT narrative FROM call110 WHERE length(narrative) > 12 USING SAMPLE 20000")
        word = lambda c: c.isascii() and c.isalnum()  # noqa: E731
        phrases = []
        for text in narratives:  # 4–6 characters, not cutting a number or a Latin word (those are words)
            for _ in range(20):
                start = rng.randrange(0, len(text) - 8)
                end = start + rng.randint(4, 6)
                if not (start and word(text[start - 1]) and word(text[start])) and not (
                    word(text[end - 1]) and word(text[end])
                ):
                    phrases.append(text[start:end])
                    break
        out["text"] = phrases
    return out


def stand_in(data_dir: Path, persons: int) -> Path:
    """A stand-in master (generated entities) next to the real warehouse texts, under data_dir/bench-search."""
    from policecloud.apps.search.testing import mini_province

    root = data_dir / "bench-search"
    shutil.rmtree(root, ignore_errors=True)
    started = time.perf_counter()
    world = mini_province(root, crowd=persons, vehicles=persons // 4)
    # the real warehouse's texts replace the mini world's three calls
    shutil.rmtree(world.warehouse_dir)
    (root / "warehouse").symlink_to((data_dir / "warehouse").resolve())
    print(f"stand-in master: {len(world.entities):,} entities written in {time.perf_counter() - started:.1f} s")
    return root


def in_process(index, queries: dict[str, list[str]], scope) -> dict[str, dict]:
    from policecloud.apps.search.query import search

    out = {}
    for kind, items in queries.items():
        for q in items[:20]:  # warm-up (page cache, tantivy's term dictionaries)
            search(index, q, county_prefixes=scope)
        times, hits = [], 0
        for q in items:
            t = time.perf_counter()
            result = search(index, q, county_prefixes=scope)
            times.append(time.perf_counter() - t)
            hits += result.total > 0
        out[kind] = {**percentiles(times), "found": hits / len(items)}
    return out


def through_api(data_dir: Path, queries: dict[str, list[str]]) -> dict[str, dict]:
    import httpx

    from policecloud.apps.alerts.testing import ServerProcess

    server = ServerProcess(data_dir)
    try:
        token = server.token("bench.analyst", ["investigator"], "420000")
        server.start()
        headers = {"Authorization": f"Bearer {token}"}
        out = {}
        with httpx.Client(base_url=server.url, headers=headers, timeout=30) as client:
            for kind, items in queries.items():
                params = lambda q: {"q": q, "purpose": "case:A4201112026110001"}  # noqa: E731
                for q in items[:20]:
                    client.get("/api/search", params=params(q)).raise_for_status()
                times = []
                for q in items:
                    t = time.perf_counter()
                    client.get("/api/search", params=params(q)).raise_for_status()
                    times.append(time.perf_counter() - t)
                out[kind] = percentiles(times)
        return out
    finally:
        server.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--stand-in", type=int, default=0, help="Generate N stand-in persons as master data.")
    parser.add_argument("--queries", type=int, default=300, help="Queries per kind.")
    parser.add_argument("--no-api", action="store_true", help="Skip the API measurement.")
    parser.add_argument("--json", type=Path, help="Also write the figures here.")
    args = parser.parse_args()

    from policecloud.apps.search.documents import connect_sources
    from policecloud.apps.search.index import build_index, open_current, update_index

    data_dir = stand_in(args.data_dir, args.stand_in) if args.stand_in else args.data_dir
    master = data_dir / "master"
    if not (master / "current.json").exists():
        raise SystemExit(f"no master data in {master}: run `policecloud resolve` or pass --stand-in N")
    root = data_dir / "search"
    report: dict[str, object] = {"data_dir": str(data_dir), "stand_in": args.stand_in}
    built = build_index(master, data_dir / "warehouse", root)
    report["build"] = {"docs": built.total, "seconds": built.seconds, "docs_per_s": built.docs_per_second}
    print(f"full build: {built.total:,} docs in {built.seconds:.1f} s = {built.docs_per_second:,.0f} docs/s")
    noop = update_index(master, data_dir / "warehouse", root)
    report["update_nothing_changed_s"] = noop.seconds
    print(f"incremental update with nothing changed: {noop.seconds:.1f} s")
    size = sum(p.stat().st_size for p in (root / built.version).rglob("*") if p.is_file())
    report["index_mb"] = size / 1e6

    rng = random.Random(1)
    with connect_sources(master, data_dir / "warehouse") as con:
        queries = sample_queries(con, rng, args.queries)
    index = open_current(root)
    report["in_process_province"] = in_process(index, queries, ["42"])
    print("in-process (province-wide scope):")
    for kind, figures in report["in_process_province"].items():
        print(f"  {kind:10s} p50 {figures['p50_ms']:6.2f} ms  p99 {figures['p99_ms']:6.2f} ms  "
              f"found {figures['found']:.0%}")  # fmt: skip
    if not args.no_api:
        report["api"] = through_api(data_dir, queries)
        print("through the API (uvicorn on 127.0.0.1, one client):")
        for kind, figures in report["api"].items():
            print(f"  {kind:10s} p50 {figures['p50_ms']:6.2f} ms  p99 {figures['p99_ms']:6.2f} ms")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
