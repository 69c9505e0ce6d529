"""Shared fixtures: a DuckDB connection, and a tiny synthetic province generated and ingested once per session
(per xdist worker). Tests may read the province's truth; platform code never does."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"


@pytest.fixture
def duck():
    from policecloud.data.model.vectorized import connect

    con = connect()
    yield con
    con.close()


POLICECLOUD = Path(sys.executable).parent / "policecloud"


@dataclass(frozen=True)
class TinyProvince:
    data_dir: Path
    warehouse_dir: Path
    province_dir: Path

    @property
    def truth_dir(self) -> Path:
        return self.province_dir / "truth"


@pytest.fixture(scope="session")
def tiny_warehouse(tmp_path_factory) -> TinyProvince:
    data_dir = tmp_path_factory.mktemp("tiny-data")
    province = data_dir / "province"
    subprocess.run(
        [str(POLICECLOUD), "synth", "--scale", "tiny", "--seed", "1", "--out", str(province), "--quiet"],
        check=True,
        capture_output=True,
    )
    from policecloud.data.ingest.mapping import load_mappings
    from policecloud.data.ingest.run import ingest_source
    from policecloud.data.model.schema import load_schema
    from policecloud.data.warehouse import open_warehouse

    schema = load_schema()
    warehouse = open_warehouse(data_dir / "warehouse")
    for _, mapping in sorted(load_mappings(ROOT / "mappings", schema).items()):
        for _ in ingest_source(warehouse, mapping, province / "sources", schema):
            pass
    return TinyProvince(data_dir, data_dir / "warehouse", province)
