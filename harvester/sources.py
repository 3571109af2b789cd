"""Managing partners and sources: registration checks and the sources.toml → DB sync.

Functions here work on an ``AsyncSession`` and only ``flush``: the caller owns the
transaction and commits. Every refusal is a :class:`SourceRejected` with a plain message.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from catalog.model import PartnerKind
from connectors.detect import detect_platform as detect
from connectors.errors import SourceForbidden, UnknownPlatform
from connectors.registry import get_connector, platforms
from connectors.ssrf import SSRFGuard
from harvester import partners, schedules
from harvester.config_model import MoissonConfig, PartnerConfig, SourceConfig, validate_schedule
from harvester.partners import PartnerError, parse_kind, slugify
from harvester.search import partner_facets
from harvester.store.tables import Partner, Source
from harvester.store.types import utcnow

AUTO = "auto"
STATUSES = ("pending", "approved", "paused", "rejected")


class SourceRejected(ValueError):
    """A partner or source cannot be registered; the message says why, in plain words."""


# --- names, ids and URLs -------------------------------------------------------------------


def normalize_url(url: str) -> str:
    """Scheme and host lowercased, trailing slash of the path stripped (for duplicates)."""
    parts = urlsplit(url.strip())
    path = parts.path.rstrip("/")
    query = f"?{parts.query}" if parts.query else ""
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{path}{query}"


def check_url(url: str, allow: Sequence[str] = ()) -> str:
    """The stripped ``url`` if it is http(s) with a host the SSRF guard accepts."""
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError as error:
        raise SourceRejected(f"{url!r} is not a valid URL ({error})") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise SourceRejected(f"{url!r} is not an http(s) URL")
    if not parts.hostname:
        raise SourceRejected(f"{url!r} has no host")
    try:
        SSRFGuard(allow).check_url(url)
    except SourceForbidden as error:
        raise SourceRejected(f"{url}: {error}") from None
    return url


async def _free_id(session: AsyncSession, model: type[Partner] | type[Source], base: str) -> str:
    """``base``, or ``base-2``, ``base-3``… — the first id not taken in ``model``'s table."""
    base = base or "source"
    candidate, number = base, 1
    while await session.get(model, candidate) is not None:
        number += 1
        candidate = f"{base}-{number}"
    return candidate


# --- partners ------------------------------------------------------------------------------


def _kind(kind: str | PartnerKind) -> PartnerKind:
    try:
        return parse_kind(kind)
    except PartnerError as error:
        raise SourceRejected(str(error)) from None


async def find_or_create_partner(
    session: AsyncSession, name: str, kind: str | PartnerKind, *, region: str | None = None
) -> Partner:
    """The existing partner matching ``name`` (see :mod:`harvester.partners`), or a new one."""
    try:
        return await partners.find_or_create_partner(session, name, kind, region=region)
    except PartnerError as error:
        raise SourceRejected(str(error)) from None


# --- sources -------------------------------------------------------------------------------


async def _duplicate_of(session: AsyncSession, url: str, options: dict[str, Any]) -> Source | None:
    """An existing source harvesting the same URL. Several sources may share a portal only
    with distinct, non-empty options (e.g. one CKAN organization each)."""
    wanted = normalize_url(url)
    for source in (await session.scalars(sa.select(Source).order_by(Source.id))).all():
        if normalize_url(source.url) != wanted:
            continue
        if not options or (source.options or {}) == options:
            return source
    return None


async def detect_platform(url: str, client: httpx.AsyncClient | None) -> str:
    """The platform recognized behind ``url``: every connector's probe runs at once."""
    if client is None:
        raise SourceRejected(
            "platform 'auto' needs to contact the URL to recognize it; name the platform"
            f" instead (valid: {', '.join(platforms())})"
        )
    report = await detect(url, client)
    if report.refusal:
        raise SourceRejected(f"{url}: {report.refusal}")
    if report.platform is None:
        raise SourceRejected(f"{report.summary}; name the platform instead")
    return report.platform


def check_options(platform: str, options: dict[str, Any]) -> dict[str, Any]:
    try:
        model = get_connector(platform).Options.model_validate(options)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'options'}: {e['msg']}" for e in error.errors()
        )
        raise SourceRejected(f"bad {platform} options: {problems}") from None
    return dict(model.model_dump(exclude_unset=True))


async def add_source(
    session: AsyncSession,
    url: str,
    *,
    partner_name: str,
    kind: str | PartnerKind,
    platform: str = AUTO,
    source_id: str | None = None,
    schedule: str | None = None,
    options: dict[str, Any] | None = None,
    status: str = "approved",
    origin: str = "cli",
    contact_email: str | None = None,
    region: str | None = None,
    allow: Sequence[str] = (),
    client: httpx.AsyncClient | None = None,
) -> Source:
    """Register a source after checking everything; ``SourceRejected`` says what is wrong.

    ``allow`` is the SSRF allow-list (settings.ssrf_allow); ``client`` is needed only for
    ``platform="auto"``, which probes the URL with every registered connector.
    """
    url = check_url(url, allow)
    options = dict(options or {})
    if status not in STATUSES:
        raise SourceRejected(f"unknown status {status!r} (valid: {', '.join(STATUSES)})")
    if schedule is not None:
        try:
            schedule = validate_schedule(schedule)
        except ValueError as error:
            raise SourceRejected(str(error)) from None
    if source_id is not None:
        if slugify(source_id) != source_id:
            raise SourceRejected(
                f"source id {source_id!r} must be a slug (lowercase letters, digits and '-')"
            )
        if await session.get(Source, source_id) is not None:
            raise SourceRejected(f"a source with id {source_id!r} already exists")
    if platform != AUTO:
        try:
            get_connector(platform)
        except UnknownPlatform as error:
            raise SourceRejected(str(error)) from None
    duplicate = await _duplicate_of(session, url, options)
    if duplicate is not None:
        raise SourceRejected(f"{url} is already registered as source {duplicate.id!r}")
    _kind(kind)
    if platform == AUTO:
        platform = await detect_platform(url, client)
    options = check_options(platform, options)
    partner = await find_or_create_partner(session, partner_name, kind, region=region)
    if source_id is None:
        source_id = await _free_id(session, Source, slugify(partner.name) or partner.id)
    source = Source(
        id=source_id,
        partner_id=partner.id,
        url=url,
        platform=platform,
        options=options,
        schedule=schedule,
        status=status,
        origin=origin,
        contact_email=contact_email,
    )
    session.add(source)
    await session.flush()
    return source


# --- sources.toml → database ---------------------------------------------------------------


@dataclass(slots=True)
class SyncReport:
    """What :func:`sync_config` changed; ``orphaned`` are config sources no longer in the file."""

    partners_added: int = 0
    partners_updated: int = 0
    partners_unchanged: int = 0
    sources_added: int = 0
    sources_updated: int = 0
    sources_unchanged: int = 0
    orphaned: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line for logs and the command line."""
        text = (
            f"partners: {self.partners_added} added, {self.partners_updated} updated,"
            f" {self.partners_unchanged} unchanged; sources: {self.sources_added} added,"
            f" {self.sources_updated} updated, {self.sources_unchanged} unchanged"
        )
        if self.orphaned:
            text += f"; no longer in the config file (kept): {', '.join(self.orphaned)}"
        return text


def _apply(row: Any, values: dict[str, Any]) -> bool:
    """Set ``values`` on ``row``; True if anything changed."""
    changed = False
    for key, value in values.items():
        if getattr(row, key) != value:
            setattr(row, key, value)
            changed = True
    return changed


def _partner_values(config: PartnerConfig) -> dict[str, Any]:
    return {
        "name": config.name,
        "kind": config.kind.value,
        "region": config.region,
        "website": config.website,
        "joined_at": config.joined_at,
    }


def _source_values(config: SourceConfig) -> dict[str, Any]:
    return {
        "partner_id": config.partner,
        "url": config.url,
        "platform": config.platform,
        "options": dict(config.options),
        "schedule": config.schedule,
        "origin": "config",
    }


def _config_status(current: str | None, enabled: bool) -> str:
    """``enabled`` switches a config source between approved and paused; pending and
    rejected sources keep their status (an operator decides those)."""
    if current in ("pending", "rejected"):
        return current
    return "approved" if enabled else "paused"


async def _sync_partners(
    session: AsyncSession, partners_config: Sequence[PartnerConfig], report: SyncReport
) -> set[str]:
    """Upsert the file's partners; the ids of existing partners whose kind changed."""
    rekinded: set[str] = set()
    for partner_config in partners_config:
        values = _partner_values(partner_config)
        partner = await session.get(Partner, partner_config.id)
        if partner is None:
            session.add(Partner(id=partner_config.id, **values))
            report.partners_added += 1
            continue
        kind = partner.kind
        if _apply(partner, values):
            report.partners_updated += 1
            if partner.kind != kind:
                rekinded.add(partner.id)
        else:
            report.partners_unchanged += 1
    await session.flush()
    return rekinded


async def _sync_sources(
    session: AsyncSession, sources_config: Sequence[SourceConfig], report: SyncReport
) -> set[str]:
    """Upsert the file's sources, rescheduling those whose schedule changed; the ids of
    existing sources moved to another partner."""
    moved: set[str] = set()
    now = utcnow()
    for source_config in sources_config:
        values = _source_values(source_config)
        source = await session.get(Source, source_config.id)
        if source is None:
            status = _config_status(None, source_config.enabled)
            session.add(Source(id=source_config.id, status=status, **values))
            report.sources_added += 1
            continue
        values["status"] = _config_status(source.status, source_config.enabled)
        schedule, partner_id = source.schedule, source.partner_id
        if _apply(source, values):
            source.updated_at = now
            await schedules.follow_change(session, source, schedule, now)
            if source.partner_id != partner_id:
                moved.add(source.id)
            report.sources_updated += 1
        else:
            report.sources_unchanged += 1
    await session.flush()
    return moved


async def _sources_of(session: AsyncSession, partner_ids: set[str]) -> set[str]:
    """The ids of every source (whatever its origin) of these partners."""
    if not partner_ids:
        return set()
    found = await session.scalars(
        sa.select(col(Source.id)).where(col(Source.partner_id).in_(sorted(partner_ids)))
    )
    return set(found)


async def sync_config(session: AsyncSession, config: MoissonConfig) -> SyncReport:
    """Upsert the file's partners and sources (origin "config"). Nothing is ever deleted:
    config sources missing from the file are listed in ``orphaned``. A changed schedule
    moves the source's due time; a partner's changed kind, or a source moved to another
    partner, re-derives the partner facets of the datasets concerned."""
    report = SyncReport()
    rekinded = await _sync_partners(session, config.partners, report)
    moved = await _sync_sources(session, config.sources, report)
    await partner_facets.refresh(session, moved | await _sources_of(session, rekinded))
    listed = {s.id for s in config.sources}
    config_ids = await session.scalars(
        sa.select(col(Source.id)).where(col(Source.origin) == "config").order_by(col(Source.id))
    )
    report.orphaned = [source_id for source_id in config_ids if source_id not in listed]
    return report
