"""Hubei's real prefecture- and county-level divisions, seats and boundaries, from the vendored GeoJSON.

The GeoJSON (see ``scripts/build_boundaries.py``) carries each unit's GB/T 2260 code, name and seat
coordinates. A few county codes there predate later reforms; they are mapped to the current codes.
When the foundation's divisions table is available its current names are used.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cache
from importlib import resources

# Retired code in the boundary data → current code and name (county-level city reforms).
RENAMED = {"420821": ("420882", "京山市"), "421023": ("421088", "监利市")}


@dataclass(frozen=True)
class Prefecture:
    code: str
    name: str
    plate_letter: str
    area_code: str
    population_10k: float  # 2020 census, for weighting where people live
    lon: float
    lat: float


@dataclass(frozen=True)
class County:
    code: str
    name: str
    prefecture: str
    lon: float
    lat: float
    urban: bool  # a city district (市辖区) rather than a county or county-level city


# code: (plate letter, telephone area code, 2020 census population in 10k)
PREFECTURE_FACTS = {
    "420100": ("A", "027", 1232.7),
    "420200": ("B", "0714", 246.9),
    "420300": ("C", "0719", 320.9),
    "420500": ("E", "0717", 401.8),
    "420600": ("F", "0710", 526.1),
    "420700": ("G", "0711", 107.9),
    "420800": ("H", "0724", 259.7),
    "420900": ("K", "0712", 427.0),
    "421000": ("D", "0716", 523.1),
    "421100": ("J", "0713", 588.3),
    "421200": ("L", "0715", 265.8),
    "421300": ("S", "0722", 204.8),
    "422800": ("Q", "0718", 345.6),
    "429004": ("M", "0728", 113.5),
    "429005": ("N", "0728", 88.7),
    "429006": ("R", "0728", 115.9),
    "429021": ("P", "0719", 6.7),
}


def _load(name: str) -> dict:
    text = resources.files("policecloud.data.model").joinpath("data", name).read_text(encoding="utf-8")
    return json.loads(text)


def _current_names() -> dict[str, str]:
    """Current unit names from the foundation's divisions table, when it is there."""
    try:
        from policecloud.data.model.divisions import load_divisions
    except ImportError:
        return {}
    try:
        divisions = load_divisions()
    except Exception:  # the table is being built; fall back to the GeoJSON names
        return {}
    names = {}
    for feature in _load("hubei_counties.geo.json")["features"] + _load("hubei_prefectures.geo.json")["features"]:
        code = RENAMED.get(feature["id"], (feature["id"], ""))[0]
        unit = divisions.get(code)
        if unit is not None and getattr(unit, "name", None):
            names[code] = unit.name
    return names


@dataclass(frozen=True)
class Geography:
    prefectures: tuple[Prefecture, ...]
    counties: tuple[County, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_code", {p.code: p for p in self.prefectures})

    def prefecture(self, code: str) -> Prefecture:
        return self._by_code[code]  # type: ignore[attr-defined]

    def counties_of(self, prefecture: str) -> list[County]:
        return [c for c in self.counties if c.prefecture == prefecture]

    def full_name(self, county: County) -> str:
        pref = self.prefecture(county.prefecture)
        if county.code == pref.code:
            return "湖北省" + pref.name
        return "湖北省" + pref.name + county.name


@cache
def load_geography() -> Geography:
    names = _current_names()
    prefectures = []
    for f in _load("hubei_prefectures.geo.json")["features"]:
        code = f["id"]
        letter, area, pop = PREFECTURE_FACTS[code]
        lon, lat = f["properties"]["seat"]
        prefectures.append(Prefecture(code, names.get(code, f["properties"]["name"]), letter, area, pop, lon, lat))
    counties = []
    for f in _load("hubei_counties.geo.json")["features"]:
        code, name = RENAMED.get(f["id"], (f["id"], f["properties"]["name"]))
        lon, lat = f["properties"]["seat"]
        parent = f["properties"]["parent"]
        urban = code[4:6] < "20" and not code.startswith("4290")
        counties.append(County(code, names.get(code, name), parent, lon, lat, urban))
    return Geography(tuple(prefectures), tuple(sorted(counties, key=lambda c: c.code)))


def boundaries_geojson(level: str) -> dict:
    """The vendored boundary FeatureCollection: level is 'prefectures' or 'counties'."""
    return _load(f"hubei_{level}.geo.json")


def distance_km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 6371.0 * 2 * math.asin(math.sqrt(a))


def offset(lon: float, lat: float, east_km: float, north_km: float) -> tuple[float, float]:
    """A point east_km / north_km away from (lon, lat)."""
    return lon + east_km / (111.32 * math.cos(math.radians(lat))), lat + north_km / 110.57


# Other provinces' units that send migrants and vehicles (stable codes, capital or large cities).
OTHER_PROVINCES = (
    # (county code, province short name, plate prefix, full place name)
    ("430102", "湘", "湘A", "湖南省长沙市芙蓉区"),
    ("430104", "湘", "湘A", "湖南省长沙市岳麓区"),
    ("431002", "湘", "湘L", "湖南省郴州市北湖区"),
    ("410105", "豫", "豫A", "河南省郑州市金水区"),
    ("411302", "豫", "豫R", "河南省南阳市宛城区"),
    ("411502", "豫", "豫S", "河南省信阳市浉河区"),
    ("360102", "赣", "赣A", "江西省南昌市东湖区"),
    ("500101", "渝", "渝A", "重庆市万州区"),
    ("510104", "川", "川A", "四川省成都市锦江区"),
    ("340102", "皖", "皖A", "安徽省合肥市瑶海区"),
    ("341802", "皖", "皖P", "安徽省宣城市宣州区"),
    ("320102", "苏", "苏A", "江苏省南京市玄武区"),
    ("330106", "浙", "浙A", "浙江省杭州市西湖区"),
    ("440305", "粤", "粤B", "广东省深圳市南山区"),
    ("610113", "陕", "陕A", "陕西省西安市雁塔区"),
    ("110105", "京", "京N", "北京市朝阳区"),
)
