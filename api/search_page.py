"""The JSON of a search page, built as plain data and written by orjson.

Built as the response models (``DatasetSearchPage``, which still documents it in OpenAPI),
a page of 20 results cost ~1.2 ms of a ~6 ms call on the benchmark's catalogue: each
record validated as ``SummaryRecord`` and its result built as ``DatasetSummary`` on every
call, then the page validated and serialized again by FastAPI. Here the fields a result
takes from its record alone are computed once per stored record and kept with it
(``SummaryRow.derived``, shared through the record cache); a call adds the links, the
highlights and the page around them. Tests check that a page reads back through
``DatasetSearchPage`` unchanged.
"""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import TypeAdapter

from api.schemas import SummaryRecord, links, original_link
from catalog.model import Moment
from harvester.search.engine import SearchResult, SummaryRow
from harvester.search.highlight import PreparedText, Stems, highlight, prepare

_MODIFIED: TypeAdapter[Moment | None] = TypeAdapter(Moment | None)
"""``DatasetSummary.modified``'s type: its JSON is written as that field's."""


def record_fields(record: dict[str, Any]) -> dict[str, Any]:
    """A result's fields that depend on its stored record alone, as JSON values
    (validated as ``DatasetRecord`` validates them)."""
    summary = SummaryRecord.model_validate(record)
    licence = summary.licence
    return {
        "title": summary.title,
        "description": summary.description,
        "keywords": summary.keywords,
        "licence": None if licence is None else licence.model_dump(mode="json", by_alias=True),
        "formats": sorted({d.format for d in summary.distributions if d.format}),
        "modified": _MODIFIED.dump_python(summary.modified, mode="json"),
        "original": original_link(summary),
    }


def _kept_fields(row: SummaryRow) -> dict[str, Any]:
    fields = row.derived.get("summary")
    if fields is None:
        fields = row.derived["summary"] = record_fields(row.record)
    return fields


def _prepared_texts(row: SummaryRow) -> dict[str, list[PreparedText]]:
    """The title's and description's texts made ready for highlighting, kept with the
    record like its fields."""
    texts = row.derived.get("highlighted")
    if texts is None:
        fields = _kept_fields(row)
        texts = row.derived["highlighted"] = {
            name: [prepare(text) for text in fields[name].values()]
            for name in ("title", "description")
        }
    return texts


def highlights(row: SummaryRow, stems: Stems | None) -> dict[str, str | None] | None:
    """Matched words of the title and description, or None when neither matched."""
    if stems is None:
        return None
    texts = _prepared_texts(row)
    title = description = None
    for text in texts["title"]:  # the first language that matches
        if title := highlight(text, stems):
            break
    for text in texts["description"]:
        if description := highlight(text, stems, max_words=30):
            break
    return {"title": title, "description": description} if title or description else None


def _kept_links(row: SummaryRow, fields: dict[str, Any], base: str) -> dict[str, Any]:
    """The result's links, kept with the record for the base URL they were built on."""
    kept = row.derived.get("links")
    if kept is None or kept[0] != base:
        kept = row.derived["links"] = (base, links(row.id, fields["original"], base))
    return kept[1]


def search_result(row: SummaryRow, base: str, stems: Stems | None) -> dict[str, Any]:
    """One result (``DatasetSummary``'s JSON)."""
    fields = _kept_fields(row)
    return {
        "id": row.id,
        "title": fields["title"],
        "description": fields["description"],
        "publisher": row.publisher_name,
        "keywords": fields["keywords"],
        "licence": fields["licence"],
        "formats": fields["formats"],
        "modified": fields["modified"],
        "source": row.source_id,
        "links": _kept_links(row, fields, base),
        "highlights": highlights(row, stems),
    }


def search_page(
    result: SearchResult[SummaryRow],
    *,
    limit: int,
    base: str,
    stems: Stems | None,
    next_url: str | None,
) -> bytes:
    """The page's JSON (``DatasetSearchPage``'s)."""
    page = {
        "total": result.total,
        "total_exact": result.total_exact,
        "limit": limit,
        "sort": "modified" if result.sort == "pk" else result.sort,
        "results": [search_result(row, base, stems) for row in result.datasets],
        "facets": {
            name: [{"value": value, "count": count} for value, count in values]
            for name, values in result.facets.items()
        },
        "facets_exact": result.facets_exact,
        "next_cursor": result.next_cursor,
        "next": next_url,
    }
    return orjson.dumps(page)
