"""Vehicle sources: the traffic police vehicle database (SQLite) and the violations CSV."""

from __future__ import annotations

import csv
import sqlite3
from pathlib import Path

from policecloud.synth.config import SynthConfig
from policecloud.synth.identifiers import PLATE_TYPE_CODE
from policecloud.synth.mess import Mess
from policecloud.synth.organizations import Organization
from policecloud.synth.population import Person
from policecloud.synth.rng import stream
from policecloud.synth.roads import RoadNetwork
from policecloud.synth.truth import Truth
from policecloud.synth.vehicles import Vehicle, Violation

# Column names follow the traffic-police system's pinyin abbreviations (号牌号码 HPHM, 号牌种类 HPZL, …).
VEHICLE_DDL = """CREATE TABLE vehicle (
  XH TEXT PRIMARY KEY,      -- 机动车序号
  HPHM TEXT,                -- 号牌号码 (without the province character)
  HPZL TEXT,                -- 号牌种类 code
  FZJG TEXT,                -- 发证机关 (province character + letter)
  CLPP1 TEXT,               -- 中文品牌
  CSYS TEXT,                -- 车身颜色
  CLSBDH TEXT,              -- 车辆识别代号 (VIN)
  SYR TEXT,                 -- 所有人
  SFZMHM TEXT,              -- 身份证明号码 (ID number or USCC)
  SYXZ TEXT,                -- 使用性质
  CCDJRQ TEXT,              -- 初次登记日期
  YXQZ TEXT,                -- 检验有效期止
  ZT TEXT                   -- 状态: A 正常, G 被盗抢
)"""
USE_CODE = {"非营运": "A", "营运": "B", "租赁": "F", "货运": "H"}
COLOUR_CODE = {
    "白": "A",
    "灰": "B",
    "黄": "C",
    "粉": "D",
    "红": "E",
    "紫": "F",
    "绿": "G",
    "蓝": "H",
    "棕": "I",
    "黑": "J",
    "银": "M",
}


def write_vehicle_db(
    cfg: SynthConfig,
    vehicles: list[Vehicle],
    persons: dict[str, Person],
    orgs: dict[str, Organization],
    out: Path,
    truth: Truth,
) -> None:
    source = "traffic_vehicles"
    mess = truth.mess(Mess(source, cfg.mess, stream(cfg.seed, f"mess-{source}")))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.unlink(missing_ok=True)
    rows = []
    for v in vehicles:
        if v.owner_kind == "none":
            continue  # out-of-province vehicles are registered elsewhere
        rid = v.vehicle_id.replace("V", "3")
        if v.owner_kind == "person":
            owner = persons[v.owner_id]
            name, number = owner.name, owner.id_number
        else:
            org = orgs[v.owner_id]
            name, number = org.name, org.uscc
        truth.link(source, rid, "vehicle", v.vehicle_id)
        for kind in ("wrong_check_digit", "similar_char_name", "missing_field"):
            truth.count(source, kind)
        rows.append(
            (
                rid,
                v.plate[1:],
                PLATE_TYPE_CODE[v.plate_kind],
                v.plate[:2],
                v.brand,
                COLOUR_CODE[v.colour],
                mess.missing(rid, "CLSBDH", v.vin),
                mess.name(rid, "SYR", name) if v.owner_kind == "person" else name,
                mess.identifier(rid, "SFZMHM", number),
                USE_CODE[v.use],
                v.registered.isoformat(),
                v.inspection_until.isoformat(),
                v.status,
            )
        )
    con = sqlite3.connect(out)
    try:
        con.execute(VEHICLE_DDL)
        con.executemany(f"INSERT INTO vehicle VALUES ({','.join('?' * 13)})", rows)
        con.commit()
        con.execute("VACUUM")
    finally:
        con.close()


VIOLATION_HEADER = (
    "违法编号",
    "号牌号码",
    "号牌种类",
    "违法时间",
    "违法地点",
    "违法代码",
    "违法行为",
    "罚款金额",
    "违法记分",
    "采集机关",
)


def write_violations(
    cfg: SynthConfig,
    violations: list[Violation],
    vehicles: dict[str, Vehicle],
    net: RoadNetwork,
    out: Path,
    truth: Truth,
) -> None:
    source = "traffic_violations"
    mess = truth.mess(Mess(source, cfg.mess, stream(cfg.seed, f"mess-{source}")))
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(VIOLATION_HEADER)
        for w in violations:
            v = vehicles[w.vehicle_id]
            cp = net.checkpoints[w.checkpoint]
            truth.link(source, w.violation_id, "vehicle", v.vehicle_id)
            truth.count(source, "date_format")
            truth.count(source, "stray_spaces")
            writer.writerow(
                (
                    w.violation_id,
                    mess.spaces(w.violation_id, "号牌号码", w.plate),
                    PLATE_TYPE_CODE[v.plate_kind],
                    mess.date(
                        w.violation_id, "违法时间", w.time, "%Y-%m-%d %H:%M:%S", ("%Y/%m/%d %H:%M", "%Y%m%d%H%M%S")
                    ),
                    cp.name,
                    w.code,
                    w.description,
                    w.fine,
                    w.points,
                    f"{cp.county}000000",
                )
            )
