"""Resolution of the whole tiny province against its ground truth, a crash and resume of the real command, and
undoing a wrong judgement."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from policecloud.data.resolve.addresses.evaluate import evaluate_address_matching
from policecloud.data.resolve.jobs import run_stages
from policecloud.data.resolve.master import open_master
from policecloud.data.resolve.persons.evaluate import evaluate_persons
from policecloud.data.resolve.persons.mentions import build_person_mentions
from policecloud.data.resolve.stages import STAGES

POLICECLOUD = Path(sys.executable).parent / "policecloud"
# Truth names for warehouse sources where they differ.
TRUTH_SOURCE = {"traffic_vehicle_owners": "traffic_vehicles", "traffic_vehicle_organizations": "traffic_vehicles"}


@pytest.fixture(scope="module")
def resolved(tiny_warehouse, tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("resolved")
    report = run_stages(
        data_dir, STAGES, warehouse_dir=tiny_warehouse.warehouse_dir, province_dir=tiny_warehouse.province_dir
    )
    return data_dir, report


def _connect(resolved, tiny_warehouse):
    return open_master(resolved[0], tiny_warehouse.warehouse_dir).connect()


def test_every_stage_ran_and_the_quality_report_adds_up(resolved, tiny_warehouse):
    _, report = resolved
    assert [r.name for r in report.results] == [s.name for s in STAGES]
    con = _connect(resolved, tiny_warehouse)
    # Every person-bearing record is linked exactly once as a person mention.
    mentions = build_person_mentions(con, "pm")
    person_links = con.execute("SELECT count(*), count(DISTINCT record_key) FROM links WHERE entity_type = 'person'")
    assert person_links.fetchall()[0] == (mentions, mentions)
    # A registry person's statements list the sources of each value.
    sources = con.execute(
        """SELECT s.sources FROM statements s JOIN entities e USING (entity_id)
           WHERE e.entity_type = 'person' AND s.property = 'id_number' ORDER BY len(s.sources) DESC LIMIT 1"""
    ).fetchall()[0][0]
    assert len(sources) >= 2 and "population_registry" in sources
    quality = dict(
        ((scope, kind, metric), value) for scope, kind, metric, value in con.execute("SELECT * FROM quality").fetchall()
    )
    assert quality[("population_registry", "person", "duplicates_found")] > 0  # people registered twice
    assert (
        quality[("overall", "person", "entities")]
        == con.execute("SELECT count(*) FROM entities WHERE entity_type = 'person'").fetchall()[0][0]
    )


def test_person_clusters_match_the_truth(resolved, tiny_warehouse):
    con = _connect(resolved, tiny_warehouse)
    build_person_mentions(con, "person_mentions")
    result = evaluate_persons(
        con,
        tiny_warehouse.province_dir,
        links="(SELECT record_key, entity_id FROM links WHERE entity_type = 'person')",
    )
    assert result.pair_f1 >= 0.97, result
    assert result.cluster_f1 >= 0.97, result


def test_addresses_match_the_truth(resolved, tiny_warehouse):
    con = _connect(resolved, tiny_warehouse)
    assert evaluate_address_matching(con, tiny_warehouse.truth_dir).accuracy >= 0.97


def test_vehicles_and_organizations_match_the_truth(resolved, tiny_warehouse):
    con = _connect(resolved, tiny_warehouse)
    truth = (tiny_warehouse.truth_dir / "record_entities.parquet").as_posix()
    con.execute("CREATE TEMP TABLE truth_sources (source VARCHAR, truth VARCHAR)")
    con.executemany("INSERT INTO truth_sources VALUES (?, ?)", list(TRUTH_SOURCE.items()))
    for kind, table, truth_type in (
        ("vehicle", "vehicle", "vehicle"),
        ("organization", "organization", "organization"),
    ):
        rows = con.execute(
            f"""WITH pred AS (SELECT l.record_id, coalesce(ts.truth, l.source) AS source, l.entity_id FROM links l
                              LEFT JOIN truth_sources ts ON ts.source = l.source
                              WHERE l.entity_type = '{kind}' AND l.role = 'subject' AND l.table_name = '{table}'),
                    t AS (SELECT record_id, source, entity_id AS true_id FROM read_parquet('{truth}')
                          WHERE entity_type = '{truth_type}')
               SELECT p.entity_id, t.true_id FROM pred p JOIN t USING (record_id, source)"""
        ).fetchall()
        assert len(rows) > 50
        pred_to_true = {}
        true_to_pred = {}
        for pred, true in rows:
            pred_to_true.setdefault(pred, set()).add(true)
            true_to_pred.setdefault(true, set()).add(pred)
        merged_wrongly = sum(1 for s in pred_to_true.values() if len(s) > 1)
        split_wrongly = sum(1 for s in true_to_pred.values() if len(s) > 1)
        assert merged_wrongly <= 0.01 * len(pred_to_true), (kind, merged_wrongly)
        assert split_wrongly <= 0.01 * len(true_to_pred), (kind, split_wrongly)


def _same_installation(resolved_dir: Path, data_dir: Path) -> None:
    """Give ``data_dir`` the entity-id key of the resolved data dir, so the ids are comparable."""
    (data_dir / "master").mkdir(parents=True, exist_ok=True)
    shutil.copy(resolved_dir / "master" / "id_key", data_dir / "master" / "id_key")


def _links_of(data_dir: Path, warehouse_dir: Path) -> list[tuple]:
    con = open_master(data_dir, warehouse_dir).connect()
    return con.execute("SELECT record_key, role, entity_id, method FROM links ORDER BY ALL").fetchall()


def test_a_wrong_judgement_is_undone_and_the_original_clusters_come_back(resolved, tiny_warehouse, tmp_path):
    original = _links_of(resolved[0], tiny_warehouse.warehouse_dir)
    con = _connect(resolved, tiny_warehouse)
    # Two registry records of two different people, wrongly judged to be one.
    a, b = con.execute(
        """SELECT record_key, entity_id FROM links WHERE entity_type = 'person' AND role = 'subject'
           AND source = 'population_registry' ORDER BY record_key LIMIT 2"""
    ).fetchall()
    assert a[1] != b[1]
    _same_installation(resolved[0], tmp_path)
    run_stages(
        tmp_path,
        STAGES,
        warehouse_dir=tiny_warehouse.warehouse_dir,
        province_dir=tiny_warehouse.province_dir,
        judgements=[(a[0], b[0], "same")],
    )
    merged = dict(
        open_master(tmp_path, tiny_warehouse.warehouse_dir)
        .connect()
        .execute(
            "SELECT record_key, entity_id FROM links WHERE entity_type = 'person' AND record_key IN (?, ?)",
            [a[0], b[0]],
        )
        .fetchall()
    )
    assert merged[a[0]] == merged[b[0]]
    # Undo = the judgement is no longer an input: the next run gives the original clusters back, ids included.
    report = run_stages(
        tmp_path,
        STAGES,
        warehouse_dir=tiny_warehouse.warehouse_dir,
        province_dir=tiny_warehouse.province_dir,
        judgements=[],
    )
    assert not report.up_to_date
    assert _links_of(tmp_path, tiny_warehouse.warehouse_dir) == original


def test_resolve_killed_mid_run_resumes_and_ends_like_a_clean_run(resolved, tiny_warehouse, tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "warehouse").symlink_to(tiny_warehouse.warehouse_dir)
    (data_dir / "province").symlink_to(tiny_warehouse.province_dir)
    _same_installation(resolved[0], data_dir)
    env = {**os.environ, "POLICECLOUD_DATA_DIR": str(data_dir)}
    process = subprocess.Popen([str(POLICECLOUD), "resolve"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    killed_after = None
    while time.monotonic() < deadline and process.poll() is None:
        states = list((data_dir / "master" / "runs").glob("*/state.json"))
        if states:
            try:
                done = json.loads(states[0].read_text(encoding="utf-8"))["done"]
            except (json.JSONDecodeError, KeyError, OSError):
                done = {}
            if done:
                process.send_signal(signal.SIGKILL)
                killed_after = list(done)
                break
        time.sleep(0.02)
    process.wait()
    assert killed_after, "the run finished before it could be killed"
    assert not (data_dir / "master" / "current.json").exists()
    rerun = subprocess.run([str(POLICECLOUD), "resolve"], env=env, capture_output=True, text=True, check=True)
    assert "resumed" in rerun.stdout
    assert _links_of(data_dir, tiny_warehouse.warehouse_dir) == _links_of(resolved[0], tiny_warehouse.warehouse_dir)
    again = subprocess.run([str(POLICECLOUD), "resolve"], env=env, capture_output=True, text=True, check=True)
    assert "up to date" in again.stdout
    shutil.rmtree(data_dir / "master")
