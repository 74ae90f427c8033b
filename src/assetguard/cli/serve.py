"""Scale-out processes: ``assetguard api`` (API and console only) and ``assetguard scheduler``
(periodic jobs, one leader per deployment). ``assetguard worker`` and ``assetguard waf proxy`` are
the other two; ``assetguard up`` runs all of them in one process."""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import Annotated

import typer

from assetguard.cli.context import console, state

log = logging.getLogger("assetguard.serve")


def register(app: typer.Typer) -> None:
    @app.command()
    def api(ctx: typer.Context,
            host: Annotated[str | None, typer.Option("--host")] = None,
            port: Annotated[int | None, typer.Option("--port")] = None) -> None:
        """Run only the API and console (no worker, scheduler or proxy): scale it out behind a load balancer."""
        from assetguard.cli.up import check_port_free, serve

        settings = state(ctx).settings()
        host, port = host or settings.api.host, port or settings.api.port
        check_port_free(host, port)
        logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        platform = state(ctx).platform()
        console.print(f"assetguard API and console on http://{host}:{port}/ ({platform.db.dialect})")
        asyncio.run(serve(platform, host, port, only=[]))

    @app.command()
    def scheduler(ctx: typer.Context,
                  metrics_port: Annotated[int | None, typer.Option(
                      "--metrics-port", min=0, max=65535, help="serve Prometheus /metrics here (default "
                      "9465; 0: off); each scheduler on a host needs its own")] = None,
                  ) -> None:
        """Run the periodic jobs. Several may be started; one leads (a lease with a fencing token), the rest wait."""
        from assetguard.runtime.leader import LeadershipLost
        from assetguard.runtime.scheduler import Scheduler
        from assetguard.runtime.shutdown import arm_hard_stop

        settings = state(ctx).settings()
        logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        platform = state(ctx).platform()
        if metrics_port != 0:
            from assetguard.telemetry.metrics_server import SCHEDULER_METRICS_PORT, start_metrics_server

            start_metrics_server(platform, metrics_port or SCHEDULER_METRICS_PORT, chosen=metrics_port is not None)

        async def main() -> None:
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            def on_signal() -> None:
                stop.set()
                arm_hard_stop("assetguard scheduler")

            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, on_signal)
            console.print(f"scheduler started ({platform.db.dialect}); one scheduler leads, the others wait")
            await Scheduler(platform, exit_on_lost_job=True).run(stop)

        try:
            asyncio.run(main())
        except LeadershipLost as exc:
            console.print(f"scheduler: {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(3) from None
