"""Content negotiation: pick a media type from ``Accept`` (with q-values) or a URL suffix."""

from __future__ import annotations

from collections.abc import Sequence

from api.problems import Problem
from catalog.rdf import FORMAT_BY_MEDIA_TYPE, SUFFIXES, Format

JSON = "application/json"
RDF_MEDIA_TYPES: tuple[str, ...] = (
    "text/turtle",
    "application/ld+json",
    "application/rdf+xml",
    "application/n-triples",
)


def parse_accept(header: str | None) -> list[tuple[str, float]]:
    """``(media range, q)`` pairs of an Accept header; malformed q-values count as 0."""
    ranges = []
    for part in (header or "").split(","):
        fields = [field.strip() for field in part.split(";")]
        media = fields[0].lower()
        if not media:
            continue
        q = 1.0
        for param in fields[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    q = 0.0
        ranges.append((media, q))
    return ranges


def _quality(offer: str, ranges: list[tuple[str, float]]) -> float:
    """The q of the most specific range matching ``offer`` (exact > type/* > */*)."""
    kind = offer.split("/")[0]
    best: tuple[int, float] | None = None
    for media, q in ranges:
        specificity = (
            2 if media == offer else 1 if media == f"{kind}/*" else 0 if media == "*/*" else -1
        )
        if specificity >= 0 and (best is None or specificity > best[0]):
            best = (specificity, q)
    return best[1] if best else 0.0


def choose(accept: str | None, offers: Sequence[str]) -> str | None:
    """The best of ``offers`` for ``accept`` (ties go to the earlier offer); the first offer
    when there is no Accept header; None when none is acceptable."""
    ranges = parse_accept(accept)
    if not ranges:
        return offers[0]
    scored = [(_quality(offer, ranges), -i, offer) for i, offer in enumerate(offers)]
    q, _, offer = max(scored)
    return offer if q > 0 else None


def not_acceptable(offers: Sequence[str]) -> Problem:
    return Problem(406, f"this resource is available as {', '.join(offers)}")


def rdf_format(accept: str | None, suffix: str | None, *, offers: Sequence[str]) -> Format | None:
    """The RDF format asked for by ``suffix`` (``ttl``, ``jsonld``, ``rdf``, ``nt``) or else
    by ``accept`` among ``offers``; None when the choice is a non-RDF offer (JSON)."""
    if suffix is not None:
        if suffix not in SUFFIXES:
            raise Problem(404, f"unknown format suffix .{suffix}; use .ttl, .jsonld, .rdf or .nt")
        return SUFFIXES[suffix]
    chosen = choose(accept, offers)
    if chosen is None:
        raise not_acceptable(offers)
    return FORMAT_BY_MEDIA_TYPE.get(chosen)
