"""``moisson-sim``: serve a simulated open-data portal on 127.0.0.1.

moisson-sim serve --platform ckan --n 10000 --port 8800
moisson-sim serve --platform all --fault 429 --fault-pages 2 --fault-times 1
moisson-sim sample --platform dcat_turtle --n 3
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Annotated

import typer

from simulator.corpus import Corpus, CorpusSpec
from simulator.faults import FAULT_MODES, FaultPlan
from simulator.platforms import CONNECTORS, SOURCE_PATHS, render_one
from simulator.state import PLATFORMS, SimConfig

app = typer.Typer(
    name="moisson-sim",
    help="A loopback open-data portal simulator (CKAN, Socrata, DCAT-US, DCAT Turtle).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _platforms(value: str) -> tuple[str, ...]:
    chosen = PLATFORMS if value == "all" else tuple(p.strip() for p in value.split(","))
    unknown = [p for p in chosen if p not in PLATFORMS]
    if unknown:
        raise typer.BadParameter(
            f"unknown platform(s) {unknown}; valid: all, {', '.join(PLATFORMS)}"
        )
    return chosen


@app.command()
def serve(
    platform: Annotated[
        str,
        typer.Option(help=f"{', '.join(PLATFORMS)} or all."),
    ] = "all",
    n: Annotated[int, typer.Option(min=0, help="Datasets in generation 0.")] = 1000,
    port: Annotated[int, typer.Option(help="TCP port on 127.0.0.1 (0: any free port).")] = 8800,
    seed: Annotated[int, typer.Option(help="Corpus seed (same seed, same datasets).")] = 42,
    generation: Annotated[int, typer.Option(min=0, help="Start at this generation.")] = 0,
    changed: Annotated[
        float, typer.Option(min=0, max=1, help="Share changed per generation.")
    ] = 0.05,
    removed: Annotated[
        float, typer.Option(min=0, max=1, help="Share removed per generation.")
    ] = 0.01,
    added: Annotated[
        float, typer.Option(min=0, max=1, help="Share of n added per generation.")
    ] = 0.01,
    page_size: Annotated[int, typer.Option(min=1, help="Default page size.")] = 100,
    latency: Annotated[float, typer.Option(min=0, help="Seconds before every answer.")] = 0.0,
    fault: Annotated[str, typer.Option(help=f"Fault mode: {', '.join(FAULT_MODES)}.")] = "none",
    fault_pages: Annotated[str, typer.Option(help="Pages that fault: '2,5' or 'all'.")] = "all",
    fault_times: Annotated[
        int, typer.Option(help="Faulty answers per request before a good one (0: always).")
    ] = 0,
    retry_after: Annotated[int, typer.Option(help="Retry-After of 429/503 answers.")] = 1,
    hydra: Annotated[str, typer.Option(help="Turtle paging terms: legacy or current.")] = "legacy",
    cache_mb: Annotated[int, typer.Option(help="Rendered pages kept in memory (MB).")] = 256,
) -> None:
    """Serve the simulated portal until interrupted."""
    if fault not in FAULT_MODES:
        raise typer.BadParameter(f"unknown fault {fault!r}; valid: {', '.join(FAULT_MODES)}")
    if hydra not in ("legacy", "current"):
        raise typer.BadParameter("hydra must be legacy or current")
    chosen = _platforms(platform)
    config = SimConfig(
        spec=CorpusSpec(
            seed=seed, n=n, generation=generation, changed=changed, removed=removed, added=added
        ),
        platforms=chosen,
        page_size=page_size,
        latency=latency,
        faults=FaultPlan(
            mode=fault,  # type: ignore[arg-type]
            pages=FaultPlan.parse_pages(fault_pages),
            times=fault_times or None,
            retry_after=retry_after,
        ),
        hydra=hydra,  # type: ignore[arg-type]
        cache_bytes=cache_mb * 1024 * 1024,
    )
    from simulator.server import HOST, _listen, _uvicorn, build_app
    from simulator.state import SimState

    sock = _listen(port)
    url = f"http://{HOST}:{sock.getsockname()[1]}"
    state = SimState(config)
    typer.echo(f"moisson-sim: {len(state.corpus)} datasets (seed {seed}, generation {generation})")
    for name in chosen:
        typer.echo(
            f"  {name:<12} {url}{SOURCE_PATHS[name] or '/'}   (moisson platform {CONNECTORS[name]})"
        )
    typer.echo(f"  control      POST {url}/_sim/generation?to=N · GET {url}/_sim/state")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_uvicorn(build_app(state)).serve(sockets=[sock]))


@app.command()
def sample(
    platform: Annotated[
        str,
        typer.Option(help=f"{', '.join(PLATFORMS[:-1])} or {PLATFORMS[-1]}."),
    ] = "ckan",
    n: Annotated[int, typer.Option(min=1, help="How many datasets to print.")] = 1,
    seed: Annotated[int, typer.Option(help="Corpus seed.")] = 42,
    generation: Annotated[int, typer.Option(min=0)] = 0,
) -> None:
    """Print the first datasets as the platform serves them."""
    _platforms(platform)
    corpus = Corpus(CorpusSpec(seed=seed, n=max(n, 1), generation=generation))
    site = "http://127.0.0.1:8800"
    for index in corpus.indices[:n]:
        typer.echo(render_one(platform, corpus.dataset(index), site))


if __name__ == "__main__":  # pragma: no cover
    app()
