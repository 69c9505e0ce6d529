"""Chinese names drawn from surname and given-name character frequencies, and look-/sound-alike swaps."""

from __future__ import annotations

import csv
import itertools
import random
from dataclasses import dataclass
from functools import cache
from importlib import resources


def _rows(name: str) -> list[dict[str, str]]:
    text = resources.files("policecloud.synth.data").joinpath(name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


@dataclass(frozen=True)
class NameTables:
    surnames: tuple[str, ...]
    surname_weights: tuple[float, ...]  # cumulative, for random.choices(cum_weights=...)
    given: dict[str, tuple[tuple[str, ...], tuple[float, ...]]]  # sex → (chars, cumulative weights)
    similar: dict[str, tuple[str, ...]]  # char → look-/sound-alikes

    def surname(self, rng: random.Random) -> str:
        return rng.choices(self.surnames, cum_weights=self.surname_weights)[0]

    def given_name(self, rng: random.Random, male: bool) -> str:
        chars, weights = self.given["M" if male else "F"]
        length = 1 if rng.random() < 0.28 else 2
        picked = rng.choices(chars, cum_weights=weights, k=length)
        if length == 2 and picked[0] == picked[1] and rng.random() < 0.7:
            picked[1] = rng.choices(chars, cum_weights=weights)[0]
        return "".join(picked)

    def full_name(self, rng: random.Random, male: bool, surname: str | None = None) -> str:
        return (surname or self.surname(rng)) + self.given_name(rng, male)

    def misspell(self, rng: random.Random, name: str) -> str | None:
        """The name with one character replaced by a look-/sound-alike, or None when none applies."""
        positions = [i for i, c in enumerate(name) if c in self.similar]
        if not positions:
            return None
        i = rng.choice(positions)
        return name[:i] + rng.choice(self.similar[name[i]]) + name[i + 1 :]


@cache
def name_tables() -> NameTables:
    surnames = _rows("surnames.csv")
    given: dict[str, tuple[list[str], list[float]]] = {"M": ([], []), "F": ([], [])}
    for row in _rows("given_chars.csv"):
        given[row["sex"]][0].append(row["char"])
        given[row["sex"]][1].append(float(row["weight"]))
    similar: dict[str, list[str]] = {}
    for row in _rows("similar_chars.csv"):
        similar.setdefault(row["char"], []).append(row["similar"])
    return NameTables(
        tuple(r["surname"] for r in surnames),
        tuple(itertools.accumulate(float(r["share_percent"]) for r in surnames)),
        {sex: (tuple(c), tuple(itertools.accumulate(w))) for sex, (c, w) in given.items()},
        {c: tuple(s) for c, s in similar.items()},
    )
