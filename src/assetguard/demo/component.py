"""Run an ASGI app with uvicorn inside ``assetguard up`` (its own thread, so signals stay with ``up``).

Example::

    component = ServedApp("demo-app", app, "127.0.0.1", 8001)
    await component.run(stop)
"""

from __future__ import annotations

import asyncio
import logging
import socket
from typing import Any

import uvicorn

log = logging.getLogger(__name__)


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


class ServedApp:
    """A component serving ``app`` on host:port until ``stop``; a busy port is a warning, not a crash."""

    def __init__(self, name: str, app: Any, host: str, port: int) -> None:
        self.name = name
        self.app = app
        self.host = host
        self.port = port

    async def run(self, stop: asyncio.Event) -> None:
        if not port_is_free(self.host, self.port):
            log.warning("%s not started: %s:%d is already in use; the rest keeps running",
                        self.name, self.host, self.port)
            return
        server = uvicorn.Server(uvicorn.Config(self.app, host=self.host, port=self.port, log_level="warning",
                                               access_log=False, lifespan="off"))
        task = asyncio.ensure_future(asyncio.to_thread(self._serve, server))
        stopper = asyncio.ensure_future(stop.wait())
        await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
        server.should_exit = True
        stopper.cancel()
        await task

    def _serve(self, server: uvicorn.Server) -> None:
        try:
            server.run()
        except SystemExit:  # uvicorn exits on a bind failure; keep the platform running
            log.warning("%s stopped: could not serve on %s:%d", self.name, self.host, self.port)
