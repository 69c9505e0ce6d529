"""Small helpers shared by the command modules: the console, settings from the Typer context, tables."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from policecloud.platform.config import Settings

console = Console()
err_console = Console(stderr=True)


def settings_of(ctx: typer.Context) -> Settings:
    """The settings built by the root callback (or from the environment when run outside it)."""
    root = ctx.find_root()
    return root.obj if isinstance(root.obj, Settings) else Settings.from_env()


def rich_table(title: str, columns: list[str]) -> Table:
    table = Table(title=title, header_style="bold")
    for i, column in enumerate(columns):
        # The first column names the row (a source id, a user name): never wrapped, whatever the width.
        table.add_column(column, no_wrap=i == 0)
    return table


# The help of the `policecloud index` group, which several capabilities add commands to.
INDEX_HELP = "建立或更新派生索引 / Build or update the derived indexes (disposable, rebuilt from the warehouse)."


def command_group(app: typer.Typer, name: str, help: str) -> typer.Typer:
    """The sub-command group ``name`` of ``app``, created by the first capability that asks for it, so that
    several capabilities can add commands to one group (``policecloud index events``, ``index search``)."""
    for group in app.registered_groups:
        if group.name == name and group.typer_instance is not None:
            return group.typer_instance
    sub = typer.Typer(help=help, no_args_is_help=True)
    app.add_typer(sub, name=name)
    return sub


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print a clear error (no traceback) and return the Exit to raise."""
    err_console.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code)
