"""The connector interface (DESIGN §3) and the values connectors exchange with a run."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Protocol, runtime_checkable

import httpx
import orjson
from pydantic import BaseModel, ConfigDict, Field

from catalog.model import DatasetRecord, PartnerKind


class SourceSpec(BaseModel):
    """What a connector needs to know about the source it harvests (no DB object)."""

    model_config = ConfigDict(frozen=True)

    id: str
    url: str
    platform: str
    options: dict[str, Any] = Field(default_factory=dict)
    partner_name: str | None = None
    partner_kind: PartnerKind | None = None


@dataclass(frozen=True, slots=True)
class RawRecord:
    """One remote record as fetched: JSON-able ``payload`` kept so normalization can replay.
    ``digest``: its :func:`payload_hash`, when the connector already has it (the run
    computes it otherwise); or, for a record whose mapping also reads what the listing
    found (a DCAT-US series parent), a hash of that too, so that the run maps it again
    when that changes."""

    remote_id: str
    payload: Any
    fetched_at: datetime
    content_type: str = "application/json"
    digest: str | None = None


def payload_hash(payload: Any) -> str:
    """SHA-256 of a raw payload in canonical JSON."""
    return hashlib.sha256(orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)).hexdigest()


@dataclass(frozen=True, slots=True)
class ProbeResult:
    """What ``probe()`` recognized behind a bare URL."""

    platform: str
    api_url: str
    title: str | None = None
    dataset_count: int | None = None
    notes: list[str] = field(default_factory=list)


@dataclass(slots=True)
class FetchStats:
    """Counters a connector fills while it pages (read by the run for its report)."""

    pages: int = 0
    bytes: int = 0
    complete: bool = False
    expected: int | None = None
    cursor: dict[str, Any] = field(default_factory=dict)
    read_ahead: int = 0
    """Pages named to be read ahead while the previous one's records were handed out
    (:mod:`connectors.read_ahead`; one dropped before its request started counts too)."""


class NoOptions(BaseModel):
    """Options model for a connector that takes none."""

    model_config = ConfigDict(extra="forbid")


@runtime_checkable
class SeenSet(Protocol):
    """The remote ids a run has seen: ``set[str]`` or a leaner equivalent."""

    def add(self, remote_id: str, /) -> None: ...

    def __contains__(self, remote_id: object, /) -> bool: ...

    def __len__(self) -> int: ...


@dataclass(frozen=True, slots=True)
class RememberedPage:
    """What one listing page gave: its datasets ``(remote id, payload)`` in order, the next
    page's URL and the expected total it states; ``digests``, when known, each payload's
    :func:`payload_hash` (the memo needs them, and the run then need not hash again)."""

    datasets: list[tuple[str, Any]]
    next_url: str | None
    total: int | None
    digests: list[str] | None = None


class PageMemo(Protocol):
    """What pages gave in earlier runs, keyed by a digest of their bytes, for connectors
    whose pages are costly to cut (``BaseConnector.uses_page_memo``): the run supplies it."""

    async def recall(self, digest: str, /) -> RememberedPage | None:
        """The page remembered under ``digest``, if its payloads are still the stored ones."""
        ...

    def remember(self, digest: str, page: RememberedPage, /) -> None:
        """Keep what the page of ``digest`` gave, for the next run."""
        ...


class Connector(Protocol):
    """A platform connector: pages a remote catalogue and maps its records."""

    platform: ClassVar[str]
    Options: ClassVar[type[BaseModel]]
    stats: FetchStats

    def __init__(self, source: SourceSpec, client: httpx.AsyncClient) -> None: ...

    def fetch(self, since: datetime | None = None) -> AsyncIterator[RawRecord]: ...

    def normalize(self, raw: RawRecord) -> DatasetRecord: ...

    @classmethod
    async def probe(cls, url: str, client: httpx.AsyncClient) -> ProbeResult | None: ...


@runtime_checkable
class Resumable(Protocol):
    """A connector that can continue an interrupted run from its saved cursor
    (``stats.cursor`` as of the last batch written; see :mod:`connectors.resume`)."""

    def resume_from(self, cursor: dict[str, Any], /) -> bool:
        """Make the next ``fetch()`` continue from ``cursor``; False (and no change) when
        the cursor is not usable, so the run starts from the beginning."""
        ...


@runtime_checkable
class Remembering(Protocol):
    """A connector whose mapping reads what the source's last complete run found: the run
    gives it that run's saved cursor before ``fetch()``."""

    def remember(self, cursor: dict[str, Any], /) -> None: ...


@runtime_checkable
class Revisiting(Protocol):
    """A connector whose listing can make records it already yielded stale, their mapping
    reading what was listed after them (a DCAT-US parent named by a later ``isPartOf``).
    After a listing that ended, the run writes each again from its stored payload."""

    def stale(self) -> list[str]:
        """The remote ids of the records yielded this run that need mapping again."""
        ...

    def revisited(self, raw: RawRecord, /) -> RawRecord:
        """The record to write again, given its stored payload and fetch time."""
        ...


class BaseConnector:
    """Shared plumbing: keeps the source, the client, parsed options and fetch stats.

    ``stats.complete`` must be set to True by ``fetch()`` only when the whole remote
    listing was enumerated successfully: the run withdraws missing records only then.
    """

    platform: ClassVar[str] = ""
    Options: ClassVar[type[BaseModel]] = NoOptions
    mapping_version: ClassVar[str] = "1"
    """Part of the mapping key, beside a fingerprint of the mapping code
    (:mod:`harvester.mapping_code`: ``catalog/``, ``connectors/``, the derivation modules
    and a plugin connector's own module), which re-maps stored payloads on its own. Bump it
    only when ``normalize()`` may map the same payload differently for a reason that code
    does not show (a plugin's other modules, data read from elsewhere)."""
    portable_mapping: bool = False
    """True when ``normalize()`` depends only on the source spec and the payload (not on
    the client or on anything ``fetch()`` collected): the run may then map batches in a
    worker process, with a connector of its own (:mod:`harvester.mapping_pool`). A class
    value, or an instance's when it depends on the source. A connector whose mapping reads
    what ``fetch()`` collected says which records in :meth:`portable`, and gives a worker
    what it needs in :meth:`mapping_context` (DCAT-US, ArcGIS Hub feeds)."""
    seen: SeenSet | None = None
    """Remote ids already yielded, when the run shares its own set (one set per run, not
    two); connectors that skip repeated ids use it instead of a set of their own."""
    uses_page_memo: ClassVar[bool] = False
    """True when ``fetch()`` consults :attr:`page_memo`, which the run then supplies."""
    page_memo: PageMemo | None = None
    """What pages gave in earlier runs: a page fetched again byte for byte need not be cut
    again (set by the run for connectors that say :attr:`uses_page_memo`)."""

    def __init__(self, source: SourceSpec, client: httpx.AsyncClient) -> None:
        self.source = source
        self.client = client
        self.options = self.Options.model_validate(source.options)
        self.stats = FetchStats()

    def portable(self, raw: RawRecord) -> bool:
        """Whether a worker's connector, built from the spec and given
        :meth:`mapping_context`, maps ``raw`` as this one would now (asked when a batch is
        sent, and again when its results are written): by default, whether the connector
        is :attr:`portable_mapping`."""
        return self.portable_mapping

    def mapping_context(self) -> dict[str, Any]:
        """What ``fetch()`` learnt that a worker's connector needs to map the records read
        so far (JSON values; none by default), given to its :meth:`use_mapping_context`."""
        return {}

    def use_mapping_context(self, context: dict[str, Any]) -> None:
        """Take what the run's connector gave as :meth:`mapping_context` (in a worker)."""

    def _count_bytes(self, size: int) -> None:
        """Count a body's ``size`` bytes in ``stats`` (``on_body`` of :mod:`connectors.http`)."""
        self.stats.bytes += size

    def _read_again(self, error: Exception, cut: int) -> None:
        """Record in ``stats`` that a streamed document broke off for the ``cut``-th time and
        is read again from its start (``cursor["restarts"]``; ``on_cut`` of
        :func:`connectors.http_stream.read_until_whole`), with a warning."""
        self.stats.cursor["restarts"] = cut
        logging.getLogger(type(self).__module__).warning(
            "%s %s: %s; reading it again from its start", self.platform, self.source.id, error
        )

    def _stop(self, reason: str, **context: Any) -> None:
        """Record in ``stats`` that the listing stopped early (``cursor["stopped"]``) and log
        it as a warning on the connector's own module logger."""
        self.stats.cursor["stopped"] = reason
        logging.getLogger(type(self).__module__).warning(
            "%s %s: paging stopped (%s) %s", self.platform, self.source.id, reason, context
        )
