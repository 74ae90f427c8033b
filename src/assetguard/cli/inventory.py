"""``assetguard inventory``: collect assets, list them, show one with its history."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from assetguard.auth.principal import cli_principal
from assetguard.cli.context import console, platform
from assetguard.core.errors import ValidationError
from assetguard.core.jsonout import dumps
from assetguard.inventory.collectors.base import collectors
from assetguard.inventory.runner import aws_options, run_collection
from assetguard.inventory.service import CollectionSummary, InventoryService
from assetguard.runtime.plugins import load_builtin_plugins

NAME = "inventory"
app = typer.Typer(help="Asset inventory: collect, list and show configuration items, and print the permissions a collector needs.", no_args_is_help=True)

SOURCES = ("aws", "host", "sbom", "image", "snapshot")


def _options(ctx: typer.Context, source: str, root: str | None, paths: list[str], regions: list[str],
             services: list[str], profile: str | None, no_scan: bool) -> dict[str, Any]:
    if source == "aws":
        opts = aws_options(platform(ctx))
        if regions:
            opts["regions"] = regions
            opts["accounts"] = [{**a, "regions": None} for a in opts["accounts"]]
        if services:
            opts["services"] = services
        if profile:
            opts["profile"] = profile
        return opts
    if source == "host":
        return {"root": root or "/", "scan_filesystem": not no_scan}
    if not paths:
        raise ValidationError(f"--source {source} needs at least one --path FILE", where="--path")
    return {"paths": paths}


class _Bars:
    """One Rich progress bar per group (account/region, host, file)."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.tasks: dict[str, TaskID] = {}

    def __call__(self, group: str, step: str, done: int, total: int) -> None:
        if group not in self.tasks:
            self.tasks[group] = self.progress.add_task(group, total=total, step="")
        self.progress.update(self.tasks[group], completed=done, total=total, step=step if step != "done" else "")


def print_summary(summary: CollectionSummary) -> None:
    colour = "green" if summary.status == "COMPLETE" else "yellow"
    console.print(f"[{colour}]{summary.status}[/{colour}] {summary.source} collection {summary.collection_id}: "
                  f"{summary.created} created, {summary.updated} updated, {summary.deleted} deleted, "
                  f"{summary.unchanged} unchanged", highlight=False)
    if summary.errors:
        table = Table("where", "error", "message", title="not collected (partial)")
        for e in summary.errors:
            table.add_row(e.where, e.code, e.message[:160])
        console.print(table)


@app.command()
def collect(ctx: typer.Context,
            source: Annotated[str, typer.Option("--source", "-s", help="aws, host, sbom, image or snapshot")],
            root: Annotated[str | None, typer.Option("--root", help="host: root directory (default /)")] = None,
            path: Annotated[list[str] | None, typer.Option("--path", "-p", help="sbom/image/snapshot file (repeat)")] = None,
            region: Annotated[list[str] | None, typer.Option("--region", help="aws: region (repeat)")] = None,
            service: Annotated[list[str] | None, typer.Option("--service", help="aws: only these, e.g. ec2, s3.buckets")] = None,
            profile: Annotated[str | None, typer.Option("--profile", help="aws: named profile")] = None,
            no_scan: Annotated[bool, typer.Option("--no-scan", help="host: skip the world-writable/SUID walk")] = False,
            as_json: Annotated[bool, typer.Option("--json", help="print the summary as JSON")] = False) -> None:
    """Collect from one source, store the changes (history, events, audit) and print a summary."""
    if source not in SOURCES:
        raise ValidationError(f"unknown source {source!r}; valid: {', '.join(SOURCES)}", where="--source")
    options = _options(ctx, source, root, path or [], region or [], service or [], profile, no_scan)
    p = platform(ctx)
    with Progress(TextColumn("{task.description:<28}"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[step]}"),
                  TimeElapsedColumn(), console=console, transient=as_json, disable=as_json) as progress:
        summary = run_collection(p, source, options, actor=cli_principal(), progress=_Bars(progress))
    if as_json:
        typer.echo(dumps(summary.as_dict(), indent=2))
    else:
        print_summary(summary)


@app.command("list")
def list_(ctx: typer.Context,
          type_: Annotated[str | None, typer.Option("--type", "-t", help="resource type, e.g. AWS::S3::Bucket")] = None,
          tag: Annotated[list[str] | None, typer.Option("--tag", help="K=V or K (repeat: all must match)")] = None,
          region: Annotated[str | None, typer.Option("--region")] = None,
          search: Annotated[str | None, typer.Option("--search", help="substring of ARN or name")] = None,
          include_deleted: Annotated[bool, typer.Option("--include-deleted")] = False,
          as_json: Annotated[bool, typer.Option("--json", help="a JSON array of configuration items")] = False) -> None:
    """List assets (newest configuration item of each)."""
    items = InventoryService(platform(ctx)).list_assets(type_, include_deleted=include_deleted, tag=tag or None,
                                                        region=region, search=search)
    if as_json:
        typer.echo(dumps(items, indent=2, default=str))
        return
    table = Table("type", "name", "region", "status", "state", "arn")
    for i in items:
        table.add_row(i["resourceType"], i.get("resourceName") or i["resourceId"], i.get("awsRegion") or "",
                      i["configurationItemStatus"], i["configurationStateId"] or "", i["arn"])
    console.print(table)
    console.print(f"{len(items)} asset(s)")


@app.command()
def show(ctx: typer.Context, arn: Annotated[str, typer.Argument(help="the asset's ARN or URN")],
         history: Annotated[bool, typer.Option("--history", help="every version with its diff")] = False,
         as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Show one asset's configuration item (and its history)."""
    inv = InventoryService(platform(ctx))
    item = inv.get(arn)
    versions = inv.history(arn) if history else None
    if as_json:
        typer.echo(dumps({"configurationItem": item, "history": versions} if history else item, indent=2,
                              default=str))
        return
    console.print_json(dumps(item, default=str))
    if versions is not None:
        table = Table("state", "change", "captured", "changed properties")
        for v in versions:
            changed = v["diff"]["changedProperties"] if v.get("diff") else {}
            lines = [f"{k}: {dumps(c['previousValue'])[:40]} → {dumps(c['updatedValue'])[:40]}"
                     for k, c in list(changed.items())[:12]]
            table.add_row(v["configurationStateId"], v["changeType"], v["configurationItemCaptureTime"][:19],
                          "\n".join(lines) + (f"\n… {len(changed) - 12} more" if len(changed) > 12 else ""))
        console.print(table)


@app.command()
def permissions(source: Annotated[str, typer.Option("--source", "-s")] = "aws") -> None:
    """Print the IAM policy a collector needs (read-only actions)."""
    load_builtin_plugins()  # no platform needed, but the collectors must be registered
    actions = list(collectors.get(source).permissions)
    policy = {"Version": "2012-10-17",
              "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}] if actions else []}
    typer.echo(dumps(policy, indent=2))
