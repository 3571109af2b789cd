"""Benchmark: ``GET /api/v1/partnership/datasets`` — the first page, a page deep in the set
by ``offset`` and (when the code has cursors) the same page reached by walking cursors.

    PYTHONPATH=TREE .venv/bin/python bench/partnership_listing.py --url URL \\
        [--depth 5000] [--repeat 15] [--filters conforms=true,csv=true ...]

Run it once per tree (``PYTHONPATH`` picks the code: the main checkout, then this one) on
the same database. The app runs in process through ``httpx.ASGITransport`` (what a ``GET``
costs the server, no sockets); prints p50 / p95 CPU and wall milliseconds per call, and the
``total`` each filter set reported.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any
from urllib.parse import parse_qsl

PATH = "/api/v1/partnership/datasets"


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000


async def _time(client: Any, params: dict[str, str], repeat: int) -> tuple[list[float], Any]:
    await client.get(PATH, params=params)  # warm
    cpu, wall = [], []
    for _ in range(repeat):
        c0, w0 = time.process_time(), time.perf_counter()
        response = await client.get(PATH, params=params)
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
        assert response.status_code == 200, response.text[:300]
    return [_pct(cpu, 0.5), _pct(cpu, 0.95), _pct(wall, 0.5), _pct(wall, 0.95)], response.json()


async def _walk(client: Any, params: dict[str, str], depth: int) -> str | None:
    """The cursor of the page that starts ``depth`` rows in (100-row steps)."""
    cursor = None
    for _ in range(depth // 100):
        step = {**params, "limit": "100", **({"cursor": cursor} if cursor else {})}
        cursor = (await client.get(PATH, params=step)).json().get("next_cursor")
        if cursor is None:
            return None
    return cursor


async def _main(args: argparse.Namespace) -> None:
    import httpx

    from api.app import create_app
    from harvester.settings import Settings

    settings = Settings(
        database_url=args.url,
        auto_migrate=False,
        rate_limit=0,
        config="/nonexistent.toml",
        scheduler=False,
    )
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://t") as client,
    ):
        print(f"{'filters':28} {'page':14} {'total':>7} {'cpu p50':>8} {'cpu p95':>8} "
              f"{'wall p50':>9} {'wall p95':>9}")  # fmt: skip
        for filters in args.filters:
            params = dict(parse_qsl(filters.replace(",", "&")))
            pages = {"first": params, f"offset={args.depth}": {**params, "offset": str(args.depth)}}
            first = (await client.get(PATH, params=params)).json()
            if "next_cursor" in first:
                cursor = await _walk(client, params, args.depth)
                if cursor:
                    pages[f"cursor@{args.depth}"] = {**params, "cursor": cursor}
            for name, page in pages.items():
                stats, body = await _time(client, page, args.repeat)
                cpu50, cpu95, wall50, wall95 = stats
                print(f"{filters or '(none)':28} {name:14} {body['total']:7} {cpu50:8.1f} "
                      f"{cpu95:8.1f} {wall50:9.1f} {wall95:9.1f}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--depth", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--filters", nargs="*", default=["", "conforms=true,csv=true"])
    asyncio.run(_main(parser.parse_args()))


if __name__ == "__main__":
    main()
