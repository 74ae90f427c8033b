"""``assetguard tags``: auto-tagging from CloudTrail, backfill, and the bulk tag editor."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import Progress

from assetguard.cli.context import err_console, platform
from assetguard.core.errors import ValidationError
from assetguard.tagging.autotag import AutoTagger, TagPlan
from assetguard.tagging.sources import read_path, read_s3, read_sqs

NAME = "tags"
app = typer.Typer(help="Auto-tag new resources, backfill old ones, and edit tags in bulk.", no_args_is_help=True)

BATCH = 500


def _records(source: str, sqs: str | None, p: Any) -> Any:
    if sqs:
        import boto3

        return read_sqs(boto3.client("sqs", region_name=p.settings.aws.regions[0]), sqs)
    if source.startswith("s3://"):
        import boto3

        return read_s3(boto3.client("s3", region_name=p.settings.aws.regions[0]), source)
    return read_path(Path(source))


@app.command()
def autotag(ctx: typer.Context,
            source: Annotated[str, typer.Option("--from", help="CloudTrail log file, directory, or s3://bucket/prefix")] = "",
            sqs: Annotated[str | None, typer.Option("--sqs", help="SQS queue URL fed by an EventBridge rule")] = None,
            dry_run: Annotated[bool, typer.Option("--dry-run", help="call nothing; show what would be tagged")] = False,
            as_json: Annotated[bool, typer.Option("--json", help="one JSON line per record")] = False) -> None:
    """Tag the resources created by CloudTrail create calls.

    With --dry-run --json each record prints {"eventName", "arns", "tags"} or {"eventName", "skipped"}.
    """
    if not source and not sqs:
        raise ValidationError("give --from FILE|DIR|s3://bucket/prefix or --sqs QUEUE_URL", where="tags autotag")
    p = platform(ctx)
    tagger = AutoTagger(p, dry_run=dry_run)
    counts = {"records": 0, "planned": 0, "skipped": 0, "malformed": 0, "tagged": 0, "failed": 0}
    pending: list[TagPlan] = []

    def flush() -> None:
        for result in tagger.apply(pending):
            if result.status in ("tagged", "failed"):
                counts[result.status] += 1
            if result.status == "failed" and not as_json:
                err_console.print(f"[red]failed[/red] {result.arn}: {result.error}", highlight=False)
        pending.clear()

    with Progress(console=err_console, transient=True, disable=as_json) as progress:
        task = progress.add_task("reading CloudTrail records", total=None)
        for _where, item in _records(source, sqs, p):
            counts["records"] += 1
            progress.advance(task)
            if isinstance(item, ValidationError):
                counts["malformed"] += 1
                err_console.print(f"[red]malformed[/red] {item}", highlight=False, soft_wrap=True)
                continue
            plan = tagger.plan(item)
            counts["skipped" if plan.skipped else "planned"] += 1
            if as_json:
                sys.stdout.write(json.dumps(plan.contract(), sort_keys=False) + "\n")
            if not plan.skipped:
                pending.append(plan)
                if len(pending) >= BATCH:
                    flush()
        flush()
    summary = ", ".join(f"{v} {k}" for k, v in counts.items())
    err_console.print(f"{'dry run: ' if dry_run else ''}{summary}", highlight=False)
    if counts["malformed"]:
        raise typer.Exit(1)
