"""Service settings from the environment (prefix ``MOISSON_``), built by ``get_settings()``."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

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
    auto_migrate: bool = True

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
