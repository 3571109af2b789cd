"""Partner matching: one organization, one partner, however its name is spelled."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from harvester.partners import (
    PartnerError,
    find_or_create_partner,
    match_partner,
    partner_key,
    slugify,
)
from harvester.store.tables import Partner

PARTNERS = [
    Partner(id="ville-de-laval", name="Ville de Laval", kind="municipality"),
    Partner(id="ville-de-saint-jerome", name="Ville de Saint-Jérôme", kind="municipality"),
    Partner(id="universite-laval", name="Université Laval", kind="public_body"),
    Partner(id="ville-d-alma", name="Ville d'Alma", kind="municipality"),
    Partner(id="mrc-a", name="Granby", kind="municipality"),
    Partner(id="granby-org", name="Granby", kind="civil_society"),
]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Ville de Laval", "ville-de-laval"),
        ("Laval", "ville-de-laval"),
        ("City of Laval", "ville-de-laval"),
        ("VILLE DE LAVAL", "ville-de-laval"),
        ("ville-de-laval", "ville-de-laval"),
        ("  Ville  de   Laval ", "ville-de-laval"),
        ("Saint-Jérôme", "ville-de-saint-jerome"),
        ("Saint Jerome", "ville-de-saint-jerome"),
        ("St-Jérôme", "ville-de-saint-jerome"),
        ("Ville de St Jérôme", "ville-de-saint-jerome"),
        ("Municipalité de Saint-Jérôme", "ville-de-saint-jerome"),
        ("Alma", "ville-d-alma"),
        ("Ville d’Alma", "ville-d-alma"),
        ("Université Laval", "universite-laval"),
        ("Universite-Laval", "universite-laval"),
    ],
)
def test_spellings_match_one_partner(typed: str, expected: str) -> None:
    found = match_partner(PARTNERS, typed, "municipality")
    assert found is not None and found.id == expected


def test_unknown_and_ambiguous_names_match_nothing() -> None:
    assert match_partner(PARTNERS, "Ville de Gatineau") is None
    assert match_partner(PARTNERS, "Ville de Granby") is None  # two partners, kind unknown
    granby = match_partner(PARTNERS, "Ville de Granby", "civil_society")
    assert granby is not None and granby.id == "granby-org"
    assert match_partner(PARTNERS, "Ville de") is None


def test_keys_and_slugs() -> None:
    assert partner_key("Ville de Saint-Jérôme") == partner_key("St-Jerome") == "saint jerome"
    assert partner_key("Cité de Dorval") == "dorval"
    assert slugify("Ville de Saint-Jérôme") == "ville-de-saint-jerome"


async def test_find_or_create_never_duplicates(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session, session.begin():
        created = await find_or_create_partner(session, "Ville de Saint-Jérôme", "municipality")
        for typed in ("Saint-Jérôme", "ST-JEROME", "City of Saint Jerome"):
            assert (await find_or_create_partner(session, typed, "municipality")).id == created.id
        with pytest.raises(PartnerError, match="unknown partner kind"):
            await find_or_create_partner(session, "X", "city")
        with pytest.raises(PartnerError, match="empty"):
            await find_or_create_partner(session, "  ", "other")
    async with sessions() as session:
        assert await session.scalar(sa.select(sa.func.count()).select_from(Partner)) == 1
