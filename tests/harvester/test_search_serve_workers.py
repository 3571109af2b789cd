"""``moisson serve --workers N``: several HTTP processes for concurrent searches, refused
while the embedded scheduler is on (it must run once)."""

from __future__ import annotations

from typing import Any

import pytest

from harvester import cli
from tests.harvester.test_cli import _one_line_error, env, invoke

__all__ = ["env"]  # the fixture, shared with test_cli


def test_workers_need_the_scheduler_off(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[Any] = []
    monkeypatch.setattr("uvicorn.run", lambda *a, **k: calls.append(a))
    _one_line_error(invoke("serve", "--workers", "4"), 2, "--no-scheduler")
    _one_line_error(invoke("serve", "--workers", "2", "--no-scheduler", "--reload"), 2, "--reload")
    assert calls == []


def test_workers_start_uvicorn_with_processes(
    env: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
    monkeypatch.setattr("uvicorn.run", lambda *a, **k: calls.append((a, k)))
    monkeypatch.setattr(cli, "configure_logging", lambda *a: None)
    result = invoke("serve", "--workers", "3", "--no-scheduler")
    assert result.exit_code == 0, result.output
    assert calls == [
        (
            (cli.APP_FACTORY,),
            {
                "factory": True,
                "host": "127.0.0.1",
                "port": 8000,
                "log_config": None,
                "workers": 3,
            },
        )
    ]
