"""Benchmark: vectorized (DuckDB SQL) validation vs the per-value Python function, on the same data.

Usage: .venv/bin/python bench/validators.py [--rows 10000000] [--types id_number,plate] [--python-rows N]

For each type it builds a Parquet file of ``rows`` raw values (about 95 % valid ones written in varied ways,
5 % corrupted by one character), then times

* ``python``: ``etype.check(raw)`` over every value, one thread (what a row-by-row ingester would do);
* ``duckdb``: the type's SQL form over the Parquet column, all cores, counting valid values and reasons.

Both must count the same number of valid values (checked at the end of each run). ``--python-rows``
limits the Python pass to a prefix when a quick run is wanted; the default runs it over all rows.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from policecloud.model import types as element_types
from policecloud.model.types import id_number, plate
from policecloud.model.vectorized import check_sql, connect

DISTINCT = 200_000  # distinct raw values, repeated to fill the rows


def corrupt(rng: random.Random, value: str, alphabet: str) -> str:
    i = rng.randrange(len(value))
    return value[:i] + rng.choice(alphabet) + value[i + 1 :]


def sample_id_numbers(rng: random.Random, n: int) -> list[str]:
    out = []
    for _ in range(n):
        value = id_number.generate(rng, legacy15=rng.random() < 0.03)
        roll = rng.random()
        if roll < 0.05:
            value = corrupt(rng, value, "0123456789X")
        elif roll < 0.10:
            value = value.lower().replace("x", "x ")
        out.append(value)
    return out


def sample_plates(rng: random.Random, n: int) -> list[str]:
    kinds = ["ordinary"] * 8 + ["new_energy"] * 2
    out = []
    for _ in range(n):
        value = plate.generate(rng, province=rng.choice("鄂鄂鄂鄂湘豫粤京"), kind=rng.choice(kinds))
        roll = rng.random()
        if roll < 0.05:
            value = corrupt(rng, value, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        elif roll < 0.10:
            value = value[:2] + "·" + value[2:].lower()
        out.append(value)
    return out


SAMPLERS = {"id_number": sample_id_numbers, "plate": sample_plates}


def write_column(path: Path, values: list[str], rows: int) -> None:
    reps = -(-rows // len(values))
    column = pa.chunked_array([pa.array(values, pa.string())] * reps).slice(0, rows)
    pq.write_table(pa.table({"raw": column}), path, row_group_size=1_000_000)


def time_python(etype, path: Path, limit: int | None) -> tuple[int, int, float]:
    values = pq.read_table(path).column("raw").to_pylist()
    if limit is not None:
        values = values[:limit]
    check = etype.check
    start = time.perf_counter()
    valid = sum(1 for v in values if check(v).ok)
    return len(values), valid, time.perf_counter() - start


def time_duckdb(etype, path: Path, limit: int | None) -> tuple[int, int, float]:
    con = connect()
    etype.sql_setup(con)
    source = f"(SELECT raw FROM read_parquet('{path}')" + (f" LIMIT {limit})" if limit else ")")
    sql = f"SELECT count(*), count(*) FILTER (WHERE reason IS NULL) FROM ({check_sql(etype, source, 'raw')})"
    start = time.perf_counter()
    total, valid = con.sql(sql).fetchall()[0]
    return total, valid, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--types", default="id_number,plate")
    parser.add_argument("--python-rows", type=int, default=None)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    machine = f"{platform.node()} ({os.cpu_count()} cores)"
    print(f"# validators benchmark — {dt.date.today()} — {machine}, {args.rows:,} rows")
    print(
        f"{'type':<10} {'engine':<8} {'rows':>12} {'valid':>12} {'seconds':>9} {'rows/s':>14} {'speed-up':>9}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.types.split(","):
            etype = element_types.get(name)
            path = Path(tmp) / f"{name}.parquet"
            write_column(path, SAMPLERS[name](random.Random(args.seed), DISTINCT), args.rows)
            py_rows, py_valid, py_s = time_python(etype, path, args.python_rows)
            db_rows, db_valid, _ = time_duckdb(etype, path, args.python_rows)
            assert (py_rows, py_valid) == (db_rows, db_valid), "python and duckdb disagree"
            db_all_rows, _, db_all_s = time_duckdb(etype, path, None)
            py_rate, db_rate = py_rows / py_s, db_all_rows / db_all_s
            print(
                f"{name:<10} {'python':<8} {py_rows:>12,} {py_valid:>12,} {py_s:>9.2f} {py_rate:>14,.0f} "
                f"{'1.0x':>9}"
            )
            print(
                f"{name:<10} {'duckdb':<8} {db_all_rows:>12,} {'':>12} {db_all_s:>9.2f} {db_rate:>14,.0f} "
                f"{db_rate / py_rate:>8.1f}x"
            )


if __name__ == "__main__":
    main()
