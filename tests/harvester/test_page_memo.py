"""A DCAT page fetched again byte for byte is not cut again: its datasets come from the
page memo and the stored payloads, checked against the hashes the memo holds
(:mod:`harvester.store.page_memo`). Recorded Hydra pages, both databases."""

from __future__ import annotations

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from connectors import dcat_rdf
from harvester.runs import run_harvest
from harvester.store.page_memo import PageMemoRow
from harvester.store.tables import Dataset, Partner, RawRecord, Source
from tests.paths import fixture

CATALOG = "http://data.test.org/catalog.jsonld"
JSONLD = "application/ld+json"


class Pages:
    """The two recorded pages of a ``hydra:PagedCollection``, editable between runs."""

    def __init__(self) -> None:
        self.bodies = {
            page: fixture("dcat-rdf", f"hydra_paged-collection_page{page}.jsonld").read_bytes()
            for page in ("1", "2")
        }

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = self.bodies.get(request.url.params.get("page", ""))
        if body is None:
            return httpx.Response(404)
        return httpx.Response(200, content=body, headers={"content-type": JSONLD})


@pytest.fixture
async def source(sessions: async_sessionmaker[AsyncSession]) -> str:
    async with sessions() as session, session.begin():
        session.add(Partner(id="p", name="Partenaire", kind="municipality"))
        session.add(Source(id="rdf", partner_id="p", url=f"{CATALOG}?page=1", platform="dcat_rdf"))
    return "rdf"


@pytest.fixture
def cuts(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The pages the connector cut, by URL."""
    seen: list[str] = []
    original = dcat_rdf.cut_page

    def counted(data: bytes, **options: object) -> object:
        seen.append(str(options["base"]))
        return original(data, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(dcat_rdf, "cut_page", counted)
    return seen


async def _harvest(sessions: async_sessionmaker[AsyncSession], pages: Pages):
    async with httpx.AsyncClient(transport=httpx.MockTransport(pages)) as client:
        return await run_harvest(sessions, "rdf", client, full=True)


async def _rows(sessions: async_sessionmaker[AsyncSession]):
    async with sessions() as session:
        datasets = {
            row.remote_id: (row.content_hash, row.updated_at)
            for row in await session.scalars(sa.select(Dataset))
        }
        memo = list(await session.scalars(sa.select(PageMemoRow)))
    return datasets, memo


async def test_unchanged_pages_are_not_cut_again_and_a_changed_one_is(sessions, source, cuts):
    pages = Pages()
    first = await _harvest(sessions, pages)
    assert (first.status, first.added) == ("succeeded", 4), first.message
    assert cuts == [f"{CATALOG}?page=1", f"{CATALOG}?page=2"]
    datasets, memo = await _rows(sessions)
    assert len(memo) == 2
    assert sorted(remote_id for row in memo for remote_id, _ in row.entries) == ["1", "2", "3", "4"]

    cuts.clear()
    again = await _harvest(sessions, pages)
    assert cuts == [], "both pages came from the memo"
    assert (again.status, again.added, again.updated, again.unchanged) == ("succeeded", 0, 0, 4)
    assert again.pages == 2 and again.bytes == first.bytes
    assert (await _rows(sessions))[0] == datasets, "no row written"

    pages.bodies["2"] = pages.bodies["2"].replace(b"Dataset 4 description", b"Jeu 4 revu")
    cuts.clear()
    third = await _harvest(sessions, pages)
    assert cuts == [f"{CATALOG}?page=2"]
    assert (third.updated, third.unchanged) == (1, 3)
    after, memo = await _rows(sessions)
    assert after["4"] != datasets["4"] and {k: after[k] for k in "123"} == {
        k: datasets[k] for k in "123"
    }
    assert len(memo) == 2, "the old second page's row is dropped by the complete run"


async def test_a_payload_stored_since_sends_its_page_to_be_cut(sessions, source, cuts):
    pages = Pages()
    await _harvest(sessions, pages)
    async with sessions() as session, session.begin():
        raw = await session.scalar(sa.select(RawRecord).where(col(RawRecord.remote_id) == "4"))
        assert raw is not None
        real_hash = raw.payload_hash
        raw.payload_hash = "0" * 64  # as if another page had listed it since
    cuts.clear()
    again = await _harvest(sessions, pages)
    assert cuts == [f"{CATALOG}?page=2"], "page 1 from the memo, page 2 cut"
    assert again.status == "succeeded" and again.seen == 4
    async with sessions() as session:
        stored = await session.scalar(
            sa.select(col(RawRecord.payload_hash)).where(col(RawRecord.remote_id) == "4")
        )
    assert stored == real_hash, "the page's own payload is stored again"
    cuts.clear()
    await _harvest(sessions, pages)
    assert cuts == [], "the page's row, written again, holds the stored hashes"


async def test_another_mapping_key_cuts_every_page_again(sessions, source, cuts):
    pages = Pages()
    await _harvest(sessions, pages)
    async with sessions() as session, session.begin():
        row = await session.get(Source, "rdf")
        assert row is not None
        row.options = {"max_pages": 50}  # the options are part of the mapping key
    cuts.clear()
    again = await _harvest(sessions, pages)
    assert cuts == [f"{CATALOG}?page=1", f"{CATALOG}?page=2"]
    assert again.seen == 4 and again.added == 0


async def test_each_payload_is_hashed_once_and_a_remembered_page_not_at_all(
    sessions, source, cuts, monkeypatch: pytest.MonkeyPatch
):
    """The memo hashes a cut page's payloads to remember them; the run takes those hashes
    with the records (``RawRecord.digest``) instead of hashing again, and a page from the
    memo comes with the hashes its row holds."""
    from connectors import base
    from harvester import run_report
    from harvester.store import datasets, page_memo

    hashed: list[str] = []

    def counted(payload: object) -> str:
        digest = base.payload_hash(payload)
        hashed.append(digest)
        return digest

    for module in (dcat_rdf, run_report, page_memo, datasets):
        monkeypatch.setattr(module, "payload_hash", counted)
    pages = Pages()
    first = await _harvest(sessions, pages)
    assert first.added == 4 and len(hashed) == 4, hashed
    async with sessions() as session:
        stored = set(await session.scalars(sa.select(col(RawRecord.payload_hash))))
    assert stored == set(hashed), "the hashes written are the payloads' own"
    hashed.clear()
    again = await _harvest(sessions, pages)
    assert cuts == [f"{CATALOG}?page=1", f"{CATALOG}?page=2"], "cut on the first run only"
    assert again.unchanged == 4 and hashed == []
