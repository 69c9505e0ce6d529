"""Person sources: the population registry CSV, floating-population JSON lines, the GBK exchange file."""

from __future__ import annotations

import csv
import json
from datetime import timedelta
from pathlib import Path

from policecloud.synth import identifiers as ids
from policecloud.synth.config import SynthConfig
from policecloud.synth.mess import Mess
from policecloud.synth.population import Person, Population
from policecloud.synth.rng import stream
from policecloud.synth.truth import Truth

REGISTRY_HEADER = (
    "登记编号",
    "公民身份号码",
    "姓名",
    "性别",
    "出生日期",
    "户号",
    "与户主关系",
    "户籍地址",
    "现住址",
    "联系电话",
    "服务处所",
    "登记日期",
)
SEX_ZH = {True: "男", False: "女"}


def current_phone(person: Person) -> str:
    mobiles = [p for p in person.phones if p.until is None]
    return mobiles[0].number if mobiles else ""


def phone_on(person: Person, day) -> str:
    """The phone a person gave on ``day``: an old number if they changed it since."""
    for phone in person.phones:
        if phone.since <= day and (phone.until is None or day < phone.until):
            return phone.number
    return current_phone(person)


def write_population_registry(
    cfg: SynthConfig, pop: Population, addresses: dict, employers: dict, out: Path, truth: Truth
) -> None:
    """常住人口登记表: Hubei-registered people, UTF-8 CSV with Chinese headers; some entered twice."""
    source = "population_registry"
    mess = truth.mess(Mess(source, cfg.mess, stream(cfg.seed, f"mess-{source}")))
    rng = stream(cfg.seed, source)
    out.parent.mkdir(parents=True, exist_ok=True)
    seq = 0
    with out.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(REGISTRY_HEADER)
        for person in pop.persons:
            if not person.registered_division.startswith("42"):
                continue
            copies = 2 if mess.duplicate() else 1
            truth.count(source, "duplicate_in_source")
            for copy in range(copies):
                seq += 1
                rid = f"R{seq:09d}"
                if copy:
                    mess.log(rid, "*", "duplicate_in_source", person.person_id, rid)
                truth.link(source, rid, "person", person.person_id)
                truth.link(source, rid, "address", person.address_id)
                for kind in (
                    "similar_char_name",
                    "wrong_check_digit",
                    "date_format",
                    "missing_field",
                    "stray_spaces",
                    "swapped_fields",
                ):
                    truth.count(source, kind)
                row = {
                    "登记编号": rid,
                    "公民身份号码": mess.identifier(rid, "公民身份号码", person.id_number),
                    "姓名": mess.spaces(rid, "姓名", mess.name(rid, "姓名", person.name)),
                    "性别": SEX_ZH[person.male],
                    "出生日期": mess.date(
                        rid, "出生日期", person.birth, "%Y-%m-%d", ("%Y%m%d", "%Y/%m/%d", "%Y年%m月%d日")
                    ),
                    "户号": person.household_id,
                    "与户主关系": person.relation,
                    "户籍地址": person.registered_address,
                    "现住址": addresses[person.address_id].text,
                    "联系电话": mess.missing(rid, "联系电话", current_phone(person)),
                    "服务处所": employers.get(person.employer, ""),
                    "登记日期": max(person.birth, cfg.start.replace(year=2010)).isoformat(),
                }
                mess.swap(rid, row, "姓名", "联系电话")
                if copy:  # a second entry made later by another clerk: phone may differ
                    row["登记日期"] = cfg.start.replace(year=2021 + rng.randrange(5)).isoformat()
                writer.writerow(row[h] for h in REGISTRY_HEADER)


def write_floating_population(
    cfg: SynthConfig, pop: Population, addresses: dict, employers: dict, out: Path, truth: Truth
) -> None:
    """流动人口登记: people living away from their registered place, JSON lines with pinyin field names."""
    source = "floating_population"
    mess = truth.mess(Mess(source, cfg.mess, stream(cfg.seed, f"mess-{source}")))
    rng = stream(cfg.seed, source)
    out.parent.mkdir(parents=True, exist_ok=True)
    seq = 0
    with out.open("w", encoding="utf-8") as fh:
        for person in pop.persons:
            if person.origin == "local" or person.age_on(cfg.start) < 16:
                continue
            seq += 1
            rid = f"LD{cfg.start:%Y}{seq:08d}"
            registered = cfg.start.replace(year=cfg.start.year - 1 - rng.randrange(6)) - timedelta(
                days=rng.randrange(365)
            )
            truth.link(source, rid, "person", person.person_id)
            truth.link(source, rid, "address", person.address_id)
            for kind in ("similar_char_name", "wrong_check_digit", "date_format", "missing_field"):
                truth.count(source, kind)
            record = {
                "djbh": rid,
                "sfzh": mess.identifier(rid, "sfzh", person.id_number),
                "xm": mess.name(rid, "xm", person.name),
                "xb": "1" if person.male else "2",
                "csrq": mess.date(rid, "csrq", person.birth, "%Y%m%d", ("%Y-%m-%d", "%Y.%m.%d")),
                "hjdz": person.registered_address,
                "xzz": addresses[person.address_id].text,
                "lxdh": mess.missing(rid, "lxdh", phone_on(person, registered)),
                "fwcs": employers.get(person.employer, ""),
                "lzrq": registered.strftime("%Y/%m/%d"),
                "jzsy": rng.choice(("务工", "经商", "随迁", "求学", "投亲靠友")),
            }
            fh.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")


EXCHANGE_HEADER = ("序号", "身份证号", "姓名", "性别", "出生年月日", "籍贯地址", "暂住地址", "登记单位")


def write_exchange_file(cfg: SynthConfig, pop: Population, addresses: dict, out: Path, truth: Truth) -> None:
    """An exchange file from Hunan's police (GBK): people it registered, with legacy 15-digit IDs."""
    source = "exchange_hunan"
    mess = truth.mess(Mess(source, cfg.mess, stream(cfg.seed, f"mess-{source}")))
    rng = stream(cfg.seed, source)
    out.parent.mkdir(parents=True, exist_ok=True)
    seq = 0
    with out.open("w", encoding="gbk", newline="", errors="strict") as fh:
        writer = csv.writer(fh, lineterminator="\r\n")
        writer.writerow(EXCHANGE_HEADER)
        for person in pop.persons:
            hunan = person.registered_division.startswith("43")
            if not (hunan or (person.origin == "local" and rng.random() < 0.01)) or person.age_on(cfg.start) < 16:
                continue
            if not _gbk_ok(person.name):
                continue
            seq += 1
            rid = f"HN{seq:07d}"
            truth.link(source, rid, "person", person.person_id)
            number = person.id_number
            if person.birth.year < 2000 and rng.random() < 0.6:
                number = ids.legacy15(number)
            name = person.name
            truth.count(source, "similar_char_name")
            truth.count(source, "date_format")
            writer.writerow(
                (
                    rid,
                    number,
                    mess.name(rid, "姓名", name),
                    SEX_ZH[person.male],
                    mess.date(rid, "出生年月日", person.birth, "%Y%m%d", ("%Y-%m-%d",)),
                    person.registered_address,
                    addresses[person.address_id].text
                    if hunan
                    else "湖南省长沙市岳麓区麓山路" + str(rng.randrange(1, 99)) + "号",
                    "湖南省公安厅" if hunan else "长沙市公安局岳麓分局",
                )
            )


def _gbk_ok(text: str) -> bool:
    try:
        text.encode("gbk")
    except UnicodeEncodeError:
        return False
    return True
