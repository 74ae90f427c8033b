"""Register the WAF reverse proxy as a component of ``assetguard up``.

It listens on ``settings.waf.listen`` (127.0.0.1:8000), protects ``settings.waf.upstream`` (the demo
app on 127.0.0.1:8001) with ``settings.waf.acl`` (``baseline``), follows that ACL's versions in the WAF
store of the platform database, and publishes sampled blocks on the bus.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from assetguard.runtime.components import components
from assetguard.waf.proxy_runner import WafProxyComponent

if TYPE_CHECKING:
    from assetguard.runtime.platform import Platform


@components.register("waf-proxy")
def waf_proxy(platform: Platform) -> WafProxyComponent:
    from assetguard.waf.store import WafStore

    tracer = None
    if platform.settings.telemetry.enabled:
        from assetguard.telemetry.setup import telemetry_for

        tracer = telemetry_for(platform).tracer("assetguard-waf")
    waf = platform.settings.waf
    if waf.health_check_path is None and waf.upstream.rstrip("/") in (
        f"http://127.0.0.1:{platform.settings.demo.app_port}",
        f"http://localhost:{platform.settings.demo.app_port}",
    ):
        # The built-in demo application: check its /was/health, as a load balancer would.
        waf = waf.model_copy(update={"health_check_path": "/was/health"})
    return WafProxyComponent(waf, platform.bus, WafStore(platform.db), tracer=tracer)
