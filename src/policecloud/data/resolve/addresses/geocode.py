"""Coordinates for standard addresses from a reference road network and county boundaries (no surveyed points).

The sources carry no coordinates for addresses, so the registry places each one on the map from the reference
files (GeoJSON, WGS 84 lon/lat) — and, where those have a gap, from the checkpoint registry:

* ``roads``: LineString features with a ``road`` name property (segments; one named road is usually several).
* ``counties``: county polygons with ``code`` (GB/T 2260) and, when known, ``seat`` ([lon, lat] of the seat).

A named road belongs to the county whose polygon contains its midpoint (a road called 文化路 exists in many
counties; the address's county decides which one is meant). Segments sharing end points are chained into one
polyline per road and county. An address is then placed, in order of preference:

1. ``road``: along its road, at the fraction ``number / (highest number on that road + 1)`` of the road's
   length — door numbers run along a road, and the registry knows the highest one in use;
2. ``road_midpoint``: the middle of its road when it has no door number (a village group, a bare road);
3. ``county_seat``: the county seat, when the road is not in the reference network;
4. ``county_centroid``: the average of the county polygon's vertices, when no seat is given;
5. ``county_checkpoints``: when the county is missing from the boundaries (the reference file predates
   京山市 and 监利市), the mean position of the county's road checkpoints, if the caller gives them;
6. ``prefecture_seat`` (or ``prefecture_centroid``): else its prefecture from the optional ``prefectures`` file
   (same format as the counties);
7. nothing (``none``): the county is unknown or outside the reference area.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

Point = tuple[float, float]
_DOOR_NUMBER = re.compile(r"附?([0-9]+)")


@dataclass(frozen=True)
class Polyline:
    points: tuple[Point, ...]
    cumulative: tuple[float, ...]  # km from the start to each point

    @classmethod
    def of(cls, points: Sequence[Point]) -> Polyline:
        cumulative = [0.0]
        for a, b in itertools.pairwise(points):
            cumulative.append(cumulative[-1] + distance_km(a, b))
        return cls(tuple(points), tuple(cumulative))

    @property
    def length(self) -> float:
        return self.cumulative[-1]

    def at(self, fraction: float) -> Point:
        """The point at ``fraction`` (0..1) of the length, by linear interpolation."""
        target = max(0.0, min(1.0, fraction)) * self.length
        for i in range(1, len(self.points)):
            if self.cumulative[i] >= target:
                span = self.cumulative[i] - self.cumulative[i - 1]
                t = 0.0 if span == 0 else (target - self.cumulative[i - 1]) / span
                (x0, y0), (x1, y1) = self.points[i - 1], self.points[i]
                return x0 + t * (x1 - x0), y0 + t * (y1 - y0)
        return self.points[-1]


@dataclass(frozen=True)
class County:
    code: str
    rings: tuple[tuple[Point, ...], ...]  # outer rings of its polygons
    seat: Point | None

    def contains(self, p: Point) -> bool:
        return any(_in_ring(p, ring) for ring in self.rings)

    @property
    def centroid(self) -> Point:
        points = [p for ring in self.rings for p in ring]
        return sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points)


class Geocoder:
    """Places addresses by county, road and door number (see the module docstring for the rules)."""

    def __init__(
        self,
        counties: dict[str, County],
        roads: dict[tuple[str, str], Polyline],
        prefectures: dict[str, County] | None = None,
        checkpoints: dict[str, Point] | None = None,
    ) -> None:
        self.counties = counties
        self.roads = roads  # (county code, road name) → polyline
        self.prefectures = prefectures or {}
        self.checkpoints = checkpoints or {}  # county code → mean checkpoint position

    @classmethod
    def from_files(
        cls,
        roads_path: Path | None,
        counties_path: Path | None,
        prefectures_path: Path | None = None,
        checkpoints: dict[str, Point] | None = None,
    ) -> Geocoder:
        counties = _load_counties(counties_path) if counties_path else {}
        roads = _load_roads(roads_path, counties) if roads_path and counties else {}
        return cls(counties, roads, _load_counties(prefectures_path) if prefectures_path else {}, checkpoints)

    def _area(self, county: str | None) -> tuple[Point, str] | None:
        """A point standing for the county (see the module docstring, steps 3–6) and how it was found."""
        if not county:
            return None
        if county in self.counties:
            c = self.counties[county]
            return (c.seat, "county_seat") if c.seat else (c.centroid, "county_centroid")
        if county in self.checkpoints:
            return self.checkpoints[county], "county_checkpoints"
        for code in (county[:4] + "00", county):  # a county-level city under the province is its own prefecture
            if code in self.prefectures:
                p = self.prefectures[code]
                return (p.seat, "prefecture_seat") if p.seat else (p.centroid, "prefecture_centroid")
        return None

    def locate_many(
        self, addresses: Sequence[tuple[str | None, str | None, str | None]]
    ) -> list[tuple[float | None, float | None, str]]:
        """(lon, lat, method) for each (county code, road, number); numbers are spread over the highest in use."""
        highest: dict[tuple[str, str], int] = defaultdict(int)
        for county, road, number in addresses:
            n = _door_number(number)
            if county and road and n is not None:
                highest[county, road] = max(highest[county, road], n)
        out = []
        for county, road, number in addresses:
            line = self.roads.get((county, road)) if county and road else None
            n = _door_number(number)
            if line is not None and n is not None:
                out.append((*_rounded(line.at(n / (highest[county, road] + 1))), "road"))
            elif line is not None:
                out.append((*_rounded(line.at(0.5)), "road_midpoint"))
            elif (area := self._area(county)) is not None:
                out.append((*_rounded(area[0]), area[1]))
            else:
                out.append((None, None, "none"))
        return out


def distance_km(a: Point, b: Point) -> float:
    """Great-circle distance between two (lon, lat) points."""
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def _rounded(p: Point) -> Point:
    return round(p[0], 6), round(p[1], 6)


def _door_number(number: str | None) -> int | None:
    m = _DOOR_NUMBER.match(number or "")
    return int(m.group(1)) if m else None


def _in_ring(p: Point, ring: Sequence[Point]) -> bool:
    """Even-odd ray casting."""
    x, y = p
    inside = False
    for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1], strict=True):
        if (y0 > y) != (y1 > y) and x < x0 + (y - y0) * (x1 - x0) / (y1 - y0):
            inside = not inside
    return inside


def _load_counties(path: Path) -> dict[str, County]:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    counties = {}
    for feature in data.get("features", []):
        props, geometry = feature.get("properties") or {}, feature.get("geometry") or {}
        polygons = {"Polygon": [geometry.get("coordinates")], "MultiPolygon": geometry.get("coordinates")}.get(
            geometry.get("type"), []
        )
        rings = tuple(tuple((float(x), float(y)) for x, y, *_ in polygon[0]) for polygon in polygons if polygon)
        seat = props.get("seat")
        if props.get("code") and rings:
            counties[str(props["code"])] = County(str(props["code"]), rings, (seat[0], seat[1]) if seat else None)
    return counties


def _load_roads(path: Path, counties: dict[str, County]) -> dict[tuple[str, str], Polyline]:
    """Named roads chained into polylines and assigned to the county containing their midpoint."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    segments: dict[str, list[tuple[Point, Point]]] = defaultdict(list)
    for feature in data.get("features", []):
        name = (feature.get("properties") or {}).get("road")
        geometry = feature.get("geometry") or {}
        lines = {"LineString": [geometry.get("coordinates")], "MultiLineString": geometry.get("coordinates")}
        for line in lines.get(geometry.get("type"), []) or []:
            points = [(float(x), float(y)) for x, y, *_ in line]
            segments[name].extend(itertools.pairwise(points))
    bboxes = {code: _bbox(p for ring in c.rings for p in ring) for code, c in counties.items()}
    roads: dict[tuple[str, str], Polyline] = {}
    for name, segs in segments.items():
        if not name:
            continue
        for chain in _chains(segs):
            line = Polyline.of(chain)
            county = _county_of(line.at(0.5), counties, bboxes)
            # Two pieces of one road in one county (a gap in the network): keep the longer.
            if county and (old := roads.get((county, name))) is not None and old.length >= line.length:
                continue
            if county:
                roads[county, name] = line
    return roads


def _bbox(points: Iterable[Point]) -> tuple[float, float, float, float]:
    xs, ys = zip(*points, strict=True)
    return min(xs), min(ys), max(xs), max(ys)


def _county_of(p: Point, counties: dict[str, County], bboxes: dict) -> str | None:
    for code, (x0, y0, x1, y1) in bboxes.items():
        if x0 <= p[0] <= x1 and y0 <= p[1] <= y1 and counties[code].contains(p):
            return code
    return None


def _chains(segments: list[tuple[Point, Point]]) -> list[list[Point]]:
    """Segments grouped by shared end points, each group ordered into one polyline.

    A group that is not a simple path (a junction of three pieces) is ordered along its longer extent.
    """
    parent: dict[Point, Point] = {}

    def find(p: Point) -> Point:
        while parent.setdefault(p, p) != p:
            parent[p] = parent[parent[p]]
            p = parent[p]
        return p

    for a, b in segments:
        parent[find(a)] = find(b)
    groups: dict[Point, list[tuple[Point, Point]]] = defaultdict(list)
    for a, b in segments:
        groups[find(a)].append((a, b))
    return [_order(group) for group in groups.values()]


def _order(group: list[tuple[Point, Point]]) -> list[Point]:
    neighbours: dict[Point, list[Point]] = defaultdict(list)
    for a, b in group:
        neighbours[a].append(b)
        neighbours[b].append(a)
    ends = [p for p, n in neighbours.items() if len(n) == 1]
    if len(ends) == 2 and all(len(n) <= 2 for n in neighbours.values()):
        path, previous = [ends[0]], None
        while len(path) <= len(neighbours):
            nxt = [q for q in neighbours[path[-1]] if q != previous]
            if not nxt:
                break
            previous = path[-1]
            path.append(nxt[0])
        return path
    points = list(neighbours)
    x0, y0, x1, y1 = _bbox(points)
    axis = 0 if (x1 - x0) >= (y1 - y0) else 1
    return sorted(points, key=lambda p: p[axis])
