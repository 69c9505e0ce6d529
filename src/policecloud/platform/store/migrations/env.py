"""Alembic environment: runs on the connection handed in by policecloud.platform.store.migrate (or the URL)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from policecloud.platform.store import models  # noqa: F401  (registers the core tables on the metadata)
from policecloud.platform.store.base import Base
from policecloud.platform.store.migrate import load_app_models

load_app_models()  # and every app's tables

config = context.config
target_metadata = Base.metadata


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url"))
    with engine.begin() as conn:
        context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()


run()
