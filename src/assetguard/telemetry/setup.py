"""OpenTelemetry setup for every assetguard process, built from the platform (no globals).

One :class:`Telemetry` per platform (``telemetry_for(platform)``) owns a tracer provider per
service name (``assetguard-api``, ``assetguard-waf``, ``demo-app``, ``assetguard-worker``) and one
meter provider. Spans go to the embedded store (the console's Traces page) and, when the standard
variables name a collector (``OTEL_EXPORTER_OTLP_ENDPOINT`` or ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``,
protocol from ``OTEL_EXPORTER_OTLP_PROTOCOL``: ``grpc`` or ``http/protobuf``), over OTLP too —
ADOT included. Metrics are read by Prometheus from ``/metrics`` and pushed over OTLP when a
collector is configured. HTTP metrics use the stable semantic conventions
(``http.server.request.duration`` in seconds)::

    telemetry = telemetry_for(platform)
    telemetry.instrument_app(app, "assetguard-api")
    with telemetry.tracer("assetguard-waf").start_as_current_span("waf.evaluate"):
        ...
"""

from __future__ import annotations

import functools
import os
import threading
from typing import Any

from opentelemetry import trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import MetricReader, PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

import assetguard
from assetguard.telemetry.exporter import StoreSpanExporter
from assetguard.telemetry.store import TelemetryStore

# Emit the stable HTTP semantic conventions (http.server.request.duration, seconds).
os.environ.setdefault("OTEL_SEMCONV_STABILITY_OPT_IN", "http")

_prometheus_lock = threading.Lock()
_prometheus_reader: MetricReader | None = None


def _prometheus() -> MetricReader:
    """One Prometheus reader per process: it registers itself with prometheus_client's registry."""
    global _prometheus_reader
    with _prometheus_lock:
        if _prometheus_reader is None:
            from opentelemetry.exporter.prometheus import PrometheusMetricReader

            _prometheus_reader = PrometheusMetricReader()
        return _prometheus_reader


_meter_provider: MeterProvider | None = None
_meter_lock = threading.Lock()


def process_meter_provider() -> MeterProvider:
    """The process's meter provider (Prometheus, plus OTLP when a collector is configured)."""
    global _meter_provider
    with _meter_lock:
        if _meter_provider is not None:
            return _meter_provider
        readers: list[MetricReader] = [_prometheus()]
        if otlp_endpoint("METRICS"):
            readers.append(PeriodicExportingMetricReader(_otlp_metric_exporter()))
        _meter_provider = MeterProvider(resource=Resource.create({"service.name": "assetguard",
                                                                  "service.version": assetguard.__version__}),
                                        metric_readers=readers)
        _register_process_metrics(_meter_provider)
        return _meter_provider


def otlp_endpoint(signal: str) -> str | None:
    return os.environ.get(f"OTEL_EXPORTER_OTLP_{signal}_ENDPOINT") or os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")


def _protocol(signal: str) -> str:
    return (os.environ.get(f"OTEL_EXPORTER_OTLP_{signal}_PROTOCOL") or os.environ.get("OTEL_EXPORTER_OTLP_PROTOCOL")
            or "grpc")


def _otlp_span_exporter() -> Any:
    if _protocol("TRACES") == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
    else:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter  # type: ignore[assignment]
    return OTLPSpanExporter()


def _otlp_metric_exporter() -> Any:
    if _protocol("METRICS") == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter
    else:
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter  # type: ignore[assignment]
    return OTLPMetricExporter()


def _register_process_metrics(provider: MeterProvider) -> None:
    """process.cpu.utilization, process.memory.usage and open connections (semantic-convention names)."""
    import psutil
    from opentelemetry.metrics import CallbackOptions, Observation

    proc = psutil.Process()
    proc.cpu_percent(None)
    meter = provider.get_meter("assetguard.process")

    def cpu(_o: CallbackOptions) -> list[Observation]:
        return [Observation(proc.cpu_percent(None) / 100.0)]

    def memory(_o: CallbackOptions) -> list[Observation]:
        return [Observation(proc.memory_info().rss)]

    def connections(_o: CallbackOptions) -> list[Observation]:
        try:
            return [Observation(len(proc.net_connections(kind="tcp")))]
        except (psutil.Error, OSError):
            return []

    meter.create_observable_gauge("process.cpu.utilization", [cpu], unit="1", description="CPU time share")
    meter.create_observable_gauge("process.memory.usage", [memory], unit="By", description="resident memory")
    meter.create_observable_gauge("process.open_connections", [connections], unit="{connection}",
                                  description="open TCP connections")


_pools: Any = None  # engines whose pools the connection-usage gauge reports (weak)
_pools_lock = threading.Lock()


def _observe_pool_usage(provider: MeterProvider, engine: Any) -> None:
    """``db.client.connections.usage`` (semantic conventions: connections by state, idle or used),
    read from the pool when metrics are collected, not counted on every checkout and checkin."""
    import weakref

    from opentelemetry.metrics import CallbackOptions, Observation

    global _pools
    with _pools_lock:
        if _pools is None:
            _pools = weakref.WeakSet()

            def usage(_o: CallbackOptions) -> list[Observation]:
                out: list[Observation] = []
                for eng in list(_pools):
                    pool = eng.pool
                    name = eng.url.database or ""
                    for state, read in (("used", "checkedout"), ("idle", "checkedin")):
                        count = getattr(pool, read, None)
                        if callable(count):
                            out.append(Observation(int(count()), {"state": state, "pool.name": name}))
                return out

            provider.get_meter("opentelemetry.instrumentation.sqlalchemy").create_observable_up_down_counter(
                "db.client.connections.usage", [usage], unit="connections",
                description="Connections in the pool by state (idle or used)")
        _pools.add(engine)


@functools.cache
def _in_trace_engine_tracer() -> Any:
    """The official SQLAlchemy instrumentation, paying its per-statement cost only inside a trace.

    Its spans come from a provider that records children of an existing trace only, so outside one
    (the worker's and scheduler's own statements) it built attributes and a non-recording span for
    every statement, for nothing: about 0.3 ms of CPU per delivered event. Pool usage is a gauge.
    """
    from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer

    class InTraceEngineTracer(EngineTracer):
        def _before_cur_exec(self, conn: Any, cursor: Any, statement: Any, params: Any, context: Any,
                             executemany: Any) -> Any:
            if not trace.get_current_span().get_span_context().is_valid:
                return statement, params
            return super()._before_cur_exec(conn, cursor, statement, params, context, executemany)  # type: ignore[no-untyped-call]

        def _pool_connect(self, *_a: Any) -> None:
            return

        _pool_close = _pool_checkin = _pool_checkout = _pool_connect

    return InTraceEngineTracer


class Telemetry:
    def __init__(self, platform: Any) -> None:
        self.platform = platform
        self.store = TelemetryStore(platform.db)
        self.embedded = bool(getattr(platform.settings, "telemetry", None) is None
                             or platform.settings.telemetry.embedded_store)
        self._tracers: dict[str, TracerProvider] = {}
        self._lock = threading.Lock()

    def tracer_provider(self, service: str) -> TracerProvider:
        with self._lock:
            provider = self._tracers.get(service)
            if provider is None:
                provider = TracerProvider(resource=Resource.create({"service.name": service,
                                                                    "service.version": assetguard.__version__}))
                if self.embedded:
                    provider.add_span_processor(BatchSpanProcessor(StoreSpanExporter(self.store),
                                                                   schedule_delay_millis=1000))
                if otlp_endpoint("TRACES"):
                    provider.add_span_processor(BatchSpanProcessor(_otlp_span_exporter()))
                self._tracers[service] = provider
            return provider

    def tracer(self, service: str, name: str = "assetguard") -> trace.Tracer:
        return self.tracer_provider(service).get_tracer(name, assetguard.__version__)

    @property
    def meter_provider(self) -> MeterProvider:
        return process_meter_provider()

    def instrument_app(self, app: Any, service: str) -> None:
        """FastAPI/Starlette server spans and http.server.* metrics for ``app``."""
        from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

        FastAPIInstrumentor.instrument_app(app, tracer_provider=self.tracer_provider(service),
                                           meter_provider=self.meter_provider,
                                           excluded_urls="healthz,readyz,metrics,console/static",
                                           exclude_spans=["receive", "send"])

    def instrument_asgi(self, app: Any, service: str) -> Any:
        """Wrap any ASGI app (the demo application, the proxy) in OpenTelemetry middleware."""
        from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware

        return OpenTelemetryMiddleware(app, tracer_provider=self.tracer_provider(service),
                                       meter_provider=self.meter_provider, excluded_urls="healthz,metrics",
                                       exclude_spans=["receive", "send"])

    def child_only_provider(self, service: str) -> TracerProvider:
        """A provider whose spans exist only inside an existing trace (database and HTTP-client
        calls of a request), so background polling does not flood the store with root spans."""
        from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ParentBased

        key = f"{service}#children"
        with self._lock:
            provider = self._tracers.get(key)
            if provider is None:
                provider = TracerProvider(resource=Resource.create({"service.name": service,
                                                                    "service.version": assetguard.__version__}),
                                          sampler=ParentBased(root=ALWAYS_OFF))
                if self.embedded:
                    provider.add_span_processor(BatchSpanProcessor(StoreSpanExporter(self.store),
                                                                   schedule_delay_millis=1000))
                if otlp_endpoint("TRACES"):
                    provider.add_span_processor(BatchSpanProcessor(_otlp_span_exporter()))
                self._tracers[key] = provider
            return provider

    def instrument_engine(self, engine: Any, service: str) -> None:
        """SQLAlchemy spans (official instrumentation) for queries made inside a traced request."""
        _observe_pool_usage(self.meter_provider, engine)
        _in_trace_engine_tracer()(
            self.child_only_provider(service).get_tracer("opentelemetry.instrumentation.sqlalchemy"),
            engine, None, enable_commenter=False)

    def flush(self) -> None:
        for provider in list(self._tracers.values()):
            provider.force_flush()

    def close(self) -> None:
        for provider in list(self._tracers.values()):
            provider.shutdown()
        self._tracers.clear()


def telemetry_for(platform: Any) -> Telemetry:
    return platform.singleton("telemetry", lambda: Telemetry(platform))  # type: ignore[no-any-return]
