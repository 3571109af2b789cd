"""Corpora for the search, feed and CKAN API tests.

* :func:`synthetic` — a small hand-made catalogue whose facets, dates and extents are known,
  so each filter and count can be asserted exactly;
* :func:`ckan_packages` — every real package recorded in ``../shared/fixtures/ckan``,
  normalized by the CKAN connector, for realistic output (RDF, SHACL, ckanapi).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa

from catalog.model import (
    Agent,
    ContactPoint,
    DatasetRecord,
    Distribution,
    LicenceRef,
    PeriodOfTime,
    Provenance,
    SpatialCoverage,
)
from connectors.base import RawRecord, SourceSpec
from connectors.ckan import CkanConnector
from connectors.errors import RecordInvalid, RecordSkipped
from harvester.store import withdrawals
from harvester.store.datasets import Harvested, write_batch
from harvester.store.db import create_engine, session_factory
from harvester.store.tables import Partner, Source
from tests.connectors.ckan_replay import load_lines, result_of

NOW = datetime(2026, 11, 1, tzinfo=UTC)
LATER = datetime(2026, 11, 5, tzinfo=UTC)


def record(
    remote_id: str,
    title: dict[str, str],
    *,
    source: str = "ville",
    description: str = "",
    keywords: list[str] = (),  # type: ignore[assignment]
    formats: list[str] = (),  # type: ignore[assignment]
    licence: str | None = None,
    language: list[str] = (),  # type: ignore[assignment]
    themes: list[str] = (),  # type: ignore[assignment]
    hvd: list[str] = (),  # type: ignore[assignment]
    api: bool = False,
    modified: date | None = None,
    temporal: tuple[date | None, date | None] | None = None,
    bbox: tuple[float, float, float, float] | None = None,
    publisher: str | None = None,
) -> Harvested:
    """One synthetic harvested record."""
    rec = DatasetRecord(
        identifier=remote_id,
        title=title,
        description={"fr": description} if description else {},
        keywords={"fr": list(keywords)} if keywords else {},
        themes=list(themes),
        hvd_categories=list(hvd),
        language=list(language),
        licence=LicenceRef(id=licence) if licence else None,
        modified=modified,
        publisher=Agent(name={"fr": publisher}) if publisher else None,
        contact_points=[ContactPoint(email="open@example.org")] if description else [],
        temporal=[PeriodOfTime(start=temporal[0], end=temporal[1])] if temporal else [],
        spatial=[SpatialCoverage(bbox=bbox)] if bbox else [],
        distributions=[
            Distribution(
                format=f,
                title={"fr": f"Fichier {f}"},
                access_url=f"https://ex.org/{remote_id}.{f.lower()}",
                download_url=f"https://ex.org/{remote_id}.{f.lower()}",
                api_access=api,
            )
            for f in formats
        ],
        provenance=Provenance(
            source_id=source,
            remote_id=remote_id,
            platform="ckan",
            original_url=f"https://ex.org/dataset/{remote_id}",
        ),
    )
    return Harvested(raw=RawRecord(remote_id, {"id": remote_id}, NOW), record=rec)


def record_of(item: Harvested) -> DatasetRecord:
    """The record of a corpus item, which always has one (``Harvested.record`` may be None)."""
    assert item.record is not None
    return item.record


LONG = "Données ouvertes détaillées, mises à jour chaque semaine, avec leur dictionnaire. " * 3

VILLE = [
    record(
        "velo",
        {"fr": "Pistes cyclables", "en": "Bike paths"},
        description="Le réseau cyclable de la ville. " + LONG,
        keywords=["Vélo", "Transport", "mobilité"],
        formats=["CSV", "GeoJSON"],
        licence="CC-BY-4.0",
        language=["FRA"],
        themes=["TRAN"],
        modified=date(2026, 1, 10),
        temporal=(date(2020, 1, 1), date(2020, 12, 31)),
        bbox=(-71.5, 46.7, -71.1, 46.9),
        publisher="Ville de Québec",
    ),
    record(
        "reseau",
        {"fr": "Réseau cyclable"},
        formats=["SHP"],
        modified=date(2025, 2, 2),
        publisher="Ville de Québec",
    ),
    record(
        "bibli",
        {"fr": "Bibliothèques municipales"},
        keywords=["culture"],
        modified=date(2024, 3, 3),
        publisher="Ville de Québec",
    ),
    *[
        record(
            f"parc-{n:02}",
            {"fr": f"Parc numéro {n}"},
            formats=["JSON"],
            publisher="Ville de Québec",
        )
        for n in range(20)
    ],
]
MINISTERE = [
    record(
        "bus",
        {"fr": "Horaires des autobus"},
        source="min",
        description="Transports collectifs, y compris les autobus de nuit. " + LONG,
        keywords=["transport"],
        formats=["GTFS"],
        licence="OGL-Canada-2.0",
        language=["FRA", "ENG"],
        themes=["TRAN"],
        api=True,
        modified=date(2025, 6, 1),
        temporal=(date(2024, 1, 1), None),
        bbox=(-73.9, 45.4, -73.4, 45.7),
        publisher="Ministère des Transports",
    ),
    record(
        "energie",
        {"fr": "Consommation d'énergie"},
        source="min",
        description="Énergie consommée, y compris par les bornes de recharge pour vélo. " + LONG,
        formats=["CSV"],
        licence="CC-BY-4.0",
        language=["ENG"],
        themes=["ENER"],
        hvd=["c_dd313021"],
        temporal=(date(2010, 1, 1), date(2015, 12, 31)),
        publisher="Ministère de l'Énergie",
    ),
]
SYNTHETIC = VILLE + MINISTERE


async def add_sources(sessions: Any) -> None:
    async with sessions() as session, session.begin():
        session.add(Partner(id="ville", name="Ville de Québec", kind="municipality"))
        session.add(Partner(id="min", name="Ministère", kind="ministry"))
        session.add(
            Source(id="ville", partner_id="ville", url="https://ville.example", platform="ckan")
        )
        session.add(Source(id="min", partner_id="min", url="https://min.example", platform="ckan"))


async def write(url: str, source: str, items: list[Harvested], now: datetime = NOW) -> None:
    engine = create_engine(url)
    async with session_factory(engine)() as session, session.begin():
        await write_batch(session, source, items, now=now)
    await engine.dispose()


async def synthetic(url: str) -> None:
    """Seed the synthetic catalogue into the database at ``url``."""
    engine = create_engine(url)
    await add_sources(session_factory(engine))
    await engine.dispose()
    await write(url, "ville", VILLE)
    await write(url, "min", MINISTERE)


async def withdraw(url: str, remote_id: str, at: datetime = NOW) -> None:
    """Withdraw one dataset the way a harvest run does: set ``withdrawn_at`` and drop it
    from the search index (:func:`harvester.store.withdrawals.withdraw`)."""
    engine = create_engine(url)
    async with session_factory(engine)() as session, session.begin():
        pk = await session.scalar(
            sa.text("SELECT pk FROM dataset WHERE remote_id = :rid"), {"rid": remote_id}
        )
        assert pk is not None, remote_id
        assert await withdrawals.withdraw(session, [pk], at) == 1
    await engine.dispose()


SEARCH_FIXTURES = (
    "ridl-unhcr_package_search_start0_rows5.json",
    "datagov_catalog-dev_package_search.json",
    "dadosgovbr_package_search_rows2.json",
    "dadosgovbr_package_search_q_all.json",
    "datagovuk_package_search.json",
    "demo-ckan_package_search_rows3.json",
    "datasud_package_search_org_gap-tallard-durance_rows1000.json",
)
SHOW_FIXTURES = (
    "datagovuk_package_show.json",
    "demo-ckan_package_show_2015_dataset-1.json",
    "hdx_package_show_reliefweb-crisis-figures.json",
    "ecocommons_package_show.json",
    "synthetic_ckan_dataset_scheming_dcat_ap.json",
    "synthetic_ckan_dataset_fluent_multilingual.json",
    "datasud_package_show_canispaces-ville-de-gap.json",
)


def ckan_packages() -> list[dict[str, Any]]:
    """Every distinct real package of the CKAN fixtures."""
    packages: dict[str, dict[str, Any]] = {}
    for name in SEARCH_FIXTURES:
        for package in result_of(name)["results"]:
            packages.setdefault(package["id"], package)
    for name in SHOW_FIXTURES:
        package = result_of(name)
        packages.setdefault(package.get("id") or package["name"], package)
    for package in load_lines("open-canada_packages_fluent.jsonl"):
        packages.setdefault(package["id"], package)
    return list(packages.values())


def ckan_items(source: str = "portail") -> list[Harvested]:
    """The fixture packages normalized by the CKAN connector (invalid ones left out)."""
    connector = CkanConnector(
        SourceSpec(id=source, url="https://portal.example.org", platform="ckan"),
        client=None,  # type: ignore[arg-type]  # normalize does no I/O, needs no client
    )
    items = []
    for package in ckan_packages():
        raw = RawRecord(str(package.get("id") or package["name"]), package, NOW)
        try:
            items.append(Harvested(raw=raw, record=connector.normalize(raw)))
        except (RecordInvalid, RecordSkipped):
            continue
    return items


async def real(url: str, source: str = "portail") -> list[Harvested]:
    """Seed the normalized CKAN fixtures as one public-body source; returns them."""
    engine = create_engine(url)
    async with session_factory(engine)() as session, session.begin():
        session.add(Partner(id=source, name="Portail", kind="public_body"))
        session.add(
            Source(id=source, partner_id=source, url="https://portal.example.org", platform="ckan")
        )
    await engine.dispose()
    items = ckan_items(source)
    await write(url, source, items)
    return items
