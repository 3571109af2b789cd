"""Migration 0018: PostgreSQL's ``search_doc`` holds the tsvectors the harvest computes in
its ``INSERT``, not the analysed texts they were generated from."""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from harvester.search.text import search_document
from harvester.store.migrate import alembic_config, upgrade_async
from tests.api import corpus

BEFORE = "0015_pg_lz4_documents"
TEXTS = ("title_fr", "title_en", "body_fr", "body_en")


@pytest.fixture
def postgresql_url(database_url: str) -> str:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite indexes with FTS5 tables (search_fts, search_title)")
    return database_url


async def _columns(sessions: async_sessionmaker[AsyncSession]) -> dict[str, str]:
    """``search_doc``'s columns and whether each is generated (``'s'``) or not (``''``)."""
    async with sessions() as session:
        rows = await session.execute(
            sa.text(
                "SELECT attname, attgenerated::text FROM pg_attribute "
                "WHERE attrelid = 'search_doc'::regclass AND attnum > 0 AND NOT attisdropped"
            )
        )
        return {name: generated for name, generated in rows}


async def _vectors(sessions: async_sessionmaker[AsyncSession]) -> dict[int, tuple[str, str]]:
    async with sessions() as session:
        rows = await session.execute(
            sa.text("SELECT dataset_pk, vector::text, title_vector::text FROM search_doc")
        )
        return {pk: (vector, titles) for pk, vector, titles in rows}


async def _tokens(session: AsyncSession, text: str) -> str:
    """``text`` as PostgreSQL's parser splits it (words with underscores, "1e5ba"...)."""
    tokens = await session.scalar(
        sa.text("SELECT string_agg(token, ' ') FROM ts_parse('default', :text) WHERE tokid <> 12"),
        {"text": text},
    )
    return tokens or ""


async def test_vectors_are_those_the_generated_columns_gave(
    postgresql_url: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    items = await corpus.real(postgresql_url)
    await corpus.synthetic(postgresql_url)
    documents = {
        item.raw.remote_id: search_document(corpus.record_of(item))
        for item in [*items, *corpus.SYNTHETIC]
    }
    assert await _columns(sessions) == {
        "dataset_pk": "",
        "rank_key": "",
        "vector": "",
        "title_vector": "",
    }
    written = await _vectors(sessions)
    assert len(written) == len(documents) > 40

    await asyncio.to_thread(command.downgrade, alembic_config(postgresql_url), BEFORE)
    try:
        columns = await _columns(sessions)
        assert {columns[name] for name in ("vector", "title_vector")} == {"s"}
        # the texts come back as the harvest analysed them, word for word...
        async with sessions() as session:
            rows = (
                await session.execute(
                    sa.text(
                        "SELECT d.remote_id, s.title_fr, s.title_en, s.body_fr, s.body_en "
                        "FROM search_doc s JOIN dataset d ON d.pk = s.dataset_pk"
                    )
                )
            ).all()
            assert len(rows) == len(documents)
            for remote_id, *texts in rows:
                document = documents[remote_id]
                analysed = [await _tokens(session, getattr(document, name)) for name in TEXTS]
                assert texts == analysed
        # ...and the columns generated from them hold what the INSERT computed
        assert await _vectors(sessions) == written
    finally:
        await upgrade_async(postgresql_url)

    assert set(await _columns(sessions)) == {"dataset_pk", "rank_key", "vector", "title_vector"}
    assert await _vectors(sessions) == written
    # the upgraded table takes the harvest's writes again, vectors computed by the INSERT
    await corpus.withdraw(postgresql_url, corpus.VILLE[0].raw.remote_id)
    renamed = corpus.record("velo-2", {"fr": "Réseau cyclable hivernal", "en": "Winter paths"})
    await corpus.write(postgresql_url, "ville", [renamed], now=corpus.LATER)
    async with sessions() as session:
        vectors = await session.execute(
            sa.text(
                "SELECT s.vector::text, s.title_vector::text FROM search_doc s "
                "JOIN dataset d ON d.pk = s.dataset_pk WHERE d.remote_id = 'velo-2'"
            )
        )
        # both titles analysed in French (weight A), then in English (B); no body
        french = "'reseau':1A 'cyclabl':2A 'hivernal':3A 'wint':4A 'path':5A"
        english = "'reseau':6B 'cyclabl':7B 'hivern':8B 'winter':9B 'path':10B"
        (vector, titles), expected = vectors.one(), f"{french} {english}"
        assert vector == titles
        assert sorted(_positions(vector)) == sorted(_positions(expected))


def _positions(vector: str) -> list[str]:
    """``'lexeme':1A,7B`` → ``lexeme:1A``, ``lexeme:7B``."""
    return [
        f"{lexeme.strip(chr(39))}:{position}"
        for lexeme, positions in (entry.split(":") for entry in vector.split())
        for position in positions.split(",")
    ]
