"""A process's mapping workers stop when its harvests are over: at the end of a CLI
command and when the API shuts down (not left to the interpreter's exit)."""

from __future__ import annotations

import pytest
import typer
from fastapi import FastAPI

from api.app import create_app
from harvester import cli_common, mapping_pool
from harvester.settings import Settings


class Recorder:
    def __init__(self) -> None:
        self.shutdowns = 0

    def shutdown(self) -> None:
        self.shutdowns += 1


@pytest.fixture
def pool(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    recorder = Recorder()
    monkeypatch.setattr(mapping_pool, "POOL", recorder)
    return recorder


def test_a_command_stops_its_workers_when_it_ends(pool: Recorder) -> None:
    async def harvest() -> str:
        return "done"

    assert cli_common.run(harvest()) == "done" and pool.shutdowns == 1

    async def refused() -> None:
        raise cli_common.CliError("no such source", 2)

    with pytest.raises(typer.Exit):
        cli_common.run(refused())
    assert pool.shutdowns == 2


async def test_the_api_stops_its_workers_when_it_shuts_down(
    database_url: str, pool: Recorder
) -> None:
    app: FastAPI = create_app(Settings(database_url=database_url, auto_migrate=False))
    async with app.router.lifespan_context(app):
        assert pool.shutdowns == 0
    assert pool.shutdowns == 1
