"""``/metrics`` for processes without an HTTP API (``assetguard worker``, ``assetguard scheduler``).

The API process serves ``/metrics`` itself and the WAF proxy answers ``/__assetguard/metrics``; the
others start this small Prometheus exposition server (OpenTelemetry instruments included)::

    start_metrics_server(platform, 9464)      # http://127.0.0.1:9464/metrics
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)


def start_metrics_server(platform: Any, port: int, host: str = "127.0.0.1") -> Any:
    """Serve this process's metrics on ``host:port``; returns the server, or None when the port is taken."""
    from prometheus_client import start_http_server

    from assetguard.telemetry.setup import process_meter_provider
    from assetguard.telemetry.state_metrics import bind_state_metrics

    process_meter_provider()  # process CPU, memory, connections and every OpenTelemetry instrument
    bind_state_metrics(platform)
    try:
        server, _thread = start_http_server(port, addr=host)
    except OSError as exc:
        log.warning("metrics not served: cannot listen on %s:%d (%s)", host, port, exc.strerror)
        return None
    log.info("Prometheus metrics on http://%s:%d/metrics", host, port)
    return server
