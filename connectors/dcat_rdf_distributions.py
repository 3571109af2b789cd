"""DCAT distributions → :class:`catalog.model.Distribution`.

Formats come from ``dct:format`` (an EU file-type IRI, an IANA media-type IRI, a literal, or
a ``dct:IMT`` node with ``rdf:value``/``rdfs:label``) and ``dcat:mediaType``, normalized by
:func:`catalog.vocab.normalize_format` (the download or access URL helps as a last resort).
A distribution is *API access* when it has a ``dcat:accessService`` (its
``dcat:endpointURL`` becomes ``endpoint_url``) or when its format names a service (WMS, WFS,
Esri REST, SPARQL…).
"""

from __future__ import annotations

import re

from rdflib import Literal, URIRef
from rdflib.term import Node

from catalog.model import Checksum, Distribution, LicenceRef, trusted
from catalog.vocab import is_service, language_code, normalize_format, normalize_licence
from connectors.dcat_rdf_values import (
    DCAT,
    DCT,
    RDF,
    RDFS,
    SPDX,
    clean,
    dedupe,
    first_date,
    first_url,
    iri,
    iris_or_labels,
    label,
    localized,
    objects,
    sort_key,
)
from connectors.rdf_index import RdfGraph
from connectors.values import byte_size

_IANA = re.compile(r"^https?://(?:www\.)?iana\.org/assignments/media-types/(.+)$", re.I)


def _format_text(graph: RdfGraph, node: Node) -> str | None:
    """A format value as text: the IRI, a literal, or the value/label of an IMT node."""
    if isinstance(node, Literal):
        return clean(str(node))
    if isinstance(node, URIRef):
        return str(node)
    for value in objects(graph, node, RDF.value, RDFS.label, DCT.title):
        text = clean(str(value))
        if text:
            return text
    return None


def _media(text: str | None) -> str | None:
    if not text:
        return None
    match = _IANA.match(text)
    return match.group(1) if match else text


def licence_of(graph: RdfGraph, node: Node) -> LicenceRef | None:
    """A licence from an IRI, a ``dct:LicenseDocument`` node or a literal."""
    link = iri(graph, node) if not isinstance(node, Literal) else None
    title = label(graph, node)
    if isinstance(node, Literal):
        return normalize_licence(title) if title else None
    identifier = next((clean(str(v)) for v in objects(graph, node, DCT.identifier)), None)
    if link and not link.startswith(("http://", "https://")):
        link = None
    if not (link or title or identifier):
        return None
    return normalize_licence(identifier, title=title, url=link)


def first_licence(graph: RdfGraph, subject: Node) -> LicenceRef | None:
    """The first recognizable ``dct:license`` of ``subject``."""
    for node in objects(graph, subject, DCT.license):
        found = licence_of(graph, node)
        if found:
            return found
    return None


def languages(graph: RdfGraph, subject: Node) -> list[str]:
    """EU language codes from ``dct:language`` IRIs, literals or LinguisticSystem nodes."""
    codes: list[str] = []
    for node in objects(graph, subject, DCT.language):
        text = iri(graph, node) if not isinstance(node, Literal) else clean(str(node))
        code = language_code(text) if text else None
        code = code or language_code(label(graph, node) or "")
        if code:
            codes.append(code)
    return dedupe(codes)


def algorithm_name(iri_text: str) -> str:
    """``spdx:checksumAlgorithm_sha256`` → ``sha256``; DCAT-AP.de ``…/sha/256`` → ``sha256``."""
    name = iri_text.rsplit("#", 1)[-1].removeprefix("checksumAlgorithm_").strip("/")
    parts = name.split("/")
    name = parts[-2] + parts[-1] if len(parts) > 1 and parts[-1].isdigit() else parts[-1]
    return name.replace("-", "").lower()


def checksum(graph: RdfGraph, subject: Node) -> Checksum | None:
    """``spdx:checksum`` (algorithm IRI such as ``spdx:checksumAlgorithm_sha1``, value)."""
    for node in objects(graph, subject, SPDX.checksum):
        value = next((clean(str(v)) for v in objects(graph, node, SPDX.checksumValue)), None)
        algorithm = next((str(v) for v in objects(graph, node, SPDX.algorithm)), None)
        if value and algorithm:
            return Checksum(algorithm=algorithm_name(algorithm), value=value.lower())
    return None


def _size(graph: RdfGraph, subject: Node) -> int | None:
    for node in objects(graph, subject, DCAT.byteSize):
        text = clean(str(node))
        if text:
            try:
                return int(float(text)) if float(text) >= 0 else None
            except ValueError:
                found = byte_size(text)
                if found is not None:
                    return found
    return None


def _rights(graph: RdfGraph, subject: Node, lang: str) -> str | None:
    for node in objects(graph, subject, DCT.rights):
        text = label(graph, node, lang) or next(
            (clean(str(v)) for v in objects(graph, node, DCT.description)), None
        )
        text = text or iri(graph, node)
        if text:
            return text
    return None


def _service(graph: RdfGraph, subject: Node) -> tuple[bool, str | None]:
    for node in objects(graph, subject, DCAT.accessService):
        endpoint = first_url(graph, node, DCAT.endpointURL)
        return True, endpoint
    return False, None


def distribution(graph: RdfGraph, node: Node, *, default_lang: str = "") -> Distribution:
    """One ``dcat:Distribution`` node as a Distribution (bad fields dropped)."""
    access = first_url(graph, node, DCAT.accessURL)
    download = first_url(graph, node, DCAT.downloadURL)
    raw_format = next(
        (t for v in objects(graph, node, DCT["format"]) if (t := _format_text(graph, v))), None
    )
    media = next(
        (m for v in objects(graph, node, DCAT.mediaType) if (m := _media(_format_text(graph, v)))),
        None,
    )
    info = normalize_format(
        _media(raw_format) if raw_format and _IANA.match(raw_format) else raw_format,
        media_type=media,
        url=download or access,
    )
    service = is_service(info.label if info else raw_format, info.file_type if info else None)
    api_access, endpoint = _service(graph, node)
    if service and not api_access:
        api_access, endpoint = True, access
    # every value below already has its exact field type: no validation needed (see trusted;
    # tests/connectors/test_dcat_rdf_trusted.py builds every fixture's both ways)
    return trusted(
        Distribution,
        {
            "identifier": next((clean(str(v)) for v in objects(graph, node, DCT.identifier)), None),
            "uri": str(node) if isinstance(node, URIRef) else None,
            "title": localized(graph, node, DCT.title, RDFS.label, default_lang=default_lang),
            "description": localized(graph, node, DCT.description, default_lang=default_lang),
            "access_url": access or download,
            "download_url": download,
            "format": info.label if info else raw_format,
            "file_type": info.file_type if info else None,
            "media_type": (info.media_type if info else None) or media,
            "byte_size": _size(graph, node),
            "licence": first_licence(graph, node),
            "rights": _rights(graph, node, default_lang),
            "issued": first_date(graph, node, DCT.issued, DCT.created),
            "modified": first_date(graph, node, DCT.modified, DCT.updated),
            "language": languages(graph, node),
            "checksum": checksum(graph, node),
            "api_access": api_access,
            "endpoint_url": endpoint,
            "conforms_to": iris_or_labels(graph, objects(graph, node, DCT.conformsTo)),
        },
    )


def distributions(graph: RdfGraph, subject: Node, *, default_lang: str = "") -> list[Distribution]:
    """Every ``dcat:distribution`` of ``subject``, in a stable order."""
    nodes = sorted(objects(graph, subject, DCAT.distribution), key=lambda n: sort_key(graph, n))
    return [distribution(graph, n, default_lang=default_lang) for n in nodes]
