"""``assetguard vulndb``: load and inspect the OSV advisory database.

    assetguard vulndb import https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip
    assetguard vulndb import ./osv-exports/          # directories, .json files, all.zip exports
    assetguard vulndb import --fixtures              # the small synthetic set shipped for demos
    assetguard vulndb stats
    assetguard vulndb show CVE-2099-1001

A URL is fetched through the outbound guard, as the API's imports are: only globally routable
addresses, plus the operator's ``outbound.allow_cidrs`` (e.g. an internal mirror).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from assetguard.auth.principal import cli_principal
from assetguard.cli.context import console, err_console, platform
from assetguard.core.errors import ValidationError
from assetguard.core.jsonout import dumps
from assetguard.targets.outbound import guard_for
from assetguard.vulns.database import AdvisoryDatabase
from assetguard.vulns.scanner import VulnerabilityScanner
from assetguard.vulns.sources import count_hint

NAME = "vulndb"
app = typer.Typer(help="The OSV vulnerability advisory database: import records, stats per ecosystem, show one advisory, list them.", no_args_is_help=True)

FIXTURES = Path(__file__).resolve().parents[1] / "vulns" / "fixtures"


@app.command("import")
def import_(ctx: typer.Context,
            source: Annotated[str | None, typer.Argument(help="directory, .json file, all.zip export or http(s) URL")]
            = None,
            fixtures: Annotated[bool, typer.Option("--fixtures", help="import the shipped synthetic advisories")]
            = False,
            rescan: Annotated[bool, typer.Option("--rescan/--no-rescan",
                                                 help="re-scan the assets holding affected packages")] = True,
            ) -> None:
    """Import OSV records incrementally (newer ``modified`` wins; withdrawn records are removed).

    Malformed records are listed with file and field and skipped; the exit code is then 1.
    """
    if fixtures == (source is not None):
        raise ValidationError("give a PATH or URL, or --fixtures (exactly one)")
    target = str(FIXTURES) if fixtures else str(source)
    if not target.startswith(("http://", "https://")) and not Path(target).exists():
        raise ValidationError("no such file or directory", where=target)
    p = platform(ctx)
    database = AdvisoryDatabase(p)
    with Progress(TextColumn("[bold]importing[/bold] {task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=err_console, transient=True) as bar:
        task = bar.add_task(target[-60:], total=count_hint(target))
        # A URL is fetched like the API's imports: vetted addresses only, plus outbound.allow_cidrs.
        summary = database.import_source(target, actor=cli_principal(), progress=lambda n: bar.advance(task, n),
                                         guard=guard_for(p.settings))
    console.print(f"read {summary.read}: added {summary.added}, updated {summary.updated}, "
                  f"unchanged {summary.unchanged}, withdrawn {summary.withdrawn}, errors {len(summary.errors)}")
    for err in summary.errors[:50]:
        err_console.print(f"[red]skipped[/red] {err['error']}", highlight=False, soft_wrap=True)
    if len(summary.errors) > 50:
        err_console.print(f"... and {len(summary.errors) - 50} more")
    if summary.commits_only:
        err_console.print(f"[yellow]note[/yellow] {len(summary.commits_only)} affected package(s) are given only as "
                          "GIT commit ranges without a versions list; they are stored but cannot match an "
                          "installed package version:", highlight=False, soft_wrap=True)
        for entry in summary.commits_only[:20]:
            err_console.print(f"  {entry['id']}: {entry['ecosystem']}/{entry['package']}", highlight=False)
        if len(summary.commits_only) > 20:
            err_console.print(f"  ... and {len(summary.commits_only) - 20} more")
    if rescan and summary.changed_packages:
        result = VulnerabilityScanner(p).rescan_packages(summary.changed_packages, actor=cli_principal())
        if result.assets:
            console.print(f"re-scanned {result.assets} asset(s): {result.findings_opened} new, "
                          f"{result.findings_resolved} resolved")
    if summary.errors:
        raise typer.Exit(1)


@app.command()
def stats(ctx: typer.Context) -> None:
    """Advisories per ecosystem and the newest ``modified`` time."""
    console.print_json(dumps(AdvisoryDatabase(platform(ctx)).stats()))


@app.command()
def show(ctx: typer.Context, advisory: Annotated[str, typer.Argument(help="OSV id or alias (CVE/GHSA)")]) -> None:
    """Print one stored OSV record with its computed severity."""
    console.print_json(dumps(AdvisoryDatabase(platform(ctx)).get(advisory), default=str))


@app.command("list")
def list_(ctx: typer.Context,
          ecosystem: Annotated[str | None, typer.Option(help="e.g. PyPI, Debian:12")] = None,
          package: Annotated[str | None, typer.Option(help="package name")] = None,
          severity: Annotated[str | None, typer.Option(help="CRITICAL, HIGH, MEDIUM, LOW")] = None,
          limit: Annotated[int, typer.Option(min=1, max=10000)] = 50) -> None:
    """List advisories, newest first."""
    rows = AdvisoryDatabase(platform(ctx)).list(ecosystem=ecosystem, package=package, severity=severity,
                                                limit=limit)
    for r in rows:
        console.print(f"{r['id']:<28} {r['severity']:<9} {r['cvss'] if r['cvss'] is not None else '-':<5} "
                      f"{r['summary'] or ''}", highlight=False)
