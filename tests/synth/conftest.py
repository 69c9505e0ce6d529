from __future__ import annotations

import pytest

from policecloud.synth.config import SynthConfig
from policecloud.synth.generate import generate


@pytest.fixture(scope="session")
def tiny(tmp_path_factory):
    """The tiny province, generated once per test session."""
    out = tmp_path_factory.mktemp("province") / "tiny"
    manifest = generate(SynthConfig.for_scale("tiny", seed=7), out)
    return out, manifest
