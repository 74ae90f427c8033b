"""``assetguard scan``: collect, evaluate, report — a CI gate in the style of Prowler.

    assetguard scan --source aws                       # collect AWS, evaluate the baseline pack, table
    assetguard scan --source host --root / --pack kisa-unix --format sarif -o host.sarif
    assetguard scan --source aws --fail-on HIGH        # exit 1 when a HIGH or CRITICAL check fails
    assetguard scan vulns ...                          # the vulnerability scan (assetguard.cli.vulns_scan)

Stages stay separate: collect (the inventory collectors, stored like any collection), evaluate
(the compliance evaluator: results, change events and findings are recorded as usual), format
(table, json, asff, ocsf, sarif, html). Exit status: 0 clean, 1 when ``--fail-on`` is met, 2 on
usage errors.

Sub-commands: ``scan`` is a Typer group (``scan_app``) whose callback runs the compliance scan when
no sub-command is given. Other domains add sub-commands from their own module, either with
``assetguard.cli.scan.scan_app.command("vulns")(func)`` or, as ``vulns_scan.register`` does, by
finding the group named ``scan`` among the root app's registered groups (this module is loaded
first: CLI modules load in name order).
"""

from __future__ import annotations

import html
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from assetguard.auth.principal import cli_principal
from assetguard.cli.context import console, err_console, platform
from assetguard.core.clock import utcnow
from assetguard.core.errors import ValidationError
from assetguard.core.jsonout import dumps

NAME = "scan"
scan_app = typer.Typer(help="Scan assets: configuration compliance (--source) or vulnerabilities (vulns).",
                       invoke_without_command=True)
app = scan_app
FORMATS = ("table", "json", "asff", "ocsf", "sarif", "html")
SEVERITIES = ("INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL")


def _collect_aws(p: Any) -> list[dict[str, Any]]:
    from assetguard.inventory.runner import aws_options, run_collection
    from assetguard.inventory.service import InventoryService

    bars: dict[str, Any] = {}
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), console=err_console,
                  transient=True) as progress:
        def report(group: str, step: str, done: int, total: int) -> None:
            if group not in bars:
                bars[group] = progress.add_task(group, total=total)
            progress.update(bars[group], completed=done, total=total, description=f"{group} {step}")

        summary = run_collection(p, "aws", aws_options(p), actor=cli_principal(), progress=report)
    for e in summary.errors:
        err_console.print(f"[yellow]partial:[/yellow] {e.where}: {e.code} {e.message}", highlight=False)
    return [i for i in InventoryService(p).list_assets() if str(i.get("resourceType", "")).startswith("AWS::")]


def _collect_host(p: Any, root: Path) -> list[dict[str, Any]]:
    from assetguard.compliance.hostfacts import gather_host_facts
    from assetguard.inventory.collectors.base import collectors
    from assetguard.inventory.runner import collector_config
    from assetguard.inventory.service import InventoryService

    if not root.is_dir():
        raise ValidationError("not a directory", where=f"--root {root}")
    with console.status("collecting host facts"):
        result = collectors.get("host")().collect(collector_config("host", {"root": str(root)}))
        facts = gather_host_facts(root)
        items = [{**i, "configuration": {**(i.get("configuration") or {}), "hostSecurity": facts}}
                 for i in result.items]
        InventoryService(p).apply_collection("host", items, result.scope, actor=cli_principal(),
                                             errors=result.errors)
    return [InventoryService(p).get(i["arn"]) for i in items]


def render_report(report: Any, fmt: str, *, fail_on: str | None = None) -> str:
    from assetguard.compliance.asff import to_finding
    from assetguard.findings.export import render
    from assetguard.findings.model import format_time

    failed = report.non_compliant()
    if fmt == "json":
        return dumps({"summary": report.counts, "results": report.as_dicts()}, indent=2, default=str)
    if fmt in ("asff", "ocsf", "sarif"):
        stamp = format_time(utcnow())
        findings = [{**to_finding(e.rule, e.item, e.result.compliance_type, e.result.annotation, at=stamp),
                     "Workflow": {"Status": "NEW"}} for e in failed]
        return render(findings, fmt)
    if fmt == "html":
        rows = "".join(
            f"<tr class='{html.escape(e.rule.meta.severity.lower())}'><td>{html.escape(e.rule.meta.severity)}</td>"
            f"<td>{html.escape(e.rule.id)}</td><td>{html.escape(str(e.item.get('arn')))}</td>"
            f"<td>{html.escape(e.result.annotation)}</td><td>{html.escape(e.rule.meta.remediation)}</td></tr>"
            for e in sorted(failed, key=lambda e: -SEVERITIES.index(e.rule.meta.severity)))
        counts = ", ".join(f"{k}: {v}" for k, v in sorted(report.counts.items()))
        return ("<!doctype html><html><head><meta charset='utf-8'><title>assetguard scan</title><style>"
                "body{font-family:sans-serif}table{border-collapse:collapse}td,th{border:1px solid #ccc;"
                "padding:4px 8px}.critical td:first-child,.high td:first-child{color:#b00}</style></head><body>"
                f"<h1>assetguard compliance scan</h1><p>{html.escape(counts)}</p><table><tr><th>Severity</th>"
                f"<th>Rule</th><th>Resource</th><th>Result</th><th>Remediation</th></tr>{rows}</table></body></html>")
    raise ValidationError(f"unknown format {fmt!r}; valid: {', '.join(FORMATS)}", where="--format")


def print_table(report: Any) -> None:
    table = Table(title="Failed checks", show_lines=False)
    for col in ("Severity", "Rule", "Resource", "Result"):
        table.add_column(col)
    for e in sorted(report.non_compliant(), key=lambda e: -SEVERITIES.index(e.rule.meta.severity)):
        table.add_row(e.rule.meta.severity, e.rule.id, str(e.item.get("resourceName") or e.item.get("resourceId")),
                      e.result.annotation)
    console.print(table)
    console.print(" ".join(f"{k}={v}" for k, v in sorted(report.counts.items())) or "no applicable checks")


@scan_app.callback()
def scan(ctx: typer.Context,
         source: Annotated[str | None, typer.Option("--source", help="aws or host")] = None,
         fail_on: Annotated[str | None, typer.Option("--fail-on", help="exit 1 when a failed check is at or above "
                                                                      "this severity")] = None,
         fmt: Annotated[str, typer.Option("--format", help="table|json|asff|ocsf|sarif|html")] = "table",
         pack: Annotated[str, typer.Option("--pack", help="conformance pack")] = "baseline",
         root: Annotated[Path, typer.Option("--root", help="host root directory (--source host)")] = Path("/"),
         output: Annotated[Path | None, typer.Option("--output", "-o", help="write the report here")] = None,
         ) -> None:
    """Collect, evaluate and report (``--source``), or run a sub-command (``scan vulns``)."""
    if ctx.invoked_subcommand is not None:
        return
    if source not in ("aws", "host"):
        raise ValidationError("give --source aws or --source host (or a sub-command such as 'vulns')",
                              where="--source")
    if fail_on is not None and fail_on.upper() not in SEVERITIES:
        raise ValidationError(f"must be one of {', '.join(SEVERITIES)}", where="--fail-on")
    if fmt not in FORMATS:
        raise ValidationError(f"must be one of {', '.join(FORMATS)}", where="--format")
    from assetguard.compliance.evaluator import ComplianceEvaluator
    from assetguard.compliance.packs import get_pack

    get_pack(pack)  # fail fast on a bad name, before collecting
    p = platform(ctx)
    items = _collect_aws(p) if source == "aws" else _collect_host(p, root)
    report = ComplianceEvaluator(p).evaluate(items, pack=pack, actor=cli_principal())
    if fmt == "table" and output is None:
        print_table(report)
    else:
        text = render_report(report, "json" if fmt == "table" else fmt)
        if output is None:
            sys.stdout.write(text + "\n")
        else:
            output.write_text(text + "\n", encoding="utf-8")
            err_console.print(f"wrote {fmt} report to {output}")
    if fail_on and report.non_compliant(fail_on.upper()):
        n = len(report.non_compliant(fail_on.upper()))
        err_console.print(f"[red]{n} failed check(s) at or above {fail_on.upper()}[/red]")
        raise typer.Exit(1)
