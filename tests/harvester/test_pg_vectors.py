"""PostgreSQL's search vectors written in Python (:mod:`harvester.search.pg_vectors`) are
the ones ``to_tsvector`` gives, on the simulator's and the recorded portals' texts; texts
the parser might read otherwise are left to ``to_tsvector``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from connectors.base import SourceSpec
from harvester.mapping_pool import Packed, map_records
from harvester.prepare import Derived
from harvester.search.backend import PG_TITLES, PG_VECTOR
from harvester.search.fields import PartnerInfo
from harvester.search.pg_vectors import MAX_POSITION, MAX_POSITIONS, MAX_WORD, vectors
from harvester.search.text import SearchDocument, search_document, stems
from harvester.store.db import create_engine
from simulator.corpus import Corpus, CorpusSpec
from simulator.platforms.ckan import package
from tests import fixture_docs
from tests.harvester.vector_support import stored_as_computed


def _doc(
    title_fr: str = "", title_en: str = "", body_fr: str = "", body_en: str = ""
) -> SearchDocument:
    return SearchDocument(title_fr=title_fr, title_en=title_en, body_fr=body_fr, body_en=body_en)


def _analysed(title: str, body: str) -> SearchDocument:
    return _doc(
        " ".join(stems(title, "fr")),
        " ".join(stems(title, "en")),
        " ".join(stems(body, "fr")),
        " ".join(stems(body, "en")),
    )


def _recorded() -> Iterator[SearchDocument]:
    """Every recorded CKAN, Socrata, DCAT-US and OpenDataSoft object with a title,
    analysed."""
    for document in fixture_docs.documents("ckan", "socrata", "dcat-us", "opendatasoft"):
        for node in fixture_docs.dicts(document):
            title = node.get("title") or node.get("name")
            if not isinstance(title, str):
                continue
            body = " ".join(
                str(node.get(key) or "") for key in ("notes", "description", "keyword", "tags")
            )
            yield _analysed(title, body)


def _mapped(n: int = 300, *, pg_vectors: bool = False) -> Iterator[Derived]:
    """What the mapping derives from ``n`` simulated CKAN datasets, as a harvest maps them."""
    site = "http://127.0.0.1:9"
    corpus = Corpus(CorpusSpec(n=n))
    spec = SourceSpec(id="sim", url=f"{site}/api/3/action", platform="ckan")
    at = datetime(2026, 1, 1, tzinfo=UTC)
    records: list[Packed] = [
        (str(payload["id"]), orjson.dumps(payload), at, "application/json", None)
        for payload in (package(corpus.dataset(index), site) for index in corpus.indices)
    ]
    partner = PartnerInfo("ville", "municipality")
    for mapped in map_records(spec, partner, records, pg_vectors):
        assert mapped.prepared is not None, mapped.error
        yield mapped.prepared[1]


def _simulated(n: int = 300) -> Iterator[SearchDocument]:
    """The search documents of ``n`` simulated CKAN datasets."""
    return (derived.search for derived in _mapped(n))


def test_the_mapping_writes_the_vectors_for_postgresql_and_keeps_its_digest() -> None:
    """A worker mapping for PostgreSQL writes each record's vectors; what it derives is
    otherwise the same, digest included (the vectors follow from the texts)."""
    plain = list(_mapped(pg_vectors=False))
    with_vectors = list(_mapped(pg_vectors=True))
    assert [derived.digest for derived in with_vectors] == [d.digest for d in plain]
    assert [derived.search for derived in with_vectors] == [d.search for d in plain]
    assert all(derived.search.vectors is None for derived in plain)
    written = [d.search.vectors for d in with_vectors if d.search.vectors]
    assert len(written) >= 250
    assert written == [vectors(d.search) for d in plain if vectors(d.search) is not None]
    declined = [d for d in with_vectors if not d.search.vectors]
    assert all(d.search.vectors == () and vectors(d.search) is None for d in declined)


EDGES = [
    _doc(),
    _doc("eau potabl", "", "", ""),
    _doc("", "", "eau eau eau", "water"),
    _doc("eau", "water eau", "eau potabl eau", "water eau"),  # one lexeme in every part
    _doc("nad83 mtm zon 7", "007 0x1f 1e5", "2019 12e 1ea e12e3 a1e5", "x" * MAX_WORD),
    _doc("jeu", "dataset", " ".join(["mot"] * MAX_POSITIONS), "fin"),
]
"""Documents the written path takes: numbers, codes, repeats, the longest word."""

DECLINED = [
    _doc("a_b"),  # the parser splits on underscores
    _doc("cœur"),  # left to the database's locale
    _doc("", "", "1e5x"),  # a number then a word
    _doc("", "", "2e3e4f"),
    _doc("Eau"),  # not analysed text
    _doc("eau  potabl"),
    _doc("", "", "x" * (MAX_WORD + 1)),  # too long to index: to_tsvector drops it
    _doc("", "", " ".join(["mot"] * (MAX_POSITIONS + 1))),
    _doc("", "", " ".join(f"m{i}" for i in range(MAX_POSITION + 1))),
]


@pytest.mark.parametrize("doc", DECLINED, ids=range(len(DECLINED)))
def test_texts_the_parser_might_read_otherwise_are_declined(doc: SearchDocument) -> None:
    assert vectors(doc) is None


def test_written_vectors_read_as_the_tokens_at_their_positions() -> None:
    found = vectors(_doc("eau", "water eau", "eau potabl", "water"))
    assert found == (
        "eau:1A water:2B eau:3B",
        "eau:1A water:2B eau:3B eau:4C potabl:5C water:6D",
    )


@pytest.fixture
async def postgres(postgres_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(postgres_url)
    yield engine
    await engine.dispose()


_COMPARE = (
    "SELECT CAST(:title_vector AS tsvector) = titles, "
    f"CAST(:vector AS tsvector) = {PG_VECTOR} "
    f"FROM (SELECT {PG_TITLES} AS titles) AS document"
)


async def _compare(engine: AsyncEngine, docs: list[SearchDocument]) -> tuple[int, int]:
    """How many of ``docs`` were written in Python, and how many declined; fails on the
    first written vector that is not PostgreSQL's own, or that holds a character text
    ``COPY`` would need escaped."""
    written: list[dict[str, Any]] = []
    declined = 0
    for doc in docs:
        found = vectors(doc)
        if found is None:
            declined += 1
            continue
        # new datasets' vectors go by text COPY unescaped (PostgresSearch.index)
        assert not {"\t", "\n", "\r", "\\"} & set("".join(found)), found
        written.append(
            {
                "title_fr": doc.title_fr,
                "title_en": doc.title_en,
                "body_fr": doc.body_fr,
                "body_en": doc.body_en,
                "title_vector": found[0],
                "vector": found[1],
            }
        )
    async with engine.connect() as connection:
        for params in written:
            same_titles, same_vector = (await connection.execute(sa.text(_COMPARE), params)).one()
            assert (same_titles, same_vector) == (True, True), params
    return len(written), declined


async def test_written_vectors_are_postgresql_s_on_edge_texts(postgres: AsyncEngine) -> None:
    assert await _compare(postgres, EDGES) == (len(EDGES), 0)


async def test_written_vectors_are_postgresql_s_on_simulated_datasets(
    postgres: AsyncEngine,
) -> None:
    written, _ = await _compare(postgres, list(_simulated()))
    assert written >= 250  # the simulator's texts fold to ASCII but for a few words


async def test_written_vectors_are_postgresql_s_on_recorded_portals(
    postgres: AsyncEngine,
) -> None:
    written, declined = await _compare(postgres, list(_recorded()))
    assert written > 100 and declined > 10  # both paths, on real titles and descriptions


async def test_a_batch_is_indexed_by_both_paths_as_to_tsvector_would(
    postgres_url: str, postgres: AsyncEngine
) -> None:
    """A written batch mixing texts of both paths: every stored vector is the one the
    ``to_tsvector`` expressions give for its dataset's search text."""
    from harvester.store.db import session_factory
    from tests.api import corpus
    from tests.conftest import _truncate

    await _truncate(postgres_url)
    await corpus.add_sources(session_factory(postgres))
    items = [
        corpus.record("plain", {"fr": "Qualité de l'eau potable"}, description="Mesures 2024"),
        corpus.record("heart", {"fr": "Cœur de ville"}, description="Œuvres d'art public"),
        corpus.record("under", {"en": "snake_case names"}, keywords=["a_b"]),
    ]
    documents = {item.raw.remote_id: search_document(corpus.record_of(item)) for item in items}
    assert [vectors(doc) is None for doc in documents.values()] == [False, True, True]
    await corpus.write(postgres_url, "ville", items)

    async with postgres.connect() as connection:
        for remote_id, doc in documents.items():
            assert await stored_as_computed(connection, remote_id, doc) == (True, True), remote_id


async def test_documents_the_mapping_declined_are_not_analysed_again(
    postgres_url: str, postgres: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker mapping for PostgreSQL marks a document whose texts need ``to_tsvector``
    (``vectors == ()``): the index leaves it to the server without trying again, and every
    stored vector is still the one ``to_tsvector`` gives."""
    from harvester.prepare import derived, dumped
    from harvester.search import backend
    from harvester.store.datasets import Harvested
    from harvester.store.db import session_factory
    from tests.api import corpus
    from tests.conftest import _truncate

    await _truncate(postgres_url)
    await corpus.add_sources(session_factory(postgres))
    partner = PartnerInfo("ville", "municipality")
    records = [
        corpus.record("plain", {"fr": "Qualité de l'eau potable"}, description="Mesures 2024"),
        corpus.record("heart", {"fr": "Cœur de ville"}, description="Œuvres d'art public"),
        corpus.record("under", {"en": "snake_case names"}, keywords=["a_b"]),
    ]
    items = []
    for item in records:  # as a worker mapping for PostgreSQL sends them back
        record = corpus.record_of(item)
        prepared = (dumped(record), derived(record, "ville", partner, pg_vectors=True))
        items.append(Harvested(item.raw, None, prepared=prepared))
    written = [item.prepared[1].search.vectors for item in items if item.prepared]
    assert [bool(found) for found in written] == [True, False, False]
    assert written[1:] == [(), ()]
    analysed: list[SearchDocument] = []

    def counted(doc: SearchDocument) -> tuple[str, str] | None:
        analysed.append(doc)
        return vectors(doc)

    monkeypatch.setattr(backend, "vectors", counted)
    await corpus.write(postgres_url, "ville", items)
    assert analysed == []

    async with postgres.connect() as connection:
        for item in items:
            assert item.prepared is not None
            doc = item.prepared[1].search
            remote_id = item.raw.remote_id
            assert await stored_as_computed(connection, remote_id, doc) == (True, True), remote_id
