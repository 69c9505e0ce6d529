"""The element type contract: one class per kind of value, owning its validation and normalization.

Every element type answers twice, and both answers must agree (a test checks it on generated data):

* per value, in Python: ``check(raw) -> Checked`` — the normalized value, or a reason code;
* per column, inside DuckDB: ``sql_normalize(raw_sql)`` gives the normalized candidate and
  ``sql_reason(norm_sql, raw_sql)`` gives NULL when valid or the same reason code as ``check``.
  Ingestion runs these over hundreds of millions of rows, so they are plain SQL expressions,
  never Python UDFs.

A missing value (None, or a string of only blanks) is not an error at this level: ``check`` returns
``Checked(None)`` and ``sql_reason`` returns NULL. Whether a property is required is the schema's business.
"""

from __future__ import annotations

import abc
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import duckdb

# Full-width → half-width lives in a leaf module (the address parser uses it too); re-exported for the types.
from policecloud.data.model.text import FULLWIDTH_CHARS, HALFWIDTH_CHARS, to_halfwidth
from policecloud.platform.sql import escape as _sql_escape

__all__ = ["FULLWIDTH_CHARS", "HALFWIDTH_CHARS", "to_halfwidth"]


def sql_halfwidth(expr: str) -> str:
    """The DuckDB expression doing what :func:`to_halfwidth` does.

    DuckDB's ``translate`` rebuilds its character map for every row (≈ 7 µs a value with this 95-character
    map), so only values holding a full-width character pay for it: pure ASCII is recognised by its byte
    length equalling its character length, and anything else by a regex test (≈ 0.3 µs).
    """
    translated = f"translate({expr}, '{_sql_escape(FULLWIDTH_CHARS)}', '{_sql_escape(HALFWIDTH_CHARS)}')"
    return (
        f"CASE WHEN strlen({expr}) = length({expr}) OR NOT regexp_matches({expr}, '[\uff01-\uff5e\u3000]') "
        f"THEN {expr} ELSE {translated} END"
    )


def sql_literal(text: str) -> str:
    """A string as a DuckDB literal."""
    return "'" + _sql_escape(text) + "'"


def is_blank(raw: object) -> bool:
    return raw is None or (isinstance(raw, str) and raw.strip(" \t\r\n\u3000") == "")


def nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


@dataclass(frozen=True, slots=True)
class Checked:
    """The outcome of checking one value.

    ``value`` is the normalized value when valid (None when the input was missing or invalid);
    ``reason`` is None when valid, else a short code such as ``check_digit``; ``details`` carries values
    derived on the way (an ID number's sex and birth date, an address's elements).
    """

    value: Any = None
    reason: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.reason is None

    @property
    def missing(self) -> bool:
        return self.reason is None and self.value is None


class InvalidValue(ValueError):
    """Raised by :meth:`ElementType.normalize` for a value that does not validate."""

    def __init__(self, type_name: str, raw: object, reason: str, message: str) -> None:
        super().__init__(f"{type_name}: {raw!r} is invalid: {message} ({reason})")
        self.type_name = type_name
        self.raw = raw
        self.reason = reason


class NoSqlForm(TypeError):
    """Asked for the SQL form of a type that has none (the address parser): check it in Python instead."""


class ElementType(abc.ABC):
    """Base class of element types. Subclasses set the class attributes and implement ``check``.

    ``reasons`` maps every reason code the type can give to a (Chinese, English) message; a check never
    returns a code missing from it (tests enforce it).
    """

    name: ClassVar[str]
    label_zh: ClassVar[str]
    label_en: ClassVar[str]
    # DuckDB type of the normalized value.
    sql_type: ClassVar[str] = "VARCHAR"
    reasons: ClassVar[Mapping[str, tuple[str, str]]] = {}

    # --- per value -------------------------------------------------------------------------------
    @abc.abstractmethod
    def check(self, raw: object) -> Checked:
        """The normalized value and derived details, or a reason code (missing input: ``Checked(None)``)."""

    def normalize(self, raw: object) -> Any:
        """The normalized value, or :class:`InvalidValue`."""
        result = self.check(raw)
        if not result.ok:
            raise InvalidValue(self.name, raw, result.reason or "", self.message(result.reason or ""))
        return result.value

    def is_valid(self, raw: object) -> bool:
        return self.check(raw).ok

    def message(self, reason: str, language: str = "en") -> str:
        zh, en = self.reasons.get(reason, (reason, reason))
        return zh if language.startswith("zh") else en

    def fail(self, reason: str, **details: Any) -> Checked:
        if reason not in self.reasons:  # a programming error, never a data error
            raise KeyError(f"{self.name}: undeclared reason code {reason!r}")
        return Checked(None, reason, details)

    # --- per column (DuckDB) -------------------------------------------------------------------
    def sql_setup(self, con: duckdb.DuckDBPyConnection) -> None:  # noqa: B027  (most types need no table)
        """Create the lookup tables or macros the expressions below use. Must be idempotent."""

    # A type may have no SQL form (``vectorized`` is then False): ingestion checks such a column in Python,
    # once per distinct value (``ingest.lookups.build_python_lookup``).
    def sql_normalize(self, raw: str) -> str:
        """DuckDB expression: the normalized candidate of the VARCHAR expression ``raw`` (NULL if blank)."""
        raise NoSqlForm(f"element type {self.name!r} has no SQL form; check its values with check()")

    def sql_reason(self, norm: str, raw: str) -> str:
        """DuckDB expression: NULL when valid or missing, else the reason code ``check`` would give."""
        raise NoSqlForm(f"element type {self.name!r} has no SQL form; check its values with check()")

    def sql_unchanged_valid(self, raw: str) -> str | None:
        """DuckDB condition, cheap to evaluate, true only where the raw text is already its normalized value and
        valid (so ``sql_normalize`` would return it and ``sql_reason`` NULL); None when the type has none.
        Ingestion computes a value standardized per row from this alone where it holds, instead of storing it."""
        return None

    @property
    def vectorized(self) -> bool:
        return type(self).sql_normalize is not ElementType.sql_normalize

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"
