"""Bounds of the integers a client may put in a URL or a query: row ids and sequence numbers.

Every table's integer key is a signed 64-bit column (SQLite INTEGER, PostgreSQL BIGINT/INTEGER). A larger
number in ``/api/persons/{id}`` used to reach the database driver and fail there (500, not audited); bounded
here, such a request is refused by validation (422) before any work is done. Use :data:`RecordId` for every
``{…_id}`` path parameter and :data:`MAX_ROW_ID` as the upper bound of any integer that is compared to a key.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

MAX_ROW_ID = 2**63 - 1  # the largest signed 64-bit integer

RecordId = Annotated[int, Path(ge=1, le=MAX_ROW_ID, description="The record's number (1 … 2^63−1).")]
