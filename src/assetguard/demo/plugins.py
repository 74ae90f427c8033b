"""Register the demo application as a component of ``assetguard up`` (127.0.0.1:settings.demo.app_port)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from assetguard.demo.component import ServedApp
from assetguard.runtime.components import components

if TYPE_CHECKING:
    from assetguard.runtime.platform import Platform


@components.register("demo-app")
def demo_app(platform: Platform) -> ServedApp:
    from assetguard.demo.app import create_demo_app

    settings = platform.settings
    if not settings.telemetry.enabled:
        return ServedApp("demo-app", create_demo_app(settings.data_dir / "demo.db"), "127.0.0.1",
                         settings.demo.app_port)
    from assetguard.telemetry.setup import telemetry_for

    telemetry = telemetry_for(platform)
    app = create_demo_app(settings.data_dir / "demo.db", tracer=telemetry.tracer("demo-app"))
    telemetry.instrument_app(app, "demo-app")  # continues the proxy's trace (W3C traceparent)
    return ServedApp("demo-app", app, "127.0.0.1", settings.demo.app_port)
