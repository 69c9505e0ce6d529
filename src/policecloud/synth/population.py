"""People, households, houses at standard addresses, phones: the real population (实有人口/实有房屋)."""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from policecloud.synth import identifiers as ids
from policecloud.synth.config import SynthConfig
from policecloud.synth.geography import OTHER_PROVINCES, County, Geography, offset
from policecloud.synth.names import name_tables
from policecloud.synth.rng import stream
from policecloud.synth.roads import STREET_STEMS, RoadNetwork

COMMUNITY_WORDS = (
    "阳光",
    "幸福",
    "锦绣",
    "金色",
    "翠苑",
    "明珠",
    "紫荆",
    "桂园",
    "江景",
    "书香",
    "和谐",
    "花园",
    "丽景",
    "滨湖",
    "康乐",
    "新村",
    "世纪",
    "怡馨",
    "枫林",
    "银河",
)
COMMUNITY_SUFFIX = ("小区", "花园", "家园", "新村", "苑", "公寓")
HOUSEHOLD_SIZES = ((1, 25), (2, 29), (3, 21), (4, 13), (5, 8), (6, 4))


@dataclass(slots=True)
class Address:
    address_id: str
    county: str
    township: str
    community: str
    road: str
    number: int
    building: int
    unit: int
    floor: int
    room: str
    lon: float
    lat: float
    text: str


@dataclass(slots=True)
class Phone:
    number: str
    operator: str
    kind: str  # mobile / landline
    since: date
    until: date | None


@dataclass(slots=True)
class Person:
    person_id: str
    id_number: str
    name: str
    male: bool
    birth: date
    household_id: str
    relation: str  # 户主, 配偶, 子女, 父母
    address_id: str  # current address (现住址)
    registered_division: str  # 户籍地 division code
    registered_address: str
    origin: str  # local / intra (from elsewhere in Hubei) / inter (from another province)
    phones: list[Phone] = field(default_factory=list)
    employer: str | None = None
    occupation: str = ""

    def age_on(self, day: date) -> int:
        return day.year - self.birth.year - ((day.month, day.day) < (self.birth.month, self.birth.day))


@dataclass
class Population:
    addresses: list[Address]
    persons: list[Person]
    households: dict[str, list[int]]  # household id → person indexes
    county_of_address: dict[str, str]


def _county_weights(geo: Geography) -> list[float]:
    weights = []
    for c in geo.counties:
        pref = geo.prefecture(c.prefecture)
        members = geo.counties_of(c.prefecture)
        share = sum(1.6 if m.urban else 1.0 for m in members)
        weights.append(pref.population_10k * (1.6 if c.urban else 1.0) / share)
    return weights


class AddressBook:
    """Standard addresses (GA/T 2000.32 elements) laid on the street grid of each county seat."""

    def __init__(self, geo: Geography, net: RoadNetwork, rng: random.Random) -> None:
        self.geo, self.net, self.rng = geo, net, rng
        self.addresses: list[Address] = []
        self._communities: dict[str, list[tuple[str, str, str, int, float, float]]] = {}

    def _community(self, county: County) -> tuple[str, str, str, int, float, float]:
        pool = self._communities.setdefault(county.code, [])
        if not pool or self.rng.random() < 0.02 * (1 + 50 / (len(pool) + 1)) / 2:
            node = self.rng.choice(self.net.places[county.code])
            lon, lat = offset(self.net.lon[node], self.net.lat[node], self.rng.gauss(0, 0.3), self.rng.gauss(0, 0.3))
            stem = self.rng.choice(STREET_STEMS)
            township = f"{self.rng.choice(STREET_STEMS)}街道"
            name = self.rng.choice(COMMUNITY_WORDS) + self.rng.choice(COMMUNITY_SUFFIX)
            pool.append((township, f"{stem}路", name, self.rng.randrange(1, 400), lon, lat))
        return self.rng.choice(pool)

    def new_dwelling(self, county: County) -> Address:
        township, road, community, number, lon, lat = self._community(county)
        building, unit = self.rng.randrange(1, 25), self.rng.randrange(1, 5)
        floor = self.rng.randrange(1, 33 if county.urban else 12)
        room = f"{floor}{self.rng.randrange(1, 5):02d}"
        text = f"{self.geo.full_name(county)}{township}{road}{number}号{community}{building}栋{unit}单元{room}室"
        address = Address(
            f"A{len(self.addresses) + 1:08d}",
            county.code,
            township,
            community,
            road,
            number,
            building,
            unit,
            floor,
            room,
            round(lon, 6),
            round(lat, 6),
            text,
        )
        self.addresses.append(address)
        return address

    def business_address(self, county: County) -> Address:
        township, road, _, number, lon, lat = self._community(county)
        text = f"{self.geo.full_name(county)}{township}{road}{number}号"
        address = Address(
            f"A{len(self.addresses) + 1:08d}",
            county.code,
            township,
            "",
            road,
            number,
            0,
            0,
            1,
            "",
            round(lon, 6),
            round(lat, 6),
            text,
        )
        self.addresses.append(address)
        return address


def _birth(rng: random.Random, today: date, lo: int, hi: int) -> date:
    age_days = rng.randrange(lo * 365 + 1, hi * 365 + 300)
    return today - timedelta(days=age_days)


def generate_population(cfg: SynthConfig, geo: Geography, net: RoadNetwork) -> tuple[Population, AddressBook]:
    rng = stream(cfg.seed, "population")
    names = name_tables()
    book = AddressBook(geo, net, stream(cfg.seed, "addresses"))
    counties = list(geo.counties)
    cum_weights = list(itertools.accumulate(_county_weights(geo)))
    today = cfg.start
    persons: list[Person] = []
    households: dict[str, list[int]] = {}
    target = cfg.scale.persons
    sizes, size_w = zip(*HOUSEHOLD_SIZES, strict=True)
    while len(persons) < target:
        county = rng.choices(counties, cum_weights=cum_weights)[0]
        house = book.new_dwelling(county)
        hh_id = f"H{len(households) + 1:08d}"
        size = min(rng.choices(sizes, weights=size_w)[0], target - len(persons))
        roll = rng.random()
        if roll < 0.08:
            origin = "inter"
            origin_code, _, _, origin_place = rng.choice(OTHER_PROVINCES)
            reg_division = origin_code
            reg_address = f"{origin_place}{rng.choice(STREET_STEMS)}路{rng.randrange(1, 300)}号"
        elif roll < 0.18:
            origin = "intra"
            home = rng.choices(counties, cum_weights=cum_weights)[0]
            reg_division = home.code
            reg_address = f"{geo.full_name(home)}{rng.choice(STREET_STEMS)}路{rng.randrange(1, 300)}号"
        else:
            origin = "local"
            reg_division, reg_address = county.code, house.text
        members: list[int] = []
        head_male = rng.random() < 0.7
        head_age_lo, head_age_hi = (18, 40) if size == 1 and rng.random() < 0.6 else (24, 80)
        head_birth = _birth(rng, today, head_age_lo, head_age_hi)
        surname = names.surname(rng)
        # The family name is the husband's; a female head keeps her own name.
        plan = [("户主", head_male, head_birth, surname if head_male else None)]
        if size >= 2:
            spouse_birth = head_birth + timedelta(days=rng.randrange(-1500, 1500))
            spouse_birth = min(spouse_birth, today - timedelta(days=18 * 366))
            plan.append(("配偶", not head_male, spouse_birth, None if head_male else surname))
        for _ in range(max(0, size - 2)):
            if rng.random() < 0.2 and head_birth.year > today.year - 55:
                parent_male = rng.random() < 0.5
                parent_birth = head_birth - timedelta(days=rng.randrange(20, 35) * 365)
                plan.append(("父母", parent_male, parent_birth, surname if parent_male and head_male else None))
            else:
                child_birth = head_birth + timedelta(days=rng.randrange(20, 38) * 365 + rng.randrange(365))
                child_birth = min(child_birth, today - timedelta(days=rng.randrange(30, 300)))
                plan.append(("子女", rng.random() < 0.52, child_birth, surname if rng.random() < 0.92 else None))
        for relation, male, birth, family_name in plan:
            if origin == "local" and rng.random() < 0.2:
                birthplace = rng.choices(counties, cum_weights=cum_weights)[0].code
            else:
                birthplace = reg_division
            name = names.full_name(rng, male, family_name)
            person = Person(
                f"P{len(persons) + 1:08d}",
                ids.id_number(rng, birthplace, birth, male),
                name,
                male,
                birth,
                hh_id,
                relation,
                house.address_id,
                reg_division,
                reg_address,
                origin,
            )
            members.append(len(persons))
            persons.append(person)
        households[hh_id] = members
        _assign_phones(rng, [persons[i] for i in members], geo.prefecture(county.prefecture).area_code, today)
    return Population(book.addresses, persons, households, {a.address_id: a.county for a in book.addresses}), book


def _assign_phones(rng: random.Random, members: list[Person], area_code: str, today: date) -> None:
    """Mobiles for most people over 14, some changed during the last years, a shared household landline."""
    landline = None
    if rng.random() < 0.2:
        landline = Phone(ids.landline(rng, area_code), "China Telecom", "landline", date(2008, 1, 1), None)
    for person in members:
        age = person.age_on(today)
        if age >= 14 and rng.random() < (0.97 if age < 70 else 0.6):
            number, operator = ids.mobile(rng)
            since = max(person.birth + timedelta(days=14 * 366), today - timedelta(days=rng.randrange(100, 4000)))
            if rng.random() < 0.12:
                old, old_op = ids.mobile(rng)
                changed = today - timedelta(days=rng.randrange(30, 700))
                person.phones.append(Phone(old, old_op, "mobile", min(since, changed - timedelta(days=400)), changed))
                since = changed
            person.phones.append(Phone(number, operator, "mobile", since, None))
        if landline is not None:
            person.phones.append(landline)
    adults = [p for p in members if any(ph.kind == "mobile" and ph.until is None for ph in p.phones)]
    for person in members:
        if not person.phones and adults:  # children and some elderly are reached on a relative's phone
            shared = next(ph for ph in adults[0].phones if ph.kind == "mobile" and ph.until is None)
            person.phones.append(shared)
