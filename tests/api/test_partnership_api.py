"""``/api/v1/partnership``: figures against hand-counted data, and every figure's link lists
exactly the datasets it counts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from catalog.conformity import RULE_CODES
from harvester.store.datasets import dataset_id
from tests.api import portal_replay
from tests.api.portal_replay import auth, make_app
from tests.harvester.partnership_data import AS_OF, seed

tokens = portal_replay.tokens

CONFIG = """
[targets]
baseline = 2018-04-01

[[targets.partners]]
kind = "ministry"
all = true
deadline = 2019-03-31

[[targets.partners]]
kind = "municipality"
additional = 20
deadline = 2020-03-31

[targets.new_datasets]
count = 150
deadline = 2020-03-31

[targets.conformity]
share = 0.8
deadline = 2019-03-31

[targets.csv_api]
share = 0.8
deadline = 2020-03-31
"""


@pytest.fixture
async def client(
    database_url: str, sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    config = tmp_path / "sources.toml"
    config.write_text(CONFIG, encoding="utf-8")
    await seed(sessions)
    app = make_app(database_url, config=config)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http,
    ):
        yield http


def _links(figures: dict[str, Any]) -> list[tuple[str, int]]:
    """(link, the count it must list) for every figure."""
    pairs: list[tuple[str, int]] = []
    new = figures["new_datasets"]
    pairs.append((new["datasets"], new["count"]))
    for group in ("by_partner", "by_month", "by_partner_month"):
        pairs += [(c["datasets"], c["count"]) for c in new[group]]
    for name in ("conformity", "csv_api"):
        share = figures[name]
        pairs.append((share["datasets"], share["count"]))
        pairs.append((share["population"], share["of"]))
        pairs.append((share["failing"], share["of"] - share["count"]))
    pairs += [(c["datasets"], c["count"]) for c in figures["conformity"]["by_rule"]]
    pairs.append((figures["hvd"]["link"], figures["hvd"]["datasets"]))
    pairs += [(c["datasets"], c["count"]) for c in figures["hvd"]["categories"]]
    return pairs


async def test_figures_and_their_links(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/partnership", params={"as_of": str(AS_OF)})
    assert response.status_code == 200, response.text
    figures = response.json()
    assert figures["baseline"] == "2018-04-01"  # from the config file
    assert figures["new_datasets"]["count"] == 4
    assert figures["new_datasets"]["progress"]["target"] == 150
    assert (figures["conformity"]["count"], figures["conformity"]["of"]) == (2, 4)
    assert (figures["csv_api"]["count"], figures["csv_api"]["of"]) == (1, 2)
    ministry = next(k for k in figures["partners"] if k["kind"] == "ministry")
    assert [p["id"] for p in ministry["not_publishing"]] == ["mtq"]
    links = _links(figures)
    assert len(links) > 20
    for link, expected in links:
        listed = await client.get(f"{link}&limit=100")
        assert listed.status_code == 200, (link, listed.text)
        assert listed.json()["total"] == expected, link
        assert len(listed.json()["results"]) == expected, link


async def test_a_listing_shows_what_each_dataset_was_counted_on(client: httpx.AsyncClient) -> None:
    await client.get("/api/v1/partnership", params={"as_of": str(AS_OF)})  # checks the datasets
    listed = await client.get(
        "/api/v1/partnership/datasets", params={"rule": "licence", "published_until": str(AS_OF)}
    )
    [g3] = listed.json()["results"]
    assert (g3["id"], g3["partner"], g3["published"]) == (
        dataset_id("gouv-src", "g3"),
        "gouv",
        "2018-05-20",
    )
    assert g3["failed_rules"] == ["licence"] and g3["is_csv"] and not g3["csv_api"]
    detail = await client.get(g3["conformity"].removeprefix("http://t"))
    assert detail.status_code == 200
    verdicts = {r["rule"]: r["result"] for r in detail.json()["rules"]}
    assert list(verdicts) == list(RULE_CODES)
    assert verdicts["licence"] == "fail" and verdicts["description"] == "pass"
    assert verdicts["utf8"] == "n/a"  # no distribution states its character set
    bad = await client.get("/api/v1/partnership/datasets", params={"rule": "nope"})
    assert bad.status_code == 400 and "description" in bad.json()["detail"]
    missing = await client.get("/api/v1/partnership/datasets/nope")
    assert missing.status_code == 404


async def test_per_partner_conformity(client: httpx.AsyncClient) -> None:
    gouv = await client.get("/api/v1/partnership/partners/gouv", params={"as_of": str(AS_OF)})
    assert gouv.status_code == 200, gouv.text
    body = gouv.json()
    assert (body["datasets"], body["conforming"], body["new_datasets"]) == (4, 3, 2)
    listed = await client.get(body["failing"][0]["datasets"])
    assert listed.json()["total"] == body["failing"][0]["count"] == 1
    everyone = await client.get("/api/v1/partnership/partners")
    assert {p["partner"]["id"] for p in everyone.json()} >= {"gouv", "mtq", "ville-a"}
    assert (await client.get("/api/v1/partnership/partners/nobody")).status_code == 404


async def test_history_gets_one_point_a_day(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/v1/partnership/history")).json() == []
    first = await client.get("/api/v1/partnership")
    await client.get("/api/v1/partnership")
    await client.get("/api/v1/partnership", params={"as_of": str(AS_OF)})  # not today: not kept
    history = (await client.get("/api/v1/partnership/history")).json()
    assert [p["day"] for p in history] == [first.json()["as_of"]]
    assert history[0]["new_datasets"] == first.json()["new_datasets"]["count"]


async def test_guidelines_are_listed(client: httpx.AsyncClient) -> None:
    rules = (await client.get("/api/v1/partnership/guidelines")).json()
    assert [r["rule"] for r in rules] == list(RULE_CODES)
    assert all(r["text"] for r in rules)


async def test_audit_log_is_for_operators(client: httpx.AsyncClient, tokens) -> None:
    assert (await client.get("/api/v1/audit")).status_code == 401
    assert (await client.get("/api/v1/audit", headers=auth(tokens["laval"]))).status_code == 403
    patched = await client.patch(
        "/api/v1/sources/laval", json={"schedule": "1w"}, headers=auth(tokens["operator"])
    )
    assert patched.status_code == 200
    events = (await client.get("/api/v1/audit", headers=auth(tokens["operator"]))).json()
    assert [(e["action"], e["target_id"]) for e in events] == [("source.edit", "laval")]
