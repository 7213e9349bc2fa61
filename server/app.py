"""The app factory: ``create_app(settings)`` builds the FastAPI app around one engine."""

from __future__ import annotations

import logging

from fastapi import FastAPI
from sqlalchemy import Engine

from server import limits
from server.api.routes import accounts, audit_events, auth, cases, devices, sync, team, teams
from server.db import make_engine
from server.errors import install_handlers
from server.settings import Settings
from server.transport import RequireTLS

log = logging.getLogger("keukentafel.server")


def create_app(settings: Settings, *, engine: Engine | None = None) -> FastAPI:
    app = FastAPI(
        title="Keukentafel dossier server",
        version="0.1.0",
        summary="The shared dossier of the kitchen-table MDOs: devices, sync and the audit log.",
    )
    app.state.settings = settings
    app.state.engine = engine if engine is not None else make_engine(settings.database_url)
    install_handlers(app)
    for module in (auth, devices, audit_events, accounts, teams, sync, cases, team):
        app.include_router(module.router)
    limits.install(app)  # body-size caps and the login/refresh/enrol rate limits

    @app.get("/health", tags=["health"])
    def health() -> dict[str, str]:
        return {"status": "ok"}

    app.add_middleware(RequireTLS, trusted_proxies=settings.trusted_proxies)
    return app
