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


def build_cli(extra: tuple[str, ...] = ()) -> typer.Typer:
    """The ``policecloud`` command: the root options, then every package's commands. Each sub-package with a
    ``cli`` module contributes commands through ``register(app: typer.Typer)`` (the built-in packages, synth, the
    demo, then the ``extra`` packages), so a new app adds its commands without touching this file."""
    command = typer.Typer(
        name="policecloud",
        help="policecloud — a provincial public-security data platform (警务云).",
        no_args_is_help=True,
        rich_markup_mode="rich",
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    command.callback()(root)
    command.command()(version)
    from policecloud.platform.registry import builtin_packages

    for package in [*builtin_packages(), "policecloud.synth", "policecloud.demo", *extra]:
        if importlib.util.find_spec(f"{package}.cli") is not None:
            importlib.import_module(f"{package}.cli").register(command)
    return command


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


def version() -> None:
    """Print the version of policecloud."""
    console.print(f"policecloud {__version__}")


# The built-in command (what the tests invoke); ``main`` adds the apps of POLICECLOUD_APPS when there are any.
app = build_cli()


def main() -> None:
    extra = Settings.from_env().apps
    (build_cli(extra) if extra else app)()
