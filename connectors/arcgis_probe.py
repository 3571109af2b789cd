"""Recognizing an ArcGIS portal (its sharing API answers) or Hub site (a DCAT-US feed whose
datasets bear Hub marks) behind a bare URL, for :meth:`connectors.arcgis.ArcgisConnector.probe`."""

from __future__ import annotations

from typing import Any

import httpx

from connectors.arcgis_hub import DATA_JSON_FEEDS, is_hub_dataset
from connectors.arcgis_portal_search import org_id_of, sharing_url
from connectors.base import ProbeResult
from connectors.errors import SourceProtocolError, SourceUnavailable
from connectors.http import get_json
from connectors.json_stream import ArrayItems, JsonStreamError

PLATFORM = "arcgis"
PROBE_MAX_BYTES = 4 * 1024 * 1024
PROBE_DATASETS = 25
"""probe() looks at this many datasets of a data.json for Hub marks."""


async def _try_json(client: httpx.AsyncClient, url: str, params: dict[str, Any]) -> Any:
    """The JSON at ``url`` without ArcGIS error, or None (SSRF refusals propagate)."""
    try:
        body = await get_json(
            client, url, params=params, attempts=1, max_bytes=PROBE_MAX_BYTES, what="probe"
        )
    except (SourceProtocolError, SourceUnavailable):
        return None
    return None if not isinstance(body, dict) or "error" in body else body


async def probe_portal(client: httpx.AsyncClient, root: str) -> ProbeResult | None:
    sharing = sharing_url(root)
    info = await _try_json(client, sharing, {"f": "json"})
    if info is None or "currentVersion" not in info:
        return None
    portal = await _try_json(client, f"{sharing}/portals/self", {"f": "json"}) or {}
    org = org_id_of(portal)
    count = None
    if org:
        found = await _try_json(
            client, f"{sharing}/search", {"f": "json", "q": f"orgid:{org}", "num": 1}
        )
        total = found.get("total") if found else None
        count = total if isinstance(total, int) and not isinstance(total, bool) else None
    title = portal.get("name") or portal.get("portalName")
    notes = [f"ArcGIS portal {info['currentVersion']}"]
    if org:
        notes.append(f"organization {org}")
    return ProbeResult(
        platform=PLATFORM,
        api_url=sharing,
        title=title if isinstance(title, str) and title else None,
        dataset_count=count,
        notes=notes,
    )


async def probe_hub(client: httpx.AsyncClient, site: str) -> ProbeResult | None:
    for path in DATA_JSON_FEEDS:
        parser = ArrayItems("dataset")
        if not await _peek_hub(client, site + path, parser):
            continue
        title = parser.header.get("title")
        return ProbeResult(
            platform=PLATFORM,
            api_url=site,
            title=title if isinstance(title, str) and title else None,
            dataset_count=parser.count if parser.finished and parser.found else None,
            notes=["ArcGIS Hub", f"DCAT-US feed at {site}{path}"],
        )
    return None


async def _peek_hub(client: httpx.AsyncClient, url: str, parser: ArrayItems) -> bool:
    """Read a data.json into ``parser`` (up to :data:`PROBE_MAX_BYTES`); whether one of
    its first :data:`PROBE_DATASETS` datasets bears Hub marks."""
    seen = 0
    marked = False
    try:
        async with client.stream("GET", url, headers={"Accept": "application/json"}) as response:
            if not response.is_success:
                return False
            async for chunk in response.aiter_bytes():
                for item in parser.feed(chunk):
                    seen += 1
                    marked = marked or (seen <= PROBE_DATASETS and is_hub_dataset(item.value))
                if parser.finished or response.num_bytes_downloaded > PROBE_MAX_BYTES:
                    break
                if seen >= PROBE_DATASETS and not marked:
                    break
    except (httpx.HTTPError, JsonStreamError):
        return False
    return marked
