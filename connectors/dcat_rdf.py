"""DCAT RDF connector: pages a Turtle / RDF/XML / JSON-LD / N-Triples catalogue.

Each page is parsed safely and cut into one small graph per dataset
(:mod:`connectors.dcat_rdf_pages`), then dropped before the next page is fetched, so a
catalogue is never held whole in memory. A record's payload is its small graph as sorted
N-Triples; ``fetch`` builds it without rdflib terms for most Turtle pages, so a run that
finds it unchanged never pays for them. :meth:`DcatRdfConnector.normalize` reads the payload
back (a pure function of the source and the payload: it may run in a mapping worker).

Paging follows, in this order:

* Hydra: ``hydra:next`` (``hydra:PartialCollectionView``) or the legacy ``hydra:nextPage``
  (``hydra:PagedCollection``); ``hydra:totalItems`` is the expected count;
* CSW ``GetRecords`` answers with embedded DCAT: ``nextRecord`` becomes the
  ``startPosition`` of the next request (KVP GET on the source URL); 0 ends the listing.

The enumeration is *complete* only when a page without a next link is reached without error
(and, with Hydra, when at least ``totalItems`` datasets were seen). A repeated page URL, a
page repeating the previous page's datasets, the page cap or any error leave
``stats.complete`` False, so nothing is withdrawn (DESIGN §5).

Resuming (:meth:`DcatRdfConnector.resume_from`): ``stats.cursor`` saves the URL of the last
page whose datasets were all yielded (``page``) and how many datasets the pages before it
listed (``listed``). A resumed run fetches that page again (one page early: page numbers
shift when datasets are removed) and follows its next link — only if the URL has the
source URL's scheme, host and port, so a cursor cannot send the harvester elsewhere. A
cursor at the first page (the source URL: always so for a catalogue of one document) is
not taken up: that run starts afresh.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal
from urllib.parse import urljoin

import httpx
from pydantic import BaseModel, ConfigDict, Field
from rdflib import Literal as RdfLiteral
from rdflib import URIRef

from catalog.model import DatasetRecord
from connectors import http
from connectors.base import (
    BaseConnector,
    FetchStats,
    ProbeResult,
    RawRecord,
    RememberedPage,
    SourceSpec,
    payload_hash,
)
from connectors.dcat_rdf_graphs import dataset_graphs, dataset_subjects, load_payload, payload_of
from connectors.dcat_rdf_mapping import normalize_dataset_graph
from connectors.dcat_rdf_pages import PageCut, cut_page
from connectors.dcat_rdf_values import DCAT, DCT, HYDRA, RDF, pick_label
from connectors.errors import HarvestError, SourceProtocolError, SourceUnavailable
from connectors.rdf_index import RdfGraph
from connectors.rdf_parse import ACCEPT, DEFAULT_MAX_BYTES, ParsedDocument, parse_document
from connectors.read_ahead import PageReader, listed
from connectors.resume import same_origin

log = logging.getLogger(__name__)

DEFAULT_MAX_PAGES = 10_000
PROBE_MAX_BYTES = 16 * 1024 * 1024
WELL_KNOWN_PATHS = ("/catalog.ttl", "/catalog.rdf", "/catalog.jsonld")
NEXT_TERMS = (HYDRA.next, HYDRA.nextPage)


class DcatRdfOptions(BaseModel):
    """Per-source options for a DCAT RDF catalogue (``[sources.options]``)."""

    model_config = ConfigDict(extra="forbid")

    max_pages: int = Field(default=DEFAULT_MAX_PAGES, ge=1)
    max_bytes: int = Field(default=DEFAULT_MAX_BYTES, ge=1024)
    """Cap on one page's body (decompressed)."""
    format: Literal["auto", "turtle", "xml", "json-ld", "nt"] = "auto"
    """Force a syntax instead of trusting Content-Type and sniffing."""


@dataclass(frozen=True, slots=True)
class Page:
    """One fetched page: its body, declared type and URL."""

    body: bytes
    content_type: str | None
    url: str


async def get_page(
    client: httpx.AsyncClient,
    url: str,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    attempts: int = 4,
    what: str | None = None,
) -> Page:
    """GET an RDF document with the retry, cap and error rules of :func:`http.get_json`."""
    fetched = await http.get_bytes(
        client, url, accept=ACCEPT, max_bytes=max_bytes, attempts=attempts, what=what
    )
    return Page(fetched.body, fetched.content_type, fetched.url)


def page_digest(page: Page, format: str) -> str:
    """What a page's cut depends on, digested: its URL, declared type, the format option and
    its bytes (the run salts it with the mapping key, which covers the cutting code)."""
    digest = hashlib.sha256(f"{page.url}\n{page.content_type}\n{format}\n".encode())
    digest.update(page.body)
    return digest.hexdigest()


def _value_url(value: object, base: str) -> str | None:
    if isinstance(value, URIRef | RdfLiteral):
        text = str(value).strip()
        return urljoin(base, text) if text else None
    return None


def hydra_next(graph: RdfGraph, page_url: str) -> str | None:
    """The next page from ``hydra:next`` / ``hydra:nextPage`` (the current page's first)."""
    candidates: list[tuple[bool, str]] = []
    for term in NEXT_TERMS:
        for node, value in graph.subject_objects(term):
            found = _value_url(value, page_url)
            if found:
                candidates.append((str(node) != page_url, found))
    return sorted(candidates)[0][1] if candidates else None


def hydra_total(graph: RdfGraph) -> int | None:
    """``hydra:totalItems`` of the page, when it is a number."""
    for value in graph.objects(None, HYDRA.totalItems):
        text = str(value).strip()
        if text.isdigit():
            return int(text)
    return None


def csw_next(page: ParsedDocument | PageCut, page_url: str) -> str | None:
    """The next CSW GetRecords URL (``startPosition`` = ``nextRecord``), or None at the end."""
    csw = page.csw
    if csw is None or not csw.next_record:
        return None
    if csw.matched is not None and csw.next_record > csw.matched:
        return None
    url = httpx.URL(page_url)
    key = next((k for k in url.params if k.lower() == "startposition"), "startPosition")
    return str(url.copy_set_param(key, str(csw.next_record)))


class DcatRdfConnector(BaseConnector):
    """Harvests a DCAT catalogue published as RDF (any syntax), paged with Hydra or CSW."""

    platform: ClassVar[str] = "dcat_rdf"
    portable_mapping = True
    uses_page_memo: ClassVar[bool] = True
    Options: ClassVar[type[BaseModel]] = DcatRdfOptions
    options: DcatRdfOptions

    def __init__(
        self, source: SourceSpec, client: httpx.AsyncClient, *, max_pages: int | None = None
    ) -> None:
        super().__init__(source, client)
        self.max_pages = max_pages or self.options.max_pages
        self.resume_at: tuple[str, int] | None = None

    def resume_from(self, cursor: dict[str, Any]) -> bool:
        """Make the next ``fetch()`` start at the saved ``page`` (the last one fully
        yielded), when it is a later page on the source's own site (the first page is a
        fresh start, so a one-document catalogue never resumes)."""
        page, listed = cursor.get("page"), cursor.get("listed")
        source = self.source.url.strip()
        if not isinstance(page, str) or page == source or not same_origin(page, source):
            return False
        if not isinstance(listed, int) or isinstance(listed, bool) or listed < 0:
            return False
        self.resume_at = (page, listed)
        return True

    async def _request(self, url: str, number: int) -> Page:
        return await get_page(
            self.client, url, max_bytes=self.options.max_bytes, what=f"page {number}"
        )

    async def _page(self, page: Page, url: str, number: int) -> tuple[RememberedPage, int | None]:
        """The fetched ``page`` of ``url``: its datasets with their payloads, its next page
        and stated total (from the run's page memo when these bytes were cut before), and
        its CSW match count (CSW answers are not memoized)."""
        self.stats.bytes += len(page.body)
        memo = self.page_memo
        if memo is not None:
            digest = page_digest(page, self.options.format)
            recalled = await memo.recall(digest)
            if recalled is not None:
                return recalled, None
        cut = cut_page(
            page.body,
            content_type=page.content_type,
            base=page.url,
            format=self.options.format,
            max_bytes=self.options.max_bytes,
            what=f"page {number} of {url}",
        )
        datasets = [
            (key, payload_of(subject, text, page.url)) for key, subject, text in cut.datasets
        ]
        remembering = memo if cut.csw is None else None  # CSW answers are not memoized
        found = RememberedPage(
            datasets,
            hydra_next(cut.paging, page.url) or csw_next(cut, page.url),
            hydra_total(cut.paging),
            [payload_hash(payload) for _, payload in datasets] if remembering is not None else None,
        )
        if remembering is not None:
            remembering.remember(digest, found)
        return found, cut.csw.matched if cut.csw else None

    async def fetch(self, since: datetime | None = None) -> AsyncIterator[RawRecord]:
        """Yield every dataset of the catalogue (``since`` is ignored: RDF catalogues have
        no standard modified-since filter)."""
        self.stats = FetchStats()
        # pages by (URL, number), the next one requested ahead when the source is slow
        reader: PageReader[tuple[str, int], Page] = PageReader(lambda key: self._request(*key))
        async for record in listed(reader, self._listing(reader), self.stats):
            yield record

    async def _listing(
        self, reader: PageReader[tuple[str, int], Page]
    ) -> AsyncGenerator[RawRecord, None]:
        url: str | None = self.source.url.strip()
        listed = 0  # datasets listed by the pages before ``url``
        if self.resume_at is not None:
            url, listed = self.resume_at
            self.stats.cursor["resumed_at"] = url
        visited: set[str] = set()
        seen = self.seen if self.seen is not None else set()  # the run's own set
        previous: list[str] | None = None
        hydra_expected: int | None = None
        while url is not None:
            if self.stats.pages >= self.max_pages:
                self._stop("page cap", pages=self.stats.pages, next=url)
                return
            if url in visited:
                self._stop("repeated page", url=url)
                return
            visited.add(url)
            number = self.stats.pages + 1
            found, csw_matched = await self._page(await reader.page((url, number)), url, number)
            self.stats.pages += 1
            if self.stats.pages == 1:
                hydra_expected = found.total
                self.stats.expected = hydra_expected or csw_matched
            fetched_at = datetime.now(UTC)
            records = found.datasets
            keys = [r[0] for r in records]
            if keys and keys == previous:
                self._stop("repeated page", url=url)
                return
            previous = keys
            following = found.next_url
            if following is not None and following not in visited and number < self.max_pages:
                reader.ahead((following, number + 1))
            digests: Sequence[str | None] = found.digests or [None] * len(records)
            for (key, payload), digest in zip(records, digests, strict=True):
                if key in seen:
                    log.warning("dcat_rdf %s: dataset %s listed twice", self.source.id, key)
                    continue
                seen.add(key)
                yield RawRecord(key, payload, fetched_at, digest=digest)
            self.stats.cursor.update(page=url, listed=listed)
            listed += len(records)
            url = following
            del found, records
        if hydra_expected is not None and listed < hydra_expected:
            self._stop("short listing", listed=listed, expected=hydra_expected)
            return
        self.stats.complete = True

    def normalize(self, raw: RawRecord) -> DatasetRecord:
        """Map one fetched dataset (its small graph, read from the payload) to the canonical
        record. Provenance names the catalogue, not the page: a dataset removed earlier in
        the listing shifts later ones to other pages, and that must not count as a change
        of theirs."""
        graph, node, _page = load_payload(raw.payload)
        return normalize_dataset_graph(
            graph,
            node,
            self.source,
            fetched_at=raw.fetched_at,
            platform=self.platform,
            api_url=self.source.url,
        )

    @classmethod
    async def probe(cls, url: str, client: httpx.AsyncClient) -> ProbeResult | None:
        """Recognize a DCAT RDF catalogue at ``url`` (content negotiation) or at a
        well-known path under it (``/catalog.ttl``, ``/catalog.rdf``, ``/catalog.jsonld``)."""
        base = url.strip().rstrip("/")
        for candidate in [url.strip(), *(base + path for path in WELL_KNOWN_PATHS)]:
            try:
                page = await get_page(client, candidate, max_bytes=PROBE_MAX_BYTES, attempts=1)
            except (SourceProtocolError, SourceUnavailable):
                continue
            try:
                document = parse_document(
                    page.body,
                    content_type=page.content_type,
                    base=page.url,
                    max_bytes=PROBE_MAX_BYTES,
                )
            except HarvestError:
                continue
            found = _describe(document, candidate)
            if found:
                return found
        return None


def _describe(document: ParsedDocument, url: str) -> ProbeResult | None:
    graph = document.index
    catalogs = list(graph.subjects(RDF.type, DCAT.Catalog))
    datasets = len(dataset_subjects(graph))
    if not catalogs and not datasets:
        return None
    title = None
    for catalog in catalogs:
        names = {
            (v.language or ""): str(v)
            for v in graph.objects(catalog, DCT.title)
            if isinstance(v, RdfLiteral)
        }
        title = pick_label(names)
        if title:
            break
    paged = hydra_next(graph, url) is not None or document.csw is not None
    return ProbeResult(
        platform=DcatRdfConnector.platform,
        api_url=url,
        title=title,
        dataset_count=hydra_total(graph)
        or (document.csw.matched if document.csw else None)
        or datasets,
        notes=[f"DCAT {document.format}" + (", paged" if paged else "")],
    )


__all__ = ["DcatRdfConnector", "DcatRdfOptions", "dataset_graphs", "get_page"]
