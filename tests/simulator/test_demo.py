"""``moisson demo``: a simulated portal harvested into a fresh demo database, offline."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from harvester.cli import app
from harvester.settings import get_settings
from harvester.store.db import create_engine


async def _count(url: str, table: str) -> int:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return int(await connection.scalar(sa.text(f"SELECT count(*) FROM {table}")) or 0)
    finally:
        await engine.dispose()


@pytest.mark.parametrize("platform", ["ckan", "dcat_turtle"])
def test_demo_harvests_the_simulator_without_loosening_the_guard(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, platform: str
) -> None:
    monkeypatch.setenv("MOISSON_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.delenv("MOISSON_SSRF_ALLOW", raising=False)
    get_settings.cache_clear()
    db = tmp_path / "demo.db"
    args = ["demo", "--n", "40", "--platform", platform, "--db", str(db), "--no-serve"]
    try:
        result = CliRunner().invoke(app, args)
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "harvested 40 datasets (40 added, 0 failed)" in result.output
    url = f"sqlite+aiosqlite:///{db}"
    assert asyncio.run(_count(url, "dataset")) == 40
    assert get_settings().ssrf_allow == []  # the allow-list was for the demo harvest only
    again = CliRunner().invoke(app, args)  # the demo database is recreated each time
    assert again.exit_code == 0, again.output
    assert asyncio.run(_count(url, "dataset")) == 40
