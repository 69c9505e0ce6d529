"""Planted scenarios and their oracles: cloned plates, a convoy, a stolen vehicle on the hotlist,
fugitives, a pseudo base station (see ``activity.py``) and duplicate persons.

:func:`plant` chooses the actors; :meth:`Plan.apply_to_fleet` scripts their driving; :meth:`Plan.observe`
watches each simulated day; :meth:`Plan.finish` writes what really happened into the truth.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

import numpy as np

from policecloud.synth.config import SynthConfig
from policecloud.synth.fleet import add_vehicle
from policecloud.synth.geography import Geography
from policecloud.synth.organizations import Organization
from policecloud.synth.population import Population
from policecloud.synth.rng import stream
from policecloud.synth.roads import RoadNetwork
from policecloud.synth.traffic import COMMUTER, PRIVATE, Fleet, ScriptedLeg
from policecloud.synth.truth import Truth
from policecloud.synth.vehicles import Vehicle

H = 3600
FAR_PREFECTURES = ("422800", "420300", "429021", "420500")  # Enshi, Shiyan, Shennongjia, Yichang


@dataclass
class Plan:
    clones: list[Vehicle] = field(default_factory=list)
    clone_of: dict[int, int] = field(default_factory=dict)  # clone sim index → original vehicle index
    convoy: list[int] = field(default_factory=list)  # vehicle indexes
    convoy_days: list[int] = field(default_factory=list)
    stolen: int = -1
    theft_day: int = 0
    thief_county: str = ""
    fugitives: list[str] = field(default_factory=list)  # person ids
    fugitive_vehicles: dict[str, int] = field(default_factory=dict)
    pseudo_station: dict = field(default_factory=dict)
    sightings: dict[int, list[tuple[int, int, int]]] = field(default_factory=dict)  # sim veh → (t, cp, day)
    n_genuine: int = 0
    vehicle_ids: list[str] = field(default_factory=list)
    _watch: np.ndarray | None = None
    _seed: int = 0
    _clone_county: dict[int, int] = field(default_factory=dict)
    _thief_county_index: int = 0

    def apply_to_fleet(self, fleet: Fleet) -> None:
        for clone_sim, original in list(self.clone_of.items()):
            fleet.profile[original] = COMMUTER
            if fleet.work[original] == fleet.home[original]:
                fleet.work[original] = fleet.places[fleet.county[original], 0]
            county = self._clone_county[clone_sim]
            idx = add_vehicle(fleet, fleet.places[county, 1], county, fleet.places[county, 7], COMMUTER)
            assert idx == clone_sim
        rng = stream(self._seed, "scenario-drive")
        if self.convoy:
            leader = self.convoy[0]
            meet = int(fleet.seats[fleet.county[leader]])
            far = int(fleet.seats[(fleet.county[leader] + 37) % len(fleet.seats)])
            for day in self.convoy_days:
                base = day * 24 * H
                legs = fleet.scripted.setdefault(day, [])
                for k, v in enumerate(self.convoy):
                    fleet.profile[v] = PRIVATE
                    fleet.busy.setdefault(day, set()).add(v)
                    home = int(fleet.home[v])
                    legs.append(ScriptedLeg(v, home, meet, base + 7 * H + rng.randrange(1800), 1.2))
                    legs.append(ScriptedLeg(v, meet, far, base + 9 * H + k * 25, 1.15))
                    legs.append(ScriptedLeg(v, far, meet, base + 15 * H + k * 25, 1.15))
                    legs.append(ScriptedLeg(v, meet, home, base + 21 * H + rng.randrange(1800), 1.2))
        if self.stolen >= 0:
            v = self.stolen
            county = self._thief_county_index
            thief_home = int(fleet.places[county, 3])
            base = self.theft_day * 24 * H
            fleet.scripted.setdefault(self.theft_day, []).append(
                ScriptedLeg(v, int(fleet.home[v]), thief_home, base + int(3.5 * H), 1.1)
            )
            fleet.busy.setdefault(self.theft_day, set()).add(v)
            fleet.moves.setdefault(self.theft_day, []).append((v, thief_home, county))
            fleet.profile[v] = PRIVATE
        watch = set(self.clone_of) | set(self.clone_of.values()) | set(self.convoy) | {self.stolen}
        watch |= set(self.fugitive_vehicles.values())
        self._watch = np.asarray(sorted(w for w in watch if w >= 0), dtype=np.int64)

    def observe(self, day: int, passes, net: RoadNetwork) -> None:
        hit = np.isin(passes.vehicle, self._watch)
        for t, cp, v in zip(
            passes.time[hit].tolist(), passes.checkpoint[hit].tolist(), passes.vehicle[hit].tolist(), strict=True
        ):
            self.sightings.setdefault(v, []).append((t, cp, day))

    def finish(self, cfg: SynthConfig, net: RoadNetwork, truth: Truth) -> None:
        travel = None
        code = [cp.code for cp in net.checkpoints]
        start = cfg.start

        def stamp(t: int) -> str:
            return _ts(start, t)

        def sightings(v: int) -> list[dict]:
            return [{"checkpoint": code[cp], "time": stamp(t)} for t, cp, _ in self.sightings.get(v, [])]

        cloned = []
        for clone_sim, original in self.clone_of.items():
            if travel is None:
                travel = np.asarray(net.checkpoint_travel_minutes()) * 60
            a = self.sightings.get(original, [])
            b = self.sightings.get(clone_sim, [])
            pairs = []
            bt = np.asarray([x[0] for x in b]) if b else np.zeros(0)
            for t1, cp1, _ in a:
                if not len(bt):
                    break
                j = int(np.argmin(np.abs(bt - t1)))
                t2, cp2, _ = b[j]
                if abs(t2 - t1) < travel[cp1, cp2]:
                    pairs.append(
                        {
                            "original": {"checkpoint": code[cp1], "time": stamp(t1)},
                            "clone": {"checkpoint": code[cp2], "time": stamp(t2)},
                            "gap_s": abs(t2 - t1),
                            "min_travel_s": round(float(travel[cp1, cp2])),
                        }
                    )
            pairs.sort(key=lambda p: p["gap_s"])
            cloned.append(
                {
                    "plate": self.clones[clone_sim - self.n_genuine].plate,
                    "original_vehicle": self.vehicle_ids[original],
                    "clone_vehicle": self.clones[clone_sim - self.n_genuine].vehicle_id,
                    "infeasible_pairs": pairs[:20],
                    "infeasible_pair_count": len(pairs),
                }
            )
        truth.scenarios["cloned_plates"] = cloned
        truth.scenarios["convoy"] = {
            "vehicles": [self.vehicle_ids[v] for v in self.convoy],
            "days": [(start + timedelta(days=d)).isoformat() for d in self.convoy_days],
            "co_occurrences": _co_occurrences(self, code, start),
        }
        if self.stolen >= 0:
            theft = self.theft_day * 24 * H + int(3.5 * H)
            truth.scenarios["stolen_vehicle"] = {
                "vehicle": self.vehicle_ids[self.stolen],
                "stolen_at": stamp(theft),
                "taken_to_county": self.thief_county,
                "sightings_after_theft": [
                    s
                    for s, (t, _, _) in zip(sightings(self.stolen), self.sightings.get(self.stolen, []), strict=True)
                    if t >= theft
                ],
            }
        truth.scenarios["fugitives"] = [
            {
                "person": p,
                "vehicle": self.vehicle_ids[v] if v >= 0 else None,
                "sightings": sightings(v)[:50],
                "sighting_count": len(self.sightings.get(v, [])),
            }
            for p, v in self.fugitive_vehicles.items()
        ]
        truth.scenarios["pseudo_base_station"] = self.pseudo_station
        dup: dict[str, list[str]] = {}
        for source, rid, kind, entity in truth.record_entities:
            if source == "population_registry" and kind == "person":
                dup.setdefault(entity, []).append(rid)
        truth.scenarios["duplicate_persons"] = {p: r for p, r in sorted(dup.items()) if len(r) > 1}


def _ts(start: date, t: int) -> str:
    return (datetime.combine(start, datetime.min.time()) + timedelta(seconds=int(t))).isoformat(sep=" ")


def _co_occurrences(plan: Plan, code: list[str], start) -> list[dict]:
    """Checkpoints where all convoy members passed within 60 seconds of the leader."""
    if not plan.convoy:
        return []
    leader, *others = plan.convoy
    out = []
    for t, cp, _ in plan.sightings.get(leader, []):
        times = []
        for v in others:
            near = [t2 for t2, cp2, _ in plan.sightings.get(v, []) if cp2 == cp and abs(t2 - t) <= 60]
            if not near:
                break
            times.append(min(near, key=lambda x: abs(x - t)))
        else:
            out.append({"checkpoint": code[cp], "times": [_ts(start, x) for x in [t, *times]]})
    return out


def plant(
    cfg: SynthConfig,
    geo: Geography,
    net: RoadNetwork,
    pop: Population,
    orgs: list[Organization],
    vehicles: list[Vehicle],
) -> Plan:
    rng = stream(cfg.seed, "scenarios")
    plan = Plan(n_genuine=len(vehicles), vehicle_ids=[v.vehicle_id for v in vehicles])
    plan._seed = cfg.seed
    county_codes = sorted(net.places)
    person_cars = [i for i, v in enumerate(vehicles) if v.owner_kind == "person"]
    wuhan = [i for i in person_cars if vehicles[i].county.startswith("4201")] or person_cars
    n_clones = {"tiny": 1, "small": 3}.get(cfg.scale.name, 8)
    originals = rng.sample(wuhan, min(n_clones, len(wuhan)))
    plan._clone_county = {}
    for k, original in enumerate(originals):
        far = [c for c in county_codes if c[:4] + "00" in FAR_PREFECTURES or c == "429021"]
        county = rng.choice(far)
        clone = replace(
            vehicles[original],
            vehicle_id=f"X{k + 1:08d}",
            county=county,
            owner_kind="none",
            owner_id="",
            vin="",
            colour=rng.choice([c for c in ("黑", "白", "银") if c != vehicles[original].colour]),
            status="cloned",
        )
        sim = len(vehicles) + k
        plan.clones.append(clone)
        plan.clone_of[sim] = original
        plan._clone_county[sim] = county_codes.index(county)
    used = set(originals)
    locals_ = [i for i in person_cars if i not in used and vehicles[i].county == vehicles[person_cars[0]].county]
    if len(locals_) < 3:
        locals_ = [i for i in person_cars if i not in used]
    plan.convoy = rng.sample(locals_, 3)
    plan.convoy_days = sorted(rng.sample(range(cfg.scale.days), min(3, cfg.scale.days)))
    used |= set(plan.convoy)
    rest = [i for i in person_cars if i not in used]
    plan.stolen = rng.choice(rest)
    used.add(plan.stolen)
    plan.theft_day = min(2, cfg.scale.days - 1)
    far = [c for c in county_codes if c[:4] != vehicles[plan.stolen].county[:4]]
    plan.thief_county = rng.choice(far)
    plan._thief_county_index = county_codes.index(plan.thief_county)
    vehicles[plan.stolen].status = "G"
    for i in rng.sample([i for i in person_cars if i not in used], {"tiny": 2, "small": 4}.get(cfg.scale.name, 10)):
        plan.fugitives.append(vehicles[i].owner_id)
        plan.fugitive_vehicles[vehicles[i].owner_id] = i
    wuhan_nodes = [n for c in ("420103", "420106", "420111") for n in net.places.get(c, [])]
    day = min(1, cfg.scale.days - 1)
    plan.pseudo_station = {
        "cell_id": 65_535_000 + rng.randrange(1000),
        "lac": 65534,
        "operator": "46000",
        "day": (cfg.start + timedelta(days=day)).isoformat(),
        "start_s": day * 24 * H + 10 * H,
        "end_s": day * 24 * H + 12 * H,
        "path": _walk(net, rng.sample(wuhan_nodes, 6)),
        "records": [],
    }
    return plan


def _walk(net: RoadNetwork, nodes: list[int]) -> list[list[float]]:
    """The nodes as a drive: start at the first, always go on to the nearest not yet visited."""
    path, rest = [nodes[0]], nodes[1:]
    while rest:
        last = path[-1]
        nxt = min(rest, key=lambda n: (net.lon[n] - net.lon[last]) ** 2 + (net.lat[n] - net.lat[last]) ** 2)
        path.append(nxt)
        rest.remove(nxt)
    return [[round(net.lon[n], 6), round(net.lat[n], 6)] for n in path]
