"""Which platform answers behind a bare portal URL (``moisson sources add URL --platform auto``).

:func:`detect_platform` runs the ``probe()`` of every registered connector at once, each
under its own short timeout, through the client it is given (the SSRF-guarded one in
production, so every probe request is checked). Each probe ends one way::

    matched           the probe recognised its platform (ProbeResult)
    not recognised    it answered None
    timed out         it did not finish within the timeout
    refused           the SSRF guard (or a size cap) refused a request: SourceForbidden
    error             any other failure (message kept)

When several platforms match, :data:`PRIORITY` decides, most specific first: a Hub site also
serves a DCAT-US ``data.json`` (arcgis before dcat_us), an OpenDataSoft or CKAN portal also
serves DCAT (opendatasoft, ckan before dcat_rdf). The report says in plain words what was
found ("CKAN 2.10 at https://…/api/3/action, 1 608 datasets") or why nothing was.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlsplit

import httpx

from connectors import registry
from connectors.base import Connector, ProbeResult
from connectors.errors import HarvestError, SourceForbidden

log = logging.getLogger(__name__)

PRIORITY = ("ckan", "socrata", "opendatasoft", "arcgis", "dcat_us", "dcat_rdf")
"""Most specific platform first; unlisted (third-party) platforms come after, by name."""
LABELS = {
    "ckan": "CKAN",
    "socrata": "Socrata",
    "opendatasoft": "OpenDataSoft",
    "arcgis": "ArcGIS",
    "dcat_us": "DCAT-US",
    "dcat_rdf": "DCAT",
}

Status = Literal["matched", "not recognised", "timed out", "refused", "error"]


@dataclass(frozen=True, slots=True)
class ProbeOutcome:
    """How one connector's probe ended."""

    platform: str
    status: Status
    result: ProbeResult | None = None
    detail: str | None = None

    def describe(self) -> str:
        """One line: ``"socrata: not recognised"``, ``"ckan: timed out after 5 s"``…"""
        if self.status == "matched" and self.result is not None:
            return f"{self.platform}: {headline(self.result)}"
        if self.status == "refused":
            return f"{self.platform}: refused by the SSRF guard ({self.detail})"
        if self.detail:
            return f"{self.platform}: {self.status} ({self.detail})"
        return f"{self.platform}: {self.status}"


@dataclass(frozen=True, slots=True)
class DetectionReport:
    """What :func:`detect_platform` found behind ``url``."""

    url: str
    best: ProbeResult | None
    outcomes: list[ProbeOutcome] = field(default_factory=list)
    summary: str = ""

    @property
    def platform(self) -> str | None:
        """The platform to register the source with, or None."""
        return self.best.platform if self.best else None

    @property
    def refusal(self) -> str | None:
        """Why the SSRF guard refused, when nothing matched and a probe was refused."""
        if self.best is not None:
            return None
        refused = [o for o in self.outcomes if o.status == "refused"]
        return refused[0].detail if refused else None

    @property
    def matches(self) -> list[ProbeResult]:
        """Every match, best first."""
        return [o.result for o in self.outcomes if o.status == "matched" and o.result]

    def __str__(self) -> str:
        return self.summary


def _rank(platform: str) -> tuple[int, str]:
    return (PRIORITY.index(platform) if platform in PRIORITY else len(PRIORITY), platform)


def _count(number: int) -> str:
    return f"{number:,}".replace(",", " ")


def headline(result: ProbeResult) -> str:
    """``"CKAN 2.10 at https://…/api/3/action, 1 608 datasets"``."""
    label = LABELS.get(result.platform, result.platform)
    note = result.notes[0] if result.notes else None
    name = note if note and note.startswith(label) else (f"{label} ({note})" if note else label)
    text = f"{name} at {result.api_url}"
    if result.dataset_count is not None:
        plural = "" if result.dataset_count == 1 else "s"
        text += f", {_count(result.dataset_count)} dataset{plural}"
    if result.title:
        text += f" ({result.title})"
    return text


async def _run(
    platform: str, connector: type[Connector], url: str, client: httpx.AsyncClient, seconds: float
) -> ProbeOutcome:
    try:
        async with asyncio.timeout(seconds):
            result = await connector.probe(url, client)
    except TimeoutError:
        return ProbeOutcome(platform, "timed out", detail=f"after {seconds:g} s")
    except SourceForbidden as error:
        return ProbeOutcome(platform, "refused", detail=error.message)
    except HarvestError as error:
        return ProbeOutcome(platform, "error", detail=error.message)
    except Exception as error:  # a buggy third-party probe must not break detection
        log.warning("probe of %s on %s failed", platform, url, exc_info=True)
        return ProbeOutcome(platform, "error", detail=f"{type(error).__name__}: {error}")
    if result is None:
        return ProbeOutcome(platform, "not recognised")
    return ProbeOutcome(platform, "matched", result=result)


def _summary(url: str, outcomes: list[ProbeOutcome]) -> str:
    matched = [o for o in outcomes if o.status == "matched" and o.result]
    if matched:
        assert matched[0].result is not None
        text = headline(matched[0].result)
        others = [LABELS.get(o.platform, o.platform) for o in matched[1:]]
        return text + (f"; also answers as {', '.join(others)}" if others else "")
    if outcomes and all(o.status == "refused" for o in outcomes):
        return f"{url} was refused by the SSRF guard: {outcomes[0].detail}"
    tried = "; ".join(o.describe() for o in outcomes) or "no connector is installed"
    return f"no platform recognised at {url} (tried {tried})"


async def detect_platform(
    url: str,
    client: httpx.AsyncClient,
    *,
    timeout: float = 5.0,  # noqa: ASYNC109 (a per-probe budget, applied with asyncio.timeout)
) -> DetectionReport:
    """Probe ``url`` with every registered connector in parallel (``timeout`` seconds
    each) and report the best match, or why nothing matched."""
    url = url.strip()
    if urlsplit(url).scheme.lower() not in ("http", "https"):
        return DetectionReport(url, None, [], f"{url!r} is not an http(s) URL")
    found = sorted(registry.connectors().items(), key=lambda pair: _rank(pair[0]))
    outcomes = list(
        await asyncio.gather(
            *(_run(platform, cls, url, client, timeout) for platform, cls in found)
        )
    )
    outcomes += [
        ProbeOutcome(platform, "error", detail=f"connector cannot be loaded: {why}")
        for platform, why in sorted(registry.unavailable().items())
    ]
    matched = [o.result for o in outcomes if o.status == "matched" and o.result]
    return DetectionReport(url, matched[0] if matched else None, outcomes, _summary(url, outcomes))
