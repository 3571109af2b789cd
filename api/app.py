"""The FastAPI application factory (``uvicorn api.app:create_app --factory``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api.caching import install_http_middleware
from api.problems import install_problem_handlers
from api.ratelimit import RateLimitMiddleware
from api.routers import catalog, changes, ckan_action, datasets, health, publishers, source_schedule
from api.routers import metrics as metrics_routes
from api.routers import runs as run_routes
from api.routers.audit import router as audit_router
from api.routers.partnership import router as partnership_router
from api.routers.sources import install as install_sources
from api.shared_buckets import read_limiter
from harvester import mapping_pool
from harvester.gc_tuning import freeze_startup_objects
from harvester.launcher import start_launcher
from harvester.search import facet_counts, record_cache
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
        engine = create_engine(
            settings.database_url,
            sqlite_inline_ms=settings.sqlite_inline_ms,
            sqlite_checkpoint_s=settings.sqlite_checkpoint_s,
            pool_size=settings.db_pool_size,
        )
        app.state.sessions = session_factory(engine)
        facet_counts.TEXT_CACHE_SIZE = settings.search_text_cache
        record_cache.SIZE = settings.search_record_cache
        app.state.harvests = await start_launcher(engine, app.state.sessions, settings)
        freeze_startup_objects()
        try:
            yield
        finally:
            await app.state.harvests.close()
            mapping_pool.POOL.shutdown()  # the harvests are over: their workers stop now
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
    app.include_router(catalog.router)
    app.include_router(changes.router)
    app.include_router(publishers.router)
    app.include_router(ckan_action.router)
    install_sources(app)
    app.include_router(partnership_router)
    app.include_router(audit_router)
    app.include_router(run_routes.router)
    app.include_router(source_schedule.router)
    app.include_router(metrics_routes.router)
    app.state.rate_limiter = read_limiter(settings.rate_limit, settings.rate_limit_burst)
    app.add_middleware(RateLimitMiddleware)
    install_http_middleware(app)
    return app
