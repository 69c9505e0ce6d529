"""The mini province (hand-written master data and texts, see policecloud.apps.search.testing), indexed once."""

from __future__ import annotations

import pytest

from policecloud.apps.search.index import build_index, open_current
from policecloud.apps.search.testing import MiniWorld, mini_province


@pytest.fixture(scope="session")
def mini(tmp_path_factory) -> MiniWorld:
    world = mini_province(tmp_path_factory.mktemp("search-mini"))
    build_index(world.master_dir, world.warehouse_dir, world.search_root)
    return world


@pytest.fixture(scope="session")
def index(mini):
    return open_current(mini.search_root)
