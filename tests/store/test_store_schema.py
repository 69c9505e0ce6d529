"""The operational store is created by migrations, matches the models, and behaves the same on both engines."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError

from policecloud.platform.store import make_engine, upgrade
from policecloud.platform.store.base import Base
from policecloud.platform.store.migrate import current_revision, head_revision, is_up_to_date


def test_migrations_create_every_table_and_reach_head(store_engine):
    tables = set(inspect(store_engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    assert current_revision(store_engine) == head_revision()
    assert is_up_to_date(store_engine)


def test_migrations_match_the_models(store_engine):
    with store_engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []


def test_upgrade_twice_changes_nothing(store_engine):
    upgrade(store_engine)
    assert current_revision(store_engine) == head_revision()


def test_chain_head_starts_at_genesis(store_engine):
    with store_engine.connect() as connection:
        assert connection.execute(text("SELECT seq, hash FROM audit_head")).all() == [(0, "0" * 64)]


@pytest.mark.parametrize("statement", ["UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log"])
def test_database_refuses_changes_to_the_audit_log(store_engine, statement):
    with store_engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO audit_log (seq, at, actor, client, event, payload, prev_hash, hash) "
                "VALUES (1, 't', 'a', '', 'e', '{}', :genesis, 'h')"
            ),
            {"genesis": "0" * 64},
        )
    with pytest.raises(DBAPIError, match="append-only"), store_engine.begin() as connection:
        connection.execute(text(statement))
    with store_engine.connect() as connection:
        assert connection.execute(text("SELECT actor FROM audit_log")).scalar_one() == "a"


def test_sqlite_store_uses_wal_and_foreign_keys(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'pc.db'}")
    upgrade(engine)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()
