"""The harvest benchmark's source row: the options it is harvested with."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from bench import harvest
from harvester.store.db import create_engine
from harvester.store.migrate import upgrade_async


async def test_the_benchmarked_source_takes_the_options_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--source-options`` reach the source row (Socrata's offset paging, say), over the
    defaults (CKAN's page size)."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'bench.db'}"
    await upgrade_async(url)
    monkeypatch.setattr(harvest, "SOURCE_OPTIONS", {"paging": "offset", "rows": 7})
    await harvest._setup(url, "http://127.0.0.1:9/api/3", "ckan", 100)
    engine = create_engine(url)
    async with engine.connect() as connection:
        options = await connection.scalar(sa.text("SELECT options FROM source"))
    await engine.dispose()
    assert json.loads(options) == {"rows": 7, "paging": "offset"}
