"""JSON-LD parsing that never loads a remote ``@context`` (DESIGN §9).

rdflib's JSON-LD parser fetches any ``@context`` given as a URL, ``http://`` and ``file://``
alike. Here every reference (top level, embedded in nodes, scoped in term definitions,
``@import``) is first replaced by a local copy from :data:`KNOWN_CONTEXTS` plus the caller's
``contexts``; an unknown one is refused with SourceProtocolError naming it, since guessing
the terms would silently map nothing. rdflib then runs with a context whose fetcher raises,
as a second line of defence.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import orjson
from rdflib import ConjunctiveGraph, Graph
from rdflib.plugins.parsers.jsonld import Parser as JsonLdParser
from rdflib.plugins.shared.jsonld.context import Context

from connectors.errors import SourceProtocolError

MAX_CONTEXT_DEPTH = 8

_SCHEMA_ORG = {"@vocab": "http://schema.org/", "id": "@id", "type": "@type"}
KNOWN_CONTEXTS: dict[str, dict[str, Any]] = {
    "http://schema.org": _SCHEMA_ORG,
    "http://schema.org/": _SCHEMA_ORG,
    "https://schema.org": _SCHEMA_ORG,
    "https://schema.org/": _SCHEMA_ORG,
}
"""Remote ``@context`` URL → the local context used instead (never fetched). schema.org's
published context maps every term under ``@vocab``; this is its compact equivalent."""


class _NoFetchContext(Context):
    """An rdflib JSON-LD context that never loads a remote document (defence in depth:
    :func:`resolve_contexts` has already replaced every reference)."""

    def _fetch_context(self, source: str, base: str | None, referenced_contexts: set[str]) -> Any:
        raise SourceProtocolError(f"remote JSON-LD @context {source} is not loaded")


def _local_context(url: str, known: Mapping[str, Any], what: str) -> Any:
    found = known.get(url.strip())
    if found is None:
        raise SourceProtocolError(
            f"{what} uses the remote JSON-LD @context {url}, which Moisson never fetches; "
            "inline the context or publish Turtle / RDF/XML",
            detail=f"known contexts: {', '.join(sorted(known))}",
        )
    return found.get("@context", found) if isinstance(found, dict) else found


def _resolve_context(value: Any, known: Mapping[str, Any], what: str, depth: int) -> Any:
    if depth > MAX_CONTEXT_DEPTH:
        raise SourceProtocolError(f"{what} nests JSON-LD contexts too deeply")
    if isinstance(value, str):
        return _resolve_context(_local_context(value, known, what), known, what, depth + 1)
    if isinstance(value, list):
        return [_resolve_context(item, known, what, depth + 1) for item in value]
    if isinstance(value, dict):
        resolved = {k: resolve_contexts(v, known, what, depth + 1) for k, v in value.items()}
        imported = resolved.pop("@import", None)
        if isinstance(imported, str):
            base = _resolve_context(imported, known, what, depth + 1)
            if isinstance(base, dict):
                resolved = {**base, **resolved}
        return resolved
    return value


def resolve_contexts(
    node: Any, known: Mapping[str, Any], what: str = "document", depth: int = 0
) -> Any:
    """``node`` with every ``@context`` reference (at any depth) replaced by its local copy
    from ``known``; an unknown one raises SourceProtocolError."""
    if depth > 10_000:
        raise SourceProtocolError(f"{what} is nested too deeply")
    if isinstance(node, list):
        return [resolve_contexts(item, known, what, depth + 1) for item in node]
    if isinstance(node, dict):
        return {
            key: (
                _resolve_context(value, known, what, 0)
                if key == "@context"
                else resolve_contexts(value, known, what, depth + 1)
            )
            for key, value in node.items()
        }
    return node


def parse_jsonld(
    data: bytes, graph: Graph, base: str, what: str, contexts: Mapping[str, Any] | None
) -> None:
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError as error:
        raise SourceProtocolError(
            f"{what} is not valid JSON-LD: {error.msg} at position {error.pos}",
            detail=repr(error),
        ) from None
    known = {**KNOWN_CONTEXTS, **(contexts or {})}
    document = resolve_contexts(document, known, what)
    sink = Graph()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # rdflib's ConjunctiveGraph
            dataset = ConjunctiveGraph(store=sink.store, identifier=sink.identifier)
            JsonLdParser().parse(document, _NoFetchContext(base=base), dataset)
            for s, p, o, _ in dataset.quads((None, None, None, None)):
                graph.add((s, p, o))
    except SourceProtocolError:
        raise
    except Exception as error:  # rdflib's JSON-LD errors are plain exceptions
        raise SourceProtocolError(
            f"{what} is not valid JSON-LD: {error}", detail=repr(error)
        ) from None
