"""The action plan's figures against hand-counted data (tests/harvester/partnership_data.py)."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from harvester.partnership import indicators, report, snapshots
from harvester.partnership.model import Figures, KindFigure
from harvester.partnership.progress import count_progress, elapsed, share_progress
from harvester.partnership.service import current_figures
from harvester.store.quality import DatasetQuality, backfill_quality
from tests.harvester.partnership_data import AS_OF, BASELINE, TARGETS, seed


@pytest.fixture
async def figures(sessions: async_sessionmaker[AsyncSession]) -> Figures:
    await seed(sessions)
    async with sessions() as session, session.begin():
        assert await backfill_quality(session) == 0  # write_batch already checked every record
        await session.execute(sa.delete(DatasetQuality))
        assert await backfill_quality(session) == 8  # every dataset, withdrawn or pending too
        assert await backfill_quality(session) == 0  # nothing stale the second time
        return await indicators.compute(session, TARGETS, as_of=AS_OF)


async def test_a_batch_is_checked_at_one_time_after_its_writes(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """Each batch's quality rows carry one check time (bound once for the batch), never
    before the datasets they were checked for were written (else they would read stale)."""
    await seed(sessions)
    async with sessions() as session, session.begin():
        await session.execute(sa.delete(DatasetQuality))
        assert await backfill_quality(session, batch=3) == 8
        checked = (
            await session.execute(
                sa.text(
                    "SELECT q.checked_at, d.updated_at FROM dataset_quality q "
                    "JOIN dataset d ON d.pk = q.dataset_pk ORDER BY q.dataset_pk"
                )
            )
        ).all()
    times = [str(at) for at, _ in checked]
    assert len(times) == 8 and len(set(times)) == 3, times  # batches of 3, 3 and 2
    assert all(times[i] == times[i + 1] for i in (0, 1, 3, 4, 6)), times
    assert all(str(at) >= str(updated) for at, updated in checked)


def _kind(figures: Figures, kind: str) -> KindFigure:
    return next(k for k in figures.partners if k.kind == kind)


async def test_partners_by_kind(figures: Figures) -> None:
    ministry = _kind(figures, "ministry")
    assert (ministry.partners, ministry.publishing) == (2, 1)
    assert [p.id for p in ministry.not_publishing] == ["mtq"]
    assert ministry.goal == "all"
    assert ministry.progress.status == "missed"  # deadline 2019-03-31 passed, 1 of 2
    municipality = _kind(figures, "municipality")
    assert (municipality.partners, municipality.at_baseline, municipality.additional) == (3, 1, 2)
    assert municipality.publishing == 2  # ville-c's only source is pending
    progress = municipality.progress
    assert (progress.status, progress.target) == ("off_track", 20)
    assert progress.expected == pytest.approx(20 * 455 / 730, abs=0.01)
    civil = _kind(figures, "civil_society")
    assert (civil.partners, civil.progress.status) == (0, "no_target")


async def test_new_datasets_by_partner_and_month(figures: Figures) -> None:
    new = figures.new_datasets
    assert new.count == 4  # g2, g3, a1, b1
    assert {c.key: c.count for c in new.by_partner} == {"gouv": 2, "ville-a": 1, "ville-b": 1}
    assert {c.key: c.count for c in new.by_month} == {"2018-05": 2, "2019-01": 1, "2019-03": 1}
    assert {c.key: c.count for c in new.by_partner_month} == {
        "gouv/2018-05": 2,
        "ville-a/2019-01": 1,
        "ville-b/2019-03": 1,
    }
    assert new.progress.status == "off_track"
    assert "published_after=2018-04-01" in new.datasets
    assert "published_until=2019-06-30" in new.datasets


async def test_conformity_csv_api_and_hvd(figures: Figures) -> None:
    conformity = figures.conformity
    assert (conformity.count, conformity.of, conformity.share) == (2, 4, 0.5)
    assert conformity.progress.status == "missed"
    failing = {c.key: c.count for c in conformity.by_rule if c.count}
    assert failing == {
        "licence": 1,  # g3
        "open_format": 1,  # b1
        "description": 1,  # b1
        "frequency": 1,  # b1
        "dates": 1,  # b1: no issued nor modified date
    }
    csv = figures.csv_api
    assert (csv.count, csv.of, csv.share) == (1, 2, 0.5)  # g2 of g2, g3
    assert csv.progress.status == "off_track"
    hvd = figures.hvd
    assert (hvd.datasets, hvd.covered, hvd.of) == (2, 2, 6)
    counted = {c.key: c.count for c in hvd.categories if c.count}
    assert counted == {"c_ac64a52d": 1, "c_b79e35eb": 1}
    assert figures.datasets_without_quality == 0


async def test_the_baseline_is_configurable(sessions: async_sessionmaker[AsyncSession]) -> None:
    await seed(sessions)
    async with sessions() as session, session.begin():
        await backfill_quality(session)
        later = await indicators.compute(session, TARGETS, as_of=AS_OF, baseline=date(2019, 1, 1))
    assert later.baseline == date(2019, 1, 1)
    assert later.new_datasets.count == 2  # a1, b1
    assert _kind(later, "municipality").additional == 1  # ville-c


async def test_per_partner_conformity(sessions: async_sessionmaker[AsyncSession]) -> None:
    await seed(sessions)
    async with sessions() as session, session.begin():
        await backfill_quality(session)
        rows = {r.partner.id: r for r in await report.partner_conformity(session, BASELINE, AS_OF)}
    gouv = rows["gouv"]
    assert (gouv.datasets, gouv.conforming, gouv.new_datasets, gouv.new_conforming) == (4, 3, 2, 1)
    assert [(c.key, c.count) for c in gouv.failing] == [("licence", 1)]
    assert rows["ville-b"].share == 0.0
    assert rows["mtq"].datasets == 0 and rows["mtq"].share is None
    assert "ville-c" in rows and rows["ville-c"].datasets == 0  # pending source not counted


def test_progress_arithmetic() -> None:
    start, end = date(2020, 1, 1), date(2021, 1, 1)
    assert elapsed(start, end, date(2019, 1, 1)) == 0
    assert elapsed(start, end, date(2022, 1, 1)) == 1
    assert count_progress(10, 10, end, start, date(2020, 2, 1)).status == "met"
    assert count_progress(6, 10, end, start, date(2020, 7, 2)).status == "on_track"
    assert count_progress(4, 10, end, start, date(2020, 7, 2)).status == "off_track"
    assert count_progress(9, 10, end, start, end).status == "missed"
    assert count_progress(3, None, None, start, end).status == "no_target"
    assert share_progress(0.9, 0.8, end, date(2020, 5, 1)).status == "on_track"
    assert share_progress(0.7, 0.8, end, date(2020, 5, 1)).status == "off_track"
    assert share_progress(0.8, 0.8, end, end).status == "met"
    assert share_progress(None, 0.8, end, end).status == "no_data"


async def test_snapshots_and_history(sessions: async_sessionmaker[AsyncSession]) -> None:
    await seed(sessions)
    async with sessions() as session, session.begin():
        today = await current_figures(session, TARGETS)  # today's, with the config baseline
        await current_figures(session, TARGETS, as_of=AS_OF)  # a past day is never stored
        await current_figures(session, TARGETS, baseline=date(2019, 1, 1))  # nor another baseline
        figures = await indicators.compute(session, TARGETS, as_of=AS_OF)
        await snapshots.take_snapshot(session, figures)
        await snapshots.take_snapshot(session, figures)  # the same day, replaced
    async with sessions() as session:
        points = await snapshots.history(session)
        assert [p.day for p in points] == [AS_OF, today.as_of]
        assert points[0].new_datasets == 4
        assert points[0].conformity_share == 0.5
        assert points[0].partners_additional["municipality"] == 2
        assert points[0].ministries_publishing == 1
        assert [p.day for p in await snapshots.history(session, since=date(2020, 1, 1))] == [
            today.as_of
        ]
