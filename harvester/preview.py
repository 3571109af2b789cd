"""The registration preview: what Moisson finds at a portal, in plain words.

:func:`detect` recognizes the platform with each connector's ``probe()``; :func:`preview`
reads the first page only (at most :data:`PREVIEW_LIMIT` records), normalizes them and
checks them against the publication guidelines. Nothing is stored. An address the SSRF
guard refuses — at the first request or at any redirect — is a :class:`PreviewRefused`.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime
from typing import Any

import httpx
from pydantic import BaseModel, Field

from catalog import conformity
from catalog.text import pick
from connectors.base import Connector, ProbeResult, SourceSpec
from connectors.detect import detect_platform
from connectors.errors import HarvestError, SourceForbidden
from connectors.registry import get_connector
from harvester.sources import check_options
from harvester.store.types import utcnow

PREVIEW_LIMIT = 20
PAGE_SIZE_OPTIONS = ("rows", "page_size", "limit")


class PreviewRefused(ValueError):
    """The portal's address (or a redirect) is refused by the SSRF guard."""


class PlatformNotRecognized(ValueError):
    """No connector recognizes the URL."""


class QualitySummary(BaseModel):
    """How the sampled records fare against the publication guidelines."""

    checked: int = 0
    conforming: int = 0
    open_licence: int = 0
    with_api: int = 0
    failures: dict[str, int] = Field(
        default_factory=dict, description="Rule code → number of sampled records failing it."
    )
    formats: dict[str, int] = Field(default_factory=dict)


class Preview(BaseModel):
    """What the preview found; ``summary`` says it in plain words."""

    platform: str
    api_url: str | None = None
    portal_title: str | None = None
    dataset_count: int | None = None
    sampled: int = 0
    sample_titles: list[str] = Field(default_factory=list)
    failed_records: int = 0
    quality: QualitySummary = Field(default_factory=QualitySummary)
    notes: list[str] = Field(default_factory=list, description="What the probe learned.")
    problems: list[str] = Field(default_factory=list)
    summary: str = ""
    checked_at: datetime = Field(default_factory=utcnow)


async def _probe(
    connector: type[Connector], url: str, client: httpx.AsyncClient
) -> ProbeResult | None:
    try:
        return await connector.probe(url, client)
    except SourceForbidden as error:
        raise PreviewRefused(f"{url}: {error}") from None
    except (HarvestError, httpx.HTTPError):
        return None


async def detect(
    url: str, client: httpx.AsyncClient, platform: str | None
) -> tuple[ProbeResult, list[str]]:
    """The probe result for ``url`` — of ``platform`` when given, else of the first connector
    that recognizes it — and any problem. A named platform that does not answer its probe
    still gets a result (and a problem), so the preview can try to read it."""
    if platform:
        found = await _probe(get_connector(platform), url, client)
        if found is not None:
            return found, []
        problem = f"the address does not answer like a {platform} portal"
        return ProbeResult(platform=platform, api_url=url), [problem]
    report = await detect_platform(url, client)
    if report.refusal:
        raise PreviewRefused(f"{url}: {report.refusal}")
    if report.best is None:
        raise PlatformNotRecognized(f"could not recognize an open-data platform: {report.summary}")
    return report.best, []


def _first_page_options(connector: type[Connector], options: dict[str, Any]) -> dict[str, Any]:
    fields = getattr(connector.Options, "model_fields", {})
    options = dict(options)
    for name in PAGE_SIZE_OPTIONS:
        if name in fields and name not in options:
            options[name] = PREVIEW_LIMIT
            break
    return options


async def _sample(
    connector: Connector, result: Preview, quality: QualitySummary, rules: Counter[str]
) -> None:
    formats: Counter[str] = Counter()
    generator = connector.fetch(None)
    try:
        async for raw in generator:
            result.sampled += 1
            try:
                record = connector.normalize(raw)
            except Exception:  # a record that cannot be mapped fails alone
                result.failed_records += 1
            else:
                result.sample_titles.append(pick(record.title) or raw.remote_id)
                verdict = conformity.check(record)
                quality.checked += 1
                quality.conforming += verdict.conforms
                quality.open_licence += bool(record.licence and record.licence.open)
                quality.with_api += conformity.has_api(record)
                rules.update(verdict.failed)
                formats.update({info.label for info in conformity.formats(record)})
            if result.sampled >= PREVIEW_LIMIT or connector.stats.pages > 1:
                break
    finally:
        await generator.aclose()  # type: ignore[attr-defined]
    quality.formats = dict(formats.most_common(10))


async def preview(
    url: str,
    client: httpx.AsyncClient,
    *,
    platform: str | None = None,
    options: dict[str, Any] | None = None,
    time_limit: float = 30.0,
) -> Preview:
    """Recognize the portal at ``url`` and look at its first records (nothing is stored)."""
    try:
        async with asyncio.timeout(time_limit):
            found, problems = await detect(url, client, platform)
    except TimeoutError:
        raise PlatformNotRecognized(f"{url} did not answer within {time_limit:g} s") from None
    result = Preview(
        platform=found.platform,
        api_url=found.api_url,
        portal_title=found.title,
        dataset_count=found.dataset_count,
        notes=list(found.notes),
        problems=problems,
    )
    connector_class = get_connector(found.platform)
    options = check_options(found.platform, options or {})  # SourceRejected names the problem
    spec = SourceSpec(
        id="preview",
        url=url,
        platform=found.platform,
        options=_first_page_options(connector_class, options),
    )
    connector = connector_class(spec, client)
    quality = QualitySummary()
    rules: Counter[str] = Counter()
    try:
        async with asyncio.timeout(time_limit):
            await _sample(connector, result, quality, rules)
    except SourceForbidden as error:
        raise PreviewRefused(f"{url}: {error}") from None
    except HarvestError as error:
        result.problems.append(f"reading the catalogue failed: {error}")
    except TimeoutError:
        result.problems.append(f"reading the catalogue took longer than {time_limit:g} s")
    if result.dataset_count is None:
        result.dataset_count = connector.stats.expected
    quality.failures = {code: rules[code] for code in conformity.RULE_CODES if rules[code]}
    result.quality = quality
    result.summary = describe(result)
    return result


def describe(result: Preview) -> str:
    """The preview in a few plain sentences."""
    portal = f" ({result.portal_title})" if result.portal_title else ""
    count = (
        f"{result.dataset_count} dataset(s)"
        if result.dataset_count is not None
        else "an unknown number of datasets"
    )
    sentences = [f"Found a {result.platform} portal{portal} with {count}."]
    quality = result.quality
    if quality.checked:
        sentences.append(
            f"Of the first {quality.checked} dataset(s) read, {quality.conforming} follow every"
            f" publication guideline, {quality.open_licence} have an open licence and"
            f" {quality.with_api} can be queried through an API."
        )
        gaps = sorted(quality.failures.items(), key=lambda item: -item[1])[:3]
        if gaps:
            listed = "; ".join(f"{conformity.rule_text(code)} ({n})" for code, n in gaps)
            sentences.append(f"Most common gaps: {listed}.")
    elif not result.problems:
        sentences.append("No dataset could be read on the first page.")
    if result.failed_records:
        sentences.append(f"{result.failed_records} record(s) could not be read.")
    if result.problems:
        sentences.append("Problems: " + "; ".join(result.problems) + ".")
    return " ".join(sentences)
