"""OpenTelemetry traces and metrics, Prometheus, and the embedded span/metric store for the console."""
