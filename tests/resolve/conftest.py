"""A tiny synthetic province, generated and ingested once per test session (per xdist worker).

`tiny_warehouse` gives a `TinyProvince` with the data dir laid out as the platform expects it:
`<data_dir>/province` (sources, reference, truth) and `<data_dir>/warehouse`. Tests may read the truth;
platform code never does.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from policecloud.ingest.mapping import load_mappings
from policecloud.ingest.run import ingest_source
from policecloud.model.schema import load_schema
from policecloud.store.testing import clock, store_engine, store_kind  # noqa: F401  (fixtures)
from policecloud.warehouse import open_warehouse

ROOT = Path(__file__).resolve().parents[2]
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
    schema = load_schema()
    warehouse = open_warehouse(data_dir / "warehouse")
    for _, mapping in sorted(load_mappings(ROOT / "mappings", schema).items()):
        for _ in ingest_source(warehouse, mapping, province / "sources", schema):
            pass
    return TinyProvince(data_dir, data_dir / "warehouse", province)
