"""Resolution runs (resume after a crash, publish atomically, rerun only on new inputs) and the keyed resolvers
(vehicles by VIN and plate, organizations by code or name + address, phones, houses) on hand-made warehouses."""

from __future__ import annotations

from pathlib import Path

import pytest

from policecloud.data.resolve import keyed
from policecloud.data.resolve.assemble import assemble
from policecloud.data.resolve.jobs import Stage, run_stages
from policecloud.data.resolve.master import MasterMissing, current_run, open_master, runs_dir
from policecloud.data.warehouse import open_warehouse


def _land(warehouse_dir: Path, batch: str, source: str, table: str, rows_sql: str) -> None:
    with open_warehouse(warehouse_dir).batch(batch, {"source": source}) as b:
        b.write(table, f"SELECT *, '{source}' AS source, '{batch}' AS batch FROM ({rows_sql})")


@pytest.fixture
def vehicles_wh(tmp_path) -> Path:
    wh = tmp_path / "warehouse"
    _land(
        wh,
        "veh-1",
        "traffic_vehicles",
        "vehicle",
        """SELECT * FROM (VALUES
            ('1', 1, '鄂A12345', 'LSVAM4187C2184847', '大众'),
            ('2', 2, '鄂A12345', NULL, '大众'),
            ('3', 3, '鄂B88888', 'LSVAM4187C2184848', '丰田'),
            ('4', 4, '鄂B88888', 'LGBH52E05AY123456', '本田'),
            ('5', 5, '鄂C55555', NULL, NULL)) t(id, row, plate, vin, brand)""",
    )
    _land(
        wh,
        "vio-1",
        "traffic_violations",
        "traffic_violation",
        """SELECT * FROM (VALUES ('W1', 1, '鄂A12345', TIMESTAMPTZ '2026-10-01 08:00:00+08'),
                                 ('W2', 2, '陕A00001', TIMESTAMPTZ '2026-10-02 08:00:00+08'))
           t(id, row, plate, time)""",
    )
    return wh


def _stages(*fns) -> list[Stage]:
    return [Stage(fn.__name__, fn.__name__, fn) for fn in fns]


def test_vehicles_resolve_by_vin_then_plate_and_keep_cloned_plates_apart(tmp_path, vehicles_wh):
    report = run_stages(tmp_path, _stages(keyed.resolve_vehicles, assemble), warehouse_dir=vehicles_wh)
    assert [r.name for r in report.results] == ["resolve_vehicles", "assemble"]
    con = open_master(tmp_path, vehicles_wh).connect()
    by_record = dict(con.execute("SELECT record_id, entity_id FROM links WHERE table_name = 'vehicle'").fetchall())
    assert by_record["1"] == by_record["2"]  # no VIN: joins the only VIN-bearing vehicle of its plate
    assert by_record["3"] != by_record["4"]  # one plate on two VINs: two vehicles (possible cloned plate)
    assert len({by_record["1"], by_record["3"], by_record["4"], by_record["5"]}) == 4
    violation = dict(
        con.execute("SELECT record_id, entity_id FROM links WHERE table_name = 'traffic_violation'").fetchall()
    )
    assert violation["W1"] == by_record["1"]
    assert violation["W2"] not in by_record.values()  # a vehicle known only from a violation
    captions = dict(con.execute("SELECT entity_id, caption FROM entities").fetchall())
    assert captions[violation["W2"]] == "陕A00001"
    county = con.execute("SELECT county FROM entities WHERE entity_id = ?", [by_record["1"]]).fetchone()[0]
    assert county.startswith("4201")  # 鄂A is issued in Wuhan
    sources = con.execute(
        "SELECT sources FROM statements WHERE entity_id = ? AND property = 'plate'", [by_record["1"]]
    ).fetchone()[0]
    assert sources == ["traffic_vehicles", "traffic_violations"]


def test_conflicting_values_are_kept_and_flagged(tmp_path):
    wh = tmp_path / "warehouse"
    _land(
        wh,
        "veh-1",
        "traffic_vehicles",
        "vehicle",
        """SELECT * FROM (VALUES ('1', 1, '鄂A12345', 'LSVAM4187C2184847', DATE '2020-01-01'),
                                 ('2', 2, '鄂A12345', 'LSVAM4187C2184847', DATE '2021-05-05'))
           t(id, row, plate, vin, registration_date)""",
    )
    run_stages(tmp_path, _stages(keyed.resolve_vehicles, assemble), warehouse_dir=wh)
    con = open_master(tmp_path, wh).connect()
    rows = con.execute(
        "SELECT value, conflict FROM statements WHERE property = 'registration_date' ORDER BY value"
    ).fetchall()
    assert [r[1] for r in rows] == [True, True] and len(rows) == 2
    assert con.execute("SELECT bool_or(conflict) FROM statements WHERE property = 'vin'").fetchone()[0] is False


def test_organizations_by_code_and_by_name_and_address(tmp_path):
    wh = tmp_path / "warehouse"
    _land(
        wh,
        "org-1",
        "organization_registry",
        "organization",
        """SELECT * FROM (VALUES
            ('D1', 1, '武汉兴隆旅馆', '91420107MA2NW7P71H', '湖北省武汉市青山区和平路1号'),
            ('D2', 2, '武汉兴隆旅馆 ', NULL, '湖北省武汉市青山区和平路1号'),
            ('D3', 3, '武汉兴隆旅馆', NULL, '湖北省武汉市洪山区珞喻路9号')) t(id, row, name, uscc, address)""",
    )
    _land(
        wh,
        "stay-1",
        "hotel_stays",
        "hotel_stay",
        """SELECT * FROM (VALUES ('L1', 1, '91420107MA2NW7P71H', TIMESTAMPTZ '2026-10-01 20:00:00+08'))
           t(id, row, hotel_id, start)""",
    )
    run_stages(tmp_path, _stages(keyed.resolve_organizations, assemble), warehouse_dir=wh)
    con = open_master(tmp_path, wh).connect()
    links = dict(con.execute("SELECT record_id, entity_id FROM links").fetchall())
    assert links["D1"] == links["D2"] == links["L1"]  # same name and address as the coded one; the stay's hotel
    assert links["D3"] != links["D1"]  # same name elsewhere: another organization
    role = con.execute("SELECT role FROM links WHERE record_id = 'L1'").fetchone()[0]
    assert role == "hotel"


def test_a_crashed_run_resumes_from_the_first_unfinished_stage(tmp_path, vehicles_wh):
    calls = {"first": 0, "second": 0}

    def first(ctx):
        calls["first"] += 1
        ctx.write("first_out", "SELECT 1 AS x")
        return {"rows": 1}

    def second(ctx):
        calls["second"] += 1
        if calls["second"] == 1:
            raise KeyboardInterrupt  # the process is interrupted in the middle of the stage
        ctx.write("second_out", "SELECT x + 1 AS y FROM first_out")
        return {}

    stages = [Stage("first", "1", first), Stage("second", "2", second)]
    with pytest.raises(KeyboardInterrupt):
        run_stages(tmp_path, stages, warehouse_dir=vehicles_wh)
    with pytest.raises(MasterMissing):
        open_master(tmp_path)  # nothing published by a half run
    report = run_stages(tmp_path, stages, warehouse_dir=vehicles_wh)
    assert calls == {"first": 1, "second": 2}
    assert [(r.name, r.resumed) for r in report.results] == [("first", True), ("second", False)]
    con = open_master(tmp_path, vehicles_wh).connect()
    assert con.execute("SELECT y FROM second_out").fetchall() == [(2,)]
    # Same inputs again: nothing to do. New inputs (a judgement): a new run, published atomically.
    assert run_stages(tmp_path, stages, warehouse_dir=vehicles_wh).up_to_date
    before = current_run(tmp_path)
    report = run_stages(tmp_path, stages, warehouse_dir=vehicles_wh, judgements=[("a:1", "b:2", "same")])
    assert not report.up_to_date and report.run_id != before and current_run(tmp_path) == report.run_id
    assert calls["first"] == 2


def test_a_run_interrupted_before_new_inputs_is_discarded(tmp_path, vehicles_wh):
    def boom(ctx):
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        run_stages(tmp_path, [Stage("boom", "b", boom)], warehouse_dir=vehicles_wh)
    stale = [p.name for p in runs_dir(tmp_path).iterdir()]
    _land(vehicles_wh, "veh-2", "traffic_vehicles", "vehicle", "SELECT '9' AS id, 1 AS row, '鄂D11111' AS plate")
    report = run_stages(tmp_path, _stages(keyed.resolve_vehicles), warehouse_dir=vehicles_wh)
    assert report.run_id not in stale
    assert not any((runs_dir(tmp_path) / name).exists() for name in stale)


def test_entity_ids_are_stable_per_installation_and_do_not_reveal_their_anchor(tmp_path, vehicles_wh):
    import hashlib

    ids = []
    for name in ("one", "one", "two"):
        data_dir = tmp_path / name
        run_stages(data_dir, _stages(keyed.resolve_vehicles, assemble), warehouse_dir=vehicles_wh, force=True)
        con = open_master(data_dir, vehicles_wh).connect()
        ids.append(con.execute("SELECT entity_id FROM links WHERE record_id = '1'").fetchall()[0][0])
    assert ids[0] == ids[1]  # the same installation: the same id on every run
    assert ids[0] != ids[2]  # another installation's key gives other ids
    unkeyed = "V" + hashlib.sha256(b"vin:LSVAM4187C2184847").hexdigest()[:16]
    assert unkeyed not in ids
    assert oct((tmp_path / "one" / "master" / "id_key").stat().st_mode & 0o777) == "0o600"
