"""``assetguard findings``: list, show, update, export, import, insight, automation rules.

    assetguard findings list --min-severity HIGH --status NEW --json
    assetguard findings show 'assetguard/compliance/restricted-ssh/arn:aws:ec2:...'
    assetguard findings update ID [ID ...] --status SUPPRESSED --note "accepted risk"
    assetguard findings export --format sarif -o findings.sarif
    assetguard findings export --to securityhub --region eu-west-1
    assetguard findings import findings.json            # ASFF: array, {"Findings": [...]} or JSONL
    assetguard findings import --from securityhub --filters '{"SeverityLabel": [{"Value": "HIGH"}]}'
    assetguard findings insight --group-by ResourceType
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from assetguard.auth.principal import cli_principal
from assetguard.cli.context import console, err_console, platform
from assetguard.core.errors import ValidationError
from assetguard.core.jsonout import dumps
from assetguard.core.textfile import read_json, read_text_or_stdin

NAME = "findings"
app = typer.Typer(help="The findings hub (ASFF): list and show findings, update their workflow, export and import them, insight counts and automation rules.", no_args_is_help=True)
automation = typer.Typer(help="Automation rules (criteria → severity, workflow, note): list, add and delete them.", no_args_is_help=True)
app.add_typer(automation, name="automation")

JsonOpt = Annotated[bool, typer.Option("--json", help="machine-readable JSON output")]


def _filters(text: str | None) -> dict[str, Any] | None:
    if not text:
        return None
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise ValidationError(f"not JSON: {exc}", where="--filters") from None
    if not isinstance(value, dict):
        raise ValidationError("an object of field name → conditions", where="--filters")
    return value


def _hub(ctx: typer.Context) -> Any:
    from assetguard.findings.hub import FindingsHub

    return FindingsHub(platform(ctx))


def _select(ctx: typer.Context, *, severity: str | None, min_severity: str | None, status: str | None,
            record_state: str | None, generator: str | None, filters: str | None, limit: int | None) -> list[Any]:
    found: list[Any] = _hub(ctx).list(_filters(filters), severity=severity.upper() if severity else None,
                          min_severity=min_severity, workflow_status=status.upper() if status else None,
                          record_state=record_state.upper() if record_state else None, generator_id=generator,
                          limit=limit)
    return found


@app.command("list")
def list_findings(ctx: typer.Context,
                  severity: Annotated[str | None, typer.Option("--severity")] = None,
                  min_severity: Annotated[str | None, typer.Option("--min-severity")] = None,
                  status: Annotated[str | None, typer.Option("--status", help="NEW|NOTIFIED|RESOLVED|SUPPRESSED")]
                  = None,
                  record_state: Annotated[str | None, typer.Option("--record-state")] = "ACTIVE",
                  generator: Annotated[str | None, typer.Option("--generator", help="GeneratorId (rule id)")] = None,
                  filters: Annotated[str | None, typer.Option("--filters", help="ASFF filters as JSON")] = None,
                  limit: Annotated[int, typer.Option("--limit")] = 100,
                  as_json: JsonOpt = False) -> None:
    """Findings, newest first."""
    found = _select(ctx, severity=severity, min_severity=min_severity, status=status, record_state=record_state,
                    generator=generator, filters=filters, limit=limit)
    if as_json:
        sys.stdout.write(dumps(found, indent=2, default=str) + "\n")
        return
    table = Table()
    for col in ("Severity", "Workflow", "Generator", "Resource", "Title", "Updated"):
        table.add_column(col)
    for f in found:
        table.add_row(f["Severity"]["Label"], f["Workflow"]["Status"], f["GeneratorId"], f["Resources"][0]["Id"],
                      f["Title"], f["UpdatedAt"])
    console.print(table)
    console.print(f"{len(found)} finding(s)")


def _find(ctx: typer.Context, finding_id: str, product_arn: str | None) -> dict[str, Any]:
    hub = _hub(ctx)
    found: dict[str, Any] = hub.get(product_arn, finding_id) if product_arn else hub.find(finding_id)
    return found


@app.command()
def show(ctx: typer.Context, finding_id: Annotated[str, typer.Argument(help="the finding Id")],
         product_arn: Annotated[str | None, typer.Option("--product-arn")] = None, as_json: JsonOpt = False) -> None:
    """One finding with its resources and remediation."""
    f = _find(ctx, finding_id, product_arn)
    if as_json:
        sys.stdout.write(dumps(f, indent=2, default=str) + "\n")
        return
    console.print(f"[bold]{f['Title']}[/bold]  ({f['Severity']['Label']}, {f['Workflow']['Status']}, "
                  f"{f.get('RecordState')})", highlight=False)
    console.print(f["Description"], highlight=False)
    for r in f["Resources"]:
        console.print(f"  resource: {r['Type']} {r['Id']}", highlight=False)
    rec = ((f.get("Remediation") or {}).get("Recommendation") or {}).get("Text")
    if rec:
        console.print(f"  remediation: {rec}", highlight=False)
    if f.get("Compliance"):
        console.print(f"  compliance: {f['Compliance'].get('Status')} "
                      f"{', '.join(f['Compliance'].get('RelatedRequirements', []))}", highlight=False)
    if f.get("Note"):
        console.print(f"  note: {f['Note']['Text']} ({f['Note'].get('UpdatedBy')})", highlight=False)


@app.command()
def update(ctx: typer.Context, finding_ids: Annotated[list[str], typer.Argument(help="finding Ids")],
           status: Annotated[str | None, typer.Option("--status", help="NEW|NOTIFIED|RESOLVED|SUPPRESSED")] = None,
           note: Annotated[str | None, typer.Option("--note")] = None,
           severity: Annotated[str | None, typer.Option("--severity")] = None,
           verification: Annotated[str | None, typer.Option("--verification-state")] = None,
           product_arn: Annotated[str | None, typer.Option("--product-arn")] = None,
           as_json: JsonOpt = False) -> None:
    """Consumer update (BatchUpdateFindings): workflow status, note, severity, verification state."""
    idents = [{"Id": f["Id"], "ProductArn": f["ProductArn"]} for f in (_find(ctx, i, product_arn)
                                                                       for i in finding_ids)]
    result = _hub(ctx).update_findings(idents, actor=cli_principal(), workflow_status=status.upper() if status
                                       else None, note=note, severity_label=severity.upper() if severity else None,
                                       verification_state=verification)
    if as_json:
        sys.stdout.write(dumps(result, indent=2) + "\n")
        return
    console.print(f"updated {len(result['ProcessedFindings'])} finding(s)")


@app.command()
def export(ctx: typer.Context,
           fmt: Annotated[str, typer.Option("--format", help="asff|ocsf|sarif|csv")] = "asff",
           output: Annotated[Path | None, typer.Option("--output", "-o")] = None,
           to: Annotated[str | None, typer.Option("--to", help="securityhub: send with batch_import_findings")]
           = None,
           region: Annotated[str | None, typer.Option("--region")] = None,
           min_severity: Annotated[str | None, typer.Option("--min-severity")] = None,
           status: Annotated[str | None, typer.Option("--status")] = None,
           filters: Annotated[str | None, typer.Option("--filters", help="ASFF filters as JSON")] = None) -> None:
    """Write findings as ASFF/OCSF/SARIF/CSV, or send them to AWS Security Hub."""
    from assetguard.findings.export import render

    found = _select(ctx, severity=None, min_severity=min_severity, status=status, record_state=None,
                    generator=None, filters=filters, limit=None)
    if to is not None:
        if to != "securityhub":
            raise ValidationError("only 'securityhub' is supported", where="--to")
        from assetguard.findings.connectors import SecurityHubConnector

        result = SecurityHubConnector(_client(ctx, "securityhub", region)).export(found)
        console.print(f"Security Hub: {result['SuccessCount']} imported, {result['FailedCount']} failed")
        for f in result["FailedFindings"][:20]:
            err_console.print(f"  {f['Id']}: {f['ErrorCode']} {f['ErrorMessage']}", highlight=False)
        return
    text = render(found, fmt)
    if output is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    else:
        output.write_text(text, encoding="utf-8")
        err_console.print(f"wrote {len(found)} finding(s) as {fmt} to {output}")


def _client(ctx: typer.Context, service: str, region: str | None) -> Any:
    import boto3

    aws = platform(ctx).settings.aws
    session = boto3.Session(profile_name=aws.profile) if aws.profile else boto3.Session()
    return session.client(service, region_name=region or aws.regions[0], endpoint_url=aws.endpoint_url)


def _exit_if_failed(result: dict[str, Any]) -> None:
    """Exit 1 naming the findings that were not imported (the summary is printed already)."""
    failed = result.get("FailedFindings") or result.get("failed") or []
    if not failed:
        return
    names = ", ".join(str(f.get("Id", "?")) for f in failed[:10]) + (f" and {len(failed) - 10} more"
                                                                   if len(failed) > 10 else "")
    err_console.print(f"error: {len(failed)} finding(s) not imported: {names}", highlight=False)
    raise typer.Exit(1)


@app.command("import")
def import_findings(ctx: typer.Context,
                    file: Annotated[Path | None, typer.Argument(help="ASFF JSON / JSONL file, or - for stdin")]
                    = None,
                    source: Annotated[str | None, typer.Option("--from", help="securityhub|inspector2|config")]
                    = None,
                    region: Annotated[str | None, typer.Option("--region")] = None,
                    filters: Annotated[str | None, typer.Option("--filters", help="Security Hub filters as JSON")]
                    = None,
                    as_json: JsonOpt = False) -> None:
    """Import ASFF findings from a file (BatchImportFindings semantics) or from AWS."""
    from assetguard.findings.export import read_asff

    hub = _hub(ctx)
    if source is not None:
        from assetguard.findings import connectors

        if source == "securityhub":
            summary = connectors.SecurityHubConnector(_client(ctx, "securityhub", region)).import_into(
                hub, _filters(filters))
        elif source == "inspector2":
            summary = connectors.Inspector2Connector(_client(ctx, "inspector2", region)).import_into(hub)
        elif source == "config":
            account = _client(ctx, "sts", region).get_caller_identity()["Account"]
            summary = connectors.ConfigComplianceConnector(_client(ctx, "config", region), account).import_into(hub)
        else:
            raise ValidationError("must be securityhub, inspector2 or config", where="--from")
        result = summary.as_dict()
    else:
        if file is None:
            raise ValidationError("give a file (or - for stdin), or --from", where="FILE")
        text, where = read_text_or_stdin(file, "findings file")
        findings = read_asff(text, where=where)
        result = {"SuccessCount": 0, "FailedCount": 0, "FailedFindings": []}
        for i in range(0, len(findings), 100):
            part = hub.batch_import(findings[i:i + 100], actor=cli_principal())
            for k in ("SuccessCount", "FailedCount"):
                result[k] += part[k]
            result["FailedFindings"] += part["FailedFindings"]
    if as_json:
        sys.stdout.write(dumps(result, indent=2) + "\n")
        _exit_if_failed(result)
        return
    console.print(" ".join(f"{k}={v if not isinstance(v, list) else len(v)}" for k, v in result.items()))
    for f in (result.get("FailedFindings") or result.get("failed") or [])[:20]:
        err_console.print(f"  {f['Id']}: {f['ErrorCode']} {f['ErrorMessage']}", highlight=False)
    _exit_if_failed(result)


@app.command()
def insight(ctx: typer.Context, group_by: Annotated[str, typer.Option("--group-by", help="any field, e.g. "
                                                                       "ResourceType or Compliance.Status")],
            filters: Annotated[str | None, typer.Option("--filters", help="ASFF filters as JSON")] = None,
            as_json: JsonOpt = False) -> None:
    """Counts of findings grouped by a field (Security Hub insights)."""
    rows = _hub(ctx).insight(group_by, _filters(filters))
    if as_json:
        sys.stdout.write(dumps(rows, indent=2) + "\n")
        return
    table = Table()
    table.add_column(group_by)
    table.add_column("Count", justify="right")
    for r in rows:
        table.add_row(r["GroupByAttributeValue"], str(r["Count"]))
    console.print(table)


@automation.command("list")
def automation_list(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Automation rules in order."""
    from assetguard.findings.automation import AutomationRules

    rules = AutomationRules(platform(ctx)).list()
    if as_json:
        sys.stdout.write(dumps(rules, indent=2) + "\n")
        return
    for r in rules:
        console.print(f"{r['RuleOrder']:>4} {r['RuleName']} {r['RuleStatus']}"
                      f"{' terminal' if r['IsTerminal'] else ''}", highlight=False)


@automation.command("add")
def automation_add(ctx: typer.Context, file: Annotated[Path, typer.Argument(help="rule as JSON")]) -> None:
    """Create an automation rule from a JSON document (Security Hub CreateAutomationRule shape)."""
    from assetguard.findings.automation import AutomationRules

    doc = read_json(file, "automation rule file")
    rule = AutomationRules(platform(ctx)).create(doc, actor=cli_principal())
    console.print(f"created {rule['RuleName']} ({rule['RuleArn']})", highlight=False)


@automation.command("delete")
def automation_delete(ctx: typer.Context, name: str) -> None:
    """Delete an automation rule."""
    from assetguard.findings.automation import AutomationRules

    AutomationRules(platform(ctx)).delete(name, actor=cli_principal())
    console.print(f"deleted {name}")
