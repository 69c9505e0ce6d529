"""Address parser accuracy and speed on the golden set, with cpca alone as the baseline in the same run.

    .venv/bin/python bench/address_accuracy.py [--golden tests/golden/addresses.yaml] [--repeat 20]

Accuracy (see :mod:`policecloud.data.model.address.golden`): per element, over the elements that matter in each
case — an element counts when the golden set expects a value (right only if the parser gives exactly that
value) or when the parser fills an element the golden set expects empty (wrong). Elements both leave empty are
not counted. "overall" sums over all elements of all cases.

cpca reads only the upper three levels, so its columns cover province / city / county and their codes; its
output is mapped onto our conventions first, so that it is judged on what it reads, not on naming choices:
"省直辖县级行政区划" → the county-level unit itself (仙桃 …), "市辖区"/"县" of a municipality → the municipality,
and the adcode gives the codes (its names are kept as they are: its data predates 监利市 and 京山市).

Speed: addresses/s over the golden set repeated ``--repeat`` times —
* ours, one ``parse`` call per address with the cache off (every address parsed from scratch);
* ours, ``parse_many`` over the whole batch with the cache on (police data repeats addresses; here every
  address repeats ``--repeat`` times, so this mostly measures the cache);
* cpca, one ``cpca.transform`` call over the whole batch.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import cpca

from policecloud.data.model.address import AddressParser
from policecloud.data.model.address.golden import SCORED, Score, load_golden, score
from policecloud.data.model.divisions import load_divisions

ROOT = Path(__file__).resolve().parent.parent
UPPER = ("province", "city", "county", "province_code", "city_code", "county_code")
MUNICIPALITIES = ("11", "12", "31", "50")


def cpca_elements(frame) -> list[dict[str, str | None]]:
    """cpca's rows as our elements (upper levels only), mapped onto our conventions."""
    rows = []
    for province, city, county, _rest, adcode in frame.itertuples(index=False):
        province, city, county = (v if isinstance(v, str) else None for v in (province, city, county))
        code = adcode if isinstance(adcode, str) else None
        city_code = code[:4] + "00" if code and code[2:] != "0000" else None
        if city in ("省直辖县级行政区划", "自治区直辖县级行政区划"):
            city, city_code = county, code
        elif code and code[:2] in MUNICIPALITIES:
            city = province
        rows.append(
            {
                "province": province,
                "city": city,
                "county": county,
                "province_code": code[:2] + "0000" if code else None,
                "city_code": city_code,
                "county_code": code if code and code[4:] != "00" else None,
            }
        )
    return rows


def rate(count: int, seconds: float) -> str:
    return f"{count / seconds:,.0f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--golden", type=Path, default=ROOT / "tests" / "golden" / "addresses.yaml")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--show-errors", action="store_true", help="list every case the parser got wrong")
    args = parser.parse_args()

    divisions = load_divisions()
    cases = load_golden(args.golden, divisions)
    texts = [c.text for c in cases]
    ours = AddressParser(divisions)
    ours_score = score(cases, ours.parse_many(texts))
    baseline = Score()
    for case, got in zip(cases, cpca_elements(cpca.transform(texts)), strict=True):
        baseline.add(case, got, UPPER)

    print(f"golden set: {len(cases)} addresses ({args.golden.relative_to(ROOT)})\n")
    print(f"{'element':<14}{'counted':>8}{'ours':>9}{'cpca':>9}")
    for name in SCORED:
        cp = f"{baseline.accuracy(name):.3f}" if name in UPPER else "-"
        print(f"{name:<14}{ours_score.counted[name]:>8}{ours_score.accuracy(name):>9.3f}{cp:>9}")
    upper_ours = sum(ours_score.right[n] for n in UPPER) / sum(ours_score.counted[n] for n in UPPER)
    print(f"{'upper levels':<14}{sum(ours_score.counted[n] for n in UPPER):>8}{upper_ours:>9.3f}"
          f"{baseline.accuracy():>9.3f}")  # fmt: skip
    print(f"{'overall':<14}{sum(ours_score.counted.values()):>8}{ours_score.accuracy():>9.3f}{'-':>9}")
    print(f"cases with a wrong element: ours {len(ours_score.wrong_cases)}, "
          f"cpca (upper levels) {len(baseline.wrong_cases)}\n")  # fmt: skip

    batch = texts * args.repeat
    uncached = AddressParser(divisions, cache_size=0)
    start = time.perf_counter()
    for text in batch:
        uncached.parse(text)
    ours_single = time.perf_counter() - start
    cached = AddressParser(divisions)
    start = time.perf_counter()
    cached.parse_many(batch)
    ours_batch = time.perf_counter() - start
    start = time.perf_counter()
    cpca.transform(batch)
    cpca_batch = time.perf_counter() - start
    print(f"speed over {len(batch)} addresses (addresses/s):")
    print(f"  ours, parse() each, no cache      {rate(len(batch), ours_single):>10}")
    print(f"  ours, parse_many(), cache on      {rate(len(batch), ours_batch):>10}")
    print(f"  cpca.transform(), upper levels    {rate(len(batch), cpca_batch):>10}")

    if args.show_errors:
        print("\nwrong elements (expected, got):")
        for text, wrong in ours_score.wrong_cases:
            print(f"  {text}: {wrong}")


if __name__ == "__main__":
    main()
