"""``assetguard audit``: verify and export the audit trail."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from assetguard.cli.context import console, err_console, platform

NAME = "audit"
app = typer.Typer(help="The tamper-evident audit trail: verify its chain, export it as CloudTrail-shaped records.", no_args_is_help=True)


@app.command()
def verify(ctx: typer.Context) -> None:
    """Check the hash chain; exit 1 and name each row edited, deleted or reordered."""
    report = platform(ctx).audit.verify()
    if report.ok:
        console.print(f"audit trail intact: {report.rows} rows verified")
        return
    for problem in report.problems:
        err_console.print(f"[red]TAMPERED[/red] {problem}", highlight=False)
    err_console.print(f"{len(report.problems)} problem(s) in {report.rows} rows")
    raise typer.Exit(1)


@app.command()
def export(ctx: typer.Context,
           output: Annotated[Path | None, typer.Option("--output", "-o", help="file (default stdout)")] = None) -> None:
    """Write the trail as JSON Lines shaped like CloudTrail records."""
    trail = platform(ctx).audit
    if output is None:
        trail.export(sys.stdout)
        return
    with output.open("w", encoding="utf-8") as fh:
        n = trail.export(fh)
    console.print(f"wrote {n} records to {output}")
