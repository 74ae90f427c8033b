"""The API application factory.

>>> app = create_app(load_settings())          # or create_app(platform=existing)

Every module in ``assetguard.api.routes`` that defines ``router`` is included; a domain adds
its routes by adding a module there. The console (``assetguard.console``) is mounted at ``/``.
"""

from __future__ import annotations

import importlib
import pkgutil

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

import assetguard
from assetguard.api import routes
from assetguard.api.forwarded import TrustedProxyMiddleware
from assetguard.api.schema import document_errors, refine_http_errors
from assetguard.auth.throttle import throttle_for
from assetguard.core.errors import (
    AssetGuardError,
    AuthError,
    ConflictError,
    NotFoundError,
    PluginError,
    ProviderError,
    ProviderNotConfigured,
    ValidationError,
)
from assetguard.core.settings import Settings
from assetguard.events.ingest import install as install_ingest
from assetguard.runtime.platform import Platform

# First match wins: a provider the platform has no credentials or region for is the operator's to set up
# (409, naming the setting); 502 is kept for a provider that was reached and failed.
STATUS = {ValidationError: 400, PluginError: 400, AuthError: 401, NotFoundError: 404, ConflictError: 409,
          ProviderNotConfigured: 409, ProviderError: 502}


def create_app(settings: Settings | None = None, *, platform: Platform | None = None) -> FastAPI:
    if platform is None:
        if settings is None:
            raise ValueError("create_app needs settings or a platform")
        platform = Platform.create(settings)
    app = FastAPI(title="assetguard", version=assetguard.__version__,
                  description="Operations and security plan for a small team's assets.")
    app.state.platform = platform
    settings = platform.settings
    # Failed-auth counts shared by every API process: Redis when configured, else the database.
    app.state.auth_throttle = platform.singleton("auth-throttle", lambda: throttle_for(
        settings.api.auth_failure_limit, platform.db, settings.waf.redis_url,
        key_prefix=settings.waf.redis_key_prefix))

    @app.exception_handler(AssetGuardError)
    async def _domain_error(_request: Request, exc: AssetGuardError) -> JSONResponse:
        status = next((code for cls, code in STATUS.items() if isinstance(exc, cls)), 500)
        return JSONResponse({"detail": str(exc)}, status_code=status)

    for info in sorted(pkgutil.iter_modules(routes.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{routes.__name__}.{info.name}")
        router = getattr(module, "router", None)
        if router is not None:
            document_errors(router)
            app.include_router(router)

    if platform.settings.telemetry.enabled:
        from assetguard.telemetry.setup import telemetry_for
        from assetguard.telemetry.state_metrics import bind_state_metrics

        telemetry = telemetry_for(platform)
        telemetry.instrument_app(app, "assetguard-api")
        telemetry.instrument_engine(platform.db.engine, "assetguard-api")
        bind_state_metrics(platform)

    try:
        from assetguard.console.app import mount_console
    except ImportError:  # the console package is optional while it is being built
        pass
    else:
        mount_console(app, platform)
    # Outermost (added last), so everything inside sees the client behind trusted proxies.
    if settings.api.trusted_proxies:
        app.add_middleware(TrustedProxyMiddleware, trusted=settings.api.trusted_proxies)
    refine_http_errors(app)  # last: it wraps the console's error handler
    # POST /events answered ahead of the whole stack (group commit, sampled spans); see events.ingest
    install_ingest(app, platform)
    return app
