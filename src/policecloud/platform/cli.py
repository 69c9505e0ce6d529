"""The ``policecloud`` command. Each capability adds its sub-commands from its package's ``cli`` module."""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path
from typing import Annotated

import typer

from policecloud import __version__
from policecloud.platform.clikit import console
from policecloud.platform.config import Settings

app = typer.Typer(
    name="policecloud",
    help="policecloud — a provincial public-security data platform (警务云).",
    no_args_is_help=True,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
)

# Every sub-package with a ``cli`` module contributes commands through ``register(app: typer.Typer)``,
# so a new capability adds its commands without touching this file.


@app.callback()
def root(
    ctx: typer.Context,
    data_dir: Annotated[
        Path | None,
        typer.Option("--data-dir", envvar="POLICECLOUD_DATA_DIR", help="Where the platform keeps its data."),
    ] = None,
) -> None:
    settings = Settings.from_env()
    if data_dir is not None:
        settings = settings.with_(data_dir=data_dir)
    ctx.obj = settings


@app.command()
def version() -> None:
    """Print the version of policecloud."""
    console.print(f"policecloud {__version__}")


def _register_commands() -> None:
    from policecloud.platform.registry import builtin_packages

    for package in [*builtin_packages(), "policecloud.synth", "policecloud.demo"]:
        if importlib.util.find_spec(f"{package}.cli") is not None:
            importlib.import_module(f"{package}.cli").register(app)


_register_commands()


def main() -> None:
    app()
