"""``moisson demo``: a populated catalogue on a fresh machine, with no internet.

Starts the portal simulator (:mod:`simulator`) in this process on 127.0.0.1, registers it as
a source in a demo SQLite database (``data/demo.db``, recreated each time), harvests it with
the loopback address allowed by the SSRF guard *for that harvest only*, then serves the API
on that database (guard as configured, embedded scheduler off).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from harvester.cli_common import database, out, run
from harvester.run_service import HarvestService
from harvester.settings import DEFAULT_DATA_DIR, Settings, get_settings
from harvester.sources import add_source
from harvester.store.tables import HarvestRun

DEMO_SOURCE = "demo"
DEMO_PARTNER = "Ville de Démo (portail simulé)"
LOOPBACK = "127.0.0.1"


def demo(
    n: Annotated[int, typer.Option(min=1, help="Datasets on the simulated portal.")] = 1000,
    platform: Annotated[
        str,
        typer.Option(
            help="Simulated platform: ckan, socrata, datajson, dcat_turtle, opendatasoft or "
            "arcgis_portal."
        ),
    ] = "ckan",
    seed: Annotated[int, typer.Option(help="Seed of the synthetic catalogue.")] = 42,
    db: Annotated[Path, typer.Option("--db", help="Demo SQLite file (recreated).")] = (
        DEFAULT_DATA_DIR / "demo.db"
    ),
    host: Annotated[str, typer.Option(help="Interface the API listens on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port of the API.")] = 8000,
    serve: Annotated[bool, typer.Option("--serve/--no-serve", help="Serve the API after.")] = True,
) -> None:
    """Harvest a simulated portal into a demo database, then serve the API on it."""
    from simulator.corpus import CorpusSpec
    from simulator.platforms import CONNECTORS
    from simulator.server import SimServer
    from simulator.state import PLATFORMS, SimConfig

    if platform not in PLATFORMS:
        raise typer.BadParameter(f"unknown platform {platform!r}; valid: {', '.join(PLATFORMS)}")
    base = get_settings()
    db.parent.mkdir(parents=True, exist_ok=True)
    for stale in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        stale.unlink(missing_ok=True)
    settings = base.model_copy(
        update={"database_url": f"sqlite+aiosqlite:///{db}", "scheduler": False}
    )
    config = SimConfig(spec=CorpusSpec(seed=seed, n=n), platforms=(platform,))
    with SimServer(config) as sim:
        console = out()
        console.print(f"simulated {platform} portal: {sim.source_url(platform)} ({n} datasets)")
        started = time.perf_counter()
        harvest = run(_harvest(settings, sim.source_url(platform), CONNECTORS[platform]))
        console.print(
            f"harvested {harvest.seen} datasets ({harvest.added} added, {harvest.failed} failed) "
            f"in {time.perf_counter() - started:.1f} s: {harvest.status}",
            markup=False,
        )
        if not serve:
            return
        console.print(
            f"serving http://{host}:{port}/api/v1/datasets?q=v%C3%A9lo  (docs: /docs; Ctrl-C stops)",
            markup=False,
        )
        import uvicorn

        from api.app import create_app

        uvicorn.run(create_app(settings), host=host, port=port)


async def _harvest(settings: Settings, url: str, platform: str) -> HarvestRun:
    """Register the simulated portal and harvest it, loopback allowed for this run only."""
    allowed = settings.model_copy(update={"ssrf_allow": [*settings.ssrf_allow, LOOPBACK]})
    async with database(allowed) as sessions:
        async with sessions() as session, session.begin():
            await add_source(
                session,
                url,
                partner_name=DEMO_PARTNER,
                kind="municipality",
                platform=platform,
                source_id=DEMO_SOURCE,
                origin="demo",
                allow=[LOOPBACK],
            )
        return await HarvestService(sessions, allowed).harvest(DEMO_SOURCE, trigger="demo")
