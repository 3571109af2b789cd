"""DCAT-US (Project Open Data 1.1) ``data.json`` connector, streaming.

One GET of the catalogue (the source URL when it ends in ``.json``, else ``{url}/data.json``),
read as it arrives by :mod:`connectors.json_stream`: each element of ``"dataset"`` is yielded
as soon as it is complete, so a several-hundred-MB file never sits in memory. The body is
capped (``max_bytes``, 1 GiB by default, compressed and decompressed). Connection errors,
timeouts and 429/502/503/504 *before the body starts* are retried like
:func:`connectors.http.get_json`; a body that breaks off midway (connection lost, read
timed out) is read again from its start, up to three times in all, the datasets already
yielded skipped.

``stats.complete`` is True only when the document was read to its end and had a
``"dataset"`` list: invalid or truncated JSON, a cap, a connection dropped three times or
HTML instead of JSON raise after the datasets read so far were yielded, and nothing is
withdrawn.
``since`` is ignored: data.json has no server-side filter, and unchanged records cost no
write anyway.

Collections: a parent is a series when an ``isPartOf`` names it, which only its children
say. The parents read so far and those the source's last complete run found (the run gives
its cursor to :meth:`DcatUsConnector.remember`) are known (:class:`SeriesNames`); a named
parent's record carries a digest that says so, and is mapped again, payload unchanged, when
it becomes or stops being one. A parent listed (and written) before the first child that
names it is stale once that child is read: the run writes it again, from its stored payload,
when the listing ends (``connectors.base.Revisiting``), so it is a series from the first run
on.

No resume: the catalogue is one document, and a server cannot be asked for "the rest" of
it (``stats.cursor["datasets"]`` counts what was read, for the report only). The connector
has no ``resume_from``, so the run after an interrupted one reads the document again from
the start, as a fresh run that may withdraw.

:func:`iter_datasets` is the reusable part (the ArcGIS Hub connector reads its sites'
``data.json`` feeds with it, and maps with
:func:`connectors.dcat_us_mapping.normalize_dcat_us`).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import aclosing
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, ClassVar

import httpx
from pydantic import BaseModel, ConfigDict, Field

from catalog.model import DatasetRecord
from connectors.base import (
    BaseConnector,
    FetchStats,
    ProbeResult,
    RawRecord,
    SeenSet,
    SourceSpec,
    payload_hash,
)
from connectors.dcat_us_mapping import identifier, normalize_dcat_us, part_of, remote_id
from connectors.errors import (
    RecordInvalid,
    SourceProtocolError,
    SourceUnavailable,
    StreamBrokenOff,
)
from connectors.http_stream import json_chunks, open_stream, read_until_whole
from connectors.json_stream import ArrayItems, JsonStreamError, iter_items

log = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 1024 * 1024 * 1024
PROBE_MAX_BYTES = 4 * 1024 * 1024
"""probe() reads at most this much of a data.json (enough to see ``"dataset": [``)."""
POD_SCHEMA = "project-open-data.cio.gov"


class DcatUsOptions(BaseModel):
    """Per-source options for a DCAT-US ``data.json`` catalogue."""

    model_config = ConfigDict(extra="forbid")

    url_path: str | None = None
    """Path of the catalogue under the source URL when not ``/data.json``."""
    max_bytes: int = Field(default=DEFAULT_MAX_BYTES, ge=1024)
    """Largest catalogue accepted (bytes, after decompression)."""


def data_json_url(url: str, url_path: str | None = None) -> str:
    """The catalogue URL: ``url`` itself when it names a ``.json`` file, else ``url`` plus
    ``url_path`` (default ``/data.json``)."""
    base = url.strip()
    if url_path:
        return base.rstrip("/") + "/" + url_path.strip().lstrip("/")
    if base.split("?", 1)[0].lower().endswith(".json"):
        return base
    return base.rstrip("/") + "/data.json"


def _count_bytes(stats: FetchStats | None) -> Callable[[int], None] | None:
    """``stats.bytes`` kept as the bytes read so far, this stream's running total added to
    what earlier streams of the document read."""
    if stats is None:
        return None
    before = stats.bytes

    def count(total: int) -> None:
        stats.bytes = before + total

    return count


def _invalid(url: str, error: JsonStreamError, read: int) -> SourceProtocolError:
    return SourceProtocolError(
        f"{url}: {error}",
        detail=f"GET {url}\nbyte offset {error.offset}; {read} datasets read before",
        url=url,
    )


async def iter_datasets(
    client: httpx.AsyncClient,
    url: str,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    stats: FetchStats | None = None,
    attempts: int = 4,
    series: SeriesNames | None = None,
    on_cut: Callable[[StreamBrokenOff, int], None] | None = None,
    given: SeenSet | None = None,
) -> AsyncIterator[RawRecord]:
    """Stream the datasets of the ``data.json`` at ``url`` as RawRecords, in order.

    ``stats`` (when given) counts bytes and gets ``complete = True`` only after the whole
    document was read and had a ``dataset`` list. ``series`` (when given) collects the
    ``isPartOf`` parents met so far, and which of them were named after their own dataset
    was yielded (:attr:`SeriesNames.late`). A repeated remote id is yielded once (warned
    about in the document's first read). A body that breaks off midway is read again from its start
    (:func:`connectors.http_stream.read_until_whole`, ``on_cut`` hearing of each cut), the
    datasets already yielded skipped. ``given``: the ids yielded, kept in the run's own set
    when it shares one (``BaseConnector.seen``: digests, not a second set of every id).
    """
    yielded: SeenSet = given if given is not None else set()
    parser = ArrayItems("dataset")
    reads = 0

    def stream() -> AsyncIterator[RawRecord]:
        nonlocal parser, reads
        parser = ArrayItems("dataset")
        reads += 1
        return _stream(client, url, parser, yielded, max_bytes, stats, attempts, series, reads == 1)

    async for raw in read_until_whole(stream, on_cut=on_cut):
        yield raw
    if not parser.found:
        kind = type(parser.header.get("dataset")).__name__ if "dataset" in parser.header else None
        said = f" ('dataset' is a {kind})" if kind else ""
        raise SourceProtocolError(
            f"{url} has no 'dataset' list{said}",
            detail=f"top-level members: {', '.join(parser.header) or 'none'}",
            url=url,
        )
    if stats is not None:
        stats.expected = parser.count
        stats.complete = True


async def _stream(
    client: httpx.AsyncClient,
    url: str,
    parser: ArrayItems,
    given: SeenSet,
    max_bytes: int,
    stats: FetchStats | None,
    attempts: int,
    series: SeriesNames | None,
    first: bool,
) -> AsyncIterator[RawRecord]:
    """One read of the document: its datasets not in ``given`` (yielded before), each then
    added to it; in the ``first`` read, one already there is listed twice, and warned
    about."""
    fetched_at = datetime.now(UTC)
    async with open_stream(client, url, attempts=attempts) as response:
        if stats is not None:
            stats.pages += 1
        try:
            chunks = json_chunks(response, url, max_bytes, _count_bytes(stats))
            async for item in iter_items(chunks, parser):
                value = item.value
                key = remote_id(value) if isinstance(value, dict) else None
                key = key or f"dataset[{item.index}]"
                if key in given:
                    if first:
                        log.warning("%s: dataset %s listed twice (line %d)", url, key, item.line)
                    continue
                if series is not None and isinstance(value, dict):
                    series.name(part_of(value), yielded=given)
                given.add(key)
                if stats is not None:
                    stats.cursor["datasets"] = item.index + 1
                yield RawRecord(remote_id=key, payload=value, fetched_at=fetched_at)
        except JsonStreamError as error:
            if parser.count == 0 and error.reason == "the document is empty":
                raise SourceProtocolError(
                    f"{url} returned an empty body (status {response.status_code}) instead of JSON",
                    detail=f"GET {url}",
                    url=url,
                ) from None
            raise _invalid(url, error, parser.count) from None


class SeriesNames:
    """The identifiers an ``isPartOf`` names, which makes their datasets series: those read
    so far in this run (``read``, filled by :func:`iter_datasets`) and those the source's
    last complete run had read (``remembered``, its cursor's ``collections``), so that a
    parent listed before its children is a series when its batch is written; and those
    named after their dataset was yielded (``late``), which the run writes again."""

    __slots__ = ("late", "read", "remembered")

    def __init__(self) -> None:
        self.read: set[str] = set()
        self.remembered: frozenset[str] = frozenset()
        self.late: set[str] = set()
        """Parents named only after their dataset was yielded (mapped then as no series),
        that the last complete run had not named."""

    def name(self, parents: list[str], *, yielded: SeenSet) -> None:
        """Take the ``isPartOf`` names of a dataset read; ``yielded``: the remote ids of the
        datasets yielded before it (a parent's is its identifier)."""
        for parent in parents:
            if parent in self.read:
                continue
            self.read.add(parent)
            if parent in yielded and parent not in self.remembered:
                self.late.add(parent)

    def __contains__(self, ident: object) -> bool:
        return ident in self.read or ident in self.remembered

    def remember(self, cursor: dict[str, Any]) -> None:
        """Take the ``collections`` of the last complete run's ``cursor``."""
        found = cursor.get("collections")
        self.remembered = frozenset(
            i for i in (found if isinstance(found, list) else ()) if isinstance(i, str)
        )

    def names(self, raw: RawRecord) -> bool:
        """Whether ``raw``'s identifier is named: the record :func:`normalize_dataset` maps
        as a series for that reason."""
        ident = identifier(raw.payload) if isinstance(raw.payload, dict) else None
        return bool(ident) and ident in self

    def marked(self, raw: RawRecord) -> RawRecord:
        """``raw``, with a digest that says it is named when it is: a payload unchanged since
        the last run is then mapped again when it became, or stopped being, a series."""
        if not self.names(raw):
            return raw
        return replace(raw, digest=payload_hash({"named by isPartOf": raw.payload}))


def normalize_dataset(
    raw: RawRecord,
    source: SourceSpec,
    *,
    catalog_url: str | None,
    platform: str,
    series: SeriesNames,
) -> DatasetRecord:
    """Map one dataset of :func:`iter_datasets`; parents ``series`` names are series."""
    return normalize_dcat_us(
        raw.payload,
        source,
        catalog_url=catalog_url,
        fetched_at=raw.fetched_at,
        platform=platform,
        series_ids=series,
    )


class SeriesRevisits:
    """``stale()`` and ``revisited()`` (``connectors.base.Revisiting``) of a connector whose
    data.json listings fill its ``series``: the parents written before an ``isPartOf``
    named them (:attr:`SeriesNames.late`), written again marked as named."""

    series: SeriesNames

    def stale(self) -> list[str]:
        """The parents written before an ``isPartOf`` named them."""
        return sorted(self.series.late)

    def revisited(self, raw: RawRecord) -> RawRecord:
        """A stale parent's stored record, with the digest of a named parent."""
        return self.series.marked(raw)


class DcatUsConnector(SeriesRevisits, BaseConnector):
    """Harvests a DCAT-US 1.1 ``data.json`` (US agencies, ArcGIS Hub, Socrata, DKAN…)."""

    platform: ClassVar[str] = "dcat_us"
    Options: ClassVar[type[BaseModel]] = DcatUsOptions
    options: DcatUsOptions

    portable_mapping = True  # but a series parent's record: see portable()

    def __init__(self, source: SourceSpec, client: httpx.AsyncClient) -> None:
        super().__init__(source, client)
        self.url = data_json_url(source.url, self.options.url_path)
        self.series = SeriesNames()

    def remember(self, cursor: dict[str, Any]) -> None:
        """Take the series the source's last complete run found (:class:`SeriesNames`)."""
        self.series.remember(cursor)

    def portable(self, raw: RawRecord) -> bool:
        """Whether no ``isPartOf`` names the dataset: only a parent's mapping reads what
        ``fetch()`` collected."""
        return not self.series.names(raw)

    async def fetch(self, since: datetime | None = None) -> AsyncIterator[RawRecord]:
        """Yield every dataset of the catalogue (``since`` is ignored, see module doc)."""
        self.stats = FetchStats()
        async for raw in iter_datasets(
            self.client,
            self.url,
            max_bytes=self.options.max_bytes,
            stats=self.stats,
            series=self.series,
            on_cut=self._read_again,
            given=self.seen,
        ):
            yield self.series.marked(raw)
        self.stats.cursor["collections"] = sorted(self.series.read)

    def normalize(self, raw: RawRecord) -> DatasetRecord:
        """Map one fetched dataset; parents an ``isPartOf`` names (read so far, or by the
        last complete run) are series."""
        if not isinstance(raw.payload, dict):
            raise RecordInvalid(f"{raw.remote_id} in {self.url} is not a JSON object")
        return normalize_dataset(
            raw,
            self.source,
            catalog_url=self.url,
            platform=self.platform,
            series=self.series,
        )

    @classmethod
    async def probe(cls, url: str, client: httpx.AsyncClient) -> ProbeResult | None:
        """Recognize a data.json at ``url`` (or ``{url}/data.json``): POD ``conformsTo`` or a
        ``dataset`` list. Reads at most :data:`PROBE_MAX_BYTES`."""
        target = data_json_url(url)
        parser = ArrayItems("dataset")
        try:
            async with (
                open_stream(client, target, attempts=1) as response,
                aclosing(json_chunks(response, target, 1 << 62)) as chunks,
            ):
                async for chunk in chunks:
                    parser.feed(chunk)
                    if parser.finished or response.num_bytes_downloaded > PROBE_MAX_BYTES:
                        break
        except (SourceProtocolError, SourceUnavailable, JsonStreamError):
            return None
        conforms = str(parser.header.get("conformsTo") or "")
        if not parser.found and POD_SCHEMA not in conforms:
            return None
        title = parser.header.get("title")
        return ProbeResult(
            platform=cls.platform,
            api_url=target,
            title=title if isinstance(title, str) and title else None,
            dataset_count=parser.count if parser.finished and parser.found else None,
            notes=["DCAT-US 1.1" if POD_SCHEMA in conforms else "data.json"],
        )
