"""Engines and sessions for the operational store.

SQLite gets WAL, foreign keys and ``BEGIN IMMEDIATE`` transactions for what may write: taking the write lock up
front avoids the "database is locked" upgrade failures of deferred transactions (writers queue on
``busy_timeout`` instead). What only reads (the API's GET requests, see policecloud.platform.api.policy) uses
:func:`read_snapshot_engine`: a deferred ``BEGIN``, i.e. a WAL snapshot that neither waits for nor blocks the
writer. A read session must not write in its transaction (an upgrade can fail at once when another connection
writes); it ends its snapshot first, so a later write is the first statement of a new transaction, which waits
on ``busy_timeout`` like any writer (see policecloud.platform.access.auth's session touch).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

READ_SNAPSHOT = "policecloud_read_snapshot"  # execution option: begin deferred (SQLite), the session only reads


def make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def read_snapshot_engine(engine: Engine) -> Engine:
    """The same engine and pool, for sessions that only read: no write lock is taken when they begin."""
    return engine.execution_options(**{READ_SNAPSHOT: True})


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        read_only = connection.get_execution_options().get(READ_SNAPSHOT, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
