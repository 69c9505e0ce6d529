"""Master data of the tiny province for the dossier tests, and helpers to read its truth.

``tiny_master`` resolves the session's tiny warehouse (``tiny_warehouse`` of tests/conftest.py) into a
data directory of its own. Stages still being written are replaced so the dossier can be tested meanwhile, and
the replacement is recorded (``TinyMaster.stand_ins``):

- person linking (``policecloud.data.resolve.persons``): when the real stage fails, mentions are linked by their
  valid ID number (each mention without one is a person of its own), through the real stage adapter;
- the address stage: when it fails, the run goes on without standard addresses (co-residence then compares
  address texts, which the dossier says in its notes).
"""

from __future__ import annotations

import shutil
import sys
import types
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest

from policecloud.apps.dossier.reader import DossierSource


@dataclass
class TinyMaster:
    data_dir: Path
    warehouse_dir: Path
    province_dir: Path
    stand_ins: list[str] = field(default_factory=list)

    @property
    def truth_dir(self) -> Path:
        return self.province_dir / "truth"

    def source(self) -> DossierSource:
        return DossierSource(self.data_dir, self.warehouse_dir)

    def truth(self, sql: str, params: list | None = None) -> list[tuple]:
        """A query over the truth files: views persons, vehicles, organizations, addresses, phones, records."""
        con = duckdb.connect()
        try:
            for path in sorted((self.truth_dir / "entities").glob("*.parquet")):
                con.execute(f"CREATE VIEW {path.stem} AS SELECT * FROM read_parquet('{path}')")
            con.execute(
                f"CREATE VIEW records AS SELECT * FROM read_parquet('{self.truth_dir}/record_entities.parquet')"
            )
            return con.execute(sql, params or []).fetchall()
        finally:
            con.close()


def _stand_in_persons() -> types.ModuleType:
    module = types.ModuleType("policecloud.data.resolve.persons")

    def link_persons(con, mentions: str, judgements: str | None = None) -> dict:
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE person_links AS
            SELECT record_key, 'P' || substr(sha256(coalesce('id:' || id_number, 'record:' || record_key)), 1, 16)
                   AS entity_id, CASE WHEN id_number IS NOT NULL THEN 'id_number' ELSE 'singleton' END AS method,
                   1.0 AS score
            FROM {mentions}"""
        )
        return {}

    module.link_persons = link_persons
    return module


def resolve(data_dir: Path, warehouse_dir: Path, province_dir: Path | None) -> list[str]:
    """Run the resolution stages over ``warehouse_dir`` into ``data_dir``; returns the stand-ins used.

    Tried in order: every real stage; the stand-in person linker; that and no address stage."""
    from policecloud.data.resolve.jobs import run_stages
    from policecloud.data.resolve.stages import STAGES

    attempts = [[], ["persons"], ["persons", "addresses"]]
    for n, stand_ins in enumerate(attempts):
        stages = [s for s in STAGES if not (s.name == "addresses" and "addresses" in stand_ins)]
        try:
            with _persons_replaced("persons" in stand_ins):
                run_stages(data_dir, stages, warehouse_dir=warehouse_dir, province_dir=province_dir, restart=n > 0)
            return stand_ins
        except Exception:
            if n == len(attempts) - 1:
                raise
    raise AssertionError("unreachable")


@contextmanager
def _persons_replaced(replace: bool) -> Iterator[None]:
    """The stand-in person linker in place of the real one, for the duration (the real one is put back)."""
    import policecloud.data.resolve as package

    name = "policecloud.data.resolve.persons"
    if not replace:
        yield
        return
    saved_module, saved_attr = sys.modules.get(name), getattr(package, "persons", None)
    module = _stand_in_persons()
    sys.modules[name], package.persons = module, module
    try:
        yield
    finally:
        if saved_module is None:
            sys.modules.pop(name, None)
        else:
            sys.modules[name] = saved_module
        if saved_attr is None:
            delattr(package, "persons")
        else:
            package.persons = saved_attr


@pytest.fixture(scope="session")
def tiny_master(tiny_warehouse, tmp_path_factory) -> TinyMaster:
    data_dir = tmp_path_factory.mktemp("dossier-master")
    stand_ins = resolve(data_dir, tiny_warehouse.warehouse_dir, tiny_warehouse.province_dir)
    return TinyMaster(data_dir, tiny_warehouse.warehouse_dir, tiny_warehouse.province_dir, stand_ins)


def copy_province(master: TinyMaster, target: Path) -> Path:
    """A data directory of its own (warehouse and master copied) for a server that may write to it."""
    shutil.copytree(master.warehouse_dir, target / "warehouse", ignore=shutil.ignore_patterns("_lock"))
    shutil.copytree(master.data_dir / "master", target / "master")
    return target
