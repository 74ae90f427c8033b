"""``assetguard waf``: evaluate, wcu, export, validate, proxy.

``assetguard waf evaluate --acl ACL --requests FILE.jsonl`` is the offline contract other tools rely
on: one ``{"action", "terminatingRuleId", "labels"}`` line per request line.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from assetguard.cli.context import console, state
from assetguard.core.errors import ValidationError
from assetguard.core.jsonout import dumps
from assetguard.core.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy import Connection

NAME = "waf"
app = typer.Typer(help="WAFv2-compatible web ACLs: evaluate requests offline, wcu capacity, export and validate ACLs, put ACLs and their sets into the WAF store, run the reverse proxy, update-lists of the IP groups.",
                  no_args_is_help=True)

AclOption = Annotated[str, typer.Option("--acl", help="ACL name (the WAF store, then the built-in set: baseline, "
                                        "recommended) or file")]
ResourcesOption = Annotated[list[Path] | None, typer.Option(
    "--resources", "-r", help="file or directory with referenced IP sets, regex pattern sets, rule groups")]


def acl_file(acl: str) -> Path | None:
    """The file ``--acl`` names, or None when it is a name (the CLI, run by a local user, may read files;
    the API and proxies never do). A name-shaped argument is a name: write ``./acl`` for such a file."""
    from assetguard.waf.store import NAME_RE

    if NAME_RE.fullmatch(acl) is None:
        return Path(acl)
    return None


def named_acl(settings: Settings, acl: str) -> tuple[dict, int]:  # type: ignore[type-arg]
    """``(document, version)`` of the ACL called ``acl``: the store of the configured database, then
    the built-in set."""
    from assetguard.runtime.platform import Platform
    from assetguard.waf.acl_source import find_acl
    from assetguard.waf.documents import builtin_acl_names
    from assetguard.waf.store import WafStore

    if acl in builtin_acl_names():
        document, version, _etag = find_acl(None, acl)
        return document, version
    plat = Platform.create(settings)
    try:
        document, version, _etag = find_acl(WafStore(plat.db), acl)
        return document, version
    finally:
        plat.close()


def compile_from_cli(settings: Settings, acl: str, resources: list[Path] | None):  # type: ignore[no-untyped-def]
    from assetguard.waf.engine import load_compiled_acl_from_settings

    path = acl_file(acl)
    if path is not None:
        return load_compiled_acl_from_settings(settings.waf, path, resources)
    from assetguard.runtime.platform import Platform
    from assetguard.waf.acl_source import compile_named_acl
    from assetguard.waf.documents import builtin_acl_names
    from assetguard.waf.store import WafStore

    waf = settings.waf.model_copy(update={"resources": [*settings.waf.resources, *(str(p) for p in resources or [])]})
    if acl in builtin_acl_names():
        return compile_named_acl(waf, None, acl)[0]
    plat = Platform.create(settings)
    try:
        return compile_named_acl(waf, WafStore(plat.db), acl)[0]
    finally:
        plat.close()


@app.command()
def evaluate(ctx: typer.Context, acl: AclOption,
             requests: Annotated[Path, typer.Option("--requests", help="JSONL (or - for stdin), .har, CRS .yaml, "
                                                    "or a directory of CRS YAML files")],
             resources: ResourcesOption = None,
             output: Annotated[Path | None, typer.Option("--output", "-o", help="write here instead of stdout")] = None,
             with_id: Annotated[bool, typer.Option("--with-id", help="add the request id to each line")] = False,
             ) -> None:
    """Evaluate requests offline: one {"action","terminatingRuleId","labels"} line per request."""
    from assetguard.waf.requestfiles import read_requests

    if str(requests) != "-" and not requests.exists():
        raise ValidationError("requests file does not exist", where=str(requests))
    compiled = compile_from_cli(state(ctx).settings(), acl, resources)
    out = output.open("w", encoding="utf-8") if output else sys.stdout
    try:
        for request_id, request in read_requests(requests):
            record = compiled.evaluate(request).to_record()
            if with_id:
                record = {"id": request_id, **record}
            out.write(dumps(record, separators=(",", ":")) + "\n")
    finally:
        if output:
            out.close()
        else:
            out.flush()


@app.command()
def wcu(ctx: typer.Context, acl: Annotated[str, typer.Argument(help="built-in ACL name or file")],
        resources: ResourcesOption = None) -> None:
    """Print each rule's capacity and the total; warn above 1,500 and exit 1 above 5,000."""
    from rich.table import Table

    from assetguard.waf.wcu import BASE_PRICE_WCU, MAX_WCU, capacity_report

    report = capacity_report(compile_from_cli(state(ctx).settings(), acl, resources))
    table = Table(title=f"web ACL {report.acl}")
    table.add_column("rule")
    table.add_column("WCU", justify="right")
    for name, units in report.rules:
        table.add_row(name, f"{units:,}")
    table.add_row("[bold]total[/bold]", f"[bold]{report.total:,}[/bold]")
    console.print(table)
    if report.above_maximum:
        console.print(f"[red]error:[/red] {report.total:,} WCU is above AWS's maximum of {MAX_WCU:,}")
        raise typer.Exit(1)
    if report.above_base_price:
        console.print(f"[yellow]warning:[/yellow] {report.total:,} WCU is above the {BASE_PRICE_WCU:,} WCU "
                      "included in the base price; AWS charges for the excess")


@app.command()
def export(ctx: typer.Context, acl: AclOption,
           output: Annotated[Path | None, typer.Option("--output", "-o", help="file to write (default stdout)")] = None,
           resources: ResourcesOption = None) -> None:
    """Write the ACL as WAFv2 CreateWebACL JSON (validated first; lossless round trip)."""
    from assetguard.waf.documents import load_acl_document

    settings = state(ctx).settings()
    compile_from_cli(settings, acl, resources)  # refuse to export what would not load
    path = acl_file(acl)
    doc = load_acl_document(path) if path is not None else named_acl(settings, acl)[0]
    text = dumps(doc, indent=2, ensure_ascii=False) + "\n"
    if output:
        output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


@app.command()
def validate(ctx: typer.Context, acl: AclOption, resources: ResourcesOption = None) -> None:
    """Check an ACL (and what it references); errors name the JSON path."""
    compiled = compile_from_cli(state(ctx).settings(), acl, resources)
    console.print(f"[green]ok[/green]: web ACL {compiled.name}, {len(compiled.rules)} rules, {compiled.capacity:,} WCU")


StoreKind = Annotated[str, typer.Option("--kind", help="acl, rule-group, ip-set or regex-pattern-set")]


@app.command()
def put(ctx: typer.Context, name: Annotated[str, typer.Argument(help="name in the WAF store (1-128 of A-Z a-z 0-9 _ -)")],
        file: Annotated[Path, typer.Argument(help="WAFv2 JSON or YAML document (Create*/Get* shape)")],
        kind: StoreKind = "acl") -> None:
    """Save a file as the next version of a web ACL, rule group, IP set or regex pattern set in the WAF
    store; every proxy following it reloads within seconds."""
    from assetguard.auth.principal import cli_principal
    from assetguard.cli.context import platform
    from assetguard.waf.acl_source import compile_document, validate_resource
    from assetguard.waf.documents import builtin_acl_names, read_document, unwrap
    from assetguard.waf.ratelimit import MemoryRateCounter
    from assetguard.waf.store import KINDS, WafStore, check_kind, check_name

    check_kind(kind)
    check_name(name)
    if kind == "acl" and name in builtin_acl_names():
        raise ValidationError(f"{name!r} is a built-in ACL and cannot be replaced; choose another name", where="NAME")
    try:
        document = unwrap(read_document(file), KINDS[kind])
    except UnicodeDecodeError as exc:
        raise ValidationError(f"not UTF-8 text (byte {exc.start}); save the file as UTF-8", where=str(file)) from None
    except OSError as exc:
        raise ValidationError(f"cannot read: {exc.strerror}", where=str(file)) from None
    if not isinstance(document, dict):
        raise ValidationError("a WAF document must be an object", where=str(file))
    plat = platform(ctx)
    store = WafStore(plat.db)
    waf = state(ctx).settings().waf
    if kind == "acl":
        compile_document(waf, store, document, str(file), MemoryRateCounter())
    else:
        validate_resource(waf, store, kind, name, document)
    actor = cli_principal()

    def audit(conn, before, saved) -> None:  # type: ignore[no-untyped-def]
        plat.audit.record(conn, actor, f"waf.{kind}.put", f"waf:{kind}/{name}",
                          before=before.document if before else None, after=saved.document)

    saved = store.put(kind, name, document, actor=actor.name, audit=audit)
    console.print(f"[green]saved[/green] {kind} {name} version {saved.version} (etag {saved.etag[:12]})")


@app.command()
def proxy(ctx: typer.Context,
          acl: Annotated[str | None, typer.Option("--acl", help="ACL name or file (default: settings waf.acl)")] = None,
          upstream: Annotated[list[str] | None, typer.Option("--upstream", help="upstream URL; repeat for "
                                                              "round-robin")] = None,
          listen: Annotated[str | None, typer.Option("--listen", help="HOST:PORT (default: settings waf.listen)")] = None,
          workers: Annotated[int, typer.Option("--workers", min=1, help="processes sharing the port")] = 1,
          health_check: Annotated[str | None, typer.Option(
              "--health-check", help="GET this path on each upstream every 5 s (200-399 = healthy; "
                                     "default: settings waf.health_check_path, else a TCP connect)")] = None,
          tls_cert: Annotated[Path | None, typer.Option("--tls-cert", help="certificate (PEM) for TLS")] = None,
          tls_key: Annotated[Path | None, typer.Option("--tls-key", help="private key (PEM) for TLS")] = None,
          fail_open: Annotated[bool | None, typer.Option("--fail-open/--fail-closed",
                                                         help="on an engine error, pass (open) or block")] = None,
          log: Annotated[str | None, typer.Option("--log", help="WAF log JSONL file, or - for stdout")] = None,
          log_sample_rate: Annotated[float | None, typer.Option("--log-sample-rate", min=0, max=1)] = None,
          resources: ResourcesOption = None) -> None:
    """Reverse proxy that inspects every request with a web ACL, following the ACL's new versions in the
    WAF store within seconds (SIGHUP reloads it too) and reporting its version to the database."""
    import logging

    from assetguard.waf.proxy_runner import run_proxy

    settings = state(ctx).settings()
    waf = settings.waf.model_copy(deep=True)
    if tls_cert is not None:
        waf.tls_cert = str(tls_cert)
    if tls_key is not None:
        waf.tls_key = str(tls_key)
    if fail_open is not None:
        waf.fail_open = fail_open
    if health_check is not None:
        waf.health_check_path = health_check
    if log is not None:
        waf.log_path = log
    if log_sample_rate is not None:
        waf.log_sample_rate = log_sample_rate
    waf.resources = [*waf.resources, *(str(p) for p in resources or [])]
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    name = acl or waf.acl
    plat = state(ctx).platform()  # the database the ACL's versions come from (migrated, like any process)
    url = plat.settings.resolved_database_url
    plat.close()
    run_proxy(waf, acl=name, upstreams=upstream or [waf.upstream], listen=listen or waf.listen, workers=workers,
              database_url=url, acl_file=acl_file(name))


ListSources = Annotated[list[str] | None, typer.Option(help="file or http(s) URL; repeat to merge several")]


@app.command("update-lists")
def update_lists_command(ctx: typer.Context,
                         anonymous: ListSources = None,
                         hosting_provider: ListSources = None,
                         ip_reputation: ListSources = None,
                         reconnaissance: ListSources = None,
                         ddos: ListSources = None,
                         directory: Annotated[Path | None, typer.Option(
                             "--dir", help="write managed:ipset/<name>.txt files here instead of saving the "
                             "lists in the database (for proxies without one)")] = None) -> None:
    """Refresh the IP lists of the IP-reputation and anonymous-IP groups (Tor list, CIDR feeds, ip-ranges.json).

    The lists are saved in the database, where every proxy of the deployment follows them."""
    from assetguard.auth.principal import cli_principal
    from assetguard.cli.context import platform
    from assetguard.targets.outbound import guard_for
    from assetguard.waf.ipsets import IPSetStore
    from assetguard.waf.managed.list_store import refresh_lists
    from assetguard.waf.managed.lists import update_lists
    from assetguard.waf.store import WafStore

    sources = {name: urls for name, urls in (
        ("anonymous", anonymous), ("hosting-provider", hosting_provider), ("amazon-ip-reputation", ip_reputation),
        ("amazon-reconnaissance", reconnaissance), ("amazon-ddos", ddos)) if urls}
    if not sources:
        raise ValidationError("name at least one list: --anonymous, --hosting-provider, --ip-reputation, "
                              "--reconnaissance or --ddos")
    plat = platform(ctx)
    # URLs only from vetted addresses (globally routable, plus outbound.allow_cidrs), as targets are.
    guard = guard_for(plat.settings)
    principal = cli_principal()

    def audit(conn: Connection, counts: dict[str, int]) -> None:
        plat.audit.record(conn, principal, "waf.update_lists", f"managed:ipset/{','.join(counts)}",
                          after={"counts": counts, "sources": sources, **({"dir": str(directory)} if directory else {})})

    if directory is not None:
        counts = update_lists(sources, store=IPSetStore(directory), guard=guard)
        with plat.db.begin() as conn:
            audit(conn, counts)
        for name, count in counts.items():
            console.print(f"managed:ipset/{name}: {count} networks (written to {directory / name}.txt)",
                          highlight=False, soft_wrap=True)
        return
    for saved in refresh_lists(WafStore(plat.db), sources, actor=principal.name, guard=guard, audit=audit):
        state_note = f"version {saved.version}" if saved.changed else f"unchanged, version {saved.version}"
        console.print(f"managed:ipset/{saved.name}: {saved.count} networks ({state_note}; every proxy follows it)",
                      highlight=False, soft_wrap=True)
