"""Scenario oracles checked against the generated files, independently of the code that planted them."""

from __future__ import annotations

import csv
import json

import pytest

from policecloud.data.model.vectorized import connect


@pytest.fixture(scope="module")
def db(tiny):
    out, _ = tiny
    con = connect()
    con.execute(f"CREATE VIEW passes AS SELECT * FROM read_parquet('{out}/truth/passes/*.parquet')")
    con.execute(f"CREATE VIEW travel AS SELECT * FROM read_parquet('{out}/reference/checkpoint_travel_times.parquet')")
    yield con
    con.close()


def _scenarios(out):
    return json.loads((out / "truth" / "scenarios.json").read_text(encoding="utf-8"))


def test_genuine_vehicles_never_move_faster_than_the_roads_allow(db):
    bad, checked = db.execute("""
        WITH ordered AS (
          SELECT vehicle_id, checkpoint, time_s,
                 lag(checkpoint) OVER w AS prev_cp, lag(time_s) OVER w AS prev_t
          FROM passes WHERE vehicle_id LIKE 'V%' WINDOW w AS (PARTITION BY vehicle_id ORDER BY time_s, pass_id))
        SELECT count(*) FILTER (WHERE o.time_s - o.prev_t < t.min_travel_s), count(*)
        FROM ordered o JOIN travel t ON t.from_checkpoint = o.prev_cp AND t.to_checkpoint = o.checkpoint
    """).fetchall()[0]
    assert checked > 10_000
    assert bad == 0


def test_cloned_plates_are_seen_where_no_car_could_be(tiny, db):
    out, _ = tiny
    clones = _scenarios(out)["cloned_plates"]
    assert clones
    for clone in clones:
        assert clone["infeasible_pair_count"] > 0
        rows = db.execute(
            """
            SELECT count(*) FROM passes a JOIN passes b ON a.true_plate = b.true_plate
              AND a.vehicle_id = ? AND b.vehicle_id = ?
            JOIN travel t ON t.from_checkpoint = a.checkpoint AND t.to_checkpoint = b.checkpoint
            WHERE abs(a.time_s - b.time_s) < t.min_travel_s
        """,
            [clone["original_vehicle"], clone["clone_vehicle"]],
        ).fetchall()[0][0]
        assert rows > 0
        plates = db.execute(
            "SELECT DISTINCT true_plate FROM passes WHERE vehicle_id IN (?, ?)",
            [clone["original_vehicle"], clone["clone_vehicle"]],
        ).fetchall()
        assert plates == [(clone["plate"],)]


def test_convoy_members_really_travel_together(tiny, db):
    out, _ = tiny
    convoy = _scenarios(out)["convoy"]
    leader, *others = convoy["vehicles"]
    together = db.execute(
        f"""
        SELECT count(*) FROM passes l WHERE l.vehicle_id = ? AND
        {
            " AND ".join(
                "EXISTS (SELECT 1 FROM passes m WHERE m.vehicle_id = ? AND m.checkpoint = l.checkpoint "
                "AND abs(m.time_s - l.time_s) <= 60)"
                for _ in others
            )
        }
    """,
        [leader, *others],
    ).fetchall()[0][0]
    assert together >= 3 * len(convoy["days"])
    assert len(convoy["co_occurrences"]) == together


def test_fugitives_check_into_hotels_and_pass_checkpoints(tiny, db):
    out, _ = tiny
    wanted = {
        row["公民身份号码"] for row in csv.DictReader((out / "sources" / "wanted_persons.csv").open(encoding="utf-8"))
    }
    assert wanted
    guests = {json.loads(line)["zjhm"] for line in (out / "sources" / "hotel_stays.jsonl").open(encoding="utf-8")}
    scenarios = _scenarios(out)
    stays = scenarios["fugitive_hotel_stays"]
    assert len(stays) == len(wanted)
    assert len(wanted & guests) >= len(wanted) - 1  # one stay may carry a corrupted ID number
    for fugitive in scenarios["fugitives"]:
        seen = db.execute("SELECT count(*) FROM passes WHERE vehicle_id = ?", [fugitive["vehicle"]]).fetchall()[0][0]
        assert seen == fugitive["sighting_count"] > 0


def test_stolen_vehicle_is_hotlisted_and_seen_after_the_theft(tiny, db):
    out, _ = tiny
    stolen = _scenarios(out)["stolen_vehicle"]
    hotlist = list(csv.DictReader((out / "sources" / "vehicle_hotlist.csv").open(encoding="utf-8")))
    plate = db.execute("SELECT any_value(true_plate) FROM passes WHERE vehicle_id = ?", [stolen["vehicle"]]).fetchall()
    assert hotlist[0]["号牌号码"] == plate[0][0]
    assert stolen["sightings_after_theft"]
    assert all(s["time"] >= stolen["stolen_at"] for s in stolen["sightings_after_theft"])


def test_pseudo_base_station_uses_unknown_cells(tiny):
    out, _ = tiny
    station = _scenarios(out)["pseudo_base_station"]
    known = {(r["lac_tac"], r["cell_id"]) for r in csv.DictReader((out / "sources" / "cell_registry.csv").open())}
    unknown = []
    for path in sorted((out / "sources" / "cell_reports").glob("*.csv")):
        unknown += [r for r in csv.DictReader(path.open()) if (r["lac_tac"], r["cell_id"]) not in known]
    assert unknown
    assert {r["report_id"] for r in unknown} == set(station["records"])
    assert {int(r["lac_tac"]) for r in unknown} == {station["lac"]}
    assert min(int(r["rsrp_dbm"]) for r in unknown) > -70


def test_duplicate_persons_appear_twice_in_the_registry(tiny):
    out, _ = tiny
    duplicates = _scenarios(out)["duplicate_persons"]
    assert duplicates
    ids = [
        row["登记编号"] for row in csv.DictReader((out / "sources" / "population_registry.csv").open(encoding="utf-8"))
    ]
    assert all(set(records) <= set(ids) for records in duplicates.values())


def test_clones_look_different_from_the_original(tiny, db):
    out, _ = tiny
    clone = _scenarios(out)["cloned_plates"][0]
    db.execute(
        f"CREATE OR REPLACE VIEW seen AS SELECT pass_id, vehicle_color FROM "
        f"read_parquet('{out}/sources/checkpoint_passes/parquet/*.parquet') UNION ALL "
        f"SELECT CAST(过车编号 AS VARCHAR), 车身颜色 FROM read_csv('{out}/sources/checkpoint_passes/csv/*.csv')"
    )
    colours = db.execute(
        """
        SELECT p.vehicle_id, list(DISTINCT s.vehicle_color) FROM passes p JOIN seen s USING (pass_id)
        WHERE p.vehicle_id IN (?, ?) GROUP BY 1 ORDER BY 1
    """,
        [clone["original_vehicle"], clone["clone_vehicle"]],
    ).fetchall()
    assert len(colours) == 2
    assert len(colours[0][1]) == len(colours[1][1]) == 1
    assert colours[0][1] != colours[1][1]


def test_pseudo_base_station_can_be_located_from_the_phones_around_it(tiny):
    out, _ = tiny
    station = _scenarios(out)["pseudo_base_station"]
    cells = {(r["lac_tac"], r["cell_id"]): r for r in csv.DictReader((out / "sources" / "cell_registry.csv").open())}
    reports = []
    for path in sorted((out / "sources" / "cell_reports").glob("*.csv")):
        reports += list(csv.DictReader(path.open()))
    by_phone: dict[str, list[dict]] = {}
    for r in reports:
        by_phone.setdefault(r["msisdn"], []).append(r)
    positions = {p["record"]: p for p in station["positions"]}
    for r in (r for r in reports if r["report_id"] in positions):
        before = [
            x
            for x in by_phone[r["msisdn"]]
            if x["report_time"] <= r["report_time"] and x is not r and (x["lac_tac"], x["cell_id"]) in cells
        ]
        last = max(before, key=lambda x: x["report_time"])
        cell = cells[last["lac_tac"], last["cell_id"]]
        assert cell["county"] in ("420102", "420103", "420106", "420111")  # the phone was in central Wuhan
        p = positions[r["report_id"]]
        assert abs(float(cell["lon"]) - p["lon"]) < 0.1 and abs(float(cell["lat"]) - p["lat"]) < 0.1
