"""``assetguard demo``: run the protected demo application."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from assetguard.cli.context import console, state

NAME = "demo"
app = typer.Typer(help="The demo: load the demo story, send demo traffic through the WAF proxy, or serve the sample app the WAF protects (/user, /content, /was).", no_args_is_help=True)


@app.command("app")
def run_app(ctx: typer.Context,
            host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
            port: Annotated[int | None, typer.Option("--port", help="default: settings demo.app_port (8001)")] = None,
            db: Annotated[Path | None, typer.Option("--db", help="SQLite file (default: <data_dir>/demo.db)")] = None,
            ) -> None:
    """Serve the demo application (put it behind: assetguard waf proxy --upstream http://HOST:PORT)."""
    import uvicorn

    from assetguard.demo.app import create_demo_app

    settings = state(ctx).settings()
    port = port or settings.demo.app_port
    path = db or settings.data_dir / "demo.db"
    console.print(f"demo application on http://{host}:{port}/was (database {path})")
    uvicorn.run(create_demo_app(path), host=host, port=port, log_level=settings.log_level, access_log=False)
