"""normalize_dcat_us over every recorded DCAT-US data.json (dcat-us/, Socrata, ArcGIS)."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from catalog.model import PartnerKind
from catalog.vocab import frequency_code, normalize_licence
from connectors.base import SourceSpec
from connectors.dcat_us_extent import MAX_LABEL, spatial, temporal
from connectors.dcat_us_mapping import (
    normalize_dcat_us,
    part_of,
    publisher_chain,
    remote_id,
)
from connectors.dcat_us_text import plain_text
from connectors.errors import RecordInvalid
from tests.paths import FIXTURES, fixture

SOURCE = SourceSpec(id="src", url="https://data.example.gov", platform="dcat_us")
CATALOG = "https://data.example.gov/data.json"
AT = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
ACCESS = {"public": "PUBLIC", "restricted public": "RESTRICTED", "non-public": "NON_PUBLIC"}

CATALOGS = [
    ("dcat-us", "arm_data.json"),
    ("dcat-us", "bad_large-spatial_data.json"),
    ("dcat-us", "bad_oakland-county-hub_license-html.json"),
    ("dcat-us", "bad_philadelphia_data_null-modified.json"),
    ("dcat-us", "cfpb_data.json"),
    ("dcat-us", "cftc_data.json"),
    ("dcat-us", "collection_isPartOf_data.json"),
    ("dcat-us", "dcatus3_example_catalog.json"),
    ("dcat-us", "usda_data.json"),
    ("dcat-us", "usgs_long_description_data.json"),
    ("socrata", "datajson_data-ny-gov_excerpt.json"),
    ("arcgis", "hub_datajson_actmapi_bushfire_html-license.json"),
    ("arcgis", "hub_datajson_actmapi_sportsfield.json"),
    ("arcgis", "hub_datajson_ville-evian.json"),
    ("arcgis", "opendata_datajson_apur-cassini.json"),
]
SINGLE = ("socrata", "datajson_data-wa-gov_dataset_f6w7-q2d2.json")


def datasets(platform: str, name: str) -> list[dict[str, Any]]:
    body = json.loads(fixture(platform, name).read_text())
    return body.get("dataset", [body])


def normalize(dataset: dict[str, Any], **kwargs: Any):
    return normalize_dcat_us(dataset, SOURCE, catalog_url=CATALOG, fetched_at=AT, **kwargs)


def one(name: str, index: int = 0, platform: str = "dcat-us") -> dict[str, Any]:
    return datasets(platform, name)[index]


def test_every_fixture_is_used_by_a_test() -> None:
    here = Path(__file__).parent
    text = "".join(
        (here / name).read_text() for name in ("test_dcat_us_mapping.py", "test_dcat_us_fetch.py")
    )
    names = sorted(p.name for p in (FIXTURES / "dcat-us").iterdir() if p.suffix == ".json")
    names += [p.name for p in (FIXTURES / "socrata").glob("datajson_*.json")]
    names += [p.name for p in (FIXTURES / "arcgis").glob("*datajson_*.json")]
    assert len(names) >= 20
    assert [name for name in names if f'"{name}"' not in text] == []


def _email(value: str | None) -> str | None:
    return value.strip().removeprefix("mailto:") if value and "@" in value else None


def _has_url(item: dict[str, Any]) -> bool:
    # Philadelphia has an accessURL "hhttps://…": no URL at all, so no distribution
    return any(re.match(r"https?://", item.get(k) or "") for k in ("accessURL", "downloadURL"))


def _check_distributions(dataset: dict[str, Any], record: Any) -> None:
    items = [d for d in dataset.get("distribution") or [] if _has_url(d)]
    mapped = record.distributions[: len(items)]
    assert len(mapped) == len(items)
    for item, dist in zip(items, mapped, strict=True):
        assert dist.download_url == item.get("downloadURL")
        assert dist.access_url == (item.get("accessURL") or item.get("downloadURL"))
        assert dist.licence == record.licence  # DCAT-US 1.1: the dataset licence
        if item.get("title"):
            assert dist.title == {next(iter(record.title)): plain_text(item["title"])}
        if item.get("describedBy"):
            assert item["describedBy"] in dist.conforms_to
        if (item.get("format") or "").upper() == "API":
            assert dist.api_access and dist.endpoint_url == dist.access_url


@pytest.mark.parametrize(("platform", "name"), [*CATALOGS, SINGLE])
def test_every_recorded_dataset_maps_every_field(platform: str, name: str) -> None:
    found = datasets(platform, name)
    assert found
    for dataset in found:
        record = normalize(dataset)
        lang = next(iter(record.title))
        assert record.title == {lang: plain_text(dataset["title"])}
        assert record.provenance.remote_id == remote_id(dataset)
        assert record.provenance.platform == "dcat_us"
        assert record.provenance.api_url == CATALOG
        assert record.provenance.harvested_at == AT
        assert record.landing_page == dataset.get("landingPage")
        if isinstance(dataset.get("identifier"), str):
            assert record.identifier == dataset["identifier"]
        if dataset.get("description"):
            assert record.description[lang] == plain_text(dataset["description"])
            assert "<" not in record.description[lang] or "<" in dataset["description"]
        if dataset.get("keyword"):
            assert record.keywords[lang] == list(dict.fromkeys(dataset["keyword"]))
        assert record.themes == list(dict.fromkeys(dataset.get("theme") or []))
        if dataset.get("accessLevel"):
            assert record.access_rights == ACCESS[dataset["accessLevel"]]
        contact = dataset.get("contactPoint") or {}
        if contact:
            assert record.contact_points[0].name == ((contact.get("fn") or "").strip() or None)
            assert record.contact_points[0].email == _email(contact.get("hasEmail"))
        names = publisher_chain(dataset)
        assert record.publisher is not None
        assert record.publisher.name == {lang: names[0]}
        if dataset.get("accrualPeriodicity"):
            assert record.accrual_periodicity == frequency_code(dataset["accrualPeriodicity"])
        _check_distributions(dataset, record)


def test_pod_access_levels_and_frequencies() -> None:
    base = one("cfpb_data.json")
    for level, code in ACCESS.items():
        assert normalize({**base, "accessLevel": level}).access_rights == code
    assert normalize(one("cfpb_data.json", 0)).accrual_periodicity == "DAILY"  # R/P1D
    assert normalize(one("cfpb_data.json", 1)).accrual_periodicity == "ANNUAL"  # R/P1Y


def test_cfpb_temporal_documentation_and_api() -> None:
    dataset = one("cfpb_data.json", 1)
    record = normalize(dataset)
    start, end = dataset["temporal"].split("/")
    assert record.temporal[0].start == datetime.fromisoformat(start)
    assert record.temporal[0].end == datetime.fromisoformat(end)
    assert record.documentation == [dataset["describedBy"]]
    api = [d for d in record.distributions if d.api_access]
    assert [d.endpoint_url for d in api] == [
        d["accessURL"] for d in dataset["distribution"] if d.get("format") == "API"
    ]
    assert record.spatial[0].label == {"": dataset["spatial"]}


def test_duration_or_null_modified_is_no_date_but_a_frequency() -> None:
    for dataset in datasets("dcat-us", "cftc_data.json"):
        record = normalize(dataset)
        if dataset["modified"].startswith("R/"):
            assert record.modified is None
            assert record.accrual_periodicity == frequency_code(dataset["modified"])
        else:
            assert record.modified == date.fromisoformat(dataset["modified"])
    philadelphia = datasets("dcat-us", "bad_philadelphia_data_null-modified.json")
    nulls = [d for d in philadelphia if d.get("modified") is None]
    assert nulls
    for dataset in nulls:
        record = normalize(dataset)
        assert record.modified is None and record.accrual_periodicity is None


def test_publisher_chain_and_unknown_licence() -> None:
    dataset = one("arm_data.json")
    assert publisher_chain(dataset) == [
        dataset["publisher"]["name"],
        dataset["publisher"]["subOrganizationOf"]["name"],
        dataset["publisher"]["subOrganizationOf"]["subOrganizationOf"]["name"],
        dataset["publisher"]["subOrganizationOf"]["subOrganizationOf"]["subOrganizationOf"]["name"],
    ]
    record = normalize(dataset)
    assert dataset["license"].endswith("/unknown-license")
    assert record.licence is None
    assert record.distributions[0].file_type == "NETCDF"  # "cdf"
    usgs = one("usgs_long_description_data.json")
    assert normalize(usgs).publisher.uri == usgs["publisher"]["@id"]


def test_html_description_is_reduced_to_text() -> None:
    dataset = one("usda_data.json", 1)
    record = normalize(dataset)
    text = record.description[""]
    assert "<p>" in dataset["description"] and "<" not in text
    assert text.startswith("The National Forest Climate Change Maps project")
    assert "\n\n" in text  # paragraphs kept apart
    assert "img" not in text
    west, south, east, north = (float(v) for v in dataset["spatial"].split(","))
    assert record.spatial[0].bbox == (west, south, east, north)
    service = next(d for d in record.distributions if d.format == "Esri REST")
    assert service.api_access and service.endpoint_url.endswith("/ImageServer")


def test_long_description_is_kept_whole() -> None:
    dataset = one("usgs_long_description_data.json")
    assert len(dataset["description"]) > 50_000
    record = normalize(dataset)
    words = dataset["description"].split()
    assert record.description[""].split() == words
    assert record.modified == date(2020, 11, 17)  # "20201117"
    original = next(d for d in record.distributions if d.title == {"": "Original Metadata"})
    source = next(d for d in dataset["distribution"] if d["title"] == "Original Metadata")
    assert original.conforms_to == [source["conformsTo"]]


def test_html_licences() -> None:
    oakland = one("bad_oakland-county-hub_license-html.json")
    record = normalize(oakland)
    assert record.licence is not None and record.licence.title
    assert "<" not in record.licence.title and "style=" not in record.licence.title
    assert record.licence.title.startswith("OPEN DATA")
    assert record.distributions[0].licence == record.licence
    assert "<span" not in record.description[""]
    bushfire = normalize(one("hub_datajson_actmapi_bushfire_html-license.json", platform="arcgis"))
    assert bushfire.licence == normalize_licence(url="https://creativecommons.org/licenses/by/4.0/")
    evian = normalize(one("hub_datajson_ville-evian.json", platform="arcgis"))
    assert evian.licence is not None and evian.licence.id == "etalab-2.0"


def _wkt_box(value: str) -> tuple[float, float, float, float]:
    numbers = [float(n) for n in re.sub(r"[A-Za-z(),]", " ", value).split()]
    xs, ys = numbers[0::2], numbers[1::2]
    return (min(xs), min(ys), max(xs), max(ys))


def test_huge_wkt_spatial_becomes_a_bbox() -> None:
    dataset = one("bad_large-spatial_data.json")
    assert len(dataset["spatial"]) > 300_000
    record = normalize(dataset)
    assert record.spatial[0].bbox == _wkt_box(dataset["spatial"])
    assert record.spatial[0].geometry is None and record.spatial[0].label == {}


def test_missing_title_is_record_invalid() -> None:
    dataset = one("bad_missing_title.json")
    with pytest.raises(RecordInvalid, match=f"{dataset['identifier']} in {CATALOG} has no title"):
        normalize(dataset)
    with pytest.raises(RecordInvalid, match="not an object"):
        normalize_dcat_us(["x"], SOURCE, catalog_url=CATALOG, fetched_at=AT)


def test_collections_part_of_and_series() -> None:
    found = datasets("dcat-us", "collection_isPartOf_data.json")
    parents = {p for dataset in found for p in part_of(dataset)}
    assert parents == {d["isPartOf"] for d in found if d.get("isPartOf")}
    for dataset in found:
        record = normalize(dataset, series_ids=parents)
        assert record.is_series == (dataset["identifier"] in parents)
        assert record.language == ["ENG"] and "en" in record.title  # language ["en-US"]
    assert not normalize(found[1]).is_series  # without the children's ids nothing is known
    assert normalize({**found[0], "@type": "dcat:DatasetSeries"}).is_series


def test_dcat_us_3_identifier_objects() -> None:
    found = datasets("dcat-us", "dcatus3_example_catalog.json")
    keys = [normalize(d).provenance.remote_id for d in found]
    expected = [
        d["identifier"]
        if isinstance(d["identifier"], str)
        else d["identifier"].get("@id") or d["identifier"]["notation"]
        for d in found
    ]
    assert keys == expected


def test_socrata_rights_relation_and_dictionaries() -> None:
    dataset = one(SINGLE[1], platform=SINGLE[0])
    record = normalize(dataset)
    assert all(d.rights == dataset["rights"] for d in record.distributions)
    assert part_of(dataset) == [dataset["isPartOf"]]
    assert record.uri == dataset["identifier"]


def test_arcgis_web_service_is_not_duplicated() -> None:
    for dataset in datasets("arcgis", "opendata_datajson_apur-cassini.json"):
        record = normalize(dataset)
        mapped = [d for d in dataset["distribution"] if _has_url(d)]
        urls = {d.get("accessURL") for d in dataset["distribution"]}
        extra = 0 if not dataset.get("webService") or dataset["webService"] in urls else 1
        assert len(record.distributions) == len(mapped) + extra
        if dataset.get("webService"):
            assert dataset["webService"] in {d.endpoint_url for d in record.distributions}


def test_philadelphia_feature_server_is_api() -> None:
    dataset = one("bad_philadelphia_data_null-modified.json")
    record = normalize(dataset)
    api = [d for d in record.distributions if d.api_access]
    assert [d.endpoint_url for d in api] == [
        d["accessURL"] for d in dataset["distribution"] if d.get("format") == "API"
    ]
    broken = [
        d
        for d in datasets("dcat-us", "bad_philadelphia_data_null-modified.json")
        if any((i.get("accessURL") or "").startswith("hhttps") for i in d["distribution"])
    ]
    assert len(broken) == 1  # that distribution is dropped, the dataset still maps
    assert len(normalize(broken[0]).distributions) == len(broken[0]["distribution"]) - 1


def test_remote_id_fallbacks_and_partner_kind() -> None:
    base = {"title": "Trees", "landingPage": "https://x.gov/trees"}
    assert remote_id(base) == "https://x.gov/trees"
    hashed = remote_id({"title": "Trees"})
    assert hashed and hashed.startswith("title-sha1:") and hashed == remote_id({"title": " Trees "})
    partner = SourceSpec(
        id="s",
        url="https://x.gov",
        platform="dcat_us",
        partner_name="City of Philadelphia",
        partner_kind=PartnerKind.municipality,
    )
    dataset = one("bad_philadelphia_data_null-modified.json")
    record = normalize_dcat_us(dataset, partner, catalog_url=None, fetched_at=AT)
    assert record.publisher is not None and record.publisher.kind is PartnerKind.municipality
    no_publisher = normalize_dcat_us({"title": "T"}, partner, catalog_url=None, fetched_at=AT)
    assert no_publisher.publisher is not None
    assert no_publisher.publisher.name == {"": "City of Philadelphia"}


@pytest.mark.parametrize(
    ("value", "bbox", "label", "uri"),
    [
        ("-10,40,10,50", (-10.0, 40.0, 10.0, 50.0), {}, None),
        ("-200,40,10,50", None, None, None),  # outside WGS 84: dropped
        ('{"type": "Point", "coordinates": [2.35, 48.85]}', (2.35, 48.85, 2.35, 48.85), {}, None),
        ({"type": "Point", "coordinates": [2.35, 48.85]}, (2.35, 48.85, 2.35, 48.85), {}, None),
        ("ENVELOPE(-10, 10, 50, 40)", (-10.0, 40.0, 10.0, 50.0), {}, None),
        ("http://sws.geonames.org/6252001/", None, {}, "http://sws.geonames.org/6252001/"),
        ("Paris", None, {"": "Paris"}, None),
        ("x" * (MAX_LABEL + 1), None, None, None),
        (
            {"@type": "Location", "bbox": "1,2,3,4", "prefLabel": "Here"},
            (1.0, 2.0, 3.0, 4.0),
            {"": "Here"},
            None,
        ),
        ('{"broken": ', None, None, None),
    ],
)
def test_spatial_shapes(value: Any, bbox: Any, label: Any, uri: Any) -> None:
    found = spatial({"spatial": value})
    if label is None:
        assert found == []
        return
    assert found[0].bbox == bbox and found[0].label == label and found[0].uri == uri


def test_temporal_shapes() -> None:
    assert temporal({"temporal": "2010-01-01/P1Y"})[0].start == date(2010, 1, 1)
    assert temporal({"temporal": "R/P1D"}) == []
    period = temporal({"temporal": {"startDate": "2019", "endDate": "2020"}})[0]
    assert (period.start, period.end) == (date(2019, 1, 1), date(2020, 12, 31))


def test_plain_text() -> None:
    assert plain_text("<p>a&amp;b</p><p>c<br/>d</p><script>x()</script>") == "a&b\n\nc\nd"
    assert plain_text("  no   html  ") == "no html"
    assert plain_text(None) is None and plain_text("<p> </p>") is None
