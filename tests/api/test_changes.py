"""GET /api/v1/changes: added, updated and withdrawn datasets, in order, resumable."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from harvester.store.datasets import dataset_id, write_batch
from harvester.store.db import create_engine, session_factory
from tests.api import corpus

URL = "/api/v1/changes"
LATER = datetime(2026, 11, 5, tzinfo=UTC)


async def _drain(
    client: httpx.AsyncClient, since: str | None = None, limit: int = 7
) -> tuple[list[dict[str, Any]], str]:
    """Every change after ``since``, following ``next`` until ``more`` is false."""
    changes: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": limit}
    if since:
        params["since"] = since
    while True:
        body = (await client.get(URL, params=params)).json()
        changes += body["changes"]
        params["since"] = body["next_since"]
        if not body["more"]:
            return changes, body["next_since"]


async def test_a_mirror_follows_adds_updates_and_withdrawals(
    database_url: str, api_client: httpx.AsyncClient
) -> None:
    empty = (await api_client.get(URL)).json()
    assert empty["changes"] == [] and not empty["more"]

    await corpus.synthetic(database_url)
    first, position = await _drain(api_client, empty["next_since"])
    assert [c["kind"] for c in first] == ["added"] * len(corpus.SYNTHETIC)
    assert len({c["id"] for c in first}) == len(corpus.SYNTHETIC)
    velo = next(c for c in first if c["id"] == dataset_id("ville", "velo"))
    assert velo["record"]["title"]["fr"] == "Pistes cyclables"

    # Nothing new: resuming gives nothing.
    again, same = await _drain(api_client, position)
    assert again == [] and same == position

    # A re-harvest changes one record; another dataset is withdrawn.
    await corpus.write(
        database_url,
        "ville",
        [corpus.record("bibli", {"fr": "Bibliothèques (mise à jour)"})],
        LATER,
    )
    await corpus.withdraw(database_url, "bus", LATER)
    later, _ = await _drain(api_client, position)
    assert [(c["id"], c["kind"]) for c in later] == [
        (dataset_id("ville", "bibli"), "updated"),
        (dataset_id("min", "bus"), "withdrawn"),
    ]
    assert later[1]["record"] is None
    assert later[0]["changed_at"].startswith("2026-11-05")

    # A full resync from the start sees each dataset once, at its latest change.
    everything, _ = await _drain(api_client)
    assert len(everything) == len({c["id"] for c in everything}) == len(corpus.SYNTHETIC)
    assert everything[-1]["kind"] == "withdrawn"


async def test_since_a_date_starts_a_first_sync_there(
    database_url: str, api_client: httpx.AsyncClient
) -> None:
    await corpus.synthetic(database_url)
    await corpus.write(
        database_url, "min", [corpus.record("neuf", {"fr": "Nouveau"}, source="min")], LATER
    )
    changes, _ = await _drain(api_client, "2026-11-04")
    assert [c["id"] for c in changes] == [dataset_id("min", "neuf")]


async def test_withdrawn_datasets_leave_search_and_facets(
    database_url: str, api_client: httpx.AsyncClient
) -> None:
    await corpus.synthetic(database_url)
    await corpus.withdraw(database_url, "bus")
    body = (await api_client.get("/api/v1/datasets", params={"facets": "format"})).json()
    assert body["total"] == len(corpus.SYNTHETIC) - 1
    assert "GTFS" not in {f["value"] for f in body["facets"]["format"]}
    shown = (await api_client.get(f"/api/v1/datasets/{dataset_id('min', 'bus')}")).json()
    assert shown["provenance"]["status"] == "withdrawn"
    # Re-harvested: visible again, with its facets.
    await corpus.write(database_url, "min", [corpus.MINISTERE[0]], LATER)
    body = (await api_client.get("/api/v1/datasets", params={"facets": "format"})).json()
    assert {"value": "GTFS", "count": 1} in body["facets"]["format"]


async def test_a_bad_since_is_a_400(api_client: httpx.AsyncClient) -> None:
    response = await api_client.get(URL, params={"since": "!!!"})
    assert response.status_code == 400 and "query.since" in response.json()["detail"]
    response = await api_client.get(URL, params={"since": "2026-99-99"})
    assert response.status_code == 400 and "query.since" in response.json()["detail"]


async def test_rows_of_transactions_in_flight_are_held_back(
    database_url: str, api_client: httpx.AsyncClient
) -> None:
    """PostgreSQL commits out of order: a later transaction's change must not be served
    before an earlier one still running, or a mirror resuming after it would miss that one."""
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite has one writer at a time: nothing commits out of order")
    await corpus.synthetic(database_url)
    _, position = await _drain(api_client)
    engine = create_engine(database_url)
    sessions = session_factory(engine)
    slow = sessions()
    try:
        await slow.begin()
        await write_batch(slow, "ville", [corpus.record("lent", {"fr": "Lent"})], now=LATER)
        await corpus.write(
            database_url, "ville", [corpus.record("rapide", {"fr": "Rapide"})], LATER
        )
        held, _ = await _drain(api_client, position)
        assert held == [], "the later commit waits for the earlier transaction"
        await slow.commit()
    finally:
        await slow.close()
        await engine.dispose()
    served, _ = await _drain(api_client, position)
    assert [c["id"] for c in served] == [dataset_id("ville", "lent"), dataset_id("ville", "rapide")]
