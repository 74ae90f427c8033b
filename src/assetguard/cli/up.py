"""``assetguard up``: API, console, worker, scheduler, WAF proxy and demo app in one process."""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
from types import FrameType
from typing import Annotated

import typer
import uvicorn

from assetguard.api.app import create_app
from assetguard.auth.principal import SYSTEM
from assetguard.cli.context import console, state
from assetguard.core.errors import ConfigError
from assetguard.runtime.components import Component, components
from assetguard.runtime.platform import Platform

log = logging.getLogger("assetguard.up")
SHUTDOWN_GRACE = 5.0  # seconds components get to finish after SIGINT/SIGTERM


def first_start_token(platform: Platform) -> str | None:
    """Create the initial admin token when no active admin token exists.

    Processes starting together on an empty database check and create under the database-wide
    migration lock, so exactly one of them creates (and prints) the token.
    """
    from assetguard.db.migrate import migration_lock

    if platform.tokens.count_active("admin"):
        return None  # the common restart: no lock taken
    with migration_lock(platform.db.engine):
        if platform.tokens.count_active("admin"):
            return None  # another process created it while we waited
        existing = {t.name for t in platform.tokens.list()}
        name = "admin" if "admin" not in existing else f"admin-{len(existing) + 1}"
        _info, plaintext = platform.tokens.create(name, "admin", actor=SYSTEM)
        return plaintext


class GracefulServer(uvicorn.Server):
    """uvicorn re-raises a captured SIGINT/SIGTERM once it has shut down, so the process would die
    of the signal (exit 130 / -15). ``assetguard up`` owns its process: after a graceful stop it
    exits 0. A second SIGINT still forces an immediate exit."""

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        from assetguard.runtime.shutdown import arm_hard_stop

        arm_hard_stop("assetguard")  # whatever hangs in the graceful stop, the process ends
        if self.should_exit and sig == signal.SIGINT:
            self.force_exit = True
        else:
            self.should_exit = True


async def serve(platform: Platform, host: str, port: int, only: list[str] | None = None,
                extra: list[Component] | None = None) -> None:
    # Sessions, CSRF and webhook signatures use the shared keys: without a key-encryption key
    # (PostgreSQL and no secret_key) refuse to start, with one line naming ASSETGUARD_SECRET_KEY.
    platform.keys.check()
    app = create_app(platform=platform)
    # proxy_headers off: uvicorn would believe X-Forwarded-For from any loopback peer; the app takes
    # it from api.trusted_proxies only (assetguard.api.forwarded).
    config = uvicorn.Config(app, host=host, port=port, log_level=platform.settings.log_level,
                            lifespan="on", access_log=False, proxy_headers=False)
    server = GracefulServer(config)
    stop = asyncio.Event()
    running: list[tuple[Component, asyncio.Task[None]]] = []
    for name, factory in components.items():
        if only is not None and name not in only:
            continue
        component = factory(platform)
        if component is not None:
            running.append((component, asyncio.create_task(component.run(stop), name=name)))
    for component in extra or []:  # e.g. the demo story and its background traffic (up --demo)
        running.append((component, asyncio.create_task(component.run(stop), name=component.name)))
    try:
        await server.serve()  # returns on SIGINT/SIGTERM (uvicorn installs the handlers)
    finally:
        stop.set()
        await stop_components(running)


async def stop_components(running: list[tuple[Component, asyncio.Task[None]]],
                          grace: float = SHUTDOWN_GRACE) -> None:
    """Wait for every component at once (not one after another), then cancel the stragglers."""
    if not running:
        return
    names = {task: component.name for component, task in running}
    done, pending = await asyncio.wait(names, timeout=grace)
    for task in pending:
        log.warning("component %s did not stop in %.0f s; cancelling", names[task], grace)
        task.cancel()
    if pending:
        await asyncio.wait(pending, timeout=2)
    for task in done:
        if not task.cancelled() and task.exception() is not None:
            log.warning("component %s failed: %s", names[task], task.exception())


def display_host(host: str) -> str:
    """Where a browser on this machine reaches a server bound to ``host``."""
    return "127.0.0.1" if host in ("0.0.0.0", "::", "") else (f"[{host}]" if ":" in host else host)


def check_port_free(host: str, port: int) -> None:
    """Fail with one line before starting anything when the address is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror}; choose another with --port",
                              where="api.port") from None


def register(app: typer.Typer) -> None:
    @app.command()
    def up(ctx: typer.Context,
           host: Annotated[str | None, typer.Option("--host", help="API and console address")] = None,
           port: Annotated[int | None, typer.Option("--port", help="API and console port")] = None,
           demo: Annotated[bool, typer.Option("--demo", help="load the demo story once and keep gentle demo "
                                                             "traffic going through the WAF proxy")] = False) -> None:
        """Run the whole platform in one process (default 127.0.0.1:8080)."""
        settings = state(ctx).settings()
        host = host or settings.api.host
        port = port or settings.api.port
        settings.api.host, settings.api.port = host, port
        check_port_free(host, port)
        logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        logging.getLogger("alembic").setLevel(logging.WARNING)  # one line per migration is noise here
        platform = state(ctx).platform()
        token = first_start_token(platform)
        names = ", ".join(name for name, _ in components.items())
        url = f"http://{display_host(host)}:{port}/"
        console.print("[bold green]assetguard is up[/bold green]")
        console.print(f"  console:  {url}  (log in by pasting an API token)", highlight=False)
        console.print(f"  API:      {url}docs  (send Authorization: Bearer <token>)", highlight=False)
        console.print(f"  database: {platform.db.dialect}; components: {names or '(none)'}", highlight=False)
        if token:
            console.print("first start: created an admin token; it is shown only now. Paste it into the "
                          f"login page at {url}login :", highlight=False, soft_wrap=True)
            console.print(f"  [bold]{token}[/bold]", highlight=False, soft_wrap=True)
        else:
            console.print("log in with an existing token, or create one: "
                          "assetguard token create --name me --role admin", highlight=False)
        extra: list[Component] = []
        if demo:
            from assetguard.demo.background import DemoBackground, marker_path

            if "event_sample_rate" not in settings.waf.model_fields_set:
                settings.waf.event_sample_rate = 1.0  # demo traffic is ~1 request/s: publish every block
            if "apply_to_aws" not in settings.tagging.model_fields_set:
                settings.tagging.apply_to_aws = False  # the demo account is not real: edit the inventory only
            background = DemoBackground(platform)
            extra.append(background)
            loaded = marker_path(platform).exists()
            console.print(f"  demo:     {'story already loaded' if loaded else 'loading the demo story (about a minute)'}"
                          f"; gentle traffic through the WAF proxy at {background.target}", highlight=False,
                          soft_wrap=True)
        console.print("stop with Ctrl+C (or SIGTERM)", highlight=False)
        asyncio.run(serve(platform, host, port, extra=extra))

    @app.command()
    def init(path: Annotated[str, typer.Option("--path", help="where to write the file")] = "assetguard.yaml",
             force: Annotated[bool, typer.Option("--force", help="overwrite an existing file")] = False) -> None:
        """Write a commented assetguard.yaml with the defaults."""
        from pathlib import Path

        from assetguard.cli.template import CONFIG_TEMPLATE

        target = Path(path)
        if target.exists() and not force:
            console.print(f"[red]error:[/red] {target} exists; use --force to overwrite")
            raise typer.Exit(2)
        target.write_text(CONFIG_TEMPLATE, encoding="utf-8")
        console.print(f"wrote {target}")
