"""``moisson-sim``: sample payloads per platform, refuse unknown knobs."""

from __future__ import annotations

import orjson
import pytest
from typer.testing import CliRunner

from simulator.cli import app


@pytest.mark.parametrize("platform", ["ckan", "socrata", "datajson"])
def test_sample_prints_the_platform_payload(platform: str) -> None:
    result = CliRunner().invoke(app, ["sample", "--platform", platform, "--seed", "3"])
    assert result.exit_code == 0, result.output
    payload = orjson.loads(result.output)
    title = payload.get("title") or payload["resource"]["name"]
    assert "—" in title or title[-4:].isdigit()


def test_sample_turtle_is_turtle() -> None:
    result = CliRunner().invoke(app, ["sample", "--platform", "dcat_turtle", "--n", "2"])
    assert result.exit_code == 0
    assert result.output.count("a dcat:Dataset") == 2


@pytest.mark.parametrize(
    "args",
    [["--platform", "wordpress"], ["--fault", "teapot"], ["--hydra", "v3"]],
)
def test_serve_refuses_unknown_values(args: list[str]) -> None:
    result = CliRunner().invoke(app, ["serve", "--port", "0", *args])
    assert result.exit_code == 2
