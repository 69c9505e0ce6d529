from __future__ import annotations

import hashlib

from policecloud.synth.config import SynthConfig
from policecloud.synth.generate import generate


def _digests(root):
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_same_seed_gives_same_bytes(tiny, tmp_path):
    out, _ = tiny
    again = tmp_path / "again"
    generate(SynthConfig.for_scale("tiny", seed=7), again)
    first, second = _digests(out), _digests(again)
    assert first.keys() == second.keys()
    differing = [name for name in first if first[name] != second[name]]
    assert differing == []


def test_other_seed_gives_other_people_on_the_same_roads():
    from policecloud.synth.geography import load_geography
    from policecloud.synth.population import generate_population
    from policecloud.synth.roads import build_network

    geo = load_geography()
    net_a, net_b = build_network(geo), build_network(geo)
    assert [cp.code for cp in net_a.checkpoints] == [cp.code for cp in net_b.checkpoints]
    people = [generate_population(SynthConfig.for_scale("tiny", seed=s), geo, net_a)[0].persons for s in (7, 8)]
    assert [p.id_number for p in people[0]] != [p.id_number for p in people[1]]
