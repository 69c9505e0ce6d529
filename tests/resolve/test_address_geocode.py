"""Geocoding standard addresses from a reference road network and boundaries (hand-made GeoJSON)."""

from __future__ import annotations

import json

import pytest

from policecloud.data.resolve.addresses.geocode import Geocoder, Polyline, distance_km


def _square(x0: float, y0: float, size: float) -> list[list[float]]:
    return [[x0, y0], [x0 + size, y0], [x0 + size, y0 + size], [x0, y0 + size], [x0, y0]]


def _feature(geometry: dict, **props) -> dict:
    return {"type": "Feature", "properties": props, "geometry": geometry}


def _line(*points) -> dict:
    return {"type": "LineString", "coordinates": [list(p) for p in points]}


@pytest.fixture
def reference(tmp_path):
    """Two counties side by side, both with a 文化路; county A's is two segments given out of order."""
    counties = {
        "type": "FeatureCollection",
        "features": [
            _feature(
                {"type": "Polygon", "coordinates": [_square(114.0, 30.0, 0.1)]}, code="420101", seat=[114.05, 30.05]
            ),
            _feature({"type": "MultiPolygon", "coordinates": [[_square(114.1, 30.0, 0.1)]]}, code="420102"),
        ],
    }
    roads = {
        "type": "FeatureCollection",
        "features": [
            _feature(_line((114.02, 30.05), (114.08, 30.05)), road="文化路", km=5.7),
            _feature(_line((114.01, 30.05), (114.02, 30.05)), road="文化路", km=1.0),
            _feature(_line((114.12, 30.02), (114.12, 30.08)), road="文化路", km=6.7),
            _feature(_line((114.03, 30.01), (114.03, 30.09)), road="", km=8.9),
        ],
    }
    prefectures = {
        "type": "FeatureCollection",
        "features": [
            _feature({"type": "Polygon", "coordinates": [_square(113.0, 29.0, 2.0)]}, code="420200", seat=[114.9, 30.2])
        ],
    }
    paths = {}
    for name, data in (("counties", counties), ("roads", roads), ("prefectures", prefectures)):
        paths[name] = tmp_path / f"{name}.geojson"
        paths[name].write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return paths


def test_roads_are_chained_and_assigned_to_their_county(reference):
    g = Geocoder.from_files(reference["roads"], reference["counties"])
    assert set(g.roads) == {("420101", "文化路"), ("420102", "文化路")}
    west = g.roads["420101", "文化路"]
    assert [p[0] for p in west.points] == [114.01, 114.02, 114.08] or [p[0] for p in west.points] == [
        114.08,
        114.02,
        114.01,
    ]
    assert west.length == pytest.approx(distance_km((114.01, 30.05), (114.08, 30.05)))


def test_door_numbers_spread_along_the_road(reference):
    g = Geocoder.from_files(reference["roads"], reference["counties"])
    out = g.locate_many([("420101", "文化路", f"{n}号") for n in (1, 50, 99)] + [("420102", "文化路", "10号")])
    assert [m for *_, m in out] == ["road"] * 4
    xs = [lon for lon, _, _ in out[:3]]
    assert xs == sorted(xs) or xs == sorted(xs, reverse=True)
    assert all(lat == pytest.approx(30.05) for _, lat, _ in out[:3])
    assert out[3][0] == pytest.approx(114.12)  # the other county's 文化路, not the nearer-numbered one


def test_fallbacks(reference):
    g = Geocoder.from_files(
        reference["roads"], reference["counties"], reference["prefectures"], {"420299": (114.5, 30.5)}
    )
    out = g.locate_many(
        [
            ("420101", "文化路", None),  # no door number: the middle of the road
            ("420101", "人民路", "8号"),  # road not in the network: the county seat
            ("420102", "人民路", "8号"),  # no seat given: the polygon's vertex average
            ("420299", "人民路", "8号"),  # county missing from the boundaries: its checkpoints
            ("420288", "人民路", "8号"),  # nor checkpoints: the prefecture's seat
            ("430102", "人民路", "8号"),  # outside the reference area
            (None, "文化路", "8号"),
        ]
    )
    methods = [m for *_, m in out]
    assert methods == [
        "road_midpoint",
        "county_seat",
        "county_centroid",
        "county_checkpoints",
        "prefecture_seat",
        "none",
        "none",
    ]
    assert out[1][:2] == (114.05, 30.05)
    assert out[2][:2] == pytest.approx((114.14, 30.04))  # four corners and the closing one
    assert out[3][:2] == (114.5, 30.5) and out[4][:2] == (114.9, 30.2)
    assert out[5][:2] == (None, None)


def test_without_reference_files_nothing_is_placed():
    assert Geocoder.from_files(None, None).locate_many([("420101", "文化路", "1号")]) == [(None, None, "none")]


def test_polyline_interpolation():
    line = Polyline.of([(0.0, 0.0), (0.0, 1.0), (1.0, 1.0)])
    assert line.at(0.0) == (0.0, 0.0) and line.at(1.0) == (1.0, 1.0)
    mid = line.at(0.5)
    assert mid[0] == pytest.approx(0.0, abs=0.01) and mid[1] == pytest.approx(1.0, abs=0.01)
    assert line.at(2.0) == (1.0, 1.0)
