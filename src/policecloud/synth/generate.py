"""The pipeline: geography → people → organizations → vehicles → activity → sources + truth.

Every step takes the config and what earlier steps produced; random choices come from per-component
streams (see ``rng.py``), so the same seed always gives byte-identical files.
"""

from __future__ import annotations

import json
import shutil
import time
from contextlib import nullcontext
from pathlib import Path

from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from policecloud.synth import activity, scenarios
from policecloud.synth.config import SynthConfig
from policecloud.synth.fleet import build_fleet
from policecloud.synth.geography import load_geography
from policecloud.synth.organizations import generate_organizations
from policecloud.synth.population import generate_population
from policecloud.synth.registries import operator_cells, police_stations, write_registries
from policecloud.synth.roads import build_network
from policecloud.synth.sources_people import (
    write_exchange_file,
    write_floating_population,
    write_population_registry,
)
from policecloud.synth.sources_places import write_house_registry, write_organization_registry
from policecloud.synth.sources_traffic import PassWriter
from policecloud.synth.sources_vehicles import write_vehicle_db, write_violations
from policecloud.synth.traffic import Traffic
from policecloud.synth.truth import Truth, write_json, write_table
from policecloud.synth.vehicles import generate_vehicles, generate_violations

MANIFEST_VERSION = 1


def generate(cfg: SynthConfig, out: Path, progress: bool = False) -> dict:
    """Generate the province into ``out`` (replaced if it exists); returns the manifest."""
    started = time.perf_counter()
    _clear(out)
    sources, reference, truth_dir = out / "sources", out / "reference", out / "truth"
    truth = Truth()
    bar = (
        Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(),
            transient=False,
        )
        if progress
        else None
    )
    with bar or nullcontext():
        steps = bar.add_task("合成省份 / province", total=7 + cfg.scale.days) if bar else None

        def step(label: str) -> None:
            if bar:
                bar.update(steps, advance=1, description=label)

        geo = load_geography()
        net = build_network(geo)
        stations, cells = police_stations(geo, net), operator_cells(geo, net)
        write_registries(geo, net, stations, cells, sources, reference)
        step("道路与卡口 / roads and checkpoints")
        pop, book = generate_population(cfg, geo, net)
        orgs = generate_organizations(cfg, geo, pop, book)
        vehicles = generate_vehicles(cfg, geo, pop, orgs)
        step("人口、单位、车辆 / people, organizations, vehicles")
        plan = scenarios.plant(cfg, geo, net, pop, orgs, vehicles)
        fleet = build_fleet(cfg, net, pop, orgs, vehicles)
        plan.apply_to_fleet(fleet)
        addresses = {a.address_id: a for a in book.addresses}
        employers = {o.org_id: o.name for o in orgs}
        persons = {p.person_id: p for p in pop.persons}
        write_population_registry(cfg, pop, addresses, employers, sources / "population_registry.csv", truth)
        write_floating_population(cfg, pop, addresses, employers, sources / "floating_population.jsonl", truth)
        write_exchange_file(cfg, pop, addresses, sources / "exchange_hunan_gbk.csv", truth)
        write_organization_registry(cfg, orgs, persons, addresses, sources / "organization_registry.csv", truth)
        write_house_registry(cfg, pop, sources / "house_registry.csv", truth)
        step("人口来源 / person sources")
        write_vehicle_db(
            cfg, vehicles, persons, {o.org_id: o for o in orgs}, sources / "traffic_vehicles.sqlite", truth
        )
        cps_by_county: dict[str, list[int]] = {}
        for cp in net.checkpoints:
            cps_by_county.setdefault(cp.county, []).append(cp.index)
        violations = generate_violations(cfg, vehicles, cps_by_county, len(net.checkpoints))
        write_violations(
            cfg, violations, {v.vehicle_id: v for v in vehicles}, net, sources / "traffic_violations.csv", truth
        )
        step("车辆来源 / vehicle sources")
        traffic = Traffic(cfg, net, fleet)
        traffic.calibrate(cfg.scale.passes / cfg.scale.days)
        writer = PassWriter(cfg, net, vehicles + plan.clones, sources / "checkpoint_passes", truth_dir / "passes")
        for day in range(cfg.scale.days):
            passes = traffic.day(day)
            plan.observe(day, passes, net)
            writer.write(day, passes)
            step(f"过车记录 / passes day {day + 1}")
        activity.write_all(cfg, geo, net, pop, orgs, vehicles, stations, cells, plan, addresses, sources, truth)
        step("活动来源 / activity sources")
        plan.finish(cfg, net, truth)
        _write_entities(truth_dir, pop, orgs, vehicles, book.addresses)
        truth.write(truth_dir)
        step("真值 / truth")
        manifest = {
            "version": MANIFEST_VERSION,
            "scale": cfg.scale.name,
            "seed": cfg.seed,
            "start": cfg.start.isoformat(),
            "days": cfg.scale.days,
            "mess_rates": cfg.mess.as_dict(),
            "counts": {
                "persons": len(pop.persons),
                "households": len(pop.households),
                "addresses": len(book.addresses),
                "organizations": len(orgs),
                "vehicles": len(vehicles),
                "checkpoints": len(net.checkpoints),
                "passes": sum(writer.counts.values()),
                "passes_per_day": writer.counts,
                "pass_errors": writer.error_counts,
                "traffic_intensity": round(traffic.intensity, 4),
            },
            "files": sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()),
        }
        write_json(truth_dir / "manifest.json", manifest)
        step("完成 / done")
    manifest["seconds"] = round(time.perf_counter() - started, 2)
    return manifest


def _clear(out: Path) -> None:
    """Remove a previous province at ``out``; refuse to delete a directory that is not one."""
    if not out.exists():
        return
    if not out.is_dir() or (any(out.iterdir()) and not (out / "truth").is_dir() and not (out / "sources").is_dir()):
        raise FileExistsError(f"{out} exists and is not a generated province; choose another --out")
    shutil.rmtree(out)


def _write_entities(truth_dir: Path, pop, orgs, vehicles, addresses) -> None:
    d = truth_dir / "entities"
    write_table(d / "persons.parquet", PERSON_COLUMNS, _columns(pop.persons, PERSON_COLUMNS))
    phones = [
        (p.person_id, ph.number, ph.kind, ph.operator, ph.since.isoformat(), ph.until.isoformat() if ph.until else None)
        for p in pop.persons
        for ph in p.phones
    ]
    write_table(d / "phones.parquet", ("person_id", "number", "kind", "operator", "since", "until"), phones)
    write_table(d / "organizations.parquet", ORG_COLUMNS, _columns(orgs, ORG_COLUMNS))
    write_table(d / "vehicles.parquet", VEHICLE_COLUMNS, _columns(vehicles, VEHICLE_COLUMNS))
    write_table(d / "addresses.parquet", ADDRESS_COLUMNS, _columns(addresses, ADDRESS_COLUMNS))


def _columns(items: list, names: tuple[str, ...]) -> dict[str, list]:
    return {n: [_plain(getattr(i, n)) for i in items] for n in names}


def _plain(value: object) -> object:
    return value.isoformat() if hasattr(value, "isoformat") else value


PERSON_COLUMNS = (
    "person_id",
    "id_number",
    "name",
    "male",
    "birth",
    "household_id",
    "relation",
    "address_id",
    "registered_division",
    "registered_address",
    "origin",
    "employer",
    "occupation",
)
ORG_COLUMNS = (
    "org_id",
    "uscc",
    "name",
    "kind",
    "industry",
    "address_id",
    "county",
    "legal_rep",
    "phone",
    "established",
)
VEHICLE_COLUMNS = (
    "vehicle_id",
    "plate",
    "plate_kind",
    "brand",
    "colour",
    "vin",
    "owner_kind",
    "owner_id",
    "county",
    "registered",
    "inspection_until",
    "use",
    "status",
)
ADDRESS_COLUMNS = (
    "address_id",
    "county",
    "township",
    "community",
    "road",
    "number",
    "building",
    "unit",
    "floor",
    "room",
    "lon",
    "lat",
    "text",
)


def is_complete(out: Path, scale: str, seed: int) -> bool:
    """True when ``out`` holds a complete province of this scale and seed (the manifest is written last)."""
    manifest = out / "truth" / "manifest.json"
    if not manifest.is_file():
        return False
    data = json.loads(manifest.read_text(encoding="utf-8"))
    return data.get("scale") == scale and data.get("seed") == seed
