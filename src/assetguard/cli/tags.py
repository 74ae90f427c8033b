"""``assetguard tags``: auto-tagging from CloudTrail, backfill, and the bulk tag editor."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import Progress

from assetguard.cli.context import err_console, platform
from assetguard.core.errors import ValidationError
from assetguard.core.jsonout import dumps
from assetguard.core.textfile import read_text
from assetguard.tagging.autotag import AutoTagger, TagPlan
from assetguard.tagging.sources import read_path, read_s3, read_sqs

NAME = "tags"
app = typer.Typer(help="Tags: autotag new resources, backfill old ones, find resources, apply or remove tags in bulk, export and import them as CSV, and tag policy checks.", no_args_is_help=True)

BATCH = 200


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
                sys.stdout.write(dumps(plan.contract(), sort_keys=False) + "\n")
            if not plan.skipped:
                pending.append(plan)
                if len(pending) >= BATCH:
                    flush()
        flush()
    summary = ", ".join(f"{v} {k}" for k, v in counts.items())
    err_console.print(f"{'dry run: ' if dry_run else ''}{summary}", highlight=False)
    if counts["malformed"]:
        raise typer.Exit(1)


def _print_changes(changes: list[Any], as_json: bool, dry_run: bool) -> None:
    from rich.table import Table

    if as_json:
        sys.stdout.write(dumps([c.as_dict() for c in changes], indent=2) + "\n")
        return
    table = Table("resource", "before", "after", "status", title="dry run (nothing written)" if dry_run else None)
    def fmt(tags: dict[str, Any]) -> str:
        return ", ".join(f"{k}={v}" for k, v in sorted(tags.items())) or "-"

    for c in changes:
        table.add_row(c.arn, fmt(c.before), fmt(c.after), c.status + (f": {c.error}" if c.error else ""))
    err_console.print(table)


def _parse_pairs(pairs: list[str], where: str) -> dict[str, str]:
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ValidationError(f"expected KEY=VALUE, got {pair!r}", where=where)
        out[key] = value
    return out


FindOpt = Annotated[str | None, typer.Option()]


def _find(p: Any, region: str | None, type_: str | None, tag: str | None, missing: str | None,
          search: str | None) -> list[dict[str, Any]]:
    from assetguard.tagging.editor import TagEditor

    key, _, value = (tag or "").partition("=")
    return TagEditor(p).find(region=region, resource_type=type_, tag_key=key or None,
                             tag_value=value if "=" in (tag or "") else None, missing=missing, search=search)


@app.command()
def find(ctx: typer.Context, region: FindOpt = None,
         type_: Annotated[str | None, typer.Option("--type", help="resource type, e.g. AWS::EC2::Instance")] = None,
         tag: Annotated[str | None, typer.Option("--tag", help="K or K=V")] = None,
         missing: Annotated[str | None, typer.Option("--missing", help="resources WITHOUT this tag key")] = None,
         search: FindOpt = None, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Search resources by region, type, tag key/value, or a missing tag."""
    from rich.table import Table

    items = _find(platform(ctx), region, type_, tag, missing, search)
    if as_json:
        sys.stdout.write(dumps([{"arn": i["arn"], "resourceType": i["resourceType"], "region": i.get("awsRegion"),
                                      "tags": i.get("tags") or {}} for i in items], indent=2) + "\n")
        return
    table = Table("arn", "type", "region", "tags")
    for i in items:
        table.add_row(i["arn"], i["resourceType"], i.get("awsRegion") or "",
                      ", ".join(f"{k}={v}" for k, v in sorted((i.get("tags") or {}).items())))
    err_console.print(table)


def _targets(p: Any, arns: list[str], region: str | None, type_: str | None, tag: str | None, missing: str | None,
             search: str | None) -> list[str]:
    if arns:
        return arns
    if not any((region, type_, tag, missing, search)):
        raise ValidationError("name resources with --arn, or select them with --type/--region/--tag/--missing/--search")
    return [i["arn"] for i in _find(p, region, type_, tag, missing, search)]


@app.command()
def apply(ctx: typer.Context, set_: Annotated[list[str], typer.Option("--set", help="KEY=VALUE (repeatable)")],
          arn: Annotated[list[str] | None, typer.Option("--arn", help="a resource (repeatable)")] = None,
          region: FindOpt = None, type_: Annotated[str | None, typer.Option("--type")] = None,
          tag: FindOpt = None, missing: FindOpt = None, search: FindOpt = None,
          dry_run: Annotated[bool, typer.Option("--dry-run", help="preview before/after only")] = False,
          as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Add or change tags on many resources at once."""
    from assetguard.auth.principal import cli_principal
    from assetguard.tagging.editor import TagEditor

    p = platform(ctx)
    arns = _targets(p, arn or [], region, type_, tag, missing, search)
    changes = TagEditor(p).apply(arns, set_tags=_parse_pairs(set_, "--set"), actor=cli_principal(), dry_run=dry_run)
    _print_changes(changes, as_json, dry_run)
    if any(c.status == "failed" for c in changes):
        raise typer.Exit(1)


@app.command()
def remove(ctx: typer.Context, key: Annotated[list[str], typer.Option("--key", help="tag key to remove (repeatable)")],
           arn: Annotated[list[str] | None, typer.Option("--arn")] = None, region: FindOpt = None,
           type_: Annotated[str | None, typer.Option("--type")] = None, tag: FindOpt = None, search: FindOpt = None,
           dry_run: Annotated[bool, typer.Option("--dry-run")] = False,
           as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Remove tag keys from many resources at once."""
    from assetguard.auth.principal import cli_principal
    from assetguard.tagging.editor import TagEditor

    p = platform(ctx)
    arns = _targets(p, arn or [], region, type_, tag, None, search)
    changes = TagEditor(p).apply(arns, remove=key, actor=cli_principal(), dry_run=dry_run)
    _print_changes(changes, as_json, dry_run)
    if any(c.status == "failed" for c in changes):
        raise typer.Exit(1)


@app.command("export")
def export_(ctx: typer.Context, output: Annotated[Path | None, typer.Option("--output", "-o")] = None,
            region: FindOpt = None, type_: Annotated[str | None, typer.Option("--type")] = None,
            tag: FindOpt = None, missing: FindOpt = None, search: FindOpt = None) -> None:
    """Export resources and their tags as CSV (one tag:<Key> column per key)."""
    from assetguard.tagging.editor import TagEditor

    p = platform(ctx)
    text = TagEditor(p).export_csv(_find(p, region, type_, tag, missing, search))
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        err_console.print(f"wrote {output}")


@app.command("import")
def import_(ctx: typer.Context, file: Path,
            dry_run: Annotated[bool, typer.Option("--dry-run", help="preview before/after only")] = False,
            as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Apply an edited export: a filled tag:K cell sets K, an empty one removes it."""
    from assetguard.auth.principal import cli_principal
    from assetguard.tagging.editor import TagEditor

    text = read_text(file, "tags CSV file")
    editor = TagEditor(platform(ctx))
    changes = editor.commit(editor.plan_csv(text, where=str(file)),
                            actor=cli_principal(), dry_run=dry_run)
    _print_changes(changes, as_json, dry_run)
    if any(c.status == "failed" for c in changes):
        raise typer.Exit(1)


@app.command()
def backfill(ctx: typer.Context, dry_run: Annotated[bool, typer.Option("--dry-run")] = False,
             as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Tag untagged AWS resources in the inventory, with their creator from CloudTrail where history allows."""
    from assetguard.auth.principal import cli_principal
    from assetguard.tagging.backfill import Backfill

    items = Backfill(platform(ctx)).run(dry_run=dry_run, actor=cli_principal())
    if as_json:
        sys.stdout.write(dumps([i.as_dict() for i in items], indent=2) + "\n")
        return
    for i in items:
        err_console.print(f"{i.status:10} {i.arn}  createdBy={i.created_by or '?'} ({i.source}) "
                          f"{', '.join(f'{k}={v}' for k, v in i.tags.items())}", highlight=False)
    err_console.print(f"{len(items)} resource(s){' (dry run)' if dry_run else ''}")


policy_app = typer.Typer(help="Tag policies (AWS Organizations syntax + required keys): put and list policies, check resources against them.", no_args_is_help=True)
app.add_typer(policy_app, name="policy")


@policy_app.command("put")
def policy_put(ctx: typer.Context, name: str, file: Path) -> None:
    """Store a tag policy from a JSON or YAML file."""
    from assetguard.auth.principal import cli_principal
    from assetguard.core.yamlfile import load_yaml
    from assetguard.tagging.policy_store import TagPolicyStore

    doc, _where = load_yaml(file)
    TagPolicyStore(platform(ctx)).put(name, doc, actor=cli_principal())
    err_console.print(f"stored tag policy {name}")


@policy_app.command("list")
def policy_list(ctx: typer.Context) -> None:
    """Print stored policies as JSON."""
    from assetguard.tagging.policy_store import TagPolicyStore

    sys.stdout.write(dumps(TagPolicyStore(platform(ctx)).list(), indent=2) + "\n")


@policy_app.command("check")
def policy_check(ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Evaluate every inventory asset against the effective policy; exit 1 on problems."""
    from assetguard.inventory.service import InventoryService
    from assetguard.tagging.policy import evaluate
    from assetguard.tagging.policy_store import effective_policy

    p = platform(ctx)
    policy = effective_policy(p)
    report = []
    for asset in InventoryService(p).list_assets():
        problems = evaluate(policy, asset["resourceType"], asset.get("tags") or {})
        if problems:
            report.append({"arn": asset["arn"], "problems": [x.as_dict() for x in problems]})
    if as_json:
        sys.stdout.write(dumps(report, indent=2) + "\n")
    else:
        for r in report:
            err_console.print(f"{r['arn']}: " + "; ".join(x["message"] for x in r["problems"]), highlight=False)
        err_console.print(f"{len(report)} non-compliant resource(s)")
    if report:
        raise typer.Exit(1)
