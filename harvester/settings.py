"""Service settings from the environment (prefix ``MOISSON_``), built by ``get_settings()``."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from harvester.store.sqlite_checkpoints import CHECKPOINT_EVERY_S
from harvester.store.sqlite_inline import DEFAULT_BUDGET_MS

DEFAULT_DATA_DIR = Path("data")


class Settings(BaseSettings):
    """Everything configurable about one Moisson process."""

    model_config = SettingsConfigDict(env_prefix="MOISSON_", extra="ignore")

    database_url: str = Field(
        default=f"sqlite+aiosqlite:///{DEFAULT_DATA_DIR / 'moisson.db'}",
        description="SQLAlchemy async URL: sqlite+aiosqlite:///file.db or postgresql+asyncpg://…",
    )
    config: Path = Field(default=Path("config/sources.toml"), description="sources.toml path")
    ssrf_allow: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Hosts or CIDRs exempt from the SSRF guard (tests and local replays only).",
    )
    http_timeout: float = 30.0
    max_response_bytes: int = 64 * 1024 * 1024
    max_pages: int = 10_000
    batch_size: int = 500
    map_processes: int = Field(
        default=-1,
        ge=-1,
        description="Processes that map harvested records beside the harvesting one "
        "(-1: one fewer than the CPUs, at most 4; 0: map in the harvesting process).",
    )
    auto_migrate: bool = True
    registration_limit: int = Field(
        default=5, ge=1, description="Registrations accepted per client address per window."
    )
    registration_window: float = Field(default=3600.0, gt=0, description="Seconds.")
    preview_time_limit: float = Field(
        default=30.0, gt=0, description="Seconds a registration preview may take."
    )
    # Harvest engine (scheduling, safety, liveness, notifications, limits).
    log_format: Literal["console", "json"] = Field(
        default="console", description="Log lines as key=value text or as JSON."
    )
    log_level: str = Field(default="INFO", description="Python logging level name.")
    scheduler: bool = Field(
        default=True, description="Run the embedded APScheduler in `moisson serve`."
    )
    queue: bool = Field(
        default=False,
        description="Hand harvests to `moisson worker` processes (procrastinate; PostgreSQL).",
    )
    withdrawal_guard: float = Field(
        default=0.2,
        ge=0,
        le=1,
        description="A run withdrawing more than this share of a source holds them instead.",
    )
    failure_threshold: int = Field(
        default=3, ge=1, description="Failed runs in a row that flag a source."
    )
    webhook_url: str | None = Field(
        default=None, description="Called (POST, JSON) when a source is flagged or recovers."
    )
    retention_days: int = Field(default=90, ge=1, description="Runs older than this are pruned.")
    retention_keep: int = Field(
        default=10, ge=1, description="The newest runs of each source are always kept."
    )
    heartbeat_seconds: float = Field(default=30.0, gt=0)
    stale_after_seconds: float = Field(
        default=300.0, gt=0, description="A running run silent this long is interrupted."
    )
    tick_seconds: float = Field(default=60.0, gt=0, description="Scheduler tick period.")
    max_concurrent_harvests: int = Field(
        default=4, ge=1, description="Harvests at once (per process; across workers on PostgreSQL)."
    )
    max_per_host: int = Field(
        default=2, ge=1, description="Harvests at once against one remote host."
    )
    rate_limit: float = Field(
        default=10.0,
        ge=0,
        description="Anonymous reads per second per client address, per API process "
        "(0: no limit, e.g. behind a gateway that limits).",
    )
    rate_limit_burst: float = Field(
        default=60.0, ge=1, description="Anonymous reads a client may make at once."
    )
    sqlite_inline_ms: float = Field(
        default=DEFAULT_BUDGET_MS,
        ge=0,
        description="How long an SQLite read may run on the event loop before it moves to "
        "its connection's thread (0: every statement on the thread, as aiosqlite does).",
    )
    sqlite_checkpoint_s: float = Field(
        default=CHECKPOINT_EVERY_S,
        ge=0,
        description="Seconds between two copies of an SQLite file's write-ahead log into the "
        "database, made by a thread of their own ahead of the commit that fills the log "
        "(0: that commit copies it all).",
    )
    search_text_cache: int = Field(
        default=512,
        ge=0,
        description="Text queries whose total and facet counts an API process keeps per "
        "catalogue version, so their next pages and the same query again read the page "
        "alone (0: count on every call).",
    )
    search_record_cache: int = Field(
        default=1024,
        ge=0,
        description="Stored records of search results an API process keeps (by dataset "
        "and content hash), so a page reads only the records it has not kept (0: none).",
    )
    db_pool_size: int = Field(
        default=20,
        ge=1,
        description="Database connections an API process keeps open; up to 10 more are "
        "opened for a burst and closed once returned (each PostgreSQL one is a server "
        "process: mind max_connections across processes).",
    )
    http_cache_dir: Path | None = Field(
        default=None,
        description="Folder of the HTTP cache for conditional requests (off if unset).",
    )

    @field_validator("ssrf_allow", mode="before")
    @classmethod
    def _split_commas(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        """Accept plain ``sqlite:///`` and ``postgresql://`` URLs and pick the async driver."""
        if value.startswith("sqlite:///"):
            return "sqlite+aiosqlite:///" + value.removeprefix("sqlite:///")
        for prefix in ("postgresql://", "postgres://"):
            if value.startswith(prefix):
                return "postgresql+asyncpg://" + value.removeprefix(prefix)
        return value


@lru_cache
def get_settings() -> Settings:
    """The process's settings, read once from the environment."""
    return Settings()
