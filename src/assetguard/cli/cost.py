"""``assetguard cost``: ingest billing exports and inspect stored cost."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from assetguard.auth.principal import cli_principal
from assetguard.cli.context import console, platform
from assetguard.core.errors import ValidationError
from assetguard.core.jsonout import dumps

NAME = "cost"
app = typer.Typer(help="Cost data: ingest FOCUS / CUR 2.0 files, read daily cost from the Cost Explorer API (explorer), and a summary of spend by service and tag.", no_args_is_help=True)


@app.command()
def ingest(ctx: typer.Context,
           file: Annotated[Path, typer.Argument(help="FOCUS or CUR 2.0 export: .csv, .csv.gz or .parquet")],
           fmt: Annotated[str | None, typer.Option("--format", help="focus or cur (default: detect)")] = None,
           as_json: Annotated[bool, typer.Option("--json", help="print the summary as JSON")] = False) -> None:
    """Validate FILE and replace the billing periods it covers; then evaluate budgets."""
    from assetguard.cost.ingest import CostIngestor

    if fmt is not None and fmt not in ("focus", "cur"):
        raise ValidationError(f"--format must be focus or cur, not {fmt!r}")
    p = platform(ctx)
    with Progress(TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn(),
                  console=console, transient=as_json, disable=as_json) as bar:
        read = bar.add_task("reading + validating", total=1.0)
        store = bar.add_task("storing daily aggregates", total=1.0, visible=False)

        def progress(phase: str, fraction: float) -> None:
            if phase == "read":
                bar.update(read, completed=fraction)
            else:
                bar.update(store, completed=fraction, visible=True)

        summary = CostIngestor(p).ingest(file, fmt, actor=cli_principal(), progress=progress)
        bar.update(store, completed=1.0, visible=True)
    if as_json:
        typer.echo(dumps({"source": summary.source, "format": summary.format, "rowsRead": summary.rows_read,
                               "rowsStored": summary.rows_stored, "periods": summary.periods,
                               "seconds": round(summary.seconds, 3)}))
        return
    console.print(f"ingested {summary.rows_read:,} {summary.format.upper()} rows into {summary.rows_stored:,} "
                  f"daily aggregates in {summary.seconds:.1f}s")
    for period in summary.periods:
        console.print(f"  {period['provider']} {period['billingAccountId']} {period['billingPeriodStart']}: "
                      f"{period['billedCost']:,.2f} {period['currency']} (replaced)")


@app.command("explorer")
def explorer(ctx: typer.Context,
             start: Annotated[str, typer.Option(help="first day, YYYY-MM-DD")],
             end: Annotated[str, typer.Option(help="day after the last day, YYYY-MM-DD")]) -> None:
    """Ingest daily cost from the Cost Explorer API (get_cost_and_usage, by service and account)."""
    from assetguard.cost.explorer import ingest_cost_explorer

    summary = ingest_cost_explorer(platform(ctx), _day(start), _day(end), actor=cli_principal())
    console.print(f"ingested {summary.rows_stored:,} daily aggregates for {len(summary.periods)} period(s)")


@app.command("summary")
def summary(ctx: typer.Context,
            start: Annotated[str | None, typer.Option(help="first day (default: 30 days ago)")] = None,
            end: Annotated[str | None, typer.Option(help="day after the last day (default: tomorrow)")] = None,
            as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Spend by service and by tag, with the untagged share."""
    from assetguard.cost.report import CostReport

    report = CostReport(platform(ctx)).overview(_day(start) if start else None, _day(end) if end else None)
    if as_json:
        typer.echo(dumps(report, default=str))
        return
    table = Table("service", "cost", title=f"{report['start']} – {report['end']}")
    for row in report["services"]:
        table.add_row(row["service"], f"{row['cost']:,.2f}")
    console.print(table)
    console.print(f"total {report['total']:,.2f}; untagged {report['untagged']['cost']:,.2f} "
                  f"({report['untagged']['share'] * 100:.1f} %)")


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationError(f"expected a date YYYY-MM-DD, got {text!r}") from None
