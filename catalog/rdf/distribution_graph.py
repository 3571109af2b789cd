"""Distribution → DCAT-AP 3 triples, and the property groups datasets share with it
(licence, dates, languages, standards). One small function per group, as in ckanext-dcat."""

from __future__ import annotations

import re
from datetime import date, datetime

from catalog.model import DatasetRecord, Distribution, LicenceRef
from catalog.rdf.terms import (
    DCAT,
    DCTERMS,
    RDFS,
    SPDX,
    XSD,
    Lit,
    Memo,
    Statements,
    child,
    code_uri,
    has_text,
    iri,
    node_id,
    plain,
    texts,
    typed,
    when,
)
from catalog.vocab import file_type_uri, language_uri, media_type_uri

Out = Statements

Moment = date | datetime

_HEX = re.compile(r"^(?:[0-9a-fA-F]{2})+$")
_CHECKSUM_ALGORITHMS = frozenset({"md5", "sha1", "sha224", "sha256", "sha384", "sha512"})
_MEDIA_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*$")


_LICENCES: Memo[tuple[str | None, ...], tuple[str | None, Lit | None]] = Memo(1024)


def licence_node(out: Out, ds: str, ref: LicenceRef) -> str | None:
    """A dct:LicenseDocument: its URI, else a blank node labelled with the title or id."""
    node, label = _licence(ds, ref)
    if node is not None and label is not None:
        out.append((node, RDFS.label, label))
    return node


def _licence(ds: str, ref: LicenceRef) -> tuple[str | None, Lit | None]:
    key = (ref.uri, ref.title, ref.id)  # a handful of licences serve a whole catalogue
    found = _LICENCES.get(key)
    if found is None:
        found = _LICENCES.keep(key, (iri(ref.uri), plain(ref.title or ref.id)))
    node, label = found
    if node is None and label is not None:
        node = node_id(ds, "licence", label[0])
    return node, label


def dates(out: Out, s: str, issued: Moment | None, modified: Moment | None) -> None:
    """dct:issued and dct:modified."""
    if issued is not None:
        out.append((s, DCTERMS.issued, when(issued)))
    if modified is not None:
        out.append((s, DCTERMS.modified, when(modified)))


def languages(out: Out, s: str, codes: list[str]) -> None:
    """dct:language: EU language URIs."""
    for code in codes:
        typed(out, s, DCTERMS.language, code_uri(code, language_uri), DCTERMS.LinguisticSystem)


def conforms_to(out: Out, s: str, standards: list[str]) -> None:
    """dct:conformsTo: each standard's URI, typed dct:Standard."""
    for standard in standards:
        typed(out, s, DCTERMS.conformsTo, iri(standard), DCTERMS.Standard)


def landing_page(record: DatasetRecord) -> str | None:
    """The landing page, else the page the record was harvested from."""
    return iri(record.landing_page) or iri(record.provenance.original_url)


def _dist_urls(out: Out, node: str, dist: Distribution, record: DatasetRecord) -> None:
    download = iri(dist.download_url)
    # dcat:accessURL is mandatory: the download URL is also a valid access URL, and the
    # dataset's landing page is where a user reaches the data when the portal gave neither.
    access = iri(dist.access_url) or download or landing_page(record)
    if access is not None:
        out.append((node, DCAT.accessURL, access))
    if download is not None:
        out.append((node, DCAT.downloadURL, download))


def _dist_format(out: Out, node: str, dist: Distribution) -> None:
    if dist.file_type:
        uri = code_uri(dist.file_type, file_type_uri)
        typed(out, node, DCTERMS.format, uri, DCTERMS.MediaTypeOrExtent)
    elif (label := plain(dist.format)) is not None:  # unknown format: a labelled node
        fmt = node_id(node, "format", label[0])
        typed(out, node, DCTERMS.format, fmt, DCTERMS.MediaTypeOrExtent)
        out.append((fmt, RDFS.label, label))
    if dist.media_type:
        media = _MEDIA_TYPES.get(dist.media_type, "")
        if media == "":
            media = _MEDIA_TYPES.keep(dist.media_type, _media_type(dist.media_type))
        typed(out, node, DCAT.mediaType, media, DCTERMS.MediaType)


_MEDIA_TYPES: Memo[str, str | None] = Memo(1024)


def _media_type(value: str) -> str | None:
    media = value.strip().lower()
    return media_type_uri(media) if _MEDIA_TYPE.match(media) else None


def _dist_licence(out: Out, node: str, ds: str, dist: Distribution, record: DatasetRecord) -> None:
    if dist.licence is not None:
        licence = licence_node(out, ds, dist.licence)
        typed(out, node, DCTERMS.license, licence, DCTERMS.LicenseDocument)
    elif record.licence is not None:  # inherited from the dataset, as ckanext-dcat does
        # The dataset's licence node already has its label and class (dataset_graph puts
        # them before the distributions): only the link, not two duplicate statements.
        licence = _licence(ds, record.licence)[0]
        if licence is not None:
            out.append((node, DCTERMS.license, licence))
    if (rights := plain(dist.rights)) is not None:
        statement = node_id(node, "rights", rights[0])
        typed(out, node, DCTERMS.rights, statement, DCTERMS.RightsStatement)
        out.append((statement, RDFS.label, rights))


def _dist_size_checksum(out: Out, node: str, dist: Distribution) -> None:
    if dist.byte_size is not None and dist.byte_size >= 0:
        out.append((node, DCAT.byteSize, (str(dist.byte_size), None, XSD.nonNegativeInteger)))
    checksum = dist.checksum
    if checksum is None:
        return
    algorithm = checksum.algorithm.lower().replace("-", "").replace("_", "")
    value = checksum.value.strip()
    if algorithm not in _CHECKSUM_ALGORITHMS or not _HEX.match(value):
        return  # spdx:checksumValue must be xsd:hexBinary with a known algorithm
    node_sum = node_id(node, "checksum")
    algo = SPDX.term(f"checksumAlgorithm_{algorithm}")
    typed(out, node, SPDX.checksum, node_sum, SPDX.Checksum)
    typed(out, node_sum, SPDX.algorithm, algo, SPDX.ChecksumAlgorithm)
    out.append((node_sum, SPDX.checksumValue, (value.lower(), None, XSD.hexBinary)))


def _dist_service(out: Out, node: str, ds: str, dist: Distribution, record: DatasetRecord) -> None:
    """``api_access``: the data answers queries at an endpoint — a dcat:DataService."""
    if not dist.api_access:
        return
    endpoint = iri(dist.endpoint_url) or iri(dist.access_url)
    if endpoint is None:
        return
    service = child(node, "service")
    typed(out, node, DCAT.accessService, service, DCAT.DataService)
    title = dist.title if has_text(dist.title) else record.title
    texts(out, service, DCTERMS.title, title if has_text(title) else {"": "API"})
    # The 3.0.1 range shape wants the endpoint typed rdfs:Resource, which only RDFS
    # inference would derive; say it, so validators without inference accept the feed.
    typed(out, service, DCAT.endpointURL, endpoint, RDFS.Resource)
    out.append((service, DCAT.servesDataset, ds))


def distribution_uri(dataset_uri: str, dist: Distribution, n: int, seen: set[str]) -> str:
    """``{dataset}/distribution/{identifier}``, or ``/{n}`` without a unique identifier."""
    key = (dist.identifier or "").strip()
    if not key or key in seen:
        key = str(n)
    seen.add(key)
    return child(dataset_uri, "distribution", key)


def _distribution(out: Out, ds: str, node: str, dist: Distribution, record: DatasetRecord) -> None:
    typed(out, ds, DCAT.distribution, node, DCAT.Distribution)
    _dist_urls(out, node, dist, record)
    texts(out, node, DCTERMS.title, dist.title)
    texts(out, node, DCTERMS.description, dist.description)
    _dist_format(out, node, dist)
    _dist_licence(out, node, ds, dist, record)
    _dist_size_checksum(out, node, dist)
    dates(out, node, dist.issued, dist.modified)
    languages(out, node, dist.language)
    conforms_to(out, node, dist.conforms_to)
    _dist_service(out, node, ds, dist, record)


def distributions(out: Out, ds: str, record: DatasetRecord) -> None:
    """dcat:distribution: every distribution of ``record``, after the dataset's own
    statements (those describe the licence the distributions inherit)."""
    seen: set[str] = set()
    for n, dist in enumerate(record.distributions, 1):
        _distribution(out, ds, distribution_uri(ds, dist, n, seen), dist, record)
