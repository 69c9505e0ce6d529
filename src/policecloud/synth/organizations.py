"""Organizations (实有单位) with unified social credit codes, and who works where."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from policecloud.synth import identifiers as ids
from policecloud.synth.config import SynthConfig
from policecloud.synth.geography import Geography
from policecloud.synth.population import AddressBook, Population
from policecloud.synth.rng import stream

# kind: (persons per organization of this kind, name suffixes, industry label)
KINDS = {
    "hotel": (500, ("宾馆", "大酒店", "快捷酒店", "商务酒店", "旅馆"), "住宿业"),
    "internet_cafe": (900, ("网吧", "网咖", "电竞馆"), "互联网上网服务"),
    "logistics": (1200, ("物流有限公司", "快递服务部", "货运代理有限公司"), "道路货物运输"),
    "pawn_shop": (4000, ("典当行", "典当有限公司"), "典当"),
    "car_rental": (3000, ("汽车租赁有限公司", "租车服务部"), "汽车租赁"),
    "business": (
        30,
        (
            "商贸有限公司",
            "科技有限公司",
            "餐饮店",
            "超市",
            "建筑工程有限公司",
            "服装店",
            "五金建材店",
            "贸易有限公司",
            "电子商务有限公司",
            "食品有限公司",
        ),
        "批发和零售业",
    ),
}
TRADE_NAMES = (
    "鸿运",
    "金利",
    "华美",
    "兴隆",
    "恒通",
    "永盛",
    "顺达",
    "天成",
    "瑞丰",
    "宏远",
    "楚天",
    "江汉",
    "荆楚",
    "长虹",
    "新世纪",
    "东方",
    "正和",
    "福满",
    "佳乐",
    "汇通",
    "鑫源",
    "锦程",
    "安达",
    "聚鑫",
)


@dataclass(slots=True)
class Organization:
    org_id: str
    uscc: str
    name: str
    kind: str
    industry: str
    address_id: str
    county: str
    legal_rep: str  # person id
    phone: str
    established: date


def generate_organizations(cfg: SynthConfig, geo: Geography, pop: Population, book: AddressBook) -> list[Organization]:
    rng = stream(cfg.seed, "organizations")
    persons = pop.persons
    adults = [i for i, p in enumerate(persons) if 25 <= p.age_on(cfg.start) <= 65]
    county_by_code = {c.code: c for c in geo.counties}
    orgs: list[Organization] = []
    for kind, (per, suffixes, industry) in KINDS.items():
        for _ in range(max(3, cfg.scale.persons // per)):
            rep = persons[rng.choice(adults)]
            county = county_by_code[pop.county_of_address[rep.address_id]]
            address = book.business_address(county)
            place = county.name.rstrip("区县市") if len(county.name) > 2 else county.name
            city = geo.prefecture(county.prefecture).name.rstrip("市州")
            name = f"{city}{place if place != city else ''}{rng.choice(TRADE_NAMES)}"
            name += rng.choice(suffixes)
            authority_kind = ("9", "2") if kind == "business" and "店" in name else ("9", "1")
            code = ids.uscc(rng, county.code, *authority_kind)
            phone = ids.landline(rng, geo.prefecture(county.prefecture).area_code)
            established = date(2000, 1, 1) + timedelta(days=rng.randrange(0, (cfg.start - date(2000, 1, 1)).days))
            orgs.append(
                Organization(
                    f"O{len(orgs) + 1:07d}",
                    code,
                    name,
                    kind,
                    industry,
                    address.address_id,
                    county.code,
                    rep.person_id,
                    phone,
                    established,
                )
            )
    _employ(rng, cfg, pop, orgs)
    return orgs


def _employ(rng: random.Random, cfg: SynthConfig, pop: Population, orgs: list[Organization]) -> None:
    """Most working-age people work for an organization in their own prefecture (or their county)."""
    by_pref: dict[str, list[Organization]] = {}
    for org in orgs:
        by_pref.setdefault(org.county[:4], []).append(org)
    for person in pop.persons:
        age = person.age_on(cfg.start)
        if not 18 <= age <= 62 or rng.random() > 0.72:
            continue
        local = by_pref.get(pop.county_of_address[person.address_id][:4])
        if not local:
            continue
        employer = rng.choice(local)
        person.employer = employer.org_id
        person.occupation = rng.choice(("职员", "工人", "司机", "销售", "技术员", "服务员", "经理", "会计"))
