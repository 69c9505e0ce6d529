"""``policecloud serve``: run the API on localhost with uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer

from policecloud.platform.clikit import console, settings_of


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)


def serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="Address to bind (default: settings, 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default: settings, 8000).")] = None,
    access_log: Annotated[bool, typer.Option("--access-log/--no-access-log", help="Log every request.")] = True,
) -> None:
    """Start the web API (OpenAPI at /docs); upgrades the operational store first."""
    from policecloud.platform.api.malloc_arenas import limit_arenas, start_trimming

    limit_arenas()  # first, before any thread allocates: flat memory under the thread pool (see the module)
    start_trimming()  # and free pages inside the heaps go back to the system every minute
    import uvicorn

    from policecloud.platform.api.factory import create_app
    from policecloud.platform.store import make_engine, upgrade

    settings = settings_of(ctx)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.operational_database_url)
    upgrade(engine)
    bind_host = host or settings.host
    bind_port = port or settings.port
    console.print(f"policecloud API on http://{bind_host}:{bind_port}/docs")
    uvicorn.run(
        create_app(settings, engine=engine), host=bind_host, port=bind_port, log_level="info", access_log=access_log
    )
