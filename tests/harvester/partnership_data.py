"""A small partnership whose figures were counted by hand (see the table below).

Baseline 2018-04-01, "as of" 2019-06-30.

=========  ==========  =================================================================
dataset    issued      what it is
=========  ==========  =================================================================
g1         2017-01-10  gouv, before the baseline; CSV + API; HVD geospatial (URI)
g2         2018-05-02  gouv, new; conforming; CSV + API
g3         2018-05-20  gouv, new; no licence (fails "licence"); CSV without API
g4         2019-07-15  gouv, after the "as of" day
a1         2019-01-05  ville-a, new; conforming; JSON only; HVD "Mobilité" (label)
a2         2019-01-25  ville-a, new but withdrawn
b1         (none)      ville-b, first seen 2019-03-03, new; XLS only, no description,
                       no frequency, no date (fails open_format, description,
                       frequency, dates)
p1         2019-02-02  ville-c's source is pending: never counted
=========  ==========  =================================================================

Partners: gouv (ministry, 2016-04-05, publishing), mtq (ministry, 2018-06-01, not
publishing), ville-a (municipality, 2016-04-05), ville-b (2018-09-01), ville-c (2019-02-01,
source pending), ville-d (2020-01-01, after "as of"), obnl (civil society, never joined).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from catalog.model import (
    ContactPoint,
    DatasetRecord,
    Distribution,
    LicenceRef,
    Provenance,
)
from connectors.base import RawRecord
from harvester.config_model import TargetsConfig
from harvester.store.datasets import Harvested, write_batch
from harvester.store.tables import Dataset, Partner, Source

BASELINE = date(2018, 4, 1)
AS_OF = date(2019, 6, 30)
FIRST_SEEN = datetime(2019, 3, 3, 12, tzinfo=UTC)

TARGETS = TargetsConfig.model_validate(
    {
        "baseline": BASELINE,
        "partners": [
            {"kind": "ministry", "all": True, "deadline": date(2019, 3, 31)},
            {"kind": "municipality", "additional": 20, "deadline": date(2020, 3, 31)},
        ],
        "new_datasets": {"count": 150, "deadline": date(2020, 3, 31)},
        "conformity": {"share": 0.8, "deadline": date(2019, 3, 31)},
        "csv_api": {"share": 0.8, "deadline": date(2020, 3, 31)},
    }
)


def record(
    source: str,
    remote_id: str,
    issued: date | None,
    formats: tuple[str, ...] = ("CSV",),
    *,
    api: bool = False,
    licence: bool = True,
    description: bool = True,
    frequency: bool = True,
    hvd: tuple[str, ...] = (),
) -> Harvested:
    """A record that passes every guideline unless told otherwise."""
    distributions = [
        Distribution(format=f, file_type=f, download_url=f"https://x.example/{remote_id}.{f}")
        for f in formats
    ]
    if api:
        distributions.append(
            Distribution(format="API", access_url="https://x.example/api", api_access=True)
        )
    data = DatasetRecord(
        identifier=remote_id,
        title={"fr": f"Jeu {remote_id}"},
        description={"fr": "Une description assez longue pour la règle."} if description else {},
        keywords={"fr": ["test"]},
        licence=LicenceRef(id="CC-BY-4.0", open=True) if licence else None,
        issued=issued,
        accrual_periodicity="MONTHLY" if frequency else None,
        contact_points=[ContactPoint(email="donnees@x.example")],
        hvd_categories=list(hvd),
        distributions=distributions,
        provenance=Provenance(source_id=source, remote_id=remote_id, platform="ckan"),
    )
    return Harvested(RawRecord(remote_id, {"id": remote_id}, FIRST_SEEN), data)


async def seed(sessions: async_sessionmaker[AsyncSession]) -> None:
    """Write the partnership above through the real batch writer."""
    async with sessions() as session, session.begin():
        session.add_all(
            [
                Partner(
                    id="gouv", name="Gouvernement", kind="ministry", joined_at=date(2016, 4, 5)
                ),
                Partner(id="mtq", name="Transports", kind="ministry", joined_at=date(2018, 6, 1)),
                Partner(
                    id="ville-a", name="Ville A", kind="municipality", joined_at=date(2016, 4, 5)
                ),
                Partner(
                    id="ville-b", name="Ville B", kind="municipality", joined_at=date(2018, 9, 1)
                ),
                Partner(
                    id="ville-c", name="Ville C", kind="municipality", joined_at=date(2019, 2, 1)
                ),
                Partner(
                    id="ville-d", name="Ville D", kind="municipality", joined_at=date(2020, 1, 1)
                ),
                Partner(id="obnl", name="OBNL", kind="civil_society"),
            ]
        )
        await session.flush()
        for source, partner, status in (
            ("gouv-src", "gouv", "approved"),
            ("a-src", "ville-a", "approved"),
            ("b-src", "ville-b", "paused"),
            ("c-src", "ville-c", "pending"),
        ):
            session.add(
                Source(
                    id=source,
                    partner_id=partner,
                    url=f"https://{source}.example",
                    platform="ckan",
                    status=status,
                )
            )
    batches = {
        "gouv-src": [
            record("gouv-src", "g1", date(2017, 1, 10), api=True, hvd=("http://data.europa.eu/bna/c_ac64a52d",)),
            record("gouv-src", "g2", date(2018, 5, 2), api=True),
            record("gouv-src", "g3", date(2018, 5, 20), licence=False),
            record("gouv-src", "g4", date(2019, 7, 15)),
        ],
        "a-src": [
            record("a-src", "a1", date(2019, 1, 5), ("JSON",), hvd=("Mobilité",)),
            record("a-src", "a2", date(2019, 1, 25)),
        ],
        "b-src": [
            record("b-src", "b1", None, ("XLS",), description=False, frequency=False),
        ],
        "c-src": [record("c-src", "p1", date(2019, 2, 2))],
    }  # fmt: skip
    for source, items in batches.items():
        async with sessions() as session, session.begin():
            await write_batch(session, source, items, now=FIRST_SEEN)
    async with sessions() as session, session.begin():
        await session.execute(
            sa.update(Dataset).where(col(Dataset.remote_id) == "a2").values(withdrawn_at=FIRST_SEEN)
        )
