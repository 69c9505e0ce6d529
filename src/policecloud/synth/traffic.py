"""Checkpoint passes: every vehicle's day as trips on the road network, expanded to the checkpoints met.

A vehicle's day is a chain of legs (commute out and back, tours to local places or other cities, night
runs for trucks). Each leg departs no earlier than the vehicle arrived from its previous leg, follows the
minimum-time route and is slower than the speed limits by a per-leg factor >= 1.08, so the passes of one
genuine vehicle are always feasible by road. Everything is numpy over all vehicles of one day; the per-day
random streams make the output independent of chunking. Scenario legs (convoys, stolen vehicle) are
injected through :class:`ScriptedLeg`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import numpy as np

from policecloud.synth.config import SynthConfig
from policecloud.synth.rng import np_stream
from policecloud.synth.roads import ROAD_CLASSES, RoadNetwork
from policecloud.synth.routes import RouteTable

COMMUTER, PRIVATE, TRUCK, RENTAL, VISITOR = range(5)
PROFILE_NAMES = ("commuter", "private", "truck", "rental", "visitor")
H = 3600
# per profile: tours/day on weekdays, on weekends, share of tours to another city, tour window (hours)
TOURS = {
    COMMUTER: (0.35, 1.4, 0.06, (19.0, 22.5)),
    PRIVATE: (0.9, 1.3, 0.05, (8.0, 21.0)),
    TRUCK: (1.0, 0.8, 0.85, (0.0, 24.0)),
    RENTAL: (3.0, 3.5, 0.15, (7.0, 22.0)),
    VISITOR: (1.0, 1.0, 0.35, (7.0, 21.0)),
}


@dataclass
class ScriptedLeg:
    vehicle: int  # simulation index
    origin: int
    dest: int
    depart: int  # seconds since the start of day 0
    factor: float


@dataclass
class Fleet:
    """The simulated vehicles: genuine ones first (same order as the vehicle list), then scenario clones."""

    home: np.ndarray  # node
    work: np.ndarray  # node or -1
    county: np.ndarray  # index into places
    profile: np.ndarray
    places: np.ndarray  # county index × 9 grid nodes
    seats: np.ndarray  # seat node of every county
    scripted: dict[int, list[ScriptedLeg]] = field(default_factory=dict)  # day → legs
    busy: dict[int, set[int]] = field(default_factory=dict)  # day → vehicles driven only by script
    moves: dict[int, list[tuple[int, int, int]]] = field(default_factory=dict)  # day → (veh, home, county)


@dataclass
class DayPasses:
    time: np.ndarray  # seconds since the start of day 0
    checkpoint: np.ndarray
    vehicle: np.ndarray
    direction: np.ndarray
    lane: np.ndarray
    speed: np.ndarray


class Traffic:
    def __init__(self, cfg: SynthConfig, net: RoadNetwork, fleet: Fleet) -> None:
        self.cfg, self.net, self.fleet = cfg, net, fleet
        self.routes = RouteTable(net)
        self.available = np.zeros(len(fleet.home), dtype=np.int64)  # when each vehicle is free again
        self.carry: list[DayPasses] = []
        limits = [ROAD_CLASSES[cp.road_class][0] for cp in net.checkpoints]
        self.cp_limit = np.asarray(limits, dtype=np.float64)
        self.cp_lanes = np.asarray([cp.lanes for cp in net.checkpoints], dtype=np.int64)
        self.intensity = 1.0

    # -- planning ---------------------------------------------------------------------------------------
    def _plan(self, day: int, rng: np.random.Generator, intensity: float) -> list[tuple[np.ndarray, ...]]:
        """Legs of one day as (vehicle, origin, dest, planned departure or -1, dwell before, rank, tour)."""
        f = self.fleet
        n = len(f.home)
        base = day * 24 * H
        weekday = (self.cfg.start + timedelta(days=day)).weekday() < 5
        free = np.ones(n, dtype=bool)
        if day in f.busy:
            free[list(f.busy[day])] = False
        legs = []
        commute = (f.profile == COMMUTER) & free & (rng.random(n) < (0.9 if weekday else 0.0))
        vc = np.flatnonzero(commute)
        out = base + np.clip(rng.normal(8.0 * H, 0.6 * H, len(vc)), 6 * H, 10.5 * H).astype(np.int64)
        back = base + np.clip(rng.normal(18.0 * H, 1.0 * H, len(vc)), 16 * H, 21 * H).astype(np.int64)
        zeros = np.zeros(len(vc), dtype=np.int64)
        legs.append((vc, f.home[vc], f.work[vc], out, zeros, zeros, zeros))
        legs.append((vc, f.work[vc], f.home[vc], back, zeros + 600, zeros + 1, zeros))
        # Tours: out to a local place or another city and back home, sorted in time per vehicle.
        lam = np.zeros(n)
        for profile, (wd, we, _, _) in TOURS.items():
            lam[f.profile == profile] = (wd if weekday else we) * intensity
        counts = np.minimum(rng.poisson(lam), 8) * free
        tv = np.repeat(np.arange(n), counts)
        prof = f.profile[tv]
        lo = np.asarray([TOURS[p][3][0] for p in range(5)])[prof]
        hi = np.asarray([TOURS[p][3][1] for p in range(5)])[prof]
        evening = weekday & (prof == COMMUTER)
        lo = np.where((prof == COMMUTER) & ~evening, 9.0, lo)
        start = base + ((lo + rng.random(len(tv)) * (hi - lo)) * H).astype(np.int64)
        order = np.lexsort((start, tv))
        tv, start, prof = tv[order], start[order], prof[order]
        first = np.searchsorted(tv, tv, side="left")
        rank = 2 * (np.arange(len(tv)) - first) + 2 * commute[tv]
        intercity = rng.random(len(tv)) < np.asarray([TOURS[p][2] for p in range(5)])[prof]
        local_dest = f.places[f.county[tv], rng.integers(0, f.places.shape[1], len(tv))]
        far_dest = f.seats[rng.integers(0, len(f.seats), len(tv))]
        dest = np.where(intercity, far_dest, local_dest)
        dest = np.where(dest == f.home[tv], f.seats[f.county[tv]], dest)
        short = np.where(prof == RENTAL, rng.integers(300, 2400, len(tv)), rng.integers(1200, 9000, len(tv)))
        dwell = np.where(intercity, rng.integers(1 * H, 5 * H, len(tv)), short)
        tour = np.arange(1, len(tv) + 1)
        legs.append((tv, f.home[tv], dest, start, np.full(len(tv), 300), rank, tour))
        legs.append((tv, dest, f.home[tv], np.full(len(tv), -1), dwell, rank + 1, tour))
        return legs

    def _resolve(self, legs: list[tuple[np.ndarray, ...]], rng: np.random.Generator) -> tuple[np.ndarray, ...]:
        """Departure times respecting each vehicle's previous arrival; returns per-leg arrays."""
        veh, origin, dest, planned, dwell, rank, _ = (np.concatenate(x) for x in zip(*legs, strict=True))
        keep = origin != dest
        veh, origin, dest, planned, dwell, rank = (a[keep] for a in (veh, origin, dest, planned, dwell, rank))
        rid = self.routes.ids(origin, dest)
        _, _, total, *_ = self.routes.arrays()
        factor = rng.uniform(1.08, 1.5, len(veh))
        depart = np.zeros(len(veh), dtype=np.int64)
        for r in range(int(rank.max()) + 1 if len(rank) else 0):
            sel = np.flatnonzero(rank == r)
            # Legs dropped above (origin == dest) leave gaps in ranks; a vehicle has one leg per rank.
            v = veh[sel]
            ready = self.available[v] + dwell[sel]
            dep = np.where(planned[sel] >= 0, np.maximum(planned[sel], ready), ready)
            depart[sel] = dep
            self.available[v] = dep + (total[rid[sel]] * 60 * factor[sel]).astype(np.int64)
        return veh, rid, depart, factor

    def _expand(self, veh, rid, depart, factor, rng: np.random.Generator) -> DayPasses:
        start, length, _, cp, offset, direction = self.routes.arrays()
        counts = length[rid]
        leg = np.repeat(np.arange(len(rid)), counts)
        pos = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        idx = start[rid][leg] + pos
        cps = cp[idx]
        times = depart[leg] + np.ceil(offset[idx] * 60 * factor[leg]).astype(np.int64)
        speed = self.cp_limit[cps] / factor[leg] * rng.uniform(0.85, 1.2, len(cps))
        lane = 1 + (rng.random(len(cps)) * self.cp_lanes[cps]).astype(np.int64)
        return DayPasses(
            times,
            cps,
            veh[leg].astype(np.int32),
            direction[idx],
            lane.astype(np.int8),
            np.round(speed).astype(np.int16),
        )

    def _scripted(self, day: int) -> tuple[np.ndarray, ...] | None:
        """Scenario legs, in order; each waits until its vehicle is free (as normal legs do)."""
        legs = self.fleet.scripted.get(day)
        if not legs:
            return None
        rids = self.routes.ids(np.asarray([leg.origin for leg in legs]), np.asarray([leg.dest for leg in legs]))
        total = self.routes.arrays()[2]
        depart = []
        for leg, r in zip(legs, rids.tolist(), strict=True):
            dep = max(leg.depart, int(self.available[leg.vehicle]) + 60)
            self.available[leg.vehicle] = dep + int(total[r] * 60 * leg.factor)
            depart.append(dep)
        return (
            np.asarray([leg.vehicle for leg in legs], dtype=np.int64),
            rids,
            np.asarray(depart, dtype=np.int64),
            np.asarray([leg.factor for leg in legs]),
        )

    # -- public -----------------------------------------------------------------------------------------
    def calibrate(self, target_per_day: float) -> float:
        """Choose the tour intensity so that an average day (5 weekdays, 2 weekend days, without the
        scenario legs) yields about ``target_per_day`` passes."""
        saved = self.available.copy()
        weekday = next(d for d in range(7) if (self.cfg.start + timedelta(days=d)).weekday() < 5)
        weekend = next(d for d in range(7) if (self.cfg.start + timedelta(days=d)).weekday() >= 5)
        fixed = with_tours = 0.0
        for day, weight in ((weekday, 5 / 7), (weekend, 2 / 7)):
            for intensity in (0.0, 1.0):
                self.available[:] = 0
                rng = np_stream(self.cfg.seed, f"traffic-calibration-{day}")
                _, rid, _, _ = self._resolve(self._plan(day, rng, intensity), rng)
                passes = weight * int(self.routes.arrays()[1][rid].sum())
                if intensity:
                    with_tours += passes
                else:
                    fixed += passes
        self.available = saved
        per_unit = max(with_tours - fixed, 1.0)
        self.intensity = float(np.clip((target_per_day - fixed) / per_unit, 0.2, 4.0))
        return self.intensity

    def day(self, day: int) -> DayPasses:
        """All passes whose time falls on ``day`` (legs crossing midnight spill into the next day)."""
        rng = np_stream(self.cfg.seed, f"traffic-day-{day}")
        for veh, home, county in self.fleet.moves.get(day, []):
            self.fleet.home[veh], self.fleet.county[veh] = home, county
        parts = []
        scripted = self._scripted(day)
        if scripted is not None:
            parts.append(self._expand(*scripted, rng))
        parts.append(self._expand(*self._resolve(self._plan(day, rng, self.intensity), rng), rng))
        parts.extend(self.carry)
        merged = DayPasses(*(np.concatenate([getattr(p, k) for p in parts]) for k in DayPasses.__annotations__))
        end = (day + 1) * 24 * H
        later = merged.time >= end
        self.carry = [DayPasses(*(getattr(merged, k)[later] for k in DayPasses.__annotations__))]
        today = ~later
        order = np.lexsort((merged.vehicle[today], merged.checkpoint[today], merged.time[today]))
        return DayPasses(*(getattr(merged, k)[today][order] for k in DayPasses.__annotations__))
