from __future__ import annotations

import pytest
from api_support import Platform

from policecloud.platform.store.testing import clock, store_engine  # noqa: F401  (fixtures)


@pytest.fixture
def store_kind() -> str:
    """API tests run on SQLite; a test parametrizes ``store_kind`` itself to run on both engines."""
    return "sqlite"


@pytest.fixture
def platform(store_engine, clock) -> Platform:  # noqa: F811
    return Platform(store_engine, clock)
