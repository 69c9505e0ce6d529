from __future__ import annotations

import sys
from pathlib import Path

import pytest

from policecloud.platform.store.testing import clock, store_engine  # noqa: F401  (fixtures)

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # the tiny app is an importable package, as an installed plug-in would be
sys.path.insert(0, str(HERE.parent / "api"))  # api_support


@pytest.fixture
def store_kind() -> str:
    return "sqlite"
