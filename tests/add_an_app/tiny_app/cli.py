"""The tiny app's command: ``policecloud tiny ping``."""

from __future__ import annotations

import typer

from policecloud.platform.clikit import command_group, console, settings_of


def register(app: typer.Typer) -> None:
    command_group(app, "tiny", "The tiny app (a test of how to add an app).").command("ping")(ping)


def ping(ctx: typer.Context) -> None:
    """Say pong, with the data directory the root command was given."""
    console.print(f"pong from {settings_of(ctx).data_dir}")
