"""The source files look like the systems that emit them, and the truth covers every record."""

from __future__ import annotations

import csv
import json
import sqlite3
from collections import Counter

import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from typer.testing import CliRunner

from policecloud.data.model import types as element_types
from policecloud.platform.cli import app
from policecloud.synth.geography import boundaries_geojson, load_geography
from policecloud.synth.registries import travel_seconds


def _links(out, source, entity_type):
    t = pq.read_table(out / "truth" / "record_entities.parquet").to_pylist()
    return {r["record_id"]: r["entity_id"] for r in t if r["source"] == source and r["entity_type"] == entity_type}


def _persons(out):
    t = pq.read_table(out / "truth" / "entities" / "persons.parquet").to_pylist()
    return {p["person_id"]: p for p in t}


def test_every_registry_row_has_its_true_person(tiny):
    out, _ = tiny
    links, persons = _links(out, "population_registry", "person"), _persons(out)
    rows = list(csv.DictReader((out / "sources" / "population_registry.csv").open(encoding="utf-8")))
    assert len(rows) == len(links) > 1000
    same_name = sum(persons[links[r["登记编号"]]]["name"] == r["姓名"] for r in rows)
    assert 0.9 < same_name / len(rows) < 1.0  # names are mostly right, some are messed up


def test_exchange_file_is_gbk_with_legacy_ids(tiny):
    out, _ = tiny
    raw = (out / "sources" / "exchange_hunan_gbk.csv").read_bytes()
    text = raw.decode("gbk")
    assert "\r\n" in text
    rows = list(csv.DictReader(text.splitlines()))
    links, persons = _links(out, "exchange_hunan", "person"), _persons(out)
    legacy = [r for r in rows if len(r["身份证号"]) == 15]
    assert legacy and len(legacy) < len(rows)
    id_type = element_types.get("id_number")
    for r in legacy:
        checked = id_type.check(r["身份证号"])
        assert checked.ok
        assert checked.value == persons[links[r["序号"]]]["id_number"]  # the 15→18 conversion finds the person


def test_vehicle_database_matches_the_truth(tiny):
    out, _ = tiny
    vehicles = {v["vehicle_id"]: v for v in pq.read_table(out / "truth" / "entities" / "vehicles.parquet").to_pylist()}
    links = _links(out, "traffic_vehicles", "vehicle")
    con = sqlite3.connect(out / "sources" / "traffic_vehicles.sqlite")
    rows = con.execute("SELECT XH, substr(FZJG, 1, 1) || HPHM, ZT FROM vehicle").fetchall()
    con.close()
    assert len(rows) == sum(v["owner_kind"] != "none" for v in vehicles.values())
    for xh, plate, status in rows:
        truth = vehicles[links[xh]]
        assert plate == truth["plate"]
        assert status == truth["status"]
    assert Counter(s for _, _, s in rows)["G"] == 1


def test_passes_are_split_by_vendor_and_counted_by_the_truth(tiny):
    out, manifest = tiny
    total = 0
    for stamp, n in manifest["counts"]["passes_per_day"].items():
        a = pacsv.read_csv(out / "sources" / "checkpoint_passes" / "csv" / f"passes_{stamp}.csv")
        b = pq.read_table(out / "sources" / "checkpoint_passes" / "parquet" / f"passes_{stamp}.parquet")
        assert a.column_names[:2] == ["过车编号", "卡口编号"]
        assert "pass_time_ms" in b.column_names
        truth = pq.read_table(out / "truth" / "passes" / f"passes_{stamp}.parquet")
        assert a.num_rows + b.num_rows == truth.num_rows == n
        ids = a.column("过车编号").cast("string").to_pylist() + b.column("pass_id").to_pylist()
        assert len(set(ids)) == n
        times = a.column("过车时间").cast("string").to_pylist()
        assert all(t.startswith(f"{stamp[:4]}-{stamp[4:6]}-{stamp[6:]}") for t in times)
        total += n
    assert 30_000 < total < 70_000


def test_traffic_follows_a_daily_rhythm(tiny):
    out, _ = tiny
    truth = pq.read_table(out / "truth" / "passes").column("time_s").to_numpy()
    hours = Counter(int(t // 3600) % 24 for t in truth)
    assert hours[8] > 2 * hours[3] and hours[18] > 2 * hours[3]
    assert hours[2] > 0  # trucks drive at night


def test_travel_times_are_a_metric_on_the_checkpoints(tiny):
    out, manifest = tiny
    seconds = travel_seconds(out / "reference")
    codes = sorted({a for a, _ in seconds})
    assert len(codes) == manifest["counts"]["checkpoints"]
    sample = codes[:: max(1, len(codes) // 25)]
    for a in sample:
        assert seconds[a, a] == 0
        for b in sample:
            assert seconds[a, b] > 0 if a != b else True
            for c in sample[:5]:
                assert seconds[a, c] <= seconds[a, b] + seconds[b, c] + 1


def test_boundaries_cover_every_unit():
    geo = load_geography()
    prefectures = boundaries_geojson("prefectures")["features"]
    counties = boundaries_geojson("counties")["features"]
    assert len(prefectures) == 17 and len(counties) == len(geo.counties) == 103
    assert {f["id"] for f in prefectures} == {p.code for p in geo.prefectures}
    wuhan = next(f for f in prefectures if f["id"] == "420100")
    xs = [x for poly in wuhan["geometry"]["coordinates"] for ring in poly for x, _ in ring]
    assert 113.6 < min(xs) < 113.8 and 115.0 < max(xs) < 115.2


def test_sources_carry_chinese_narratives(tiny):
    out, _ = tiny
    calls = [json.loads(line) for line in (out / "sources" / "calls_110.jsonl").open(encoding="utf-8")]
    assert len({c["ajlb"] for c in calls}) >= 5
    assert all("报警人" in c["bjnr"] for c in calls)
    cases = [json.loads(line) for line in (out / "sources" / "criminal_cases.jsonl").open(encoding="utf-8")]
    assert any(c["ajlb"] == "盗窃机动车案" for c in cases)


def test_cli_registers_synth_and_reuses_a_province(tiny):
    out, _ = tiny
    runner = CliRunner()
    result = runner.invoke(app, ["synth", "--help"])
    assert result.exit_code == 0 and "--scale" in result.output
    before = (out / "truth" / "manifest.json").stat().st_mtime_ns
    result = runner.invoke(app, ["synth", "--scale", "tiny", "--seed", "7", "--out", str(out), "--reuse"])
    assert result.exit_code == 0, result.output
    assert (out / "truth" / "manifest.json").stat().st_mtime_ns == before
    result = runner.invoke(app, ["synth", "--scale", "huge", "--out", str(out)])
    assert result.exit_code != 0


def test_organization_and_house_registries(tiny):
    out, manifest = tiny
    orgs = list(csv.DictReader((out / "sources" / "organization_registry.csv").open(encoding="utf-8")))
    assert len(orgs) == manifest["counts"]["organizations"]
    uscc = element_types.get("uscc")
    valid = sum(uscc.check(r["统一社会信用代码"]).ok for r in orgs)
    assert valid >= len(orgs) - 3  # a rare wrong check character is part of the mess
    assert {r["单位类别"] for r in orgs} >= {"旅馆业", "互联网上网服务营业场所", "典当业"}
    houses = list(csv.DictReader((out / "sources" / "house_registry.csv").open(encoding="utf-8")))
    assert sum(int(r["居住人数"]) for r in houses) == manifest["counts"]["persons"]
    links = _links(out, "house_registry", "address")
    assert set(links) == {r["房屋编号"] for r in houses}


def test_couples_share_hotel_rooms(tiny):
    out, _ = tiny
    stays = [json.loads(line) for line in (out / "sources" / "hotel_stays.jsonl").open(encoding="utf-8")]
    links, persons = _links(out, "hotel_stays", "person"), _persons(out)
    rooms: dict[tuple, list[str]] = {}
    for s in stays:
        rooms.setdefault((s["lgdm"], s["fjh"], s["tfsj"]), []).append(links[s["lsh"]])
    shared = [guests for guests in rooms.values() if len(guests) == 2]
    assert len(shared) > 20
    same_household = sum(persons[a]["household_id"] == persons[b]["household_id"] for a, b in shared)
    assert same_household >= len(shared) - 2  # a random pair may collide on a room by chance
