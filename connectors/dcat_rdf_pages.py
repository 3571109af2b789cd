"""One fetched DCAT page → its datasets' payloads and its paging triples, by the cheapest path
that reads it.

Turtle and N-Triples that pyoxigraph reads, whose datasets are IRIs, are cut on N-Triples text
(:mod:`connectors.dcat_rdf_lines`); everything else (RDF/XML, CSW, JSON-LD, what pyoxigraph
refuses, blank-node datasets) is parsed into rdflib terms (:mod:`connectors.rdf_parse`) and cut
by :mod:`connectors.dcat_rdf_graphs`. Both give the same payloads for the same triples.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from connectors.dcat_rdf_graphs import dataset_indexes, payload_text, remote_id
from connectors.dcat_rdf_lines import Cut, cut_lines, paging, read_lines
from connectors.rdf_index import RdfGraph
from connectors.rdf_parse import (
    DEFAULT_MAX_BYTES,
    CswResults,
    FormatOption,
    checked_format,
    parse_document,
    utf8,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PageCut:
    """One page cut into datasets (``(remote id, subject key, payload N-Triples)``, in
    ``dataset_subjects`` order), the triples its Hydra paging is read from, and its CSW
    counters when it was a CSW answer."""

    datasets: list[Cut]
    paging: RdfGraph
    csw: CswResults | None = None


def cut_page(
    data: bytes,
    *,
    content_type: str | None,
    base: str,
    format: FormatOption = "auto",
    max_bytes: int = DEFAULT_MAX_BYTES,
    what: str,
) -> PageCut:
    """Parse and cut one page (the checks and errors of
    :func:`connectors.rdf_parse.parse_document`; RecordInvalid for an oversized dataset)."""
    fmt = checked_format(
        data, content_type=content_type, format=format, max_bytes=max_bytes, what=what
    )
    if fmt in ("turtle", "nt"):
        data, _ = utf8(data, what=what)
        try:
            lines = read_lines(data, fmt, base)
        except (SyntaxError, ValueError) as error:
            log.debug("%s: pyoxigraph refused it (%s), trying rdflib", what, error)
        else:
            cuts = cut_lines(lines)
            if cuts is not None:
                return PageCut(cuts, paging(lines))
    document = parse_document(
        data, content_type=content_type, base=base, format=fmt, max_bytes=max_bytes, what=what
    )
    index = document.index
    cuts = [
        (remote_id(small, key), key, payload_text(small)) for key, small in dataset_indexes(index)
    ]
    return PageCut(cuts, index, document.csw)
