"""``assetguard deploy aws synth|diff|deploy``: the plan on AWS through the CDK app in deploy/aws.

``synth`` runs the CDK app directly (offline: no AWS account, no CDK CLI download) and writes
CloudFormation templates to ``deploy/aws/cdk.out``; cdk-nag's AwsSolutions pack runs on every synth
and unsuppressed findings fail it. ``diff`` and ``deploy`` run the CDK CLI pinned in
``deploy/aws/package.json`` (installed with ``npm ci``/``npm install`` on first use).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer

from assetguard.cli.context import console
from assetguard.core.errors import ConfigError, ProviderError
from assetguard.core.jsonout import dumps

NAME = "deploy"
app = typer.Typer(help="Deploy the plan to AWS (CDK stacks in deploy/aws).", no_args_is_help=True)
aws_app = typer.Typer(help="AWS CDK: synth (offline), diff, deploy.", no_args_is_help=True)
app.add_typer(aws_app, name="aws")

ContextOpt = Annotated[str | None, typer.Option("--context", "-c", help="JSON for the 'assetguard' context "
                                                 "(region, app_image, certificate_arn, alert_emails, stacks, ...)")]


def cdk_dir() -> Path:
    env = os.environ.get("ASSETGUARD_CDK_DIR")
    candidates = [Path(env)] if env else []
    candidates += [Path.cwd() / "deploy" / "aws", Path(__file__).resolve().parents[3] / "deploy" / "aws"]
    for c in candidates:
        if (c / "app.py").exists():
            return c
    raise ConfigError("cannot find the CDK app (deploy/aws/app.py); run from a clone of assetguard or set "
                      "ASSETGUARD_CDK_DIR")


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    return env


def _context_args(context: str | None) -> list[str]:
    if not context:
        return []
    try:
        json.loads(context)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"--context is not JSON: {exc.msg} at column {exc.colno}") from None
    return ["-c", f"assetguard={context}"]


@aws_app.command()
def synth(context: ContextOpt = None,
          output: Annotated[Path | None, typer.Option("--output", "-o", help="cdk.out directory")] = None) -> None:
    """Synthesize CloudFormation templates offline (cdk-nag runs; errors fail the synth)."""
    directory = cdk_dir()
    out = output or directory / "cdk.out"
    env = _env()
    env["CDK_OUTDIR"] = str(out)
    if context:
        env["CDK_CONTEXT_JSON"] = dumps({**json.loads((directory / "cdk.json").read_text())["context"],
                                              "assetguard": json.loads(context)})
    else:
        env["CDK_CONTEXT_JSON"] = dumps(json.loads((directory / "cdk.json").read_text())["context"])
    proc = subprocess.run([sys.executable, str(directory / "app.py")], cwd=directory, env=env)
    if proc.returncode != 0:
        raise typer.Exit(proc.returncode)
    templates = sorted(p.name for p in out.glob("*.template.json"))
    console.print(f"synthesized {len(templates)} stacks into {out}: {', '.join(templates)}")


def _cdk_cli(args: list[str], context: str | None) -> None:
    directory = cdk_dir()
    if shutil.which("npm") is None:
        raise ProviderError("the CDK CLI needs Node.js and npm (apt-get install nodejs npm)")
    binary = directory / "node_modules" / ".bin" / "cdk"
    if not binary.exists():
        lock = (directory / "package-lock.json").exists()
        subprocess.run(["npm", "ci" if lock else "install", "--no-audit", "--no-fund"], cwd=directory, check=True)
    proc = subprocess.run([str(binary), *args, *_context_args(context)], cwd=directory, env=_env())
    raise typer.Exit(proc.returncode)


@aws_app.command()
def diff(context: ContextOpt = None) -> None:
    """Compare the synthesized stacks with what is deployed (needs AWS credentials)."""
    _cdk_cli(["diff", "--all"], context)


@aws_app.command()
def deploy(context: ContextOpt = None,
           approve: Annotated[bool, typer.Option("--approve", help="skip the CDK CLI's approval prompt")] = False) -> None:
    """Deploy every stack (needs AWS credentials and a bootstrapped account: npx cdk bootstrap)."""
    _cdk_cli(["deploy", "--all", *(["--require-approval", "never"] if approve else [])], context)
