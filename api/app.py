"""The FastAPI application factory (``uvicorn api.app:create_app --factory``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api.problems import install_problem_handlers
from api.routers import datasets, health
from harvester.settings import Settings, get_settings
from harvester.store.db import create_engine, session_factory
from harvester.store.migrate import upgrade_async


def create_app(settings: Settings | None = None) -> FastAPI:
    """A Moisson API bound to ``settings`` (default: from the environment)."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.auto_migrate:
            await upgrade_async(settings.database_url)
        engine = create_engine(settings.database_url)
        app.state.sessions = session_factory(engine)
        try:
            yield
        finally:
            await engine.dispose()

    app = FastAPI(
        title="Moisson",
        summary="Federated open-data catalogue: one search over every partner's portal.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.settings = settings
    install_problem_handlers(app)
    app.include_router(health.router)
    app.include_router(datasets.router)
    return app
