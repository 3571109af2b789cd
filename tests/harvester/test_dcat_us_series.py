"""A DCAT-US parent is a series once an ``isPartOf`` names it, whatever the feed's order
(a data.json read by the DCAT-US connector, or as an ArcGIS Hub site's feed).

A data.json names a collection only in its children; a parent listed (and written) before
them is not known as a series when it is mapped. The run writes it again once the listing
has ended (``harvester.revisits``), counting it once; later runs know it from the series
their last complete run found, and it stops being one a run after its last child left:
its unchanged payload is mapped again then, and only then. The feed is the recorded
fixtures, in batches of four, with the recorded collection's parent first and its two
children last.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from connectors.dcat_us_mapping import identifier
from harvester.runs import run_harvest
from harvester.store.tables import Dataset, RawRecord
from tests.connectors.dcat_us_samples import data_json, recorded_datasets, serving
from tests.harvester.engine_support import add_source

URL = "https://agency.example.gov/data.json"
SOURCE = "agence"


def _feed(
    with_children: bool = True, *, title: str | None = None, untitled: bool = False
) -> tuple[bytes, str, int]:
    """The feed, its parent's identifier and how many datasets it lists (the parent
    ``untitled``: a record that fails its mapping)."""
    awol, parent, retire = recorded_datasets("collection_isPartOf_data.json")
    if title is not None:
        parent = {**parent, "title": title}
    if untitled:
        parent = {k: v for k, v in parent.items() if k != "title"}
    fillers = [*recorded_datasets("arm_data.json"), *recorded_datasets("cftc_data.json")]
    datasets = [parent, *fillers, *([awol, retire] if with_children else [])]
    return data_json(datasets), str(identifier(parent)), len(datasets)


async def _run(
    sessions: async_sessionmaker[AsyncSession], body: bytes, status: str = "succeeded"
) -> Any:
    transport = httpx.MockTransport(serving(body))
    async with httpx.AsyncClient(transport=transport) as client:
        run = await run_harvest(sessions, SOURCE, client, batch_size=4, full=True)
    assert run.status == status, run.message
    counted = run.added + run.updated + run.unchanged + run.failed
    assert counted == run.seen, "each record counted once"
    return run


async def _parent(sessions: async_sessionmaker[AsyncSession], remote_id: str) -> dict[str, Any]:
    async with sessions() as session:
        record = await session.scalar(
            sa.select(col(Dataset.record)).where(col(Dataset.remote_id) == remote_id)
        )
    assert record is not None
    return dict(record)


PLATFORMS = pytest.mark.parametrize(
    ("platform", "url", "options"),
    [("dcat_us", URL, {}), ("arcgis", "https://ville.hub.arcgis.com", {"feed": "data.json"})],
)


@PLATFORMS
async def test_a_parent_listed_first_is_a_series_from_the_first_run(
    sessions: async_sessionmaker[AsyncSession], platform: str, url: str, options: dict[str, Any]
) -> None:
    await add_source(sessions, url, SOURCE, platform=platform, options=options)
    body, parent, listed = _feed()

    first = await _run(sessions, body)
    assert (first.added, first.updated) == (listed, 0)
    assert (await _parent(sessions, parent))["is_series"], "written again after its children"
    assert parent in first.cursor["collections"]
    async with sessions() as session:
        stored = await session.scalar(
            sa.select(col(RawRecord.payload)).where(col(RawRecord.remote_id) == parent)
        )
    assert stored is not None and identifier(stored) == parent  # the payload as published

    second = await _run(sessions, body)
    assert (second.updated, second.unchanged) == (0, listed)

    orphaned, _, left = _feed(with_children=False)
    third = await _run(sessions, orphaned)
    assert (third.updated, third.withdrawn) == (0, 2)
    assert (await _parent(sessions, parent))["is_series"], "the last complete run named it"
    fourth = await _run(sessions, orphaned)
    assert (fourth.updated, fourth.unchanged) == (1, left - 1)
    assert not (await _parent(sessions, parent))["is_series"]


@PLATFORMS
async def test_a_known_parent_named_again_after_it_is_counted_once(
    sessions: async_sessionmaker[AsyncSession], platform: str, url: str, options: dict[str, Any]
) -> None:
    """Children back after the run that forgot the series: the parent, unchanged when its
    batch was written, is an update; changed then, still one."""
    await add_source(sessions, url, SOURCE, platform=platform, options=options)
    orphaned, parent, left = _feed(with_children=False)
    body, _, listed = _feed()
    await _run(sessions, orphaned)
    assert not (await _parent(sessions, parent))["is_series"]

    back = await _run(sessions, body)  # the parent and its two children
    assert (back.added, back.updated, back.unchanged) == (2, 1, left - 1)
    assert (await _parent(sessions, parent))["is_series"]

    await _run(sessions, orphaned)
    await _run(sessions, orphaned)
    assert not (await _parent(sessions, parent))["is_series"]
    retitled, _, _ = _feed(title="Retitled collection")
    changed = await _run(sessions, retitled)  # two children back from withdrawal, the parent
    assert (changed.updated, changed.unchanged) == (3, listed - 3)
    record = await _parent(sessions, parent)
    assert record["is_series"] and "Retitled collection" in str(record["title"])


@PLATFORMS
async def test_a_parent_that_fails_its_mapping_is_not_written_again(
    sessions: async_sessionmaker[AsyncSession], platform: str, url: str, options: dict[str, Any]
) -> None:
    """Its stored payload is the last one that mapped, not what this run read."""
    await add_source(sessions, url, SOURCE, platform=platform, options=options)
    orphaned, parent, left = _feed(with_children=False)
    await _run(sessions, orphaned)
    before = await _parent(sessions, parent)

    broken, _, _ = _feed(untitled=True)
    run = await _run(sessions, broken, status="partial")
    assert (run.failed, run.added, run.updated, run.unchanged) == (1, 2, 0, left - 1)
    assert await _parent(sessions, parent) == before  # not rewritten from its old payload
