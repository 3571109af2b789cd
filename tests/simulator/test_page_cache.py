"""The simulator's page cache: pages rendered once per generation, and said so in its state
(the harvest benchmark tells a re-harvest that waited on rendering from one that did not)."""

from __future__ import annotations

import httpx

from simulator.corpus import CorpusSpec
from simulator.server import SimServer
from simulator.state import PageCache, SimConfig


def test_a_cached_page_is_rendered_once_and_counted_when_rendered() -> None:
    cache, calls = PageCache(1 << 20), []

    def render() -> bytes:
        calls.append(1)
        return b"page"

    assert cache.get("p1", render) == cache.get("p1", render) == b"page"
    assert (cache.rendered, len(calls), cache.size) == (1, 1, 4)
    cache.get("p2", render)
    assert cache.rendered == 2


def test_the_state_says_pages_rendered_and_cpu_and_a_generation_renders_again() -> None:
    config = SimConfig(spec=CorpusSpec(seed=3, n=30), page_size=10, platforms=("ckan",))
    with SimServer(config) as sim:
        page = f"{sim.url}/api/3/action/package_search?rows=10&start=0"

        def state() -> dict[str, float]:
            return dict(httpx.get(f"{sim.url}/_sim/state").json())

        httpx.get(page).raise_for_status()
        first = state()
        httpx.get(page).raise_for_status()
        again = state()
        assert again["pages_rendered"] == first["pages_rendered"] >= 1
        assert again["cpu_s"] >= first["cpu_s"] > 0
        httpx.post(f"{sim.url}/_sim/generation", params={"to": 1}).raise_for_status()
        httpx.get(page).raise_for_status()
        assert state()["pages_rendered"] == again["pages_rendered"] + 1
