"""ArcGIS Hub sites: recorded data.json feeds, documentation-based DCAT-AP feeds, probe."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from catalog.vocab import normalize_licence
from connectors import http
from connectors.arcgis import ArcgisConnector, payload_kind
from connectors.arcgis_hub import feed_candidates, hub_site, is_hub_dataset, repaired
from connectors.base import RawRecord, SourceSpec
from connectors.dcat_us_text import plain_text
from connectors.errors import RecordInvalid, SourceProtocolError, SourceUnavailable
from tests.connectors.arcgis_samples import DCAT_AP_201_FEED, DCAT_AP_300_FEED, SITE, feed
from tests.connectors.broken_bodies import BrokenOff
from tests.paths import fixture

DATA_JSON = [
    "hub_datajson_actmapi_bushfire_html-license.json",
    "hub_datajson_actmapi_sportsfield.json",
    "hub_datajson_ville-evian.json",
    "opendata_datajson_apur-cassini.json",
]
HTML_PAGE = "<!DOCTYPE html><html><head><title>ArcGIS Hub</title></head><body></body></html>"


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    async def instant(seconds: float) -> None:
        return None

    monkeypatch.setattr(http, "sleep", instant)


def raw_bytes(name: str) -> bytes:
    return fixture("arcgis", name).read_bytes()


def load(name: str) -> Any:
    return json.loads(raw_bytes(name))


class HubSite:
    """A Hub site serving some feeds; other paths get Hub's HTML page (status 200)."""

    def __init__(self, feeds: dict[str, bytes | int]) -> None:
        self.feeds = feeds
        self.paths: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        body = self.feeds.get(request.url.path)
        if isinstance(body, int):
            return httpx.Response(body, text="unavailable")
        if body is None:
            return httpx.Response(200, text=HTML_PAGE, headers={"content-type": "text/html"})
        return httpx.Response(200, content=body, headers={"content-type": "application/json"})


def connector(site: HubSite, **options: Any) -> ArcgisConnector:
    spec = SourceSpec(id="hub", url=SITE, platform="arcgis", options=options)
    return ArcgisConnector(spec, httpx.AsyncClient(transport=httpx.MockTransport(site)))


async def collect(c: ArcgisConnector) -> list[RawRecord]:
    return [raw async for raw in c.fetch()]


def test_feed_urls() -> None:
    assert hub_site(f"{SITE}/api/feed/dcat-ap/3.0.0.json") == SITE
    assert [u for _, u in feed_candidates(SITE)] == [
        f"{SITE}/api/feed/dcat-ap/3.0.0.json",
        f"{SITE}/api/feed/dcat-ap/2.1.1.json",
        f"{SITE}/api/feed/dcat-ap/2.0.1.json",
        f"{SITE}/api/feed/dcat-us/1.1.json",
        f"{SITE}/data.json",
    ]
    assert [k for k, _ in feed_candidates(SITE, "data.json")] == ["data.json", "data.json"]
    assert feed_candidates(f"{SITE}/api/feed/dcat-ap/2.0.1.json") == [
        ("dcat-ap", f"{SITE}/api/feed/dcat-ap/2.0.1.json")
    ]


@pytest.mark.parametrize("name", DATA_JSON)
async def test_data_json_feeds_map(name: str) -> None:
    site = HubSite({"/data.json": raw_bytes(name)})
    c = connector(site, feed="data.json")
    raws = await collect(c)
    datasets = load(name)["dataset"]
    assert [r.remote_id for r in raws] == [d["identifier"] for d in datasets]
    assert c.stats.complete is True and c.feed_url == f"{SITE}/data.json"
    assert site.paths == ["/api/feed/dcat-us/1.1.json", "/data.json"]  # HTML page skipped
    for raw, dataset in zip(raws, datasets, strict=True):
        assert payload_kind(raw) == "dcat-us"
        record = c.normalize(raw)
        assert record.provenance.platform == "arcgis"
        assert next(iter(record.title.values())) == dataset["title"].strip()
        assert record.landing_page == dataset.get("landingPage")
        assert record.publisher is not None
        assert next(iter(record.publisher.name.values())) == dataset["publisher"]["name"].strip()
        if dataset.get("description"):
            assert next(iter(record.description.values())) == plain_text(dataset["description"])
        services = [d for d in record.distributions if d.api_access]
        rest = [
            d["accessURL"]
            for d in dataset["distribution"]
            if d.get("format") in ("Esri REST", "ArcGIS GeoServices REST API")
        ]
        assert [d.endpoint_url for d in services] == rest
        assert is_hub_dataset(dataset)


def test_html_licences_of_hub_feeds() -> None:
    evian = load("hub_datajson_ville-evian.json")["dataset"][0]
    bushfire = load("hub_datajson_actmapi_bushfire_html-license.json")["dataset"][0]
    c = ArcgisConnector(SourceSpec(id="h", url=SITE, platform="arcgis"), httpx.AsyncClient())
    for dataset, expected in ((evian, "etalab-2.0"), (bushfire, "CC-BY-4.0")):
        assert "<" in dataset["license"]
        record = c.normalize(RawRecord(dataset["identifier"], dataset, _now()))
        direct = normalize_licence(dataset["license"])
        assert record.licence is not None and direct is not None
        assert record.licence.id == direct.id == expected


def _now() -> datetime:
    return datetime.now(UTC)


async def test_dcat_ap_3_feed_preferred() -> None:
    site = HubSite(
        {
            "/api/feed/dcat-ap/3.0.0.json": json.dumps(DCAT_AP_300_FEED).encode(),
            "/api/feed/dcat-ap/2.0.1.json": json.dumps(DCAT_AP_201_FEED).encode(),
            "/data.json": raw_bytes("hub_datajson_ville-evian.json"),
        }
    )
    c = connector(site)
    raws = await collect(c)
    assert site.paths == ["/api/feed/dcat-ap/3.0.0.json"]
    [dataset] = DCAT_AP_300_FEED["dcat:dataset"]
    assert [r.remote_id for r in raws] == [dataset["dct:identifier"]]
    assert c.stats.complete and c.stats.cursor["feed"] == f"{SITE}/api/feed/dcat-ap/3.0.0.json"
    record = c.normalize(raws[0])
    assert payload_kind(raws[0]) == "dcat-ap"
    assert record.title == {"": dataset["dct:title"]}  # read through the repaired dct: prefix
    assert record.landing_page == dataset["dcat:landingPage"]
    assert sorted(record.keywords[""]) == sorted(dataset["dcat:keyword"])
    assert record.modified is not None and record.modified.isoformat().startswith("2024-02-01")
    assert record.contact_points[0].email == "sig@ville-exemple.fr"
    service = dataset["dcat:distribution"][2]["dcat:endpointURL"]["@id"]
    api = [d for d in record.distributions if d.api_access]
    assert [d.endpoint_url for d in api] == [service]
    csv = next(d for d in record.distributions if d.file_type == "CSV")
    assert csv.download_url == dataset["dcat:distribution"][1]["dcat:downloadURL"]["@id"]


async def test_older_dcat_ap_feed_when_3_is_missing() -> None:
    site = HubSite({"/api/feed/dcat-ap/2.0.1.json": json.dumps(DCAT_AP_201_FEED).encode()})
    c = connector(site, feed="dcat-ap")
    raws = await collect(c)
    assert c.stats.cursor["feed"].endswith("/dcat-ap/2.0.1.json")
    assert len(c.stats.cursor["feeds_tried"]) == 2
    datasets = DCAT_AP_201_FEED["dcat:dataset"]
    records = [c.normalize(r) for r in raws]
    assert [r.identifier for r in records] == [d["dct:identifier"] for d in datasets]
    first = records[0]
    assert first.title == {"fr": datasets[0]["dct:title"]}  # lang:FRA tags the text
    assert first.language == ["FRA"]
    accessed = {d.access_url for d in first.distributions}
    assert accessed == {d["dcat:accessUrl"] for d in datasets[0]["dcat:distribution"]}
    services = [d for d in first.distributions if "FeatureServer" in (d.access_url or "")]
    assert [(d.api_access, d.endpoint_url) for d in services] == [(True, services[0].access_url)]
    assert records[1].distributions == []


def test_repairs_are_targeted() -> None:
    fixed = repaired({"@context": DCAT_AP_300_FEED["@context"], "dct:title": "x"})
    assert fixed["@context"]["dct"] == "http://purl.org/dc/terms/"
    assert "dct" not in DCAT_AP_300_FEED["@context"]  # the sample is untouched
    kept = repaired({"@context": {"dct": "urn:mine:"}, "dct:title": "x"})
    assert kept["@context"]["dct"] == "urn:mine:"


async def test_unavailable_feed_fails_instead_of_falling_back() -> None:
    site = HubSite({"/api/feed/dcat-ap/3.0.0.json": 503, "/data.json": b'{"dataset": []}'})
    c = connector(site)
    with pytest.raises(SourceUnavailable, match="503"):
        await collect(c)
    assert c.stats.complete is False
    assert "/data.json" not in site.paths


async def test_no_feed_at_all() -> None:
    c = connector(HubSite({}))
    with pytest.raises(SourceProtocolError, match=f"no ArcGIS Hub feed answered under {SITE}") as e:
        await collect(c)
    assert e.value.detail is not None and e.value.detail.count("returned HTML") == 5


async def test_truncated_data_json_is_incomplete() -> None:
    body = raw_bytes("opendata_datajson_apur-cassini.json")
    c = connector(HubSite({"/data.json": body[: len(body) // 2]}), feed="data.json")
    raws: list[RawRecord] = []
    with pytest.raises(SourceProtocolError, match="truncated"):
        async for raw in c.fetch():
            raws.append(raw)
    assert 0 < len(raws) < len(load("opendata_datajson_apur-cassini.json")["dataset"])
    assert c.stats.complete is False


async def test_a_data_json_feed_that_breaks_off_is_read_again() -> None:
    """The recorded data.json of a Hub site, cut midway once: read again from its start,
    every dataset once, the listing complete."""
    body = raw_bytes("opendata_datajson_apur-cassini.json")
    answers = [httpx.Response(200, stream=BrokenOff(body)), httpx.Response(200, content=body)]

    def once_broken(request: httpx.Request) -> httpx.Response:
        return answers.pop(0)

    spec = SourceSpec(id="hub", url=SITE, platform="arcgis", options={"feed": "data.json"})
    c = ArcgisConnector(spec, httpx.AsyncClient(transport=httpx.MockTransport(once_broken)))
    raws = await collect(c)
    expected = [d["identifier"] for d in load("opendata_datajson_apur-cassini.json")["dataset"]]
    assert [raw.remote_id for raw in raws] == expected
    assert c.stats.complete and c.stats.cursor["restarts"] == 1 and not answers


def test_bad_dcat_ap_entries() -> None:
    c = ArcgisConnector(SourceSpec(id="h", url=SITE, platform="arcgis"), httpx.AsyncClient())
    remote = {"@context": "https://example.org/context.jsonld", "@type": "dcat:Dataset"}
    with pytest.raises(RecordInvalid, match="cannot be read"):
        c.normalize(RawRecord("x", remote, _now(), "application/ld+json"))
    context = DCAT_AP_201_FEED["@context"]
    not_dataset = {"@context": context, "@type": "dcat:Catalog", "dct:title": "x"}
    with pytest.raises(RecordInvalid, match="is no dataset"):
        c.normalize(RawRecord("x", not_dataset, _now(), "application/ld+json"))


async def test_probe_recognises_a_hub_data_json() -> None:
    name = "hub_datajson_ville-evian.json"
    client = httpx.AsyncClient(
        transport=httpx.MockTransport(HubSite({"/data.json": raw_bytes(name)}))
    )
    found = await ArcgisConnector.probe(SITE, client)
    assert found is not None
    assert (found.platform, found.api_url) == ("arcgis", SITE)
    assert found.dataset_count == len(load(name)["dataset"])
    assert found.notes[0] == "ArcGIS Hub"


async def test_probe_ignores_a_plain_data_json() -> None:
    plain = feed(load("hub_datajson_actmapi_sportsfield.json"))
    for dataset in plain["dataset"]:
        dataset["identifier"] = dataset["landingPage"] = "https://example.org/d/1"
        dataset["distribution"] = [{"title": "CSV", "format": "CSV"}]
    client = httpx.AsyncClient(
        transport=httpx.MockTransport(HubSite({"/data.json": json.dumps(plain).encode()}))
    )
    assert await ArcgisConnector.probe(SITE, client) is None
