"""``/metrics`` for processes without an HTTP API (``assetguard worker``, ``assetguard scheduler``).

The API process serves ``/metrics`` itself and the WAF proxy answers ``/__assetguard/metrics``; the
others start this small Prometheus exposition server (OpenTelemetry instruments included)::

    start_metrics_server(platform, 9464)      # http://127.0.0.1:9464/metrics

Each process on a host needs its own port. A port the operator chose (``--metrics-port N``) that is
taken stops the process with one line naming the option and the port, since its metrics would
silently be missing; when the default port is taken (a second worker or scheduler started without
the option) the process runs without metrics and says so in one warning naming the option.
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)

WORKER_METRICS_PORT = 9464  # ``assetguard worker``'s default
SCHEDULER_METRICS_PORT = 9465  # ``assetguard scheduler``'s default


def start_metrics_server(platform: Any, port: int, host: str = "127.0.0.1", *, chosen: bool = False,
                         option: str = "--metrics-port") -> Any:
    """Serve this process's metrics on ``host:port``; returns the server, or None when the (default)
    port is taken. ``chosen``: the operator named the port (``option``), so a taken one is a
    ConfigError instead."""
    from prometheus_client import start_http_server

    from assetguard.core.errors import ConfigError
    from assetguard.telemetry.setup import process_meter_provider
    from assetguard.telemetry.state_metrics import bind_state_metrics

    process_meter_provider()  # process CPU, memory, connections and every OpenTelemetry instrument
    bind_state_metrics(platform)
    try:
        server, _thread = start_http_server(port, addr=host)
    except OSError as exc:
        if chosen:
            raise ConfigError(f"cannot serve metrics on {host}:{port}: {exc.strerror}; give each process on "
                              f"this host its own port, or {option} 0 for none", where=option) from None
        log.warning("metrics not served: %s:%d (the default %s) is in use: %s; start each worker and scheduler "
                    "on a host with its own %s, or %s 0 for none", host, port, option, exc.strerror, option, option)
        return None
    log.info("Prometheus metrics on http://%s:%d/metrics", host, port)
    return server
