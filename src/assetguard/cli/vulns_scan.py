"""``assetguard scan vulns``: match packages against the advisory database.

    assetguard scan vulns                         # every inventory asset; findings go to the hub
    assetguard scan vulns --asset urn:assetguard:host:web-1
    assetguard scan vulns --image app.tar --format sarif
    assetguard scan vulns --sbom bom.cdx.json --format json --fail-on HIGH
    assetguard scan vulns --host --format cyclonedx-vex

Inventory scans (no option, ``--asset``) write findings; ``--image``, ``--sbom`` and ``--host``
only report. ``--fail-on SEVERITY`` exits 1 when a match is at or above it.

The command attaches to the ``scan`` group of ``assetguard.cli.scan`` (findings engineer) when
that group exists, else it creates the ``scan`` group itself.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from assetguard.auth.principal import cli_principal
from assetguard.cli.context import console, err_console, platform
from assetguard.core.clock import utcnow
from assetguard.core.errors import ValidationError
from assetguard.vulns import inputs, reports
from assetguard.vulns.matcher import Match
from assetguard.vulns.scanner import VulnerabilityScanner, packages_of
from assetguard.vulns.severity import LABELS


def vulns(ctx: typer.Context,
          asset: Annotated[str | None, typer.Option("--asset", help="scan one inventory asset (ARN)")] = None,
          image: Annotated[Path | None, typer.Option("--image", help="container image tarball (docker save)")]
          = None,
          sbom: Annotated[Path | None, typer.Option("--sbom", help="CycloneDX or SPDX JSON file")] = None,
          host: Annotated[bool, typer.Option("--host", help="this machine's installed packages")] = False,
          fmt: Annotated[str, typer.Option("--format", help="table | json | asff | sarif | cyclonedx-vex")]
          = "table",
          fail_on: Annotated[str | None, typer.Option("--fail-on", help="exit 1 at or above this severity")]
          = None) -> None:
    """Scan for known vulnerabilities (OSV advisories)."""
    if fmt not in reports.FORMATS:
        raise ValidationError(f"--format must be one of {', '.join(reports.FORMATS)}; got {fmt!r}")
    if fail_on is not None and fail_on.upper() not in LABELS:
        raise ValidationError(f"--fail-on must be one of {', '.join(LABELS)}; got {fail_on!r}")
    if sum(1 for given in (asset is not None, image is not None, sbom is not None, host) if given) > 1:
        raise ValidationError("give at most one of --asset, --image, --sbom, --host")
    p = platform(ctx)
    scanner = VulnerabilityScanner(p)
    target: dict[str, Any]
    if image or sbom or host:
        items = (inputs.image_items(image) if image else inputs.sbom_items(sbom) if sbom
                 else inputs.host_items())
        packages = inputs.packages_of_items(items)
        matches = scanner.match_packages(packages)
        _report_unresolved(scanner.unresolved(packages))
        target = items[0] if items else {"arn": str(image or sbom or "host")}
    elif asset:
        summary = scanner.scan_asset(asset, actor=cli_principal(), keep_matches=True)
        matches = [m for _arn, m in summary.results]
        target = {"arn": asset}
        _report_summary(summary.as_dict())
    else:
        from assetguard.inventory.service import InventoryService

        assets = [a for a in InventoryService(p).list_assets() if packages_of(a)]
        with Progress(TextColumn("[bold]scanning[/bold]"), BarColumn(), MofNCompleteColumn(), console=err_console,
                      transient=True) as bar:
            task = bar.add_task("assets", total=len(assets))
            summary = scanner.scan_assets(assets, actor=cli_principal(), keep_matches=True,
                                          progress=lambda n: bar.advance(task, n))
        matches = [m for _arn, m in summary.results]
        target = {"arn": "inventory"}
        _report_summary(summary.as_dict())
    _print(matches, fmt, target)
    if fail_on and reports.at_or_above(matches, fail_on):
        raise typer.Exit(1)


def _report_unresolved(entries: list[dict[str, Any]]) -> None:
    if not entries:
        return
    err_console.print(f"[yellow]note[/yellow] {len(entries)} advisory(ies) name packages here only by GIT commit "
                      "ranges, without a versions list; they cannot be decided on an installed version and are "
                      "not in the results:", highlight=False, soft_wrap=True)
    for e in entries[:20]:
        err_console.print(f"  {e['id']}: {e['ecosystem']}/{e['package']}@{e['version']}", highlight=False)
    if len(entries) > 20:
        err_console.print(f"  ... and {len(entries) - 20} more")


def _report_summary(s: dict[str, Any]) -> None:
    err_console.print(f"scanned {s['assets']} asset(s), {s['packages']} packages: {s['findings_opened']} new, "
                      f"{s['findings_updated']} updated, {s['findings_resolved']} resolved findings")


def _print(matches: list[Match], fmt: str, target: dict[str, Any]) -> None:
    name = str(target.get("arn"))
    if fmt == "table":
        console.print(reports.as_table(matches, title=name))
        return
    if fmt == "json":
        text = reports.as_json(matches)
    elif fmt == "asff":
        now = utcnow()
        text = reports.as_asff(matches, target, now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z")
    elif fmt == "sarif":
        text = reports.as_sarif(matches, name)
    else:
        text = reports.as_cyclonedx_vex(matches, name)
    sys.stdout.write(text + "\n")


def attach(scan_app: typer.Typer) -> None:
    scan_app.command("vulns")(vulns)


def register(app: typer.Typer) -> None:
    for group in app.registered_groups:
        if group.name == "scan" and group.typer_instance is not None:
            if not any(c.name == "vulns" for c in group.typer_instance.registered_commands):
                attach(group.typer_instance)
            return
    scan_app = typer.Typer(help="Scan assets for problems.", no_args_is_help=True)
    attach(scan_app)
    app.add_typer(scan_app, name="scan")
