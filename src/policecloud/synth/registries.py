"""Registries of fixed things: checkpoints, cameras, police stations and patrol units, operator cells;
plus the reference files analyses need (checkpoint travel times, roads, boundaries)."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from policecloud.synth.geography import Geography, boundaries_geojson, offset
from policecloud.synth.rng import stream
from policecloud.synth.roads import DIRECTIONS, RoadNetwork

OPERATORS = (("46000", "中国移动"), ("46001", "中国联通"), ("46011", "中国电信"))


@dataclass(frozen=True)
class Station:
    code: str
    name: str
    county: str
    node: int
    lon: float
    lat: float


@dataclass(frozen=True)
class Cell:
    operator: str
    lac: int
    cell_id: int
    county: str
    lon: float
    lat: float


def police_stations(geo: Geography, net: RoadNetwork) -> list[Station]:
    """Two to four 派出所 per county, at grid nodes of its seat; every grid node belongs to the nearest."""
    rng = stream(0, "police")
    out = []
    for county in geo.counties:
        nodes = net.places[county.code]
        for k, node in enumerate(rng.sample(nodes, 4 if county.urban else 2)):
            name = f"{geo.prefecture(county.prefecture).name}公安局{county.name}分局{net.street_names[node][:2]}派出所"
            out.append(Station(f"{county.code}{k + 1:02d}0000", name, county.code, node, net.lon[node], net.lat[node]))
    return out


def operator_cells(geo: Geography, net: RoadNetwork) -> list[Cell]:
    """Cells of the three operators around every grid node; one LAC/TAC per operator and county."""
    rng = stream(0, "cells")
    cells = []
    for ci, county in enumerate(geo.counties):
        for oi, (operator, _) in enumerate(OPERATORS):
            lac = 0x5000 + ci * 4 + oi
            for node in net.places[county.code]:
                for _ in range(2):
                    lon, lat = offset(net.lon[node], net.lat[node], rng.gauss(0, 0.4), rng.gauss(0, 0.4))
                    cells.append(Cell(operator, lac, rng.randrange(10_000, 250_000_000), county.code, lon, lat))
    return cells


def write_registries(
    geo: Geography, net: RoadNetwork, stations: list[Station], cells: list[Cell], sources: Path, reference: Path
) -> None:
    sources.mkdir(parents=True, exist_ok=True)
    reference.mkdir(parents=True, exist_ok=True)
    with (sources / "checkpoint_registry.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(("卡口编号", "卡口名称", "道路名称", "道路等级", "所属区县", "经度", "纬度", "车道数", "监测方向"))
        for cp in net.checkpoints:
            dirs = "/".join(DIRECTIONS[d] for d in sorted(set(cp.directions)))
            w.writerow(
                (cp.code, cp.name, cp.road, cp.road_class, cp.county, f"{cp.lon:.6f}", f"{cp.lat:.6f}", cp.lanes, dirs)
            )
    rng = stream(0, "cameras")
    station_of = _nearest_station(net, stations)
    with (sources / "camera_registry.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(("设备编码", "设备名称", "设备类型", "经度", "纬度", "安装位置", "管辖单位", "在线状态"))
        serial = 0
        for county in geo.counties:
            for node in net.places[county.code]:
                for _ in range(rng.randrange(1, 4)):
                    serial += 1
                    kind = rng.choice(("球机", "枪机", "半球"))
                    # GB/T 28181: centre (division + 00), industry 00, type 132/131, network 1, serial
                    code = f"{county.code}0000{'132' if kind != '半球' else '131'}1{serial:06d}"
                    lon, lat = offset(net.lon[node], net.lat[node], rng.gauss(0, 0.15), rng.gauss(0, 0.15))
                    w.writerow(
                        (
                            code,
                            f"{net.street_names[node]}{kind}{serial % 10}",
                            kind,
                            f"{lon:.6f}",
                            f"{lat:.6f}",
                            net.street_names[node],
                            station_of[node].name,
                            "在线" if rng.random() < 0.93 else "离线",
                        )
                    )
    with (sources / "police_units.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(("单位编码", "单位名称", "单位类型", "上级单位", "所属区县", "经度", "纬度", "辖区范围"))
        area: dict[str, list[str]] = {}
        for node, st in sorted(station_of.items()):
            area.setdefault(st.code, []).append(net.street_names[node])
        for st in stations:
            streets = "；".join(area.get(st.code, []))
            lon, lat = f"{st.lon:.6f}", f"{st.lat:.6f}"
            w.writerow((st.code, st.name, "派出所", st.county + "000000", st.county, lon, lat, streets))
            for k in range(1, 3):  # patrol units answer to their station and patrol its area
                w.writerow(
                    (f"{st.code[:-2]}{k:02d}", f"{st.name}巡逻{k}组", "巡逻车组", st.code, st.county, lon, lat, streets)
                )
    with (sources / "cell_registry.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(("mcc_mnc", "operator", "lac_tac", "cell_id", "county", "lon", "lat"))
        names = dict(OPERATORS)
        for c in cells:
            w.writerow((c.operator, names[c.operator], c.lac, c.cell_id, c.county, f"{c.lon:.6f}", f"{c.lat:.6f}"))
    # Reference files for analyses (not sources): travel times, the road graph, boundaries.
    matrix = np.asarray(net.checkpoint_travel_minutes())
    k = len(net.checkpoints)
    codes = np.asarray([cp.code for cp in net.checkpoints])
    table = pa.table(
        {
            "from_checkpoint": codes.repeat(k),
            "to_checkpoint": np.tile(codes, k),
            "min_travel_s": np.round(matrix.reshape(-1) * 60).astype(np.int32),
        }
    )
    pq.write_table(table, reference / "checkpoint_travel_times.parquet", compression="zstd")
    features = []
    for a, b, road_class, road, km in net.edges:
        if road_class != "replaced":
            features.append(
                {
                    "type": "Feature",
                    "properties": {"class": road_class, "road": road, "km": round(km, 3)},
                    "geometry": {
                        "type": "LineString",
                        "coordinates": [
                            [round(net.lon[a], 5), round(net.lat[a], 5)],
                            [round(net.lon[b], 5), round(net.lat[b], 5)],
                        ],
                    },
                }
            )
    _json(reference / "roads.geojson", {"type": "FeatureCollection", "features": features})
    for level in ("prefectures", "counties"):
        _json(reference / f"boundaries_{level}.geojson", boundaries_geojson(level))


def _nearest_station(net: RoadNetwork, stations: list[Station]) -> dict[int, Station]:
    out = {}
    for county, nodes in net.places.items():
        local = [s for s in stations if s.county == county]
        for node in nodes:
            out[node] = min(
                local, key=lambda s: (net.lon[s.node] - net.lon[node]) ** 2 + (net.lat[s.node] - net.lat[node]) ** 2
            )
    return out


def _json(path: Path, obj: object) -> None:
    path.write_text(json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n", encoding="utf-8")


def travel_seconds(reference: Path) -> dict[tuple[str, str], int]:
    """Minimum road travel time between two checkpoints, read back from the reference file."""
    table = pq.read_table(reference / "checkpoint_travel_times.parquet").to_pydict()
    return dict(
        zip(zip(table["from_checkpoint"], table["to_checkpoint"], strict=True), table["min_travel_s"], strict=True)
    )
