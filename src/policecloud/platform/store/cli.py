"""``policecloud db upgrade|status``: create or upgrade the operational store's schema (Alembic)."""

from __future__ import annotations

import typer

from policecloud.platform.clikit import console, fail, settings_of

db_app = typer.Typer(help="The operational store (SQLite by default, PostgreSQL via POLICECLOUD_DATABASE_URL).")


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def upgrade_command(ctx: typer.Context) -> None:
    """Create the operational store or bring its schema to the latest migration."""
    from sqlalchemy.exc import SQLAlchemyError

    from policecloud.platform.store import make_engine, upgrade
    from policecloud.platform.store.migrate import current_revision

    settings = settings_of(ctx)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.operational_database_url)
    try:
        upgrade(engine)
        revision = current_revision(engine)
    except SQLAlchemyError as exc:
        raise fail(f"cannot upgrade the store at {engine.url!r}: {exc.__class__.__name__}: {exc.orig}") from None
    console.print(f"operational store at revision {revision} ({engine.url.render_as_string(hide_password=True)})")


@db_app.command("status")
def status_command(ctx: typer.Context) -> None:
    """Show the store's schema revision and whether it is up to date."""
    from policecloud.platform.store import make_engine
    from policecloud.platform.store.migrate import current_revision, head_revision

    settings = settings_of(ctx)
    engine = make_engine(settings.operational_database_url)
    current, head = current_revision(engine), head_revision()
    state = "up to date" if current == head else "needs 'policecloud db upgrade'"
    console.print(f"revision {current or '(none)'}, latest {head}: {state}")
