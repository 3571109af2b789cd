"""Harvesting an OpenDataSoft portal through its DCAT export (``use_dcat_export = true``).

``GET /api/explore/v2.1/catalog/exports/dcat`` answers the whole (filtered) catalogue as one
RDF/XML document in the portal's own DCAT-AP mapping. It is fetched with the DCAT RDF
connector's safe reader (retries, size cap), parsed by :func:`connectors.rdf_parse.parse_document`
(DOCTYPE/ENTITY refused), cut into one small graph per dataset by
:func:`connectors.dcat_rdf_graphs.dataset_indexes` and mapped by
:func:`connectors.dcat_rdf_mapping.normalize_dataset_graph`.

Records keep the ``dataset_id`` as remote id (read from the ``/explore/dataset/{id}/`` IRI),
so switching between the JSON API and the export does not duplicate datasets, and gain the
records API distribution the export does not list. The listing is complete when the
document parsed and held at least one dataset.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

import httpx

from catalog.model import DatasetRecord
from connectors.base import FetchStats, RawRecord, SourceSpec
from connectors.dcat_rdf import get_page
from connectors.dcat_rdf_graphs import dataset_indexes, load_payload, remote_id, to_payload
from connectors.dcat_rdf_mapping import normalize_dataset_graph
from connectors.opendatasoft_api import catalog_export_url
from connectors.opendatasoft_distributions import Context, records_distribution
from connectors.rdf_parse import DEFAULT_MAX_BYTES, parse_document

PLATFORM = "opendatasoft"
_DATASET_IRI = re.compile(r"/explore/dataset/([^/?#]+)/?$")
_EXPORT_URL = re.compile(r"/api/explore/v2\.1/catalog/datasets/([^/?#]+)/exports/")


def is_dcat_payload(payload: Any) -> bool:
    """Whether a raw payload came from the DCAT export (a small N-Triples graph)."""
    return isinstance(payload, dict) and "ntriples" in payload and "subject" in payload


def export_remote_id(key: str, graph: Any) -> str:
    """The ``dataset_id`` in the dataset IRI, else the DCAT connector's remote id."""
    match = _DATASET_IRI.search(key)
    return unquote(match.group(1)) if match else remote_id(graph, key)


async def export_records(
    client: httpx.AsyncClient,
    site: str,
    params: list[tuple[str, Any]],
    stats: FetchStats,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> AsyncIterator[RawRecord]:
    """Yield one record per dataset of the DCAT export; mark ``stats`` complete at the end
    when at least one dataset was listed."""
    url = str(httpx.URL(catalog_export_url(site, "dcat"), params=params))
    stats.cursor["mode"] = "exports/dcat"
    page = await get_page(client, url, max_bytes=max_bytes, what="DCAT export")
    stats.pages += 1
    stats.bytes += len(page.body)
    document = parse_document(
        page.body, content_type=page.content_type, base=page.url, max_bytes=max_bytes
    )
    fetched_at = datetime.now(UTC)
    seen: set[str] = set()
    for key, small in dataset_indexes(document.triples):
        ident = export_remote_id(key, small)
        if ident in seen:
            continue
        seen.add(ident)
        yield RawRecord(
            remote_id=ident, payload=to_payload(key, small, page=page.url), fetched_at=fetched_at
        )
    stats.expected = len(seen)
    if not seen:
        stats.cursor["stopped"] = "empty export"
        return
    stats.complete = True


def normalize_export_record(raw: RawRecord, source: SourceSpec, site: str) -> DatasetRecord:
    """Map one DCAT-export record, adding the records API when the dataset has exports."""
    graph, node, page = load_payload(raw.payload)
    record = normalize_dataset_graph(
        graph, node, source, fetched_at=raw.fetched_at, platform=PLATFORM, api_url=page
    )
    record.provenance.remote_id = raw.remote_id
    exported = any(
        _EXPORT_URL.search(d.access_url or d.download_url or "") for d in record.distributions
    )
    if exported and not any(d.api_access for d in record.distributions):
        context = Context(
            site=site,
            dataset_id=raw.remote_id,
            v1=False,
            title=next(iter(record.title.values())),
            lang=next(iter(record.title)),
            licence=record.licence,
            modified=record.modified,
        )
        record.distributions.append(records_distribution(context))
    return record
