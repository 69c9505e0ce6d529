"""Where the master data (一标三实) lives and how it is read.

A resolution run writes Parquet files into ``<data_dir>/master/runs/<run_id>/``; when every stage has finished
the run is published by replacing ``<data_dir>/master/current.json`` (write then rename), so readers always see
one complete run. Source records are never modified: master data is derived and can be rebuilt at any time.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from policecloud.data.warehouse import open_warehouse
from policecloud.platform.durable import VersionedDir
from policecloud.platform.sql import ident, literal

# The master tables a finished run holds (see docs/master-data.md).
TABLES = ("entities", "statements", "links", "address_registry", "address_matches", "quality")


class MasterMissing(RuntimeError):
    """No resolution run has been published yet."""

    def __init__(self, data_dir: Path) -> None:
        super().__init__(
            f"no master data in {data_dir / 'master'}: run `policecloud resolve` first"
            " / 尚未生成主数据，请先运行 resolve"
        )


def master_root(data_dir: Path) -> Path:
    return Path(data_dir) / "master"


def runs_dir(data_dir: Path) -> Path:
    return master_root(data_dir) / "runs"


def run_versions(master_dir: Path) -> VersionedDir:
    """The runs (``<master_dir>/runs/<run_id>/``) and the pointer ``<master_dir>/current.json`` = ``{"run": …}``."""
    master_dir = Path(master_dir)
    return VersionedDir(master_dir, key="run", versions_dir=master_dir / "runs")


def current_run(data_dir: Path) -> str | None:
    """The published run's id; None before the first run. A corrupt pointer raises ``PointerCorrupt``."""
    return run_versions(master_root(data_dir)).live_name(strict=True)


def publish(data_dir: Path, run_id: str, keep: int = 2) -> None:
    """Make ``run_id`` the current master data atomically, then drop older finished runs beyond ``keep``."""
    runs = run_versions(master_root(data_dir))
    runs.publish(run_id)
    runs.prune(keep_newest=max(0, keep - 1), only=lambda p: (p / "FINISHED").exists())


def parquet_path(run_dir: Path, name: str) -> Path:
    return run_dir / f"{name}.parquet"


class Master:
    """One published resolution run, readable with DuckDB next to the warehouse it was built from."""

    def __init__(self, run_dir: Path, warehouse_dir: Path) -> None:
        self.run_dir = run_dir
        self.warehouse_dir = warehouse_dir

    @property
    def run_id(self) -> str:
        return self.run_dir.name

    def path(self, name: str) -> Path:
        return parquet_path(self.run_dir, name)

    def connect(self) -> duckdb.DuckDBPyConnection:
        """A DuckDB connection with the warehouse views and one view per master table."""
        con = open_warehouse(self.warehouse_dir).connect()
        attach_views(con, self.run_dir)
        return con


def attach_views(con: duckdb.DuckDBPyConnection, run_dir: Path, names: tuple[str, ...] | None = None) -> None:
    """Create a view for every Parquet file of ``run_dir`` (or only ``names``) on ``con``."""
    for path in sorted(run_dir.glob("*.parquet")):
        name = path.name.removesuffix(".parquet")
        if names is None or name in names:
            con.execute(f"CREATE OR REPLACE VIEW {ident(name)} AS SELECT * FROM read_parquet({literal(path)})")


def open_master(data_dir: Path, warehouse_dir: Path | None = None) -> Master:
    run = current_run(data_dir)
    if run is None:
        raise MasterMissing(Path(data_dir))
    return Master(runs_dir(data_dir) / run, warehouse_dir or Path(data_dir) / "warehouse")
