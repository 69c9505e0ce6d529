"""Checkpoint passes as daily files from two vendors' systems, streamed day by day, with their truth.

City and provincial-road checkpoints report through one vendor's platform as CSV with Chinese headers and
local time strings; expressway and national-road checkpoints through another as Parquet with English
names and epoch milliseconds. Plates are sometimes misread or not read at all (logged in the truth).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from policecloud.synth.config import SynthConfig
from policecloud.synth.identifiers import PLATE_COLOUR
from policecloud.synth.mess import OCR_CONFUSION
from policecloud.synth.rng import stream
from policecloud.synth.roads import RoadNetwork
from policecloud.synth.traffic import DayPasses
from policecloud.synth.vehicles import Vehicle

PARQUET_CLASSES = ("expressway", "national")
CSV_NAMES = {
    "pass_id": "过车编号",
    "checkpoint": "卡口编号",
    "lane": "车道号",
    "direction": "方向",
    "plate": "号牌号码",
    "plate_colour": "号牌颜色",
    "time": "过车时间",
    "speed": "车速",
}
COLOUR_CODE = {"蓝": "2", "黄": "1", "渐变绿": "5", "黄绿": "6", "白": "0", "黑": "3"}


class PassWriter:
    """Writes one day of passes at a time; keeps per-day counts for the manifest."""

    def __init__(self, cfg: SynthConfig, net: RoadNetwork, vehicles: list[Vehicle], out: Path, truth_dir: Path) -> None:
        """``vehicles``: every simulated vehicle in simulation order (genuine ones, then clones)."""
        self.cfg, self.out, self.truth_dir = cfg, out, truth_dir
        self.plates = pa.array([v.plate for v in vehicles], pa.string())
        self.colours = pa.array([COLOUR_CODE[PLATE_COLOUR[v.plate_kind]] for v in vehicles], pa.string())
        self.body_colours = pa.array([v.colour for v in vehicles], pa.string())
        self.brands = pa.array([v.brand for v in vehicles], pa.string())
        self.vehicle_ids = pa.array([v.vehicle_id for v in vehicles], pa.string())
        self.cp_codes = pa.array([cp.code for cp in net.checkpoints], pa.string())
        self.parquet_cp = np.asarray([cp.road_class in PARQUET_CLASSES for cp in net.checkpoints])
        self.counts: dict[str, int] = {}
        self.error_counts = {"plate_misread": 0, "plate_unread": 0}
        for sub in ("csv", "parquet"):
            (out / sub).mkdir(parents=True, exist_ok=True)
        truth_dir.mkdir(parents=True, exist_ok=True)
        epoch = datetime(1970, 1, 1)
        self.base_local = int((datetime.combine(cfg.start, datetime.min.time()) - epoch).total_seconds())
        self.base_utc = self.base_local - 8 * 3600

    def write(self, day: int, passes: DayPasses) -> None:
        day_date: date = self.cfg.start + timedelta(days=day)
        stamp = f"{day_date:%Y%m%d}"
        n = len(passes.time)
        rng = stream(self.cfg.seed, f"mess-passes-{day}")
        np_rng = np.random.Generator(np.random.PCG64(rng.getrandbits(64)))
        pass_ids = pc.binary_join_element_wise(
            stamp, pc.utf8_lpad(pa.array(np.arange(1, n + 1)).cast(pa.string()), 10, "0"), ""
        )
        vehicle = pa.array(passes.vehicle)
        true_plates = self.plates.take(vehicle)
        unread = np_rng.random(n) < self.cfg.mess.plate_unread
        misread = (np_rng.random(n) < self.cfg.mess.plate_misread) & ~unread
        error = np.full(n, "", dtype=object)
        error[unread] = "plate_unread"
        mask = misread | unread
        positions = np.flatnonzero(mask)
        replacements: list[str | None] = []
        for i, plate in zip(positions.tolist(), true_plates.take(pa.array(positions)).to_pylist(), strict=True):
            spots = [k for k in range(2, len(plate)) if plate[k] in OCR_CONFUSION] if misread[i] else []
            if spots:
                k = rng.choice(spots)
                replacements.append(plate[:k] + OCR_CONFUSION[plate[k]] + plate[k + 1 :])
                error[i] = "plate_misread"
            else:
                replacements.append(None if unread[i] else plate)
        self.error_counts["plate_misread"] += int((error == "plate_misread").sum())
        self.error_counts["plate_unread"] += int(unread.sum())
        plate_arr = pc.replace_with_mask(true_plates, pa.array(mask), pa.array(replacements, pa.string()))
        colour = pc.if_else(pc.is_null(plate_arr), pa.scalar(None, pa.string()), self.colours.take(vehicle))
        body, brand = self.body_colours.take(vehicle), self.brands.take(vehicle)
        cps = self.cp_codes.take(pa.array(passes.checkpoint))
        to_parquet = self.parquet_cp[passes.checkpoint]
        # Vendor B (Parquet): English names, epoch milliseconds.
        sel = pa.array(np.flatnonzero(to_parquet))
        table_b = pa.table(
            {
                "pass_id": pass_ids.take(sel),
                "device_id": cps.take(sel),
                "lane_no": pa.array(passes.lane[to_parquet].astype(np.int16)),
                "direction_code": pa.array(passes.direction[to_parquet].astype(np.int16)),
                "plate_no": plate_arr.take(sel),
                "plate_color": colour.take(sel),
                "pass_time_ms": pa.array((self.base_utc + passes.time[to_parquet]) * 1000),
                "speed_kmh": pa.array(passes.speed[to_parquet]),
                "vehicle_color": body.take(sel),
                "vehicle_brand": brand.take(sel),
            }
        )
        pq.write_table(table_b, self.out / "parquet" / f"passes_{stamp}.parquet", compression="zstd")
        # Vendor A (CSV): Chinese headers, local time text, unread plates written as 未识别.
        sel = pa.array(np.flatnonzero(~to_parquet))
        local = pa.array(self.base_local + passes.time[~to_parquet]).cast(pa.timestamp("s"))
        table_a = pa.table(
            {
                CSV_NAMES["pass_id"]: pass_ids.take(sel),
                CSV_NAMES["checkpoint"]: cps.take(sel),
                CSV_NAMES["lane"]: pa.array(passes.lane[~to_parquet].astype(np.int16)),
                CSV_NAMES["direction"]: pa.array(passes.direction[~to_parquet].astype(np.int16)),
                CSV_NAMES["plate"]: pc.fill_null(plate_arr.take(sel), "未识别"),
                CSV_NAMES["plate_colour"]: pc.fill_null(colour.take(sel), ""),
                CSV_NAMES["time"]: pc.strftime(local, "%Y-%m-%d %H:%M:%S"),
                CSV_NAMES["speed"]: pa.array(passes.speed[~to_parquet]),
                "车身颜色": body.take(sel),
                "车辆品牌": brand.take(sel),
            }
        )
        pacsv.write_csv(table_a, self.out / "csv" / f"passes_{stamp}.csv", pacsv.WriteOptions(quoting_style="needed"))
        truth = pa.table(
            {
                "pass_id": pass_ids,
                "vehicle_id": self.vehicle_ids.take(vehicle),
                "true_plate": true_plates,
                "checkpoint": cps,
                "time_s": pa.array(passes.time),
                "error": pa.array(error.tolist(), pa.string()),
            }
        )
        pq.write_table(truth, self.truth_dir / f"passes_{stamp}.parquet", compression="zstd")
        self.counts[stamp] = n
