"""Vehicles (机动车) with owners, plates of the owner's city, VINs, inspections; traffic violations."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from policecloud.synth import identifiers as ids
from policecloud.synth.config import SynthConfig
from policecloud.synth.geography import OTHER_PROVINCES, Geography
from policecloud.synth.organizations import Organization
from policecloud.synth.population import Population
from policecloud.synth.rng import stream

# brand: (WMI, relative share, NEV share)
CAR_BRANDS = {
    "大众": ("LSV", 14, 0.03),
    "丰田": ("LVG", 9, 0.05),
    "本田": ("LHG", 8, 0.03),
    "日产": ("LGB", 6, 0.02),
    "别克": ("LSG", 5, 0.02),
    "比亚迪": ("LGX", 10, 0.9),
    "吉利": ("L6T", 7, 0.3),
    "长安": ("LS5", 6, 0.3),
    "哈弗": ("LGW", 4, 0.05),
    "东风风神": ("LDP", 4, 0.3),
    "雪铁龙": ("LDC", 3, 0.02),
    "标致": ("LDC", 2, 0.02),
    "五菱": ("LZW", 5, 0.6),
    "宝马": ("LBV", 3, 0.1),
    "奔驰": ("LE4", 3, 0.1),
    "奥迪": ("LFV", 3, 0.05),
    "特斯拉": ("LRW", 2, 1.0),
    "福特": ("LVS", 2, 0.02),
    "起亚": ("LJD", 1, 0.02),
}
TRUCK_BRANDS = {"东风": ("LGA", 40), "解放": ("LFW", 25), "重汽": ("LZZ", 15), "陕汽": ("LZG", 10), "福田": ("LVB", 10)}
BODY_COLOURS = (("白", 38), ("黑", 22), ("灰", 12), ("银", 10), ("蓝", 7), ("红", 6), ("棕", 3), ("绿", 2))
VIOLATIONS = (
    ("1603", "超速行驶", 200, 3),
    ("1625", "闯红灯", 200, 6),
    ("1039", "违法停车", 150, 0),
    ("1208", "不按导向车道行驶", 100, 2),
    ("6011", "驾驶人未系安全带", 50, 1),
    ("1344", "违反禁令标志指示", 100, 3),
)


@dataclass(slots=True)
class Vehicle:
    vehicle_id: str
    plate: str
    plate_kind: str
    brand: str
    colour: str
    vin: str
    owner_kind: str  # person / organization / none (out-of-province, not in the registry)
    owner_id: str
    county: str  # where it is kept
    registered: date
    inspection_until: date
    use: str  # 非营运 / 营运 / 租赁 / 货运
    status: str = "A"  # A 正常; G 被盗抢


@dataclass(slots=True)
class Violation:
    violation_id: str
    vehicle_id: str
    plate: str
    code: str
    description: str
    fine: int
    points: int
    time: datetime
    checkpoint: int  # index of the checkpoint whose camera caught it


def _car(
    rng: random.Random,
    cfg: SynthConfig,
    owner_kind: str,
    owner_id: str,
    county: str,
    plate_prefix: str,
    use: str,
    truck: bool,
    vid: int,
) -> Vehicle:
    if truck:
        brand = rng.choices(list(TRUCK_BRANDS), weights=[v[1] for v in TRUCK_BRANDS.values()])[0]
        wmi, nev_share = TRUCK_BRANDS[brand][0], 0.05
    else:
        brand = rng.choices(list(CAR_BRANDS), weights=[v[1] for v in CAR_BRANDS.values()])[0]
        wmi, _, nev_share = CAR_BRANDS[brand]
    nev = rng.random() < nev_share
    kind = ("nev_large" if nev else "large") if truck else ("nev_small" if nev else "small")
    registered = cfg.start - timedelta(days=rng.randrange(30, 15 * 365))
    years = (cfg.start - registered).days // 365
    period = 1 if truck else (2 if years >= 6 else 6)
    inspection_until = registered + timedelta(days=365 * period * (years // period + 1))
    if rng.random() < 0.06:
        inspection_until -= timedelta(days=365 * period)  # overdue
    colour = rng.choices([c for c, _ in BODY_COLOURS], weights=[w for _, w in BODY_COLOURS])[0]
    plate = ids.plate(rng, plate_prefix[0], plate_prefix[1], kind)
    return Vehicle(
        f"V{vid:08d}",
        plate,
        kind,
        brand,
        colour,
        ids.vin(rng, wmi, registered.year),
        owner_kind,
        owner_id,
        county,
        registered,
        inspection_until,
        use,
    )


def generate_vehicles(cfg: SynthConfig, geo: Geography, pop: Population, orgs: list[Organization]) -> list[Vehicle]:
    rng = stream(cfg.seed, "vehicles")
    vehicles: list[Vehicle] = []
    seen: set[str] = set()

    def add(vehicle: Vehicle) -> None:
        while vehicle.plate in seen:  # plates are unique among genuine vehicles
            vehicle.plate = vehicle.plate[:-2] + rng.choice(ids.DIGITS) + vehicle.plate[-1]
        seen.add(vehicle.plate)
        vehicles.append(vehicle)

    for members in pop.households.values():
        adults = [pop.persons[i] for i in members if 22 <= pop.persons[i].age_on(cfg.start) <= 70]
        n = rng.choices((0, 1, 2), weights=(48, 44, 8))[0] if adults else 0
        for _ in range(n):
            owner = rng.choice(adults)
            county = pop.county_of_address[owner.address_id]
            letter = geo.prefecture(county[:4] + "00" if not county.startswith("4290") else county).plate_letter
            prefix = "鄂" + letter
            if owner.origin == "inter" and rng.random() < 0.4:
                prefix = next(o[2] for o in OTHER_PROVINCES if o[0] == owner.registered_division)
            add(_car(rng, cfg, "person", owner.person_id, county, prefix, "非营运", False, len(vehicles) + 1))
    for org in orgs:
        fleet = {"logistics": (4, 15, True, "货运"), "car_rental": (8, 25, False, "租赁")}.get(org.kind)
        if fleet is None:
            fleet = (0, 2, False, "非营运") if org.kind == "business" else (0, 1, False, "非营运")
        letter = geo.prefecture(org.county[:4] + "00" if not org.county.startswith("4290") else org.county)
        for _ in range(rng.randint(fleet[0], fleet[1])):
            truck = fleet[2] and rng.random() < 0.85
            add(
                _car(
                    rng,
                    cfg,
                    "organization",
                    org.org_id,
                    org.county,
                    "鄂" + letter.plate_letter,
                    fleet[3],
                    truck,
                    len(vehicles) + 1,
                )
            )
    counties = [c.code for c in geo.counties]
    for _ in range(cfg.scale.out_of_province_vehicles):
        _, _, prefix, _ = rng.choice(OTHER_PROVINCES)
        truck = rng.random() < 0.35
        add(
            _car(
                rng,
                cfg,
                "none",
                "",
                rng.choice(counties),
                prefix,
                "货运" if truck else "非营运",
                truck,
                len(vehicles) + 1,
            )
        )
    return vehicles


def generate_violations(
    cfg: SynthConfig, vehicles: list[Vehicle], checkpoints_by_county: dict[str, list[int]], all_checkpoints: int
) -> list[Violation]:
    rng = stream(cfg.seed, "violations")
    out: list[Violation] = []
    for v in vehicles:
        for _ in range(rng.choices((0, 1, 2, 3, 5), weights=(70, 16, 8, 4, 2))[0]):
            code, text, fine, points = rng.choice(VIOLATIONS)
            day = cfg.start - timedelta(days=rng.randrange(1, 720))
            when = datetime.combine(day, time(rng.randrange(6, 23), rng.randrange(60), rng.randrange(60)))
            local = checkpoints_by_county.get(v.county)
            cp = rng.choice(local) if local else rng.randrange(all_checkpoints)
            out.append(Violation(f"W{len(out) + 1:09d}", v.vehicle_id, v.plate, code, text, fine, points, when, cp))
    return out
