"""Injected-error rates match the configuration.

Tolerance: 4 binomial standard deviations plus 0.002 absolute. Kinds that cannot always apply (a name with
no look-alike character, an already empty field) are only bounded above and must reach half the rate.
"""

from __future__ import annotations

import json
import math
from collections import Counter

import pyarrow.parquet as pq
import pytest

from policecloud.synth.config import MessRates

EXACT = {"wrong_check_digit", "stray_spaces", "duplicate_in_source", "date_format"}
AT_MOST = {"similar_char_name", "missing_field", "swapped_fields"}


def _tolerance(rate: float, n: int) -> float:
    return 4 * math.sqrt(rate * (1 - rate) / n) + 0.002


def test_record_error_rates(tiny):
    out, _ = tiny
    opportunities = json.loads((out / "truth" / "error_opportunities.json").read_text(encoding="utf-8"))
    errors = pq.read_table(out / "truth" / "errors.parquet").to_pydict()
    observed = Counter(zip(errors["source"], errors["kind"], strict=True))
    rates = MessRates().as_dict()
    checked = 0
    for source, kinds in opportunities.items():
        for kind, n in kinds.items():
            if n < 500:
                continue
            rate, share = rates[kind], observed[source, kind] / n
            tol = _tolerance(rate, n)
            if kind in EXACT:
                assert abs(share - rate) <= tol, (source, kind, share, rate)
            else:
                assert rate / 2 - tol <= share <= rate + tol, (source, kind, share, rate)
            checked += 1
    assert checked >= 10


def test_every_logged_error_is_visible_in_its_value(tiny):
    out, _ = tiny
    errors = pq.read_table(out / "truth" / "errors.parquet").to_pylist()
    assert errors
    for e in errors:
        if e["kind"] != "duplicate_in_source":
            assert e["clean"] != e["dirty"], e
        if e["kind"] == "fullwidth_digits":
            assert any("０" <= c <= "９" for c in e["dirty"])


@pytest.mark.parametrize("kind", ["plate_unread", "plate_misread"])
def test_checkpoint_plate_error_rates(tiny, kind):
    out, manifest = tiny
    total = manifest["counts"]["passes"]
    share = manifest["counts"]["pass_errors"][kind] / total
    rate = MessRates().as_dict()[kind]
    tol = _tolerance(rate, total)
    if kind == "plate_unread":
        assert abs(share - rate) <= tol
    else:  # a plate without a confusable character cannot be misread
        assert rate / 2 - tol <= share <= rate + tol
    truth = pq.read_table(out / "truth" / "passes").to_pydict()
    assert sum(1 for e in truth["error"] if e == kind) == manifest["counts"]["pass_errors"][kind]
