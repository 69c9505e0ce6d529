"""Standard address registry and address matching on a generated, ingested province: accuracy and time.

    .venv/bin/python bench/address_matching.py /tmp/w_small [--threads 2]

The data dir holds ``province/`` (sources, reference, truth) and ``warehouse/``. Steps timed separately: the
registry (parse the house and organization registers, derive parents, geocode), the inputs (every address
column of the warehouse), the matching, and the evaluation against the truth
(:mod:`policecloud.data.resolve.addresses.evaluate`: correct / all truth address records). Also printed: mentions
by method, distinct texts, and the geocoding error (km) by method against the true coordinates. Times are wall
clock and CPU time of the process (DuckDB's threads included): on a shared machine the CPU time is the steadier.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from policecloud.data.resolve.addresses import address_inputs_sql, build_address_registry, match_addresses
from policecloud.data.resolve.addresses.evaluate import evaluate_address_matching
from policecloud.data.warehouse import open_warehouse


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data_dir", type=Path)
    ap.add_argument("--threads", type=int, default=None)
    args = ap.parse_args()
    province, reference = args.data_dir / "province", args.data_dir / "province" / "reference"
    con = open_warehouse(args.data_dir / "warehouse").connect()
    if args.threads:
        con.execute(f"SET threads = {args.threads}")
    times: dict[str, tuple[float, float]] = {}  # step → (wall s, CPU s of this process)

    started, cpu = time.perf_counter(), time.process_time()
    levels = build_address_registry(
        con,
        roads=reference / "roads.geojson",
        counties=reference / "boundaries_counties.geojson",
        prefectures=reference / "boundaries_prefectures.geojson",
    )
    times["registry"] = (time.perf_counter() - started, time.process_time() - cpu)

    started, cpu = time.perf_counter(), time.process_time()
    con.execute(f"CREATE TEMP TABLE address_inputs AS {address_inputs_sql(con)}")
    mentions, texts = con.execute("SELECT count(*), count(DISTINCT raw) FROM address_inputs").fetchall()[0]
    times["inputs"] = (time.perf_counter() - started, time.process_time() - cpu)

    started, cpu = time.perf_counter(), time.process_time()
    methods = match_addresses(con, "address_inputs")
    times["matching"] = (time.perf_counter() - started, time.process_time() - cpu)

    started, cpu = time.perf_counter(), time.process_time()
    result = evaluate_address_matching(con, province / "truth")
    times["evaluation"] = (time.perf_counter() - started, time.process_time() - cpu)

    print(f"data: {args.data_dir}")
    print("registry: " + ", ".join(f"{k} {v}" for k, v in levels.items()))
    print(f"mentions: {mentions} ({texts} distinct texts)")
    print("by method: " + ", ".join(f"{m} {methods.get(m, 0)}" for m in ("exact", "fuzzy", "ambiguous", "unmatched")))
    for table, field, method, n in con.execute(
        "SELECT table_name, field, method, count(*) FROM address_matches GROUP BY ALL ORDER BY ALL"
    ).fetchall():
        print(f"  {table + '.' + field:<28} {method:<10} {n}")
    print(f"accuracy: {result.accuracy:.4f} ({result.correct} / {result.records} truth address records)")
    print("  not correct: " + (", ".join(f"{k} {v}" for k, v in sorted(result.outcomes.items())) or "none"))
    for source, (correct, n) in result.by_source.items():
        print(f"  {source:<22} {correct / n:.4f} ({correct} / {n})")
    print(
        f"truth addresses: {result.truth_addresses}, missing from the registry {result.not_in_registry}, "
        f"sharing their elements with another {result.truth_duplicates}"
    )
    for method, (n, median, p90) in result.geocode_km.items():
        print(f"  geocode {method:<20} n={n:<7} median {median:.2f} km, p90 {p90:.2f} km")
    print("time (wall / CPU): " + ", ".join(f"{k} {w:.2f} / {c:.2f} s" for k, (w, c) in times.items()))


if __name__ == "__main__":
    main()
