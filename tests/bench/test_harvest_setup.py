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


def test_platforms_without_baselines_are_measured_with_quick_only(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.argv", ["harvest.py", "--platforms", "opendatasoft"])
    with pytest.raises(SystemExit) as stopped:
        harvest.main()
    assert stopped.value.code == 2
    assert "measure opendatasoft with --quick" in capsys.readouterr().err


def test_unknown_platforms_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.argv", ["harvest.py", "--platforms", "ckan,nowhere"])
    with pytest.raises(SystemExit) as stopped:
        harvest.main()
    assert "unknown platform 'nowhere'" in str(stopped.value.code)


def test_every_simulated_platform_has_its_connector_and_source_url() -> None:
    """The benchmark harvests each simulated platform with the connector the simulator names,
    at the URL the simulator serves it under."""
    from bench import harvest_jobs
    from simulator.state import PLATFORMS

    assert set(harvest_jobs.CONNECTORS) == set(PLATFORMS)
    source = harvest_jobs._source("http://127.0.0.1:9", "arcgis_portal")
    assert (source.url, source.platform) == ("http://127.0.0.1:9/portal", "arcgis")
    turtle = harvest_jobs._source("http://127.0.0.1:9", "dcat_turtle")
    assert (turtle.url, turtle.platform) == ("http://127.0.0.1:9/catalog.ttl", "dcat_rdf")
