"""Who drives where: each vehicle's home, workplace and driving profile for the traffic simulation."""

from __future__ import annotations

import numpy as np

from policecloud.synth.config import SynthConfig
from policecloud.synth.organizations import Organization
from policecloud.synth.population import Population
from policecloud.synth.rng import np_stream
from policecloud.synth.roads import RoadNetwork
from policecloud.synth.traffic import COMMUTER, PRIVATE, RENTAL, TRUCK, VISITOR, Fleet
from policecloud.synth.vehicles import Vehicle


def build_fleet(
    cfg: SynthConfig, net: RoadNetwork, pop: Population, orgs: list[Organization], vehicles: list[Vehicle]
) -> Fleet:
    rng = np_stream(cfg.seed, "fleet")
    county_codes = sorted(net.places)
    county_index = {c: i for i, c in enumerate(county_codes)}
    places = np.asarray([net.places[c] for c in county_codes], dtype=np.int64)
    seats = places[:, places.shape[1] // 2]
    persons = {p.person_id: p for p in pop.persons}
    org_county = {o.org_id: o.county for o in orgs}
    n = len(vehicles)
    county = np.asarray([county_index[v.county] for v in vehicles], dtype=np.int64)
    home = places[county, rng.integers(0, places.shape[1], n)]
    work = np.full(n, -1, dtype=np.int64)
    profile = np.full(n, PRIVATE, dtype=np.int64)
    work_slot = rng.integers(0, places.shape[1], n)
    for i, v in enumerate(vehicles):
        if v.owner_kind == "none":
            profile[i] = VISITOR
        elif v.owner_kind == "organization":
            profile[i] = TRUCK if v.use == "货运" else RENTAL if v.use == "租赁" else COMMUTER
            work[i] = places[county_index[org_county[v.owner_id]], work_slot[i]]
        else:
            owner = persons[v.owner_id]
            if owner.employer is not None:
                profile[i] = COMMUTER
                work[i] = places[county_index[org_county[owner.employer]], work_slot[i]]
    work = np.where(work < 0, home, work)
    return Fleet(home=home, work=work, county=county, profile=profile, places=places, seats=seats)


def add_vehicle(fleet: Fleet, home: int, county: int, work: int, profile: int) -> int:
    """Append a simulated vehicle (a scenario clone) and return its simulation index."""
    fleet.home = np.append(fleet.home, home)
    fleet.work = np.append(fleet.work, work)
    fleet.county = np.append(fleet.county, county)
    fleet.profile = np.append(fleet.profile, profile)
    return len(fleet.home) - 1
