"""Jurisdictions (province → prefecture → county → police station) and the scope they give a user.

Codes are GB/T 2260 division codes (6 digits) for the first three levels and the county code plus three digits
for a police station (e.g. 420111 洪山区 → 420111003). Because the hierarchy is encoded in the code, "this
jurisdiction and everything below it" is a code prefix, which every engine can filter on: SQL ``LIKE 'p%'``
now, a prefix term in the search index later.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, false, or_

from policecloud.platform.access.errors import invalid
from policecloud.platform.sql import literal

_CODE = re.compile(r"\d{6}|\d{9}")
LEVELS = ("province", "prefecture", "county", "station")


@dataclass(frozen=True)
class Jurisdiction:
    code: str

    @classmethod
    def parse(cls, code: str) -> Jurisdiction:
        code = (code or "").strip()
        if not _CODE.fullmatch(code) or code[:2] == "00":
            raise invalid(
                "jurisdiction",
                f"{code!r} is not a jurisdiction code (6-digit GB/T 2260 division or 9-digit station code).",
                f"{code!r} 不是有效的辖区代码（6位GB/T 2260行政区划代码或9位派出所代码）。",
            )
        return cls(code)

    @property
    def level(self) -> str:
        if len(self.code) == 9:
            return "station"
        if self.code.endswith("0000"):
            return "province"
        if self.code.endswith("00"):
            return "prefecture"
        return "county"

    @property
    def prefix(self) -> str:
        """The code prefix shared by this jurisdiction and every jurisdiction below it."""
        return {"province": self.code[:2], "prefecture": self.code[:4]}.get(self.level, self.code)

    @property
    def parent(self) -> Jurisdiction | None:
        level = self.level
        if level == "station":
            return Jurisdiction(self.code[:6])
        if level == "county":
            return Jurisdiction(self.code[:4] + "00")
        if level == "prefecture":
            return Jurisdiction(self.code[:2] + "0000")
        return None

    def covers(self, code: str) -> bool:
        return code.startswith(self.prefix)


@dataclass(frozen=True)
class JurisdictionScope:
    """The set of jurisdictions a user may see: their own plus explicit grants, each with everything below."""

    prefixes: tuple[str, ...]

    @classmethod
    def of(cls, codes: Iterable[str]) -> JurisdictionScope:
        prefixes = sorted({Jurisdiction.parse(c).prefix for c in codes})
        # Drop prefixes already covered by a shorter one (a grant inside the home jurisdiction adds nothing).
        kept = [p for p in prefixes if not any(p != q and p.startswith(q) for q in prefixes)]
        return cls(tuple(kept))

    def covers(self, code: str | None) -> bool:
        return bool(code) and any(code.startswith(p) for p in self.prefixes)

    # The one definition (a code is inside when it starts with one of the prefixes), rendered for each engine.
    def clause(self, column: ColumnElement[Any] | Any) -> ColumnElement[bool]:
        """A WHERE clause restricting ``column`` (a jurisdiction code column) to this scope (SQLAlchemy)."""
        if not self.prefixes:
            return false()
        return or_(*(column.startswith(p, autoescape=True) for p in self.prefixes))

    def duckdb_sql(self, column: str, *, unknown_inside: bool = False) -> str:
        """The same restriction as DuckDB SQL text on ``column``; ``unknown_inside``: rows without a code are
        inside too (what a province-wide scope sees)."""
        parts = [f"starts_with({column}, {literal(p)})" for p in self.prefixes]
        if unknown_inside:
            parts.append(f"{column} IS NULL")
        return "(" + " OR ".join(parts) + ")" if parts else "false"

    def index_terms(self) -> list[str]:
        """The same restriction for the search index: terms of its ``jurisdiction`` field, which holds every
        prefix (2, 4 and 6 digits) of a document's county code."""
        return sorted(set(self.prefixes))
