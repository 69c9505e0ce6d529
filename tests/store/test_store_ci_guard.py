"""In CI the PostgreSQL cases must fail, not skip, when no server is configured (elsewhere they skip)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

TARGET = str(Path(__file__).with_name("test_store_schema.py")) + "::test_chain_head_starts_at_genesis"


def _run(ci: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("POLICECLOUD_TEST_PG_URL", "PYTEST_XDIST_WORKER")}
    env["CI"] = ci
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist", TARGET],
        capture_output=True,
        text=True,
        env=env,
        cwd=Path(__file__).parents[2],
        timeout=120,
    )


def test_missing_postgres_fails_in_ci():
    in_ci = _run("true")
    assert in_ci.returncode == 1, in_ci.stdout
    assert "cannot run in CI" in in_ci.stdout and "1 passed" in in_ci.stdout
