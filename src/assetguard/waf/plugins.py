"""Register the WAF reverse proxy as a component of ``assetguard up``, and the scheduled refresh of
the managed IP lists (job ``waf.lists.refresh``).

It listens on ``settings.waf.listen`` (127.0.0.1:8000), protects ``settings.waf.upstream`` (the demo
app on 127.0.0.1:8001) with ``settings.waf.acl`` (``baseline``), follows that ACL's versions in the WAF
store of the platform database, and publishes sampled blocks on the bus.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from assetguard.runtime.components import components
from assetguard.runtime.scheduler import Job, jobs
from assetguard.waf.proxy_runner import WafProxyComponent

if TYPE_CHECKING:
    from sqlalchemy import Connection

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


def refresh_managed_lists(platform: Platform) -> None:
    """Job ``waf.lists.refresh``: fetch ``waf.list_sources`` and save the lists in the database,
    where every proxy follows them (nothing to do without sources)."""
    import logging

    from assetguard.targets.outbound import guard_for
    from assetguard.waf.managed.list_store import refresh_lists
    from assetguard.waf.store import WafStore

    sources = platform.settings.waf.list_sources
    if not sources:
        return
    from assetguard.auth.principal import SYSTEM

    def audit(conn: Connection, counts: dict[str, int]) -> None:
        platform.audit.record(conn, SYSTEM, "waf.update_lists", f"managed:ipset/{','.join(counts)}",
                              after={"counts": counts, "sources": sources, "by": "scheduler"})

    saved = refresh_lists(WafStore(platform.db), sources, actor="scheduler", guard=guard_for(platform.settings),
                          audit=audit)
    logging.getLogger(__name__).info("managed IP lists refreshed: %s", ", ".join(
        f"{s.name} {s.count} networks ({f'version {s.version}' if s.changed else 'unchanged'})" for s in saved))


@jobs.register("waf.lists.refresh")
def _refresh_job() -> Job:
    # On the leading scheduler only, once per waf.list_refresh_seconds across leaders (its slot in
    # scheduler_runs), so one fetch serves every proxy; a deployment's first leader refreshes at start.
    return Job("waf.lists.refresh", 3600.0, refresh_managed_lists, run_at_start=True,
               interval_setting=lambda settings: settings.waf.list_refresh_seconds)
