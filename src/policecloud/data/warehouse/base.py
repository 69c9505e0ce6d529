"""The ``Warehouse`` interface: what ingestion, resolution and analyses need from a warehouse engine.

A warehouse holds tables of append-only records as Parquet files under one root, partitioned Hive-style
(``<table>/<key>=<value>/…``). Data arrives in *batches*: a batch may write several tables (records and
their quarantine) and becomes visible all at once when its commit record is written, which happens last.
Readers only ever see files listed by commit records, so a crash at any point leaves either the whole
batch or none of it. A batch id is a fingerprint of the input: committing a batch id twice adds nothing.
"""

from __future__ import annotations

import abc
import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any


class WarehouseError(RuntimeError):
    """A warehouse operation that cannot be done, with a message for the user."""


@dataclass(frozen=True)
class BatchInfo:
    """A committed batch: which files it added to which tables, and what it was about."""

    batch_id: str
    committed_at: dt.datetime
    files: Mapping[str, Sequence[str]]  # table → files relative to the root
    rows: Mapping[str, int]  # table → rows written
    meta: Mapping[str, Any] = field(default_factory=dict)


class BatchWriter(abc.ABC):
    """Collects the tables of one batch; the engine commits them together."""

    batch_id: str
    skipped: bool  # True when the batch was already committed: writes are ignored

    @abc.abstractmethod
    def write(self, table: str, query: str, partition_by: Sequence[str] = ()) -> int:
        """Stage the rows of ``query`` (engine SQL) into ``table``; returns the number of rows."""

    def null_counts(self, table: str) -> Mapping[str, int] | None:
        """How many NULLs each column of ``table`` received in this batch, when the engine knows it for free
        (from the statistics of the files it wrote); None when it does not."""
        return None


class Warehouse(abc.ABC):
    root: Any

    @abc.abstractmethod
    def batch(
        self, batch_id: str, meta: Mapping[str, Any] | None = None, con: Any = None, supersedes: Sequence[str] = ()
    ) -> AbstractContextManager[BatchWriter]:
        """A context in which to write one batch; committed on normal exit, discarded on error.

        ``con`` is the engine connection the written queries run on (so they may use its temporary tables).
        ``supersedes``: committed batches this one replaces, atomically with its commit.
        """

    @abc.abstractmethod
    def is_committed(self, batch_id: str) -> bool: ...

    @abc.abstractmethod
    def batches(self) -> Iterator[BatchInfo]:
        """Committed batches in commit order."""

    @abc.abstractmethod
    def tables(self) -> list[str]: ...

    @abc.abstractmethod
    def scan(self, table: str) -> str:
        """An engine SQL expression usable in FROM that reads the committed rows of ``table``."""

    @abc.abstractmethod
    def sql(self, query: str, params: Sequence[Any] | None = None) -> list[tuple]:
        """Run a query over the committed tables (each a view of its name) and fetch all rows."""

    def rewrite(self, batch_id: str, table: str, select: str) -> list[str]:
        """Rewrite a committed batch's files of ``table`` through ``select`` (engine SQL), in place of the old."""
        raise WarehouseError(f"the {type(self).__name__} engine cannot rewrite a batch")

    @abc.abstractmethod
    def recover(self) -> int:
        """Remove what interrupted batches left behind; returns the number of files removed."""
