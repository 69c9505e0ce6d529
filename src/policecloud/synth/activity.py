"""Activity sources besides traffic: hotel stays, internet-café logs, 110 calls, criminal cases, and the
watch lists (wanted persons, vehicle hotlist) the scenarios need. Cell reports are in ``cell_reports.py``."""

from __future__ import annotations

import csv
import json
import random
from datetime import datetime, timedelta
from pathlib import Path

from policecloud.synth.cell_reports import write_cell_reports
from policecloud.synth.config import SynthConfig
from policecloud.synth.geography import Geography, offset
from policecloud.synth.mess import Mess
from policecloud.synth.organizations import Organization
from policecloud.synth.population import Population
from policecloud.synth.registries import Cell, Station
from policecloud.synth.rng import stream
from policecloud.synth.roads import RoadNetwork
from policecloud.synth.scenarios import Plan
from policecloud.synth.sources_people import current_phone
from policecloud.synth.truth import Truth
from policecloud.synth.vehicles import Vehicle

CALL_TYPES = {  # category: (weight, narrative templates)
    "纠纷": (
        22,
        (
            "报警人称在{place}与{other}发生口角，对方情绪激动，请求民警到场处理。",
            "报警人称其与邻居因{thing}问题发生纠纷，双方争执不下。",
        ),
    ),
    "盗窃": (
        14,
        (
            "报警人称其停放在{place}的{thing}被盗，价值约{value}元。",
            "报警人称家中被盗，丢失{thing}等物品，发现时门锁有撬动痕迹。",
        ),
    ),
    "交通事故": (
        18,
        (
            "报警人称在{place}发生两车刮擦事故，无人员受伤，请求处理。",
            "报警人称一辆{colour}色小车在{place}与电动车相撞，有一人受伤。",
        ),
    ),
    "诈骗": (
        10,
        ("报警人称接到自称{other}的电话，被骗转账{value}元。", "报警人称在网上购买{thing}，付款{value}元后对方失联。"),
    ),
    "求助": (20, ("报警人称其{other}走失，穿深色外套，请求帮助寻找。", "报警人称被困在{place}电梯内，请求救助。")),
    "噪音扰民": (8, ("报警人称{place}有人深夜大声喧哗，影响休息。",)),
    "打架斗殴": (8, ("报警人称在{place}有数人打架，有人受伤。",)),
}
CASE_TYPES = {"盗窃案": 40, "诈骗案": 30, "故意伤害案": 12, "抢劫案": 6, "寻衅滋事案": 12}
THINGS = ("电动车", "手机", "自行车", "现金", "笔记本电脑", "金项链", "停车位", "漏水", "电瓶")
OTHERS = ("客服", "快递员", "老人", "孩子", "朋友", "邻居", "陌生男子", "银行工作人员")
PROPERTY = (("手机", 3000), ("现金", 5000), ("电动车", 2500), ("金项链", 8000), ("笔记本电脑", 6000), ("撬棍", 20))


def write_all(
    cfg: SynthConfig,
    geo: Geography,
    net: RoadNetwork,
    pop: Population,
    orgs: list[Organization],
    vehicles: list[Vehicle],
    stations: list[Station],
    cells: list[Cell],
    plan: Plan,
    addresses: dict,
    sources: Path,
    truth: Truth,
) -> None:
    hotels = [o for o in orgs if o.kind == "hotel"]
    cafes = [o for o in orgs if o.kind == "internet_cafe"]
    adults = [p for p in pop.persons if 18 <= p.age_on(cfg.start) <= 75]
    stays = _hotel_stays(cfg, adults, hotels, plan, pop, sources / "hotel_stays.jsonl", truth)
    _internet_sessions(
        cfg, [p for p in adults if p.age_on(cfg.start) <= 45], cafes, sources / "internet_cafe_sessions.log", truth
    )
    _calls(cfg, geo, pop, addresses, stations, sources / "calls_110.jsonl", truth)
    cases = _cases(cfg, pop, addresses, vehicles, plan, sources / "criminal_cases.jsonl", truth)
    _watch_lists(cfg, pop, vehicles, plan, cases, sources, truth)
    write_cell_reports(cfg, pop, cells, plan, sources / "cell_reports")
    truth.scenarios["fugitive_hotel_stays"] = stays


def _time(rng: random.Random, cfg: SynthConfig, day: int, lo_h: float, hi_h: float) -> datetime:
    seconds = int((lo_h + rng.random() * (hi_h - lo_h)) * 3600)
    return datetime.combine(cfg.start + timedelta(days=day), datetime.min.time()) + timedelta(seconds=seconds)


def _hotel_stays(cfg, adults, hotels, plan: Plan, pop: Population, out: Path, truth: Truth) -> dict[str, list]:
    source = "hotel_stays"
    rng = stream(cfg.seed, source)
    mess = truth.mess(Mess(source, cfg.mess, stream(cfg.seed, f"mess-{source}")))
    persons = {p.person_id: p for p in pop.persons}
    planned = []
    for day in range(cfg.scale.days):
        for _ in range(cfg.scale.hotel_stays_per_day):
            planned.append((day, rng.choice(adults), rng.choice(hotels)))
    for person_id in plan.fugitives:
        for day in sorted(rng.sample(range(cfg.scale.days), min(2, cfg.scale.days))):
            planned.append((day, persons[person_id], rng.choice(hotels)))
    planned.sort(key=lambda x: (x[0], x[2].org_id))
    spouse = _spouses(pop)
    fugitive_stays: dict[str, list] = {}
    occupied: dict[tuple[str, str], datetime] = {}
    seq = 0
    with out.open("w", encoding="utf-8") as fh:
        for day, person, hotel in planned:
            checkin = _time(rng, cfg, day, 12, 24)
            checkout = checkin.replace(hour=12, minute=0, second=0) + timedelta(days=rng.randint(1, 3))
            room = f"{rng.randint(2, 12)}{rng.randint(1, 30):02d}"
            while occupied.get((hotel.org_id, room), checkin) > checkin:  # a room holds one party at a time
                room = f"{rng.randint(2, 12)}{rng.randint(1, 30):02d}"
            occupied[hotel.org_id, room] = checkout
            guests = [person]
            if person.person_id in spouse and rng.random() < 0.3:  # couples share a room
                guests.append(persons[spouse[person.person_id]])
            for k, guest in enumerate(guests):
                seq += 1
                rid = f"LG{seq:09d}"
                truth.link(source, rid, "person", guest.person_id)
                for kind in ("similar_char_name", "wrong_check_digit", "date_format", "stray_spaces"):
                    truth.count(source, kind)
                if guest.person_id in plan.fugitives:
                    fugitive_stays.setdefault(guest.person_id, []).append(rid)
                arrived = checkin + timedelta(seconds=k * rng.randint(20, 90))
                record = {
                    "lsh": rid,
                    "lgdm": hotel.uscc,
                    "lgmc": hotel.name,
                    "zjlx": "11",
                    "zjhm": mess.identifier(rid, "zjhm", guest.id_number),
                    "xm": mess.spaces(rid, "xm", mess.name(rid, "xm", guest.name)),
                    "xb": "1" if guest.male else "2",
                    "rzsj": mess.date(rid, "rzsj", arrived, "%Y-%m-%d %H:%M:%S", ("%Y/%m/%d %H:%M", "%Y%m%d%H%M%S")),
                    "tfsj": checkout.strftime("%Y-%m-%d %H:%M:%S"),
                    "fjh": room,
                }
                fh.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
    return fugitive_stays


def _spouses(pop: Population) -> dict[str, str]:
    """Person id → spouse's person id, for heads of household and their spouses."""
    out = {}
    for members in pop.households.values():
        head = next((pop.persons[i] for i in members if pop.persons[i].relation == "户主"), None)
        spouse = next((pop.persons[i] for i in members if pop.persons[i].relation == "配偶"), None)
        if head is not None and spouse is not None:
            out[head.person_id], out[spouse.person_id] = spouse.person_id, head.person_id
    return out


def _internet_sessions(cfg, users, cafes, out: Path, truth: Truth) -> None:
    source = "internet_cafe"
    rng = stream(cfg.seed, source)
    mess = truth.mess(Mess(source, cfg.mess, stream(cfg.seed, f"mess-{source}")))
    lines = []
    for day in range(cfg.scale.days):
        for _ in range(cfg.scale.internet_sessions_per_day):
            person, cafe = rng.choice(users), rng.choice(cafes)
            start = _time(rng, cfg, day, 9, 26) if rng.random() < 0.8 else _time(rng, cfg, day, 0, 6)
            end = start + timedelta(minutes=rng.randint(20, 480))
            lines.append((start, cafe, person, end))
    lines.sort(key=lambda x: (x[0], x[1].org_id, x[2].person_id))
    events = []
    for seq, (start, cafe, person, end) in enumerate(lines, 1):
        rid = f"SW{seq:09d}"
        seat = f"A{rng.randint(1, 120):03d}"
        truth.link(source, rid, "person", person.person_id)
        truth.count(source, "similar_char_name")
        truth.count(source, "wrong_check_digit")
        number = mess.identifier(rid, "证件号码", person.id_number)
        name = mess.name(rid, "姓名", person.name)
        events.append((start, f"{start:%Y-%m-%d %H:%M:%S}|上机|{cafe.uscc}|{cafe.name}|{seat}|{number}|{name}|{rid}"))
        events.append((end, f"{end:%Y-%m-%d %H:%M:%S}|下机|{cafe.uscc}|{cafe.name}|{seat}|{number}|{name}|{rid}"))
    events.sort(key=lambda e: e[0])
    with out.open("w", encoding="utf-8") as fh:
        fh.write("# 时间|动作|场所编码|场所名称|机号|证件号码|姓名|会话号\n")
        for _, line in events:
            fh.write(line + "\n")


def _fill(rng: random.Random, template: str, place: str) -> str:
    return template.format(
        place=place,
        other=rng.choice(OTHERS),
        thing=rng.choice(THINGS),
        value=rng.choice((500, 1200, 3000, 8000, 26000)),
        colour=rng.choice("白黑红银"),
    )


def _calls(cfg, geo, pop: Population, addresses, stations, out: Path, truth: Truth) -> None:
    source = "calls_110"
    rng = stream(cfg.seed, source)
    callers = [p for p in pop.persons if p.age_on(cfg.start) >= 16 and p.phones]
    kinds = list(CALL_TYPES)
    weights = [CALL_TYPES[k][0] for k in kinds]
    by_county: dict[str, list[Station]] = {}
    for st in stations:
        by_county.setdefault(st.county, []).append(st)
    with out.open("w", encoding="utf-8") as fh:
        seq = 0
        for day in range(cfg.scale.days):
            for _ in range(cfg.scale.calls_110_per_day):
                seq += 1
                person = rng.choice(callers)
                home = addresses[person.address_id]
                kind = rng.choices(kinds, weights=weights)[0]
                when = _time(rng, cfg, day, 0, 24)
                lon, lat = offset(home.lon, home.lat, rng.gauss(0, 1.0), rng.gauss(0, 1.0))
                place = f"{home.road}{rng.randint(1, 300)}号附近"
                rid = f"J{home.county}{when:%Y%m%d}{seq:06d}"
                truth.link(source, rid, "person", person.person_id)
                record = {
                    "jjdbh": rid,
                    "bjsj": when.strftime("%Y-%m-%d %H:%M:%S"),
                    "bjdh": current_phone(person) or person.phones[-1].number,
                    "bjr": person.name,
                    "ajlb": kind,
                    "fadz": geo.full_name(next(c for c in geo.counties if c.code == home.county))
                    + home.township
                    + place,
                    "jd": round(lon, 6),
                    "wd": round(lat, 6),
                    "gxdw": rng.choice(by_county[home.county]).name,
                    "bjnr": _fill(rng, rng.choice(CALL_TYPES[kind][1]), place),
                }
                fh.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")


def _cases(cfg, pop: Population, addresses, vehicles, plan: Plan, out: Path, truth: Truth) -> dict[str, str]:
    source = "criminal_cases"
    rng = stream(cfg.seed, source)
    adults = [p for p in pop.persons if 18 <= p.age_on(cfg.start) <= 65]
    persons = {p.person_id: p for p in pop.persons}
    records = []
    for _ in range(cfg.scale.cases):
        victim, suspect = rng.choice(adults), rng.choice(adults)
        kind = rng.choices(list(CASE_TYPES), weights=list(CASE_TYPES.values()))[0]
        when = _time(rng, cfg, -rng.randrange(1, 365), 0, 24)
        records.append((kind, when, victim, [suspect], [rng.choice(PROPERTY)], None))
    for person_id in plan.fugitives:
        when = _time(rng, cfg, -rng.randrange(30, 400), 0, 24)
        records.append(("诈骗案", when, rng.choice(adults), [persons[person_id]], [("现金", 120000)], person_id))
    stolen = vehicles[plan.stolen]
    theft = _time(rng, cfg, plan.theft_day, 3.5, 3.5)
    records.append(
        ("盗窃机动车案", theft, persons[stolen.owner_id], [], [(f"{stolen.brand}汽车 {stolen.plate}", 90000)], None)
    )
    case_ids: dict[str, str] = {}
    with out.open("w", encoding="utf-8") as fh:
        for seq, (kind, when, victim, suspects, prop, fugitive) in enumerate(records, 1):
            home = addresses[victim.address_id]
            rid = f"A{home.county}{when:%Y%m}{seq:07d}"
            truth.link(source, rid, "person", victim.person_id)
            for s in suspects:
                truth.link(source, rid, "suspect", s.person_id)
            if fugitive:
                case_ids[fugitive] = rid
            if kind == "盗窃机动车案":
                case_ids["stolen_vehicle"] = rid
                truth.link(source, rid, "vehicle", stolen.vehicle_id)
            text = (
                f"{when:%Y年%m月%d日%H时许}，{victim.name}报称在{home.road}附近遭遇{kind[:-1]}，"
                f"涉及{'、'.join(p for p, _ in prop)}。"
            )
            if suspects:
                text += f"经查，嫌疑人{suspects[0].name}有重大作案嫌疑。"
            record = {
                "ajbh": rid,
                "ajlb": kind,
                "ajmc": f"{victim.name}被{kind[:-1]}案",
                "fasj": when.isoformat(sep=" "),
                "fadd": home.text,
                "jyaq": text,
                "ajzt": rng.choice(("立案侦查", "已破案", "移送起诉")),
                "bhr": {"xm": victim.name, "sfzh": victim.id_number},
                "xyr": [{"xm": s.name, "sfzh": s.id_number} for s in suspects],
                "sacw": [{"mc": p, "jz": v, "sl": 1} for p, v in prop],
            }
            fh.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
    return case_ids


def _watch_lists(cfg, pop: Population, vehicles, plan: Plan, cases: dict[str, str], sources: Path, truth) -> None:
    persons = {p.person_id: p for p in pop.persons}
    with (sources / "wanted_persons.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(("在逃人员编号", "姓名", "公民身份号码", "性别", "案件编号", "立案单位"))
        for k, pid in enumerate(plan.fugitives, 1):
            p = persons[pid]
            rid = f"T{cfg.start:%Y}{k:05d}"
            truth.link("wanted_persons", rid, "person", pid)
            w.writerow((rid, p.name, p.id_number, "男" if p.male else "女", cases[pid], "湖北省公安厅"))
    with (sources / "vehicle_hotlist.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(("布控编号", "号牌号码", "布控原因", "关联案件", "布控开始时间"))
        stolen = vehicles[plan.stolen]
        when = datetime.combine(cfg.start + timedelta(days=plan.theft_day), datetime.min.time()) + timedelta(hours=7)
        truth.link("vehicle_hotlist", "BK00001", "vehicle", stolen.vehicle_id)
        w.writerow(("BK00001", stolen.plate, "被盗抢车辆", cases["stolen_vehicle"], when.isoformat(sep=" ")))
        for k, pid in enumerate(plan.fugitives[:2], 2):
            v = vehicles[plan.fugitive_vehicles[pid]]
            truth.link("vehicle_hotlist", f"BK{k:05d}", "vehicle", v.vehicle_id)
            w.writerow((f"BK{k:05d}", v.plate, "在逃人员关联车辆", cases[pid], cfg.start.isoformat() + " 00:00:00"))
