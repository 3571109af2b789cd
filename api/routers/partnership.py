"""The action plan's indicators, the datasets behind each figure, per-partner and
per-dataset conformity, and the daily history (reads are public)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request

from api.deps import Session
from api.partnership_schemas import (
    CountedDataset,
    CountedPage,
    DatasetConformity,
    Guideline,
    RuleVerdict,
)
from api.problems import Problem, bad_parameter
from catalog import conformity
from harvester.config import ConfigError
from harvester.config_model import TargetsConfig
from harvester.partnership import listing, report, snapshots
from harvester.partnership.filters import DatasetFilter
from harvester.partnership.indicators import EPOCH
from harvester.partnership.model import Figures, HistoryPoint, PartnerConformity
from harvester.partnership.service import (
    served_figures,
    served_partner_conformity,
    today,
)
from harvester.partnership.targets import load_targets
from harvester.search.cursor import CursorError

router = APIRouter(prefix="/api/v1/partnership", tags=["partnership"])

Baseline = Annotated[
    date | None, Query(description="Count 'additional' and 'new' from this day (default: config).")
]
AsOf = Annotated[
    date | None, Query(description="Figures as they stand on this day (default: today).")
]


def _targets(request: Request) -> TargetsConfig | None:
    try:
        return load_targets(request.app.state.settings.config)
    except ConfigError as error:
        raise Problem(500, f"the config file has errors: {error}") from None


@router.get("", response_model=Figures)
async def figures(
    request: Request, session: Session, baseline: Baseline = None, as_of: AsOf = None
) -> Figures:
    """Every figure of the action plan against its target and deadline, each with the link
    of the datasets it counts."""
    result = await served_figures(session, _targets(request), as_of=as_of, baseline=baseline)
    await session.commit()
    return result


@router.get("/history", response_model=list[HistoryPoint])
async def history(
    session: Session,
    since: Annotated[date | None, Query()] = None,
    until: Annotated[date | None, Query()] = None,
) -> list[HistoryPoint]:
    """One point per day with a snapshot, oldest first (for plotting progress)."""
    return await snapshots.history(session, since=since, until=until)


@router.get("/guidelines", response_model=list[Guideline])
async def guidelines() -> list[Guideline]:
    """The publication guidelines checked on every dataset, one rule a line."""
    return [Guideline(rule=rule.code, text=rule.text) for rule in conformity.RULES]


async def _partners(
    request: Request,
    session: Session,
    baseline: date | None,
    as_of: date | None,
    partner: str | None,
) -> list[PartnerConformity]:
    targets = _targets(request)
    start = baseline or (targets.baseline if targets else EPOCH)
    found = await served_partner_conformity(session, start, as_of or today(), partner)
    await session.commit()
    return found


@router.get("/partners", response_model=list[PartnerConformity])
async def partners(
    request: Request, session: Session, baseline: Baseline = None, as_of: AsOf = None
) -> list[PartnerConformity]:
    """Each partner's datasets against the publication guidelines, overall and new."""
    return await _partners(request, session, baseline, as_of, None)


@router.get("/partners/{partner_id}", response_model=PartnerConformity)
async def partner(
    partner_id: str,
    request: Request,
    session: Session,
    baseline: Baseline = None,
    as_of: AsOf = None,
) -> PartnerConformity:
    """One partner's conformity, with links to its failing datasets by rule."""
    found = await _partners(request, session, baseline, as_of, partner_id)
    if not found:
        raise Problem(404, f"no partner with id {partner_id!r}", title="Partner not found")
    return found[0]


@router.get("/datasets", response_model=CountedPage)
async def datasets(
    request: Request,
    session: Session,
    published_after: date | None = None,
    published_until: date | None = None,
    partner: str | None = None,
    kind: str | None = None,
    month: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$")] = None,
    conforms: bool | None = None,
    csv: bool | None = None,
    csv_api: bool | None = None,
    hvd: bool | None = None,
    hvd_category: str | None = None,
    rule: Annotated[str | None, Query(description="A guideline rule the datasets fail.")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[
        str | None, Query(description="Where the page starts: a `next_cursor` (preferred).")
    ] = None,
    offset: Annotated[
        int | None, Query(ge=0, description="Rows to skip (older clients; not with `cursor`).")
    ] = None,
) -> CountedPage:
    """The datasets a figure counts, newest publications first: its link carries these
    filters, so ``total`` is the figure. Follow ``next`` (or pass ``next_cursor`` as
    ``cursor``); ``offset`` still works but costs more the deeper it goes."""
    if rule is not None and rule not in conformity.RULE_CODES:
        valid = ", ".join(conformity.RULE_CODES)
        raise Problem(400, f"query.rule: unknown rule {rule!r} (valid: {valid})")
    cursor = cursor or None
    if cursor is not None and offset is not None:
        raise bad_parameter("query.offset", "give either cursor or offset, not both")
    where = DatasetFilter(
        published_after, published_until, partner, kind, month, conforms, csv, csv_api, hvd,
        hvd_category, rule,
    )  # fmt: skip
    try:
        page = await listing.list_datasets(
            session, where, limit=limit, offset=offset or 0, cursor=cursor
        )
    except CursorError as error:
        raise bad_parameter("query.cursor", str(error)) from None
    base = str(request.base_url).rstrip("/")
    next_page = request.url.remove_query_params("offset").include_query_params
    return CountedPage(
        total=page.total,
        limit=limit,
        offset=None if cursor is not None else offset or 0,
        filters=where.params(),
        next=str(next_page(cursor=page.next_cursor)) if page.next_cursor else None,
        next_cursor=page.next_cursor,
        results=[
            CountedDataset(
                id=d.id,
                title=d.title,
                source=d.source_id,
                partner=owner,
                published=q.published,
                conforms=q.conforms,
                failed_rules=q.failed_rules,
                is_csv=q.is_csv,
                csv_api=q.csv_api,
                hvd_categories=q.hvd_categories,
                link=f"{base}/api/v1/datasets/{d.id}",
                conformity=f"{base}/api/v1/partnership/datasets/{d.id}",
            )
            for d, q, owner in page.rows
        ],
    )


@router.get("/datasets/{dataset_id}", response_model=DatasetConformity)
async def dataset_conformity(dataset_id: str, session: Session) -> DatasetConformity:
    """One dataset's pass / fail / n/a for every publication guideline."""
    found = await report.dataset_verdicts(session, dataset_id)
    if found is None:
        raise Problem(404, f"no dataset with id {dataset_id!r}", title="Dataset not found")
    dataset, quality = found
    return DatasetConformity(
        id=dataset.id,
        title=dataset.title,
        conforms=quality.conforms if quality else None,
        checked_at=quality.checked_at if quality else None,
        rules=[RuleVerdict(**row) for row in report.verdict_rows(quality)] if quality else [],
    )
