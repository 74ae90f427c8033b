"""``assetguard demo load`` and ``assetguard demo traffic``: the end-to-end demo story.

These commands join the ``demo`` group of ``assetguard.cli.demo`` (loaded first: modules load in
alphabetical order), so ``assetguard demo --help`` lists ``app``, ``load`` and ``traffic``::

    assetguard demo load                       # cost, inventory, tags, host, compliance, vulns, alerts
    assetguard demo traffic --duration 30      # legitimate and attack requests through the WAF proxy
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from assetguard.auth.principal import cli_principal
from assetguard.cli.context import console, platform
from assetguard.cli.demo import app as demo_app


@demo_app.command("load")
def load(ctx: typer.Context,
         host_root: Annotated[str, typer.Option("--host-root", help="root of the host to inventory")] = "/",
         no_drain: Annotated[bool, typer.Option("--no-drain", help="leave event delivery to a running worker")]
         = False) -> None:
    """Fill the platform with the demo story (idempotent: running it again adds nothing twice)."""
    from assetguard.demo.story import StepResult, StoryLoader

    p = platform(ctx)
    loader = StoryLoader(p, actor=cli_principal(), host_root=host_root, drain=not no_drain)
    total = len(loader.steps)
    index = {name: i + 1 for i, (name, _) in enumerate(loader.steps)}
    status = console.status("starting")

    def started(name: str) -> None:
        status.update(f"[{index[name]}/{total}] {name} …")

    def finished(result: StepResult) -> None:
        mark = "[green]ok[/green]" if result.ok else "[red]failed[/red]"
        console.print(f"[{index[result.name]}/{total}] {result.name:<11} {mark} {result.seconds:5.1f}s  "
                      f"{result.summary}", highlight=False, soft_wrap=True)

    with status:
        results = loader.run(on_start=started, on_step=finished)
    table = Table(title="demo story", show_lines=False)
    for column in ("step", "result", "what"):
        table.add_column(column)
    for r in results:
        table.add_row(r.name, "ok" if r.ok else "FAILED", r.summary)
    console.print(table)
    failed = [r.name for r in results if not r.ok]
    if failed:
        console.print(f"[red]{len(failed)} step(s) failed:[/red] {', '.join(failed)}; the others were loaded")
        raise typer.Exit(1)
    console.print("open the console (assetguard up) to see Cost, Assets, Tags, Findings, Security and Outbox")


@demo_app.command("traffic")
def traffic(ctx: typer.Context,
            duration: Annotated[float, typer.Option("--duration", help="seconds to run (at most 3600)")] = 20.0,
            rate: Annotated[float, typer.Option("--rate", help="requests per second (at most 200)")] = 10.0,
            target: Annotated[str, typer.Option("--target", help="the WAF proxy; loopback only")]
            = "http://127.0.0.1:8000",
            attack_share: Annotated[float, typer.Option("--attack-share", help="fraction of attack requests")]
            = 0.3,
            seed: Annotated[int | None, typer.Option("--seed", help="repeatable request mix")] = None) -> None:
    """Send mixed legitimate and attack traffic through the WAF proxy on 127.0.0.1, then summarise."""
    from assetguard.demo.traffic import TrafficGenerator

    generator = TrafficGenerator(target, rate=rate, duration=duration, attack_share=attack_share, seed=seed)
    with console.status(f"sending traffic to {generator.target} for {duration:g}s at {rate:g}/s"):
        report = generator.run()
    table = Table(title=f"demo traffic → {generator.target}")
    for column in ("category", "sent", "allowed", "blocked", "errors"):
        table.add_column(column, justify="right" if column != "category" else "left")
    for category, row in sorted(report.by_category.items()):
        table.add_row(category, str(row.sent), str(row.allowed), str(row.blocked), str(row.errors))
    console.print(table)
    console.print(f"sent {report.sent} in {report.seconds:.1f}s: {report.allowed} allowed, {report.blocked} blocked, "
                  f"{report.errors} errors; attacks blocked {report.attacks_blocked}/{report.attacks_sent}, "
                  f"legitimate allowed {report.legit_allowed}/{report.legit_sent}", highlight=False)
    if report.sent and report.errors == report.sent:
        console.print("[red]nothing answered[/red]: is the platform up (assetguard up) with the WAF proxy on "
                      f"{generator.target}?")
        raise typer.Exit(1)
