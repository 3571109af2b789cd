"""The folder of an SQLite database is made before it opens, for a path or a ``file:`` URI,
and nothing is made for a database in memory."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from harvester.store.db import create_engine, ensure_sqlite_directory


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working directory, to see what a call makes under it."""
    folder = tmp_path / "cwd"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder


async def test_a_file_uri_gets_its_path_folder_and_opens(tmp_path: Path, elsewhere: Path) -> None:
    url = f"sqlite+aiosqlite:///file:{tmp_path}/data/catalog.db?uri=true"
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(sa.text("CREATE TABLE t (n INTEGER)"))
    finally:
        await engine.dispose()
    made = (tmp_path / "data" / "catalog.db").is_file(), sorted(elsewhere.iterdir())  # noqa: ASYNC240
    assert made == (True, [])  # no folder named "file:..." where it ran


def test_a_path_or_a_relative_uri_gets_its_folder(tmp_path: Path, elsewhere: Path) -> None:
    ensure_sqlite_directory(f"sqlite+aiosqlite:///{tmp_path}/a/b/x.db")
    ensure_sqlite_directory("sqlite+aiosqlite:///file:rel/x.db?mode=rwc&uri=true")
    assert (tmp_path / "a" / "b").is_dir()
    assert [p.name for p in elsewhere.iterdir()] == ["rel"]


@pytest.mark.parametrize(
    "url",
    [
        "sqlite+aiosqlite://",
        "sqlite+aiosqlite:///:memory:",
        "sqlite+aiosqlite:///file::memory:?uri=true",
        "sqlite+aiosqlite:///file:shared/x?mode=memory&cache=shared&uri=true",
    ],
)
def test_a_database_in_memory_makes_no_folder(url: str, elsewhere: Path) -> None:
    ensure_sqlite_directory(url)
    assert list(elsewhere.iterdir()) == []
