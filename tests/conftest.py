from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"


@pytest.fixture
def duck():
    from policecloud.model.vectorized import connect

    con = connect()
    yield con
    con.close()
