"""Cell measurement reports (one CSV per day) of phones on the operator cells of their county, and the
pseudo base station scenario: a fake cell with an unknown id and an abnormal LAC driving through Wuhan."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from policecloud.synth.config import SynthConfig
from policecloud.synth.population import Population
from policecloud.synth.registries import Cell
from policecloud.synth.rng import np_stream, stream
from policecloud.synth.scenarios import Plan


def write_cell_reports(cfg: SynthConfig, pop: Population, cells: list[Cell], plan: Plan, out: Path) -> None:
    """Measurement reports of phones on cells of their county (numpy, one file per day); on one day a
    pseudo base station drives through Wuhan."""
    out.mkdir(parents=True, exist_ok=True)
    county_of = pop.county_of_address
    owners = [(p, ph.number) for p in pop.persons for ph in p.phones if ph.kind == "mobile" and ph.until is None]
    counties = sorted({c.county for c in cells})
    index = {c: i for i, c in enumerate(counties)}
    order = sorted(range(len(cells)), key=lambda i: (index[cells[i].county], i))
    cell_county = np.asarray([index[cells[i].county] for i in order])
    cell_start = np.searchsorted(cell_county, np.arange(len(counties)))
    cell_count = np.bincount(cell_county, minlength=len(counties))
    cell_op = pa.array([cells[i].operator for i in order])
    cell_lac = pa.array([cells[i].lac for i in order], pa.int32())
    cell_id = pa.array([cells[i].cell_id for i in order], pa.int64())
    msisdn = pa.array([number for _, number in owners])
    owner_county = np.asarray([index[county_of[p.address_id]] for p, _ in owners])
    wuhan = [
        i for i, (p, _) in enumerate(owners) if county_of[p.address_id] in ("420102", "420103", "420106", "420111")
    ]
    wuhan_cells = [c for c in cells if c.county in ("420102", "420103", "420106", "420111")]
    station = plan.pseudo_station
    base = datetime.combine(cfg.start, datetime.min.time())
    base_s = int((base - datetime(1970, 1, 1)).total_seconds())
    fake_records: list[str] = []
    positions: list[dict] = []
    for day in range(cfg.scale.days):
        rng = np_stream(cfg.seed, f"cell-reports-{day}")
        n = cfg.scale.cell_reports_per_day
        who = rng.integers(0, len(owners), n)
        cell = cell_start[owner_county[who]] + (rng.random(n) * cell_count[owner_county[who]]).astype(np.int64)
        t = day * 86400 + rng.integers(0, 86400, n)
        rsrp = np.round(rng.normal(-95, 9, n)).astype(np.int16)
        ops, lacs, cids, numbers = cell_op.take(cell), cell_lac.take(cell), cell_id.take(cell), msisdn.take(who)
        fake = np.zeros(n, dtype=bool)
        if station and day * 86400 <= station["start_s"] < (day + 1) * 86400 and wuhan:
            extra = _pseudo_station_reports(
                stream(cfg.seed, "pseudo-station"), cfg, station, owners, wuhan, wuhan_cells
            )
            t = np.concatenate([t, np.asarray([r[0] for r in extra])])
            rsrp = np.concatenate([rsrp, np.asarray([r[5] for r in extra], dtype=np.int16)])
            ops = pa.concat_arrays([ops, pa.array([r[2] for r in extra])])
            lacs = pa.concat_arrays([lacs, pa.array([r[3] for r in extra], pa.int32())])
            cids = pa.concat_arrays([cids, pa.array([r[4] for r in extra], pa.int64())])
            numbers = pa.concat_arrays([numbers, pa.array([r[1] for r in extra])])
            fake = np.concatenate([fake, np.asarray([bool(r[6]) for r in extra])])
            tags = [""] * n + [r[6] for r in extra]
        else:
            tags = None
        sort = np.lexsort((np.arange(len(t)), t))
        stamp = f"{cfg.start + timedelta(days=day):%Y%m%d}"
        ids = pc.binary_join_element_wise(
            "MR" + stamp, pc.utf8_lpad(pa.array(np.arange(1, len(t) + 1)).cast(pa.string()), 8, "0"), ""
        )
        take = pa.array(sort)
        table = pa.table(
            {
                "report_id": ids,
                "report_time": pc.strftime(pa.array(base_s + t[sort]).cast(pa.timestamp("s")), "%Y-%m-%d %H:%M:%S"),
                "msisdn": numbers.take(take),
                "mcc_mnc": ops.take(take),
                "lac_tac": lacs.take(take),
                "cell_id": cids.take(take),
                "rsrp_dbm": pa.array(rsrp[sort]),
            }
        )
        pacsv.write_csv(table, out / f"cell_reports_{stamp}.csv", pacsv.WriteOptions(quoting_style="needed"))
        if tags is not None:
            report_ids = ids.to_pylist()
            for rank, k in enumerate(sort.tolist()):
                if fake[k]:
                    fake_records.append(report_ids[rank])
                    lon, lat = tags[k].split(":")[1].split(",")
                    positions.append({"record": report_ids[rank], "lon": float(lon), "lat": float(lat)})
    if station:
        station["records"] = fake_records
        station["positions"] = positions
        station["record_count"] = len(fake_records)


def _pseudo_station_reports(rng, cfg, station, owners, wuhan, wuhan_cells) -> list[tuple]:
    """Phones near the fake cell camp on it: each reports its last real cell just before and comes back to a
    real cell a few minutes later, which is how the station can be located."""
    rows = []
    for _ in range(max(50, cfg.scale.cell_reports_per_day // 200)):
        number = owners[rng.choice(wuhan)][1]
        t = rng.randrange(station["start_s"], station["end_s"])
        lon, lat = _along(station["path"], (t - station["start_s"]) / (station["end_s"] - station["start_s"]))
        near = min(wuhan_cells, key=lambda c: (c.lon - lon) ** 2 + (c.lat - lat) ** 2)
        rows.append(
            (t - rng.randint(20, 240), number, near.operator, near.lac, near.cell_id, round(rng.gauss(-88, 6)), "")
        )
        rows.append(
            (
                t,
                number,
                station["operator"],
                station["lac"],
                station["cell_id"],
                rng.randint(-62, -45),
                f"pseudo:{lon:.6f},{lat:.6f}",
            )
        )
        rows.append(
            (t + rng.randint(60, 600), number, near.operator, near.lac, near.cell_id, round(rng.gauss(-88, 6)), "")
        )
    return rows


def _along(path: list[list[float]], fraction: float) -> tuple[float, float]:
    """The point at ``fraction`` of the way along a polyline (by segment count, good enough for a city)."""
    x = min(max(fraction, 0.0), 1.0) * (len(path) - 1)
    i = min(int(x), len(path) - 2)
    f = x - i
    (x0, y0), (x1, y1) = path[i], path[i + 1]
    return x0 + (x1 - x0) * f, y0 + (y1 - y0) * f
