"""GET /api/v1/datasets: filters, facet counts, sorting, cursors, highlights, bad parameters."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
import pytest

from harvester.store.datasets import dataset_id
from tests.api import corpus

URL = "/api/v1/datasets"


async def _get(client: httpx.AsyncClient, **params: Any) -> dict[str, Any]:
    response = await client.get(URL, params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def _ids(client: httpx.AsyncClient, **params: Any) -> set[str]:
    body = await _get(client, limit=100, **params)
    assert body["total"] == len(body["results"]) and body["total_exact"]
    return {hit["links"]["self"].rsplit("/", 1)[1] for hit in body["results"]}


def _uids(*remote_ids: str) -> set[str]:
    source = {
        item.raw.remote_id: corpus.record_of(item).provenance.source_id for item in corpus.SYNTHETIC
    }
    return {dataset_id(source[r], r) for r in remote_ids}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"publisher": "Ministère des Transports"}, {"bus"}),
        ({"partner_kind": "ministry"}, {"bus", "energie"}),
        ({"partner": "min"}, {"bus", "energie"}),
        ({"source": "min", "format": "csv"}, {"energie"}),
        ({"theme": "TRAN"}, {"velo", "bus"}),
        ({"keyword": "TRANSPORT"}, {"velo", "bus"}),
        ({"format": ["gtfs", "shp"]}, {"bus", "reseau"}),
        ({"licence": "CC-BY-4.0"}, {"velo", "energie"}),
        ({"license": "OGL-Canada-2.0"}, {"bus"}),
        ({"language": "eng"}, {"bus", "energie"}),
        ({"hvd_category": "c_dd313021"}, {"energie"}),
        ({"api": "true"}, {"bus"}),
        ({"modified_since": "2025-06-01", "modified_before": "2026-01-10"}, {"bus"}),
        ({"modified_since": "2026-01-10T00:00:00Z"}, {"velo"}),
        ({"temporal_start": "2020-06-01", "temporal_end": "2020-07-01"}, {"velo"}),
        ({"temporal_start": "2030-01-01"}, {"bus"}),
        ({"temporal_end": "2012-01-01"}, {"energie"}),
        ({"bbox": "-72,46,-71,47"}, {"velo"}),
        ({"bbox": "-80,40,-60,50"}, {"velo", "bus"}),
        ({"bbox": "0,0,10,10"}, set()),
        ({"q": "velo", "partner_kind": "ministry"}, {"energie"}),
    ],
)
async def test_each_filter(
    client: httpx.AsyncClient, params: dict[str, Any], expected: set[str]
) -> None:
    assert await _ids(client, **params) == _uids(*expected)


async def test_facet_counts_follow_the_query(client: httpx.AsyncClient) -> None:
    everything = await _get(client, facets="format,partner_kind,licence")
    assert set(everything["facets"]) == {"format", "partner_kind", "licence"}
    assert everything["total"] == len(corpus.SYNTHETIC)
    formats = {f["value"]: f["count"] for f in everything["facets"]["format"]}
    assert formats == {"JSON": 20, "CSV": 2, "GEOJSON": 1, "SHP": 1, "GTFS": 1}
    kinds = {f["value"]: f["count"] for f in everything["facets"]["partner_kind"]}
    assert kinds == {"municipality": len(corpus.VILLE), "ministry": 2}

    narrowed = await _get(client, q="transport", facets="format,keyword", facet_limit=2)
    assert {f["value"]: f["count"] for f in narrowed["facets"]["format"]} == {
        "CSV": 1,
        "GEOJSON": 1,
    }
    assert narrowed["facets"]["keyword"][0] == {"value": "transport", "count": 2}


async def test_default_facets_are_all_of_them(client: httpx.AsyncClient) -> None:
    body = await _get(client, limit=1)
    assert set(body["facets"]) >= {
        "publisher",
        "partner_kind",
        "source",
        "theme",
        "keyword",
        "format",
        "licence",
        "language",
        "hvd_category",
        "api",
    }
    assert {"value": "true", "count": 1} in body["facets"]["api"]
    assert (await _get(client, facets=""))["facets"] == {}


async def test_relevance_prefers_title_matches_then_well_described(
    client: httpx.AsyncClient,
) -> None:
    body = await _get(client, q="cyclable OR vélo")
    order = [hit["id"] for hit in body["results"]]
    # "velo" (title + rich description) before "reseau" (title, bare), before "energie"
    # (only its description mentions vélos).
    assert order == [
        dataset_id("ville", "velo"),
        dataset_id("ville", "reseau"),
        dataset_id("min", "energie"),
    ]
    assert body["sort"] == "relevance"


async def test_highlights_mark_matched_words(client: httpx.AsyncClient) -> None:
    body = await _get(client, q="cyclables")
    first = body["results"][0]
    assert first["highlights"]["title"] == "Pistes <mark>cyclables</mark>"
    assert "<mark>cyclable</mark>" in first["highlights"]["description"]
    assert first["highlights"]["description"].endswith("…")
    assert (await _get(client, limit=1))["results"][0]["highlights"] is None


async def test_sort_by_modified_and_title(client: httpx.AsyncClient) -> None:
    by_modified = [h["id"] for h in (await _get(client, sort="modified", limit=4))["results"]]
    assert by_modified == [dataset_id("ville", r) for r in ("velo",)] + [
        dataset_id("min", "bus"),
        dataset_id("ville", "reseau"),
        dataset_id("ville", "bibli"),
    ]
    titles = [h["title"]["fr"] for h in (await _get(client, sort="title", limit=100))["results"]]
    assert titles[:3] == [
        "Bibliothèques municipales",
        "Consommation d'énergie",
        "Horaires des autobus",
    ]
    assert titles == sorted(titles, key=lambda t: t.lower().replace("é", "e"))


@pytest.mark.parametrize("sort", ["relevance", "modified", "title"])
async def test_cursor_walks_everything_once(client: httpx.AsyncClient, sort: str) -> None:
    seen: list[str] = []
    url: str | None = f"{URL}?limit=4&sort={sort}"
    while url:
        body = (await client.get(url)).json()
        seen += [hit["id"] for hit in body["results"]]
        url = body["next"]
    assert len(seen) == len(set(seen)) == len(corpus.SYNTHETIC)


async def test_cursor_is_stable_while_harvests_write(
    database_url: str, client: httpx.AsyncClient
) -> None:
    first = await _get(client, sort="title", limit=5)
    before = [h["id"] for h in first["results"]]
    # A harvest adds datasets sorting before, inside and after the page boundary, and
    # rewrites one already served.
    await corpus.write(
        database_url,
        "ville",
        [
            corpus.record("aaa", {"fr": "Aaa premier"}),
            corpus.record("new-parc", {"fr": "Parc numéro 0 bis"}),
            corpus.record("zzz", {"fr": "Zzz dernier"}),
            corpus.record("bibli", {"fr": "Bibliothèques municipales"}, description="Mise à jour"),
        ],
    )
    seen, url = list(before), first["next"]
    while url:
        body = (await client.get(url)).json()
        seen += [hit["id"] for hit in body["results"]]
        url = body["next"]
    assert len(seen) == len(set(seen)), "no dataset served twice"
    original = {
        dataset_id(corpus.record_of(i).provenance.source_id, i.raw.remote_id)
        for i in corpus.SYNTHETIC
    }
    assert original <= set(seen), "no dataset that existed before is skipped"
    assert dataset_id("ville", "aaa") not in seen, "rows before the cursor stay behind it"
    assert dataset_id("ville", "zzz") in seen


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"facets": "format,colour"}, "facets"),
        ({"bbox": "1,2,3"}, "bbox"),
        ({"bbox": "10,0,5,1"}, "bbox"),
        ({"bbox": "a,b,c,d"}, "bbox"),
        ({"modified_since": "yesterday"}, "modified_since"),
        ({"temporal_start": "2020-13-45"}, "temporal_start"),
        ({"temporal_start": "2021-01-01", "temporal_end": "2020-01-01"}, "temporal_end"),
        ({"limit": 101}, "limit"),
        ({"limit": 0}, "limit"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": "eyJzIjoxfQ"}, "cursor"),
        ({"sort": "colour"}, "sort"),
        ({"partner_kind": "company"}, "partner_kind"),
        ({"api": "maybe"}, "api"),
        ({"facet_limit": 1000}, "facet_limit"),
    ],
)
async def test_bad_parameters_are_400_naming_them(
    client: httpx.AsyncClient, params: dict[str, Any], name: str
) -> None:
    response = await client.get(URL, params=params)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 400
    assert f"query.{name}" in body["detail"]
    assert [e["location"].split(".")[:2] for e in body["errors"]] == [["query", name]]


async def test_a_cursor_from_another_query_is_refused(client: httpx.AsyncClient) -> None:
    page = await _get(client, q="parc", limit=2)
    assert page["next_cursor"]
    other = await client.get(URL, params={"q": "bus", "cursor": page["next_cursor"]})
    assert other.status_code == 400 and "query.cursor" in other.json()["detail"]
    resorted = await client.get(
        URL, params={"q": "parc", "sort": "title", "cursor": page["next_cursor"]}
    )
    assert resorted.status_code == 400


def test_summary_record_reads_its_fields_as_the_whole_record() -> None:
    """Results validate only the fields they show: each as ``DatasetRecord`` validates it."""
    from api.schemas import SummaryRecord
    from catalog.model import DatasetRecord

    shown = set(SummaryRecord.model_fields) - {"distributions", "provenance"}
    for name in shown:
        light, whole = SummaryRecord.model_fields[name], DatasetRecord.model_fields[name]
        assert light.annotation == whole.annotation, name
        assert light.get_default(call_default_factory=True) == whole.get_default(
            call_default_factory=True
        )
    stored = {
        "identifier": "x",
        "title": {"fr": "Titre"},
        "keywords": {"fr": ["a", "b"]},
        "licence": {"id": "CC-BY-4.0", "uri": None, "title": None, "open": True},
        "modified": "2024-03-01T00:00:00Z",  # a date-time at midnight stays a date-time
        "landing_page": "https://example.org/page",
        "distributions": [{"format": "CSV", "byte_size": 3}, {"format": None}, {"title": {}}],
        "provenance": {"source_id": "s", "remote_id": "r", "platform": "ckan"},
    }
    light_record = SummaryRecord.model_validate(stored)
    whole_record = DatasetRecord.model_validate(stored)
    assert isinstance(light_record.modified, datetime)
    for name in shown:
        assert getattr(light_record, name) == getattr(whole_record, name), name
    assert [d.format for d in light_record.distributions] == [
        d.format for d in whole_record.distributions
    ]
    assert light_record.provenance.original_url == whole_record.provenance.original_url


@pytest.mark.parametrize(
    "params",
    [
        {"q": "cyclables"},
        {"q": "cyclable OR vélo", "facets": "format,licence"},
        {"limit": 2},
        {"sort": "title", "limit": 1, "format": "csv"},
        {"q": "zzzz-nothing"},
    ],
)
async def test_a_page_is_the_documented_model(
    client: httpx.AsyncClient, params: dict[str, Any]
) -> None:
    """The page is written as plain JSON (``api.search_page``): it reads back through the
    response model that documents it, every field present and unchanged."""
    from api.schemas import DatasetSearchPage

    response = await client.get(URL, params=params)
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    assert response.headers["etag"] and response.headers["cache-control"]
    body = response.json()
    assert DatasetSearchPage.model_validate_json(response.content).model_dump(mode="json") == body
    assert (body["next"] is None) == (body["next_cursor"] is None)


def test_a_results_record_fields_are_written_as_the_model_writes_them() -> None:
    from api.schemas import DatasetSummary
    from api.search_page import record_fields

    stored: dict[str, Any] = {
        "title": {"fr": "Titre", "en": "Title"},
        "licence": {"id": "CC-BY-4.0", "open": True},
        "distributions": [{"format": "SHP"}, {"format": "CSV"}, {"format": "CSV"}, {}],
        "provenance": {"source_id": "s", "remote_id": "r", "platform": "ckan"},
        "landing_page": "https://example.org/page",
    }
    for modified in ("2024-03-01", "2024-03-01T10:20:30Z", "2024-03-01T10:20:30.5+02:00", None):
        fields = record_fields({**stored, "modified": modified})
        assert fields["formats"] == ["CSV", "SHP"] and fields["original"] == stored["landing_page"]
        model = DatasetSummary(
            id="x",
            publisher=None,
            source="s",
            links={"self": "s"},
            **{k: v for k, v in fields.items() if k != "original"},
        )
        assert model.model_dump(mode="json")["modified"] == fields["modified"], modified
        assert model.model_dump(mode="json")["licence"] == fields["licence"]


async def test_a_results_record_fields_are_kept_with_the_record(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from api import search_page
    from harvester.search import record_cache

    made: list[str] = []
    record_fields = search_page.record_fields

    def spy(record: dict[str, Any]) -> dict[str, Any]:
        made.append(record["title"]["fr"])
        return record_fields(record)

    monkeypatch.setattr(search_page, "record_fields", spy)
    record_cache.clear()
    first = await _get(client, q="cyclables")
    assert made and len(made) == len(first["results"])
    assert await _get(client, q="cyclables") == first
    assert len(made) == len(first["results"]), "the second page reuses the kept fields"
    monkeypatch.setattr(record_cache, "SIZE", 0)
    record_cache.clear()
    await _get(client, q="cyclables")
    await _get(client, q="cyclables")
    assert len(made) == 3 * len(first["results"]), "nothing kept: made on every page"


async def test_texts_are_prepared_for_highlighting_once_per_kept_record(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Folding a text and telling whether it needs escaping do not depend on the query:
    made once per kept record, the next queries' highlights reuse them."""
    from api import search_page
    from harvester.search import record_cache

    prepared: list[str] = []
    prepare = search_page.prepare

    def spy(text: str) -> Any:
        prepared.append(text)
        return prepare(text)

    monkeypatch.setattr(search_page, "prepare", spy)
    record_cache.clear()
    first = await _get(client, q="cyclables")
    assert any(result["highlights"] for result in first["results"])
    made = len(prepared)
    assert made >= 2 * len(first["results"])  # a title and a description at least
    assert await _get(client, q="pistes cyclables") != first  # other highlights...
    assert await _get(client, q="cyclables") == first
    assert len(prepared) == made  # ...from the same prepared texts


async def test_kept_links_follow_the_base_url_asked_with(client: httpx.AsyncClient) -> None:
    """A result's links are kept with its record, for the base URL they were built on: a
    request through another host name gets its own."""
    first = await _get(client, q="cyclables")
    other = (await client.get(URL, params={"q": "cyclables"}, headers={"Host": "x.example"})).json()
    again = await _get(client, q="cyclables")
    assert first == again and first["results"]
    for mine, theirs in zip(first["results"], other["results"], strict=True):
        assert mine["links"]["self"].startswith("http://testserver/api/v1/datasets/")
        assert theirs["links"]["self"] == mine["links"]["self"].replace(
            "http://testserver", "http://x.example"
        )
        assert theirs["links"]["dcat"]["turtle"].startswith("http://x.example/datasets/")


def test_the_query_string_is_read_as_fastapi_reads_parameters() -> None:
    """Repeated values for list parameters, the last one for the others, unknown ones
    ignored, values converted by type; a bad one is a validation error at its place."""
    from fastapi import Request
    from fastapi.exceptions import RequestValidationError

    from api.search_params import SearchQuery, read_query

    def read(query_string: str) -> SearchQuery:
        scope = {"type": "http", "query_string": query_string.encode(), "headers": []}
        return read_query(Request(scope), SearchQuery)

    query = read("format=CSV&format=shp&q=a&q=b&limit=5&api=yes&partner_kind=ministry&_=1")
    assert query.format == ["CSV", "shp"] and query.q == "b" and query.limit == 5
    assert query.api is True and [str(k) for k in query.partner_kind or []] == ["ministry"]
    assert read("").model_dump() == SearchQuery().model_dump()
    with pytest.raises(RequestValidationError) as raised:
        read("partner_kind=ministry&partner_kind=company&limit=0")
    assert sorted(tuple(e["loc"]) for e in raised.value.errors()) == [
        ("query", "limit"),
        ("query", "partner_kind", 1),
    ]


async def test_openapi_documents_the_search_and_catalogue_parameters(
    client: httpx.AsyncClient,
) -> None:
    from api.search_params import FilterQuery, SearchQuery

    spec = (await client.get("/openapi.json")).json()
    search = spec["paths"]["/api/v1/datasets"]["get"]["parameters"]
    names = [p["name"] for p in search]
    assert names[:6] == ["q", "sort", "limit", "cursor", "facets", "facet_limit"]
    assert sorted(names) == sorted(SearchQuery.model_fields)
    assert all(p["in"] == "query" and not p["required"] for p in search)
    kinds = next(p for p in search if p["name"] == "partner_kind")["schema"]["anyOf"][0]
    assert kinds["type"] == "array" and "ministry" in kinds["items"]["enum"]
    limit = next(p for p in search if p["name"] == "limit")["schema"]
    assert (limit["minimum"], limit["maximum"], limit["default"]) == (1, 100, 20)
    catalogue = spec["paths"]["/catalog"]["get"]["parameters"]
    assert set(FilterQuery.model_fields) | {"q", "limit", "cursor"} == {
        p["name"] for p in catalogue
    }
    assert len(catalogue) == len({p["name"] for p in catalogue}), "each parameter once"
