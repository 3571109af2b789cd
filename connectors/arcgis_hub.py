"""ArcGIS Hub sites: their DCAT-AP (JSON-LD) and DCAT-US (``data.json``) catalogue feeds.

Esri documents these feeds for every public Hub site ("Federate data and manage catalog
feeds", https://doc.arcgis.com/en/hub/content/federate-data-with-external-catalogs.htm, and
the Hub Feed API, https://developers.arcgis.com/hub/services/feeds/)::

    {site}/api/feed/dcat-ap/3.0.0.json     DCAT-AP 3.0.0, JSON-LD      preferred
    {site}/api/feed/dcat-ap/2.1.1.json     DCAT-AP 2.1.1, JSON-LD
    {site}/api/feed/dcat-ap/2.0.1.json     DCAT-AP 2.0.1, JSON-LD
    {site}/api/feed/dcat-us/1.1.json       DCAT-US 1.1 (since 2022)
    {site}/data.json                       DCAT-US 1.1 (legacy address)

A feed is one document holding the whole public catalogue (no paging). The DCAT-AP feeds are
a ``dcat:Catalog`` whose ``dcat:dataset`` array holds the datasets, under one inline
``@context`` (koopjs/koop-output-dcat-ap-201 README shows the 2.0.1 shape). Each dataset is
cut out with that context and becomes one RawRecord; normalization parses that small JSON-LD
document alone (:func:`connectors.rdf_parse.parse_rdf`, remote contexts never loaded) and maps
it with :func:`connectors.dcat_rdf_mapping.normalize_dataset_graph`, so no graph of the whole
catalogue is ever built. Three habits of Esri's templates are repaired first: compact IRIs
whose prefix the context forgets (``dct:`` beside a context that only defines ``dcterms``),
the mis-cased ``dcat:accessUrl`` / ``dcat:downloadUrl``, and the REST service listed as a
``dcat:DataService`` among the distributions (it becomes a distribution whose
``dcat:accessService`` has that ``dcat:endpointURL``). Distributions reaching an ArcGIS REST
service are then marked API access (:func:`connectors.arcgis_services.mark_services`).

The DCAT-US feeds are streamed by :func:`connectors.dcat_us.iter_datasets` and mapped by
:func:`connectors.dcat_us_mapping.normalize_dcat_us`.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any, Literal

import httpx
import orjson

from catalog.model import DatasetRecord
from connectors.arcgis_services import mark_services
from connectors.base import FetchStats, RawRecord, SourceSpec
from connectors.dcat_rdf_graphs import dataset_subjects
from connectors.dcat_rdf_mapping import normalize_dataset_graph
from connectors.errors import HarvestError, RecordInvalid, SourceProtocolError
from connectors.http import get_json
from connectors.rdf_parse import PREFIX_FALLBACKS, parse_rdf

log = logging.getLogger(__name__)

FeedKind = Literal["dcat-ap", "data.json"]
DCAT_AP_FEEDS = (
    "/api/feed/dcat-ap/3.0.0.json",
    "/api/feed/dcat-ap/2.1.1.json",
    "/api/feed/dcat-ap/2.0.1.json",
)
DATA_JSON_FEEDS = ("/api/feed/dcat-us/1.1.json", "/data.json")
DATASET_KEYS = ("dcat:dataset", "dataset", "http://www.w3.org/ns/dcat#dataset")
DEFAULT_MAX_BYTES = 512 * 1024 * 1024
KEY_FIXES = {"dcat:accessUrl": "dcat:accessURL", "dcat:downloadUrl": "dcat:downloadURL"}
EXTRA_PREFIXES = {"ftype": "http://publications.europa.eu/resource/authority/file-type/"}
HUB_FORMATS = frozenset({"arcgis geoservices rest api", "esri rest"})
HUB_TITLES = frozenset({"arcgis hub dataset", "arcgis geoservice", "arcgis open dataset"})


def hub_site(url: str) -> str:
    """The site root of a Hub site or feed URL (feed paths stripped)."""
    base = url.strip().split("?", 1)[0].rstrip("/")
    for marker in ("/api/feed/", "/data.json", "/api/search/"):
        index = base.find(marker)
        if index >= 0:
            return base[:index]
    return base


def feed_candidates(url: str, feed: str = "auto") -> list[tuple[FeedKind, str]]:
    """The feeds to try, in order: ``url`` itself when it names a ``.json`` feed, else the
    DCAT-AP feeds (newest first) and/or the DCAT-US ones, as ``feed`` allows."""
    address = url.strip()
    if address.split("?", 1)[0].lower().endswith(".json"):
        kind: FeedKind = "dcat-ap" if "/dcat-ap/" in address else "data.json"
        return [(kind, address)]
    site = hub_site(address)
    found: list[tuple[FeedKind, str]] = []
    if feed in ("auto", "dcat-ap"):
        found.extend(("dcat-ap", site + path) for path in DCAT_AP_FEEDS)
    if feed in ("auto", "data.json"):
        found.extend(("data.json", site + path) for path in DATA_JSON_FEEDS)
    return found


# -- DCAT-AP JSON-LD feeds --------------------------------------------------------------------


def datasets_of(document: Any, url: str) -> tuple[Any, list[Any]]:
    """``(@context, datasets)`` of a DCAT-AP feed document; SourceProtocolError when it is
    not a catalogue with a dataset list."""
    if isinstance(document, dict):
        for key in DATASET_KEYS:
            value = document.get(key)
            if isinstance(value, list):
                return document.get("@context"), value
            if isinstance(value, dict):
                return document.get("@context"), [value]
    members = ", ".join(sorted(document)[:12]) if isinstance(document, dict) else "none"
    raise SourceProtocolError(
        f"{url} is not a DCAT-AP catalogue: no dcat:dataset list",
        detail=f"top-level members: {members}",
        url=url,
    )


def _identity(dataset: dict[str, Any]) -> str | None:
    for key in ("dct:identifier", "dcterms:identifier", "identifier", "@id"):
        value = dataset.get(key)
        if isinstance(value, dict):
            value = value.get("@value") or value.get("@id")
        if isinstance(value, list) and value:
            value = value[0]
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


async def iter_dcat_ap(
    client: httpx.AsyncClient,
    url: str,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    stats: FetchStats | None = None,
) -> AsyncIterator[RawRecord]:
    """The datasets of a DCAT-AP JSON-LD feed, each with the feed's ``@context``."""

    def count(size: int) -> None:
        if stats is not None:
            stats.bytes += size

    document = await get_json(client, url, max_bytes=max_bytes, what="DCAT-AP feed", on_body=count)
    context, datasets = datasets_of(document, url)
    if stats is not None:
        stats.pages += 1
        stats.expected = len(datasets)
    fetched_at = datetime.now(UTC)
    seen: set[str] = set()
    for index, dataset in enumerate(datasets):
        if not isinstance(dataset, dict):
            log.warning("%s: dataset #%d is a %s", url, index + 1, type(dataset).__name__)
            continue
        key = _identity(dataset) or f"dataset[{index}]"
        if key in seen:
            log.warning("%s: dataset %s listed twice", url, key)
            continue
        seen.add(key)
        payload = {"@context": context, **dataset} if context is not None else dict(dataset)
        yield RawRecord(
            remote_id=key,
            payload=payload,
            fetched_at=fetched_at,
            content_type="application/ld+json",
        )
    if stats is not None:
        stats.complete = True


def _prefixes_used(value: Any, found: set[str]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if ":" in key and not key.startswith(("@", "http")):
                found.add(key.split(":", 1)[0])
            if key == "@type":
                for kind in item if isinstance(item, list) else [item]:
                    if isinstance(kind, str) and ":" in kind and not kind.startswith("http"):
                        found.add(kind.split(":", 1)[0])
            _prefixes_used(item, found)
    elif isinstance(value, list):
        for item in value:
            _prefixes_used(item, found)


def _service_as_distribution(value: dict[str, Any]) -> dict[str, Any]:
    """Esri lists its REST service as a ``dcat:DataService`` *inside* ``dcat:distribution``;
    DCAT-AP wants a distribution whose ``dcat:accessService`` is that service."""
    kinds = value.get("@type")
    if "dcat:DataService" not in (kinds if isinstance(kinds, list) else [kinds]):
        return value
    endpoint = value.get("dcat:endpointURL")
    rest = {k: v for k, v in value.items() if k not in ("@type", "@id")}
    return {
        "@type": "dcat:Distribution",
        "dcat:accessURL": endpoint,
        "dct:title": value.get("dct:title"),
        "dcat:accessService": {"@type": "dcat:DataService", **rest},
    }


def _fix_keys(value: Any) -> Any:
    if isinstance(value, dict):
        fixed = {KEY_FIXES.get(k, k): _fix_keys(v) for k, v in value.items()}
        items = fixed.get("dcat:distribution")
        if isinstance(items, list):
            fixed["dcat:distribution"] = [
                _service_as_distribution(i) if isinstance(i, dict) else i for i in items
            ]
        return fixed
    if isinstance(value, list):
        return [_fix_keys(v) for v in value]
    return value


def repaired(payload: dict[str, Any]) -> dict[str, Any]:
    """``payload`` with Esri's habits repaired (see the module docstring): mis-cased keys,
    services listed as distributions, prefixes its inline context forgot."""
    body = {k: v for k, v in payload.items() if k != "@context"}
    body = _fix_keys(body)
    context = payload.get("@context")
    used: set[str] = set()
    _prefixes_used(body, used)
    known = {**PREFIX_FALLBACKS, **EXTRA_PREFIXES}
    if isinstance(context, dict) or context is None:
        context = dict(context or {})
        for prefix in sorted(used):
            if prefix not in context and prefix in known:
                context[prefix] = known[prefix]
    return {"@context": context, **body}


def normalize_dcat_ap(
    payload: Any,
    source: SourceSpec,
    *,
    feed_url: str | None,
    fetched_at: datetime,
    platform: str = "arcgis",
) -> DatasetRecord:
    """Map one dataset of a DCAT-AP feed (its JSON-LD object with the feed's context)."""
    if not isinstance(payload, dict):
        raise RecordInvalid(f"DCAT-AP dataset is a {type(payload).__name__}, not an object")
    document = repaired(payload)
    base = feed_url or source.url
    try:
        graph = parse_rdf(orjson.dumps(document), content_type="application/ld+json", base=base)
    except HarvestError as error:
        raise RecordInvalid(
            f"DCAT-AP dataset {_identity(payload) or '?'} in {base} cannot be read: {error}",
            detail=error.detail,
        ) from None
    subjects = dataset_subjects(graph)
    if not subjects:
        raise RecordInvalid(f"DCAT-AP entry {_identity(payload) or '?'} in {base} is no dataset")
    wanted = payload.get("@id")
    subject = next((s for s in subjects if str(s) == wanted), subjects[0])
    return mark_services(
        normalize_dataset_graph(
            graph, subject, source, fetched_at=fetched_at, platform=platform, api_url=base
        )
    )


# -- recognising a Hub data.json --------------------------------------------------------------


def _urls(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [u for item in value.values() for u in _urls(item)]
    if isinstance(value, list):
        return [u for item in value for u in _urls(item)]
    return []


def is_hub_dataset(dataset: Any) -> bool:
    """Whether a DCAT-US dataset carries ArcGIS Hub / Open Data marks: an "ArcGIS
    GeoServices REST API"/"Esri REST" distribution, Hub's distribution titles, or an
    ArcGIS item or REST service address."""
    if not isinstance(dataset, dict):
        return False
    items = dataset.get("distribution")
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        if str(item.get("format") or "").strip().lower() in HUB_FORMATS:
            return True
        if str(item.get("title") or "").strip().lower() in HUB_TITLES:
            return True
    addresses = _urls([dataset.get("identifier"), dataset.get("landingPage")])
    addresses += _urls(dataset.get("webService"))
    return any(
        "arcgis.com/home/item.html" in a or "/arcgis/rest/services/" in a.lower() for a in addresses
    )
