"""``assetguard compliance``: rules, packs, evaluation, results and remediation.

    assetguard compliance rules --pack kisa-unix
    assetguard compliance evaluate --pack baseline --json
    assetguard compliance results --non-compliant
    assetguard compliance remediation set restricted-ssh --approval auto --max-attempts 3
    assetguard compliance remediation run restricted-ssh arn:aws:ec2:...:security-group/sg-1 --dry-run
    assetguard compliance remediation approve EXECUTION_ID
"""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer
from rich.table import Table
from sqlalchemy import select

from assetguard.auth.principal import cli_principal
from assetguard.cli.context import console, platform
from assetguard.core.errors import ValidationError
from assetguard.core.jsonout import dumps

NAME = "compliance"
app = typer.Typer(help="Configuration compliance: the rules and conformance packs, evaluate assets against them, read the results, and run remediation runbooks.", no_args_is_help=True)
remediation = typer.Typer(help="Runbooks bound to rules: list and set the bindings, run one, approve or reject a pending run, list executions.", no_args_is_help=True)
app.add_typer(remediation, name="remediation")
JsonOpt = Annotated[bool, typer.Option("--json", help="machine-readable JSON output")]


def _out(value: Any) -> None:
    sys.stdout.write(dumps(value, indent=2, default=str) + "\n")


@app.command()
def rules(ctx: typer.Context, pack: Annotated[str | None, typer.Option("--pack")] = None,
          as_json: JsonOpt = False) -> None:
    """Registered rules with their metadata."""
    from assetguard.compliance.packs import get_pack
    from assetguard.compliance.rule import load_all_rules

    registry = load_all_rules()
    ids = get_pack(pack).rule_ids if pack else tuple(registry.names())
    selected = [registry.get(i) for i in ids]
    if as_json:
        _out([{**r.meta.model_dump(), "doc": r.doc, "parameters": r.params.model_json_schema()} for r in selected])
        return
    table = Table()
    for col in ("Rule", "Severity", "Trigger", "Resource types", "CIS", "KISA", "Runbook"):
        table.add_column(col)
    for r in selected:
        m = r.meta
        table.add_row(m.id, m.severity, m.trigger, ", ".join(m.resource_types), ", ".join(m.cis),
                      ", ".join(m.kisa), m.runbook or "")
    console.print(table)


@app.command()
def packs(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Conformance packs."""
    from assetguard.compliance.packs import packs as all_packs

    available = all_packs()
    if as_json:
        _out({n: {"description": p.description, "rules": list(p.rule_ids)} for n, p in available.items()})
        return
    for n, p in available.items():
        console.print(f"{n:<22} {len(p.rule_ids):>3} rules  {p.description}", highlight=False)


@app.command()
def evaluate(ctx: typer.Context, pack: Annotated[str, typer.Option("--pack")] = "baseline",
             rule: Annotated[list[str] | None, typer.Option("--rule", help="evaluate only these rules")] = None,
             as_json: JsonOpt = False) -> None:
    """Evaluate every stored asset; changed results publish events and update findings."""
    from assetguard.compliance.evaluator import ComplianceEvaluator

    with console.status("evaluating"):
        report = ComplianceEvaluator(platform(ctx)).evaluate(pack=pack, rule_ids=rule or None, actor=cli_principal())
    if as_json:
        _out({"summary": report.counts, "changes": report.changes, "findingsImported": report.findings_imported,
              "results": report.as_dicts()})
        return
    from assetguard.cli.scan import print_table

    print_table(report)
    console.print(f"{report.changes} change(s), {report.findings_imported} finding(s) updated")


@app.command()
def results(ctx: typer.Context, non_compliant: Annotated[bool, typer.Option("--non-compliant")] = False,
            rule: Annotated[str | None, typer.Option("--rule")] = None, as_json: JsonOpt = False) -> None:
    """Stored latest results per rule and resource."""
    from assetguard.compliance.tables import compliance_results as t

    stmt = select(t).order_by(t.c.rule_id, t.c.resource_arn)
    if non_compliant:
        stmt = stmt.where(t.c.compliance_type == "NON_COMPLIANT")
    if rule:
        stmt = stmt.where(t.c.rule_id == rule)
    with platform(ctx).db.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(stmt)]
    if as_json:
        _out(rows)
        return
    table = Table()
    for col in ("Rule", "Resource", "Result", "Annotation"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["rule_id"], r["resource_arn"], r["compliance_type"], r["annotation"])
    console.print(table)


def _service(ctx: typer.Context) -> Any:
    from assetguard.compliance.remediation import RemediationService

    return RemediationService(platform(ctx))


@remediation.command("list")
def remediation_list(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Remediation configurations (rule → runbook, approval, loop guard)."""
    configs = [c.model_dump() for c in _service(ctx).configs()]
    if as_json:
        _out(configs)
        return
    for c in configs:
        console.print(f"{c['rule_id']:<45} {c['runbook']:<34} {c['approval']:<6} max {c['max_attempts']}/24h "
                      f"cooldown {c['cooldown_seconds']}s{' ssm' if c['use_ssm'] else ''}", highlight=False)


@remediation.command("set")
def remediation_set(ctx: typer.Context, rule: str,
                    approval: Annotated[str | None, typer.Option("--approval", help="manual|auto")] = None,
                    runbook: Annotated[str | None, typer.Option("--runbook")] = None,
                    parameters: Annotated[str | None, typer.Option("--parameters", help="JSON object")] = None,
                    max_attempts: Annotated[int | None, typer.Option("--max-attempts")] = None,
                    cooldown: Annotated[int | None, typer.Option("--cooldown", help="seconds")] = None,
                    use_ssm: Annotated[bool | None, typer.Option("--ssm/--no-ssm")] = None) -> None:
    """Bind or change a rule's runbook configuration."""
    params = None
    if parameters:
        try:
            params = json.loads(parameters)
        except ValueError as exc:
            raise ValidationError(f"not JSON: {exc}", where="--parameters") from None
    c = _service(ctx).configure(rule, actor=cli_principal(), runbook=runbook, approval=approval, parameters=params,
                                max_attempts=max_attempts, cooldown_seconds=cooldown, use_ssm=use_ssm)
    console.print(f"{c.rule_id}: {c.runbook} approval={c.approval}", highlight=False)


@remediation.command("run")
def remediation_run(ctx: typer.Context, rule: str, resource_arn: str,
                    dry_run: Annotated[bool, typer.Option("--dry-run")] = False, as_json: JsonOpt = False) -> None:
    """Run a rule's runbook on a resource now (an operator's request needs no further approval)."""
    ex = _service(ctx).request(rule, resource_arn, actor=cli_principal(), trigger="manual", dry_run=dry_run)
    _show(ex, as_json)


@remediation.command("approve")
def remediation_approve(ctx: typer.Context, execution_id: str, as_json: JsonOpt = False) -> None:
    """Approve a pending execution and run it."""
    _show(_service(ctx).approve(execution_id, actor=cli_principal()), as_json)


@remediation.command("reject")
def remediation_reject(ctx: typer.Context, execution_id: str, reason: Annotated[str, typer.Option("--reason")] = "",
                       as_json: JsonOpt = False) -> None:
    """Reject a pending execution."""
    _show(_service(ctx).reject(execution_id, actor=cli_principal(), reason=reason), as_json)


@remediation.command("executions")
def remediation_executions(ctx: typer.Context, status: Annotated[str | None, typer.Option("--status")] = None,
                           as_json: JsonOpt = False) -> None:
    """Recent executions, newest first."""
    rows = _service(ctx).list(status=status)
    if as_json:
        _out(rows)
        return
    for e in rows:
        console.print(f"{e['executionId']} {e['status']:<16} {e['rule']:<40} {e['resource']}", highlight=False)


def _show(ex: dict[str, Any], as_json: bool) -> None:
    if as_json:
        _out(ex)
        return
    console.print(f"{ex['executionId']} {ex['status']}", highlight=False)
    for action in (ex.get("output") or {}).get("actions", []):
        console.print(f"  {'would ' if ex['dryRun'] else ''}{action}", highlight=False)
    if ex.get("error"):
        console.print(f"  [red]{ex['error']}[/red]", highlight=False)
