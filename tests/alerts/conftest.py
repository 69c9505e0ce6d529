from __future__ import annotations

import pytest
from alerts_support import Platform

from policecloud.platform.store.testing import clock, store_engine  # noqa: F401  (fixtures)
from policecloud.synth.config import SynthConfig
from policecloud.synth.generate import generate


@pytest.fixture
def store_kind() -> str:
    """SQLite by default; a test parametrizes ``store_kind`` itself to run on both engines."""
    return "sqlite"


@pytest.fixture
def platform(store_engine, clock, tmp_path):  # noqa: F811
    with Platform(store_engine, clock, tmp_path / "data") as running:
        yield running


@pytest.fixture(scope="session")
def tiny(tmp_path_factory):
    """The tiny synthetic province (seed 7), generated once per test session (per worker)."""
    out = tmp_path_factory.mktemp("province") / "tiny"
    generate(SynthConfig.for_scale("tiny", seed=7), out)
    return out
