"""What the tiny province's truth says should be found (tests only: platform code never reads the truth)."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pyarrow.parquet as pq

from policecloud.apps.alerts import sources


def _seen(province: Path) -> tuple[dict[str, dict[str, set[str]]], set[str]]:
    """day → target ("stolen" or a fugitive's person id) → subjects (plates, ID numbers) seen that day."""
    truth = province / "truth"
    scenarios = json.loads((truth / "scenarios.json").read_text())
    plates = {r["vehicle_id"]: r["plate"] for r in pq.read_table(truth / "entities" / "vehicles.parquet").to_pylist()}
    ids = {r["person_id"]: r["id_number"] for r in pq.read_table(truth / "entities" / "persons.parquet").to_pylist()}
    stolen = scenarios["stolen_vehicle"]
    seen: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for s in stolen["sightings_after_theft"]:
        seen[s["time"][:10]]["stolen"].add(plates[stolen["vehicle"]])
    for fugitive in scenarios["fugitives"]:
        for s in fugitive["sightings"]:
            seen[s["time"][:10]][fugitive["person"]].add(plates[fugitive["vehicle"]])
    stays = {}
    for line in (province / "sources" / "hotel_stays.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        stays[row["lsh"]] = row["rzsj"][:10]
    for person, stay_ids in scenarios["fugitive_hotel_stays"].items():
        for stay in stay_ids:
            seen[stays[stay]][person].add(ids[person])
    return seen, {f["person"] for f in scenarios["fugitives"]}


def planted(province: Path) -> tuple[dict[str, set[str]], str]:
    """(target → subjects seen that day, the day): the first day after the stolen car went on the hotlist
    (some hours after the theft) on which the car and every fugitive show up."""
    seen, fugitives = _seen(province)
    start = min(e["valid_from"] for e in sources.hotlist_entries(province / "sources") if e["kind"] == "vehicle")
    day = next(
        d
        for d in sorted(seen)
        if d > start.isoformat()[:10] and seen[d]["stolen"] and all(seen[d][f] for f in fugitives)
    )
    return seen[day], day
