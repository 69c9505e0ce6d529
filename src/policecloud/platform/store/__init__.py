"""The operational store: mutable, transactional data (users, sessions, audit log, registries, ...).

SQLite (WAL) is the embedded default, PostgreSQL the server option; Alembic migrations create the schema.
"""

from policecloud.platform.store.engine import make_engine, make_sessionmaker
from policecloud.platform.store.migrate import upgrade

__all__ = ["make_engine", "make_sessionmaker", "upgrade"]
