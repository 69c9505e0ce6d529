"""The headless Chromium every end-to-end test drives (one fixture, not a copy per test file)."""

from __future__ import annotations

import pytest
from cdp import Browser, chromium_path, ci


@pytest.fixture
def browser():
    """A fresh headless Chromium; skipped where none is installed, but a failure in CI (it must run there)."""
    executable = chromium_path()
    if executable is None:
        message = "chromium is not installed (apt-get install -y chromium; .ci/chromium.sh)"
        if ci():
            pytest.fail(f"the end-to-end test cannot run in CI: {message}")
        pytest.skip(message)
    running = Browser(executable)
    yield running
    running.close()
