"""Registries of the 一标三实 master data besides people: organizations (实有单位) and houses (实有房屋)."""

from __future__ import annotations

import csv
from pathlib import Path

from policecloud.synth.config import SynthConfig
from policecloud.synth.mess import Mess
from policecloud.synth.organizations import Organization
from policecloud.synth.population import Address, Person, Population
from policecloud.synth.rng import stream
from policecloud.synth.truth import Truth

ORG_HEADER = (
    "单位编号",
    "单位名称",
    "统一社会信用代码",
    "单位类别",
    "所属行业",
    "单位地址",
    "法定代表人",
    "法定代表人身份证号",
    "联系电话",
    "成立日期",
)
ORG_KIND_ZH = {
    "hotel": "旅馆业",
    "internet_cafe": "互联网上网服务营业场所",
    "logistics": "物流寄递业",
    "pawn_shop": "典当业",
    "car_rental": "机动车租赁业",
    "business": "一般单位",
}
HOUSE_HEADER = (
    "房屋编号",
    "标准地址",
    "行政区划代码",
    "街道",
    "小区",
    "楼栋",
    "单元",
    "楼层",
    "房号",
    "房屋用途",
    "房主公民身份号码",
    "居住人数",
)


def write_organization_registry(
    cfg: SynthConfig,
    orgs: list[Organization],
    persons: dict[str, Person],
    addresses: dict[str, Address],
    out: Path,
    truth: Truth,
) -> None:
    source = "organization_registry"
    mess = truth.mess(Mess(source, cfg.mess, stream(cfg.seed, f"mess-{source}")))
    with out.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(ORG_HEADER)
        for seq, org in enumerate(orgs, 1):
            rid = f"DW{seq:08d}"
            rep = persons[org.legal_rep]
            truth.link(source, rid, "organization", org.org_id)
            truth.link(source, rid, "legal_rep", rep.person_id)
            for kind in ("stray_spaces", "wrong_check_digit", "similar_char_name", "date_format", "missing_field"):
                truth.count(source, kind)
            w.writerow(
                (
                    rid,
                    mess.spaces(rid, "单位名称", org.name),
                    mess.identifier(rid, "统一社会信用代码", org.uscc),
                    ORG_KIND_ZH[org.kind],
                    org.industry,
                    addresses[org.address_id].text,
                    mess.name(rid, "法定代表人", rep.name),
                    rep.id_number,
                    mess.missing(rid, "联系电话", org.phone),
                    mess.date(rid, "成立日期", org.established, "%Y-%m-%d", ("%Y%m%d", "%Y年%m月%d日")),
                )
            )


def write_house_registry(cfg: SynthConfig, pop: Population, out: Path, truth: Truth) -> None:
    """Dwellings with their household's head as owner; business premises are not houses here."""
    source = "house_registry"
    mess = truth.mess(Mess(source, cfg.mess, stream(cfg.seed, f"mess-{source}")))
    residents: dict[str, list[Person]] = {}
    for person in pop.persons:
        residents.setdefault(person.address_id, []).append(person)
    with out.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(HOUSE_HEADER)
        for address in pop.addresses:
            people = residents.get(address.address_id)
            if not people:
                continue
            rid = "FW" + address.address_id[1:]
            head = next((p for p in people if p.relation == "户主"), people[0])
            truth.link(source, rid, "address", address.address_id)
            truth.link(source, rid, "owner", head.person_id)
            truth.count(source, "stray_spaces")
            truth.count(source, "missing_field")
            w.writerow(
                (
                    rid,
                    mess.spaces(rid, "标准地址", address.text),
                    address.county,
                    address.township,
                    address.community,
                    f"{address.building}栋",
                    f"{address.unit}单元",
                    address.floor,
                    address.room,
                    "住宅",
                    mess.missing(rid, "房主公民身份号码", head.id_number),
                    len(people),
                )
            )
