"""``policecloud synth``: generate the synthetic province (sources + ground truth) into a directory."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from policecloud.platform.clikit import console, fail, settings_of


def register(app: typer.Typer) -> None:
    app.command("synth")(synth)


def synth(
    ctx: typer.Context,
    scale: Annotated[str, typer.Option("--scale", help="tiny | small | medium")] = "tiny",
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same bytes.")] = 1,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Output directory, replaced if it holds a province (default: DATA_DIR/province)."),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bars.")] = False,
    reuse: Annotated[
        bool, typer.Option("--reuse", help="Keep an existing province of the same scale and seed.")
    ] = False,
) -> None:
    """生成合成省份 / Generate the synthetic province: messy source files plus the ground truth.

    Example: policecloud synth --scale small --seed 1 --out var/province --reuse
    """
    from policecloud.synth.config import SynthConfig
    from policecloud.synth.generate import generate, is_complete

    out = out if out is not None else settings_of(ctx).data_dir / "province"
    try:
        cfg = SynthConfig.for_scale(scale, seed=seed)
    except ValueError as exc:
        raise fail(str(exc)) from None
    if reuse and is_complete(out, scale, seed):
        console.print(f"[green]沿用已有省份 / reusing[/] {out}")
        return
    try:
        manifest = generate(cfg, out, progress=not quiet)
    except FileExistsError as exc:
        raise fail(f"{exc} / 输出目录已存在且不是合成省份") from None
    counts = manifest["counts"]
    console.print(
        f"[green]已生成 / generated[/] {out}: {counts['persons']} persons, {counts['vehicles']} vehicles, "
        f"{counts['passes']} passes in {manifest['seconds']} s"
    )
