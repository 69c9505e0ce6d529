"""Benchmark: vectorized (DuckDB SQL) validation vs the per-value Python function, on the same data.

Usage: .venv/bin/python bench/validators.py [--rows 10000000] [--distinct 1000000] [--types id_number,plate]

For each type it builds a Parquet file of ``rows`` raw values drawn from ``distinct`` different ones (about
90 % valid values written in varied ways, 5 % with case/separator mess, 5 % corrupted by one character) —
police event columns repeat: 10 M checkpoint passes come from about 1 M vehicles, 10 M hotel stays and café
sessions from about 1 M people. Then it times, on the same data:

Both sides start from the column in memory (a Python list; a DuckDB table) and time only the checking.

* ``python``: ``etype.check(raw)`` over every value, one thread (what a row-by-row ingester would do);
* ``duckdb rows``: the type's SQL form evaluated on every row, all cores;
* ``duckdb distinct``: the SQL form evaluated once per distinct value and joined back (what ingestion does
  for repetitive columns).

All three must count the same number of valid values. ``--python-rows`` limits the Python pass to a prefix
for a quick run; the default runs it over all rows.
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

from policecloud.data.model import types as element_types
from policecloud.data.model.types import id_number, plate
from policecloud.data.model.vectorized import check_sql, connect


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


def time_duckdb(etype, path: Path, limit: int | None, distinct: bool = False) -> tuple[int, int, float]:
    """Like the Python side, which gets its values as a list before the clock starts, DuckDB gets the column
    loaded into an in-memory table first: both sides time the checking, not the reading of the file."""
    con = connect()
    etype.sql_setup(con)
    limited = f" LIMIT {limit}" if limit else ""
    con.execute(f"CREATE TABLE col AS SELECT raw FROM read_parquet('{path}'){limited}")
    checked = check_sql(etype, "col", "raw", distinct=distinct)
    sql = f"SELECT count(*), count(*) FILTER (WHERE reason IS NULL) FROM ({checked})"
    start = time.perf_counter()
    total, valid = con.sql(sql).fetchall()[0]
    return total, valid, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--types", default="id_number,plate")
    parser.add_argument("--distinct", type=int, default=1_000_000, help="distinct raw values in the column")
    parser.add_argument("--python-rows", type=int, default=None)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    machine = f"{platform.node()} ({os.cpu_count()} cores)"
    print(f"# validators benchmark — {dt.date.today()} — {machine}, {args.rows:,} rows, {args.distinct:,} distinct")
    print(f"{'type':<10} {'engine':<16} {'rows':>12} {'valid':>12} {'seconds':>9} {'rows/s':>14} {'speed-up':>9}")
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.types.split(","):
            etype = element_types.get(name)
            path = Path(tmp) / f"{name}.parquet"
            write_column(path, SAMPLERS[name](random.Random(args.seed), args.distinct), args.rows)
            py_rows, py_valid, py_s = time_python(etype, path, args.python_rows)
            py_rate = py_rows / py_s
            print(
                f"{name:<10} {'python':<16} {py_rows:>12,} {py_valid:>12,} {py_s:>9.2f} {py_rate:>14,.0f} {'1.0x':>9}"
            )
            for label, distinct in (("duckdb rows", False), ("duckdb distinct", True)):
                rows, valid, seconds = time_duckdb(etype, path, args.python_rows, distinct)
                assert (rows, valid) == (py_rows, py_valid), f"{label} and python disagree"
                all_rows = rows
                if args.python_rows is not None:  # the agreement check ran on a prefix: time the whole column
                    all_rows, _, seconds = time_duckdb(etype, path, None, distinct)
                rate = all_rows / seconds
                print(
                    f"{name:<10} {label:<16} {all_rows:>12,} {'':>12} {seconds:>9.2f} {rate:>14,.0f} "
                    f"{rate / py_rate:>8.1f}x"
                )


if __name__ == "__main__":
    main()
