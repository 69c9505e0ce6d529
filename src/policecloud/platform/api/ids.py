"""Bounds of the integers a client may put in a URL or a query: row ids and sequence numbers.

The tables' integer keys are ``INTEGER`` columns: 64-bit in SQLite, 32-bit in PostgreSQL. A number past the
column's range in ``/api/persons/{id}`` used to reach the database driver and fail there (SQLite: past 2^63,
PostgreSQL: past 2^31; a 500, not audited); bounded here by the smaller range, such a request is refused by
validation (422) before any work is done. Use :data:`RecordId` for every ``{…_id}`` path parameter and
:data:`MAX_ROW_ID` as the upper bound of any integer that is compared to a key (a key column widened to BIGINT
one day can raise it).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

MAX_ROW_ID = 2**31 - 1  # the largest PostgreSQL INTEGER (SERIAL) key

RecordId = Annotated[int, Path(ge=1, le=MAX_ROW_ID, description="The record's number (1 … 2^31−1).")]
