"""Pytest fixtures that run a test once per store engine: SQLite always, PostgreSQL when configured.

Import them into a test directory's ``conftest.py`` (``from policecloud.platform.store.testing import *``).
PostgreSQL is used when ``POLICECLOUD_TEST_PG_URL`` is set (``.ci/postgres.sh`` sets it); when ``CI=true`` and it is
missing the PostgreSQL cases FAIL instead of skipping, so CI cannot pass without the real server. Each pytest-xdist
worker gets its own database and each test a fresh, migrated schema.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, make_url, text

from policecloud.platform.config import Settings
from policecloud.platform.store.engine import make_engine
from policecloud.platform.store.migrate import upgrade

__all__ = ["FakeClock", "clock", "fast_settings", "store_engine", "store_kind"]

PG_URL_VARIABLE = "POLICECLOUD_TEST_PG_URL"


class FakeClock:
    """A clock tests move by hand (passed where production code takes ``clock``)."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 25, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def fast_settings(**changes: object) -> Settings:
    """Settings with the cheapest Argon2 costs (tests only; production keeps the defaults)."""
    base = Settings(argon2_time_cost=1, argon2_memory_kib=8, argon2_parallelism=1)
    return base.with_(**changes) if changes else base


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_kind(request: pytest.FixtureRequest) -> str:
    return request.param


def _worker_database(base_url: str, worker: str) -> str:
    """Create (once per worker and run) a database of its own next to the configured one; return its URL."""
    url = make_url(base_url)
    name = f"{url.database}_{worker}".lower()
    admin = make_engine(base_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
            # Test data need not survive a crash; not waiting for WAL flushes makes each commit cheap.
            connection.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    finally:
        admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


_WORKER_URLS: dict[str, str] = {}


def _reset_postgres(engine: Engine) -> bool:
    """Empty every table of an already migrated schema (much faster than migrating again); False if unsure."""
    from policecloud.platform.store.base import Base
    from policecloud.platform.store.migrate import is_up_to_date, load_app_models
    from policecloud.platform.store.models import GENESIS_HASH

    load_app_models()

    if not is_up_to_date(engine):
        return False
    # DELETE, not TRUNCATE: on tiny tables it avoids new files and fsyncs per table.
    with engine.begin() as connection:
        # The audit tables' triggers refuse deletes (and a second head): off while the store is emptied.
        for guarded in ("audit_log", "audit_head"):
            connection.execute(text(f"ALTER TABLE {guarded} DISABLE TRIGGER USER"))
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())
            if "id" in table.c and table.c.id.autoincrement == "auto":
                connection.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), 1, false)"))
        connection.execute(text(f"INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '{GENESIS_HASH}')"))
        for guarded in ("audit_log", "audit_head"):
            connection.execute(text(f"ALTER TABLE {guarded} ENABLE TRIGGER USER"))
    return True


@pytest.fixture
def store_engine(store_kind: str, tmp_path: Path) -> Iterator[Engine]:
    """A migrated, empty operational store on the engine of ``store_kind``."""
    if store_kind == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    else:
        base = os.environ.get(PG_URL_VARIABLE)
        if not base:
            message = f"{PG_URL_VARIABLE} is not set (run .ci/postgres.sh)"
            if os.environ.get("CI", "").lower() == "true":
                pytest.fail(f"PostgreSQL tests cannot run in CI: {message}")
            pytest.skip(message)
        worker_id = os.environ.get("PYTEST_XDIST_WORKER", "master")
        fresh = worker_id not in _WORKER_URLS
        if fresh:
            _WORKER_URLS[worker_id] = _worker_database(base, worker_id)
        engine = make_engine(_WORKER_URLS[worker_id])
        if fresh or not _reset_postgres(engine):
            with engine.begin() as connection:
                connection.execute(text("DROP SCHEMA public CASCADE"))
                connection.execute(text("CREATE SCHEMA public"))
    upgrade(engine)
    try:
        yield engine
    finally:
        engine.dispose()
