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
    return ServedApp("demo-app", create_demo_app(settings.data_dir / "demo.db"), "127.0.0.1", settings.demo.app_port)
