"""Quoting for SQL text built by hand (DuckDB, and PostgreSQL for the same syntax): one helper for identifiers and
one for literals, so no module writes its own ``replace("'", "''")``.

Values are bound as parameters wherever DuckDB allows it; these two are for what it does not bind: table and
column names, and the file paths of ``read_parquet(...)`` / ``COPY ... TO`` and views.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path


def ident(name: str) -> str:
    """A name as a quoted identifier (``case`` is a keyword, and a fine table name)."""
    return '"' + name.replace('"', '""') + '"'


def escape(text: str | Path) -> str:
    """The text with its single quotes doubled, to put between quotes written by the caller."""
    return str(text).replace("'", "''")


def literal(text: str | Path) -> str:
    """A string (or a path) as a quoted SQL literal."""
    return "'" + escape(text) + "'"


def literals(values: Iterable[str | Path]) -> str:
    """Comma-separated literals, for ``IN (...)``."""
    return ", ".join(literal(v) for v in values)
