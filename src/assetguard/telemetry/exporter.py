"""An OpenTelemetry span exporter that writes finished spans into the embedded store."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from sqlalchemy.exc import SQLAlchemyError

from assetguard.core.redact import mask_text
from assetguard.telemetry.store import TelemetryStore

MAX_ATTRIBUTES = 40
MAX_VALUE = 500


def _attr(value: Any) -> Any:
    if isinstance(value, str):
        # Viewers read traces: a URL's password or a secret query parameter (?token=) is masked.
        return mask_text(value[:MAX_VALUE])
    if isinstance(value, tuple | list):
        return [_attr(v) for v in value][:20]
    return value


def span_row(span: ReadableSpan) -> dict[str, Any]:
    ctx = span.get_span_context()
    attrs = dict(span.attributes or {})
    start = span.start_time or 0
    end = span.end_time or start
    code = attrs.get("http.response.status_code", attrs.get("http.status_code"))
    status = span.status.status_code.name if span.status is not None else "UNSET"
    return {
        "trace_id": format(ctx.trace_id, "032x") if ctx else "",
        "span_id": format(ctx.span_id, "016x") if ctx else "",
        "parent_id": format(span.parent.span_id, "016x") if span.parent else None,
        "service": str(span.resource.attributes.get("service.name", "unknown")),
        "name": span.name[:300],
        "kind": span.kind.name,
        "start_time": datetime.fromtimestamp(start / 1e9, UTC),
        "duration_ms": (end - start) / 1e6,
        "status": status,
        "route": str(attrs.get("http.route"))[:300] if attrs.get("http.route") else None,
        "http_status": int(code) if isinstance(code, int | str) and str(code).isdigit() else None,
        "is_root": 1 if span.parent is None else 0,
        "attributes": {k: _attr(v) for k, v in list(attrs.items())[:MAX_ATTRIBUTES]},
    }


class StoreSpanExporter(SpanExporter):
    """Batches arrive from a BatchSpanProcessor thread; a database error drops that batch only."""

    def __init__(self, store: TelemetryStore) -> None:
        self.store = store

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        try:
            self.store.add_spans([span_row(s) for s in spans])
        except SQLAlchemyError:
            return SpanExportResult.FAILURE
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        return None
