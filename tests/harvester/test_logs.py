"""Structured logs carry the fields harvest code passes as ``extra``."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
import structlog

from harvester.logs import configure_logging


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers, root.level = handlers, level
    structlog.reset_defaults()


def test_json_lines_with_extra_fields() -> None:
    stream = io.StringIO()
    configure_logging("json", "INFO", stream=stream)
    logging.getLogger("harvester.run_service").info(
        "harvest finished", extra={"source": "laval", "added": 3}
    )
    logging.getLogger("harvester.x").debug("hidden below the level")
    (line,) = stream.getvalue().splitlines()
    record = json.loads(line)
    assert record["event"] == "harvest finished"
    assert (record["source"], record["added"]) == ("laval", 3)
    assert record["level"] == "info" and record["logger"] == "harvester.run_service"
    assert record["timestamp"].endswith("Z")


def test_console_lines_are_key_value_text() -> None:
    stream = io.StringIO()
    configure_logging("console", "DEBUG", stream=stream)
    structlog.get_logger("harvester.y").warning("source flagged", source="gatineau", failures=3)
    line = stream.getvalue()
    assert "source flagged" in line and "source=gatineau" in line and "failures=3" in line
