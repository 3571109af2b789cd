"""Objects alive after start-up are kept out of the garbage collector's full passes."""

from __future__ import annotations

import gc

import pytest
from fastapi import FastAPI

from api.app import create_app
from harvester import gc_tuning
from harvester.settings import Settings


def test_startup_objects_are_frozen_once(monkeypatch: pytest.MonkeyPatch) -> None:
    gc.unfreeze()
    monkeypatch.setattr(gc_tuning, "_frozen", False)
    assert gc.get_freeze_count() == 0
    gc_tuning.freeze_startup_objects()
    frozen = gc.get_freeze_count()
    assert frozen > 10_000  # the modules' objects at least
    later = [[n] for n in range(1000)]  # made after: not frozen by a second call
    gc_tuning.freeze_startup_objects()
    assert gc.get_freeze_count() == frozen
    del later


async def test_the_api_freezes_once_started(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    monkeypatch.setattr("api.app.freeze_startup_objects", lambda: calls.append("frozen"))
    app: FastAPI = create_app(Settings(database_url=database_url, auto_migrate=False))
    assert calls == []
    async with app.router.lifespan_context(app):
        assert calls == ["frozen"]
