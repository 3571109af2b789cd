"""The CKAN Action API subset: CKAN's envelope over HTTP, and the real ``ckanapi`` client
talking to a real uvicorn server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import ckanapi
import httpx
import pytest
import uvicorn

from api.app import create_app
from harvester.settings import Settings
from harvester.store.datasets import dataset_id
from tests.api import corpus

ACTION = "/api/3/action"


async def test_envelope_and_package_search(client: httpx.AsyncClient) -> None:
    response = await client.get(
        f"{ACTION}/package_search",
        params={
            "q": "transport",
            "fq": "organization:min",
            "facet.field": '["res_format", "tags"]',
        },
    )
    body = response.json()
    assert body["success"] is True and body["help"].endswith("help_show?name=package_search")
    result = body["result"]
    assert result["count"] == 1
    package = result["results"][0]
    assert package["id"] == package["name"] == dataset_id("min", "bus")
    assert package["organization"]["name"] == "min" and package["owner_org"] == "min"
    assert [r["format"] for r in package["resources"]] == ["GTFS"]
    assert package["resources"][0]["datastore_active"] is True
    assert {"name": "transport", "display_name": "transport", "state": "active"} in package["tags"]
    assert result["facets"]["res_format"] == {"GTFS": 1}
    assert result["search_facets"]["tags"]["items"][0] == {
        "name": "transport",
        "display_name": "transport",
        "count": 1,
    }


@pytest.mark.parametrize(
    "call",
    [
        "package_search?q=cyclables&facet.field=[%22res_format%22,%22tags%22,%22organization%22]",
        "package_search?rows=50",
        "package_list",
        "organization_list?all_fields=true",
        "status_show",
        "package_show?id=nothing",
        "package_search?sort=nothing",
    ],
)
async def test_bodies_are_the_compact_json_starlette_wrote(
    client: httpx.AsyncClient, call: str
) -> None:
    """Written by orjson, every answer (errors too) is the compact JSON that Starlette's
    ``JSONResponse`` writes (stdlib, ``ensure_ascii=False``), byte for byte."""
    response = await client.get(f"{ACTION}/{call}")
    assert response.headers["content-type"] == "application/json"
    compact = json.dumps(
        response.json(), ensure_ascii=False, allow_nan=False, separators=(",", ":")
    ).encode()
    assert response.content == compact
    if "q=cyclables" in call:
        assert "é" in response.text  # written as UTF-8, not escaped


async def test_a_packages_record_part_is_kept_and_the_rest_follows_each_call(
    client: httpx.AsyncClient, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a package takes from its record is made once per kept record; its state, its
    organization and its links are the row's, the partner's and the request's each call."""
    from api import ckan_format
    from harvester.search import record_cache

    made: list[str] = []
    record_part = ckan_format._record_part

    def spy(row: Any) -> Any:
        made.append(row.id)
        return record_part(row)

    monkeypatch.setattr(ckan_format, "_record_part", spy)
    record_cache.clear()
    search = f"{ACTION}/package_search?rows=50"
    first = (await client.get(search)).json()["result"]["results"]
    assert first and len(made) == len(first)
    elsewhere = (await client.get(search, headers={"Host": "x.example"})).json()["result"]
    assert len(made) == len(first), "the record parts were kept"
    for mine, theirs in zip(first, elsewhere["results"], strict=True):
        assert {**mine, "extras": None} == {**theirs, "extras": None}
        links = [
            (a["key"], a["value"].replace("http://testserver", "http://x.example"))
            for a in mine["extras"]
        ]
        assert links == [(b["key"], b["value"]) for b in theirs["extras"]]
    velo = dataset_id("ville", "velo")
    shown = (await client.get(f"{ACTION}/package_show?id={velo}")).json()["result"]
    assert shown["state"] == "active" and shown["organization"]["name"] == "ville"
    await corpus.withdraw(database_url, "velo")
    withdrawn = (await client.get(f"{ACTION}/package_show?id={velo}")).json()["result"]
    assert withdrawn["state"] == "deleted"
    assert {**withdrawn, "state": "active"} == shown


async def test_post_bodies_rows_start_and_sort(client: httpx.AsyncClient) -> None:
    names: list[str] = []
    for start in range(0, 30, 10):
        body = (
            await client.post(
                f"{ACTION}/package_search",
                json={"rows": 10, "start": start, "sort": "title_string asc"},
            )
        ).json()["result"]
        assert body["count"] == len(corpus.SYNTHETIC)
        names += [p["name"] for p in body["results"]]
    assert len(names) == len(set(names)) == len(corpus.SYNTHETIC)


async def test_fq_modified_range_and_licence(client: httpx.AsyncClient) -> None:
    body = (
        await client.get(
            f"{ACTION}/package_search",
            params={"fq": 'license_id:"CC-BY-4.0" metadata_modified:[2025-01-01T00:00:00Z TO *]'},
        )
    ).json()
    assert [p["name"] for p in body["result"]["results"]] == [dataset_id("ville", "velo")]


async def test_errors_keep_ckan_shapes(client: httpx.AsyncClient) -> None:
    missing = await client.get(f"{ACTION}/package_show", params={"id": "nope"})
    assert missing.status_code == 404
    assert missing.json()["success"] is False
    assert missing.json()["error"]["__type"] == "Not Found Error"
    unknown = await client.get(f"{ACTION}/package_create")
    assert unknown.status_code == 400 and unknown.json()["success"] is False
    bad_fq = await client.get(f"{ACTION}/package_search", params={"fq": "colour:red"})
    assert bad_fq.status_code == 409
    assert bad_fq.json()["error"]["__type"] == "Search Query Error"
    bad_rows = await client.get(f"{ACTION}/package_search", params={"rows": "many"})
    assert bad_rows.status_code == 409
    assert bad_rows.json()["error"]["__type"] == "Validation Error"
    bad_facets = await client.get(f"{ACTION}/package_search", params={"facet.field": "[oops"})
    assert bad_facets.status_code == 409


@pytest.fixture
def server(database_url: str) -> Iterator[str]:
    """A real uvicorn server on a free loopback port, in a thread, over the seeded DB."""
    asyncio.run(corpus.synthetic(database_url))
    app = create_app(Settings(database_url=database_url, auto_migrate=False))
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not instance.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    port = instance.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        instance.should_exit = True
        thread.join(timeout=30)


@pytest.mark.parametrize("get_only", [False, True])
def test_the_ckanapi_client_works(server: str, get_only: bool) -> None:
    with ckanapi.RemoteCKAN(server, get_only=get_only) as ckan:
        status = ckan.action.status_show()
        assert status["site_title"] == "Moisson" and status["ckan_version"].startswith("2.")
        found = ckan.action.package_search(
            q="vélo", rows=5, **{"facet.field": json.dumps(["organization"])}
        )
        assert found["count"] == 2
        assert found["facets"]["organization"] == {"ville": 1, "min": 1}
        package = ckan.action.package_show(id=dataset_id("ville", "velo"))
        assert package["title"] == "Pistes cyclables"
        assert package["license_id"] == "CC-BY-4.0"
        assert len(ckan.action.package_list()) == len(corpus.SYNTHETIC)
        assert ckan.action.organization_list() == ["min", "ville"]
        organizations = ckan.action.organization_list(all_fields=True)
        assert {o["name"]: o["package_count"] for o in organizations} == {
            "min": 2,
            "ville": len(corpus.VILLE),
        }
        org = ckan.action.organization_show(id="min", include_datasets=True)
        assert org["title"] == "Ministère" and len(org["packages"]) == 2
        with pytest.raises(ckanapi.NotFound):
            ckan.action.package_show(id="nope")
        with pytest.raises(ckanapi.SearchQueryError):
            ckan.action.package_search(fq="colour:red")
