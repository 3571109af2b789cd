"""Socrata Discovery results and views → DatasetRecord, checked against the fixtures."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from catalog.dates import parse_date
from catalog.model import PartnerKind, PeriodOfTime
from catalog.vocab import frequency_code, normalize_licence
from connectors.base import RawRecord, SourceSpec
from connectors.dcat_us_mapping import normalize_dcat_us
from connectors.errors import RecordInvalid, RecordSkipped
from connectors.socrata import SocrataConnector
from connectors.socrata_api import (
    dataset_uri,
    geo_export_url,
    permalink,
    rows_export_url,
    soda_url,
    view_url,
)
from connectors.socrata_fields import CustomFields, period
from connectors.socrata_mapping import normalize_asset
from connectors.socrata_views import normalize_view
from tests.connectors.socrata_replay import DISCOVERY, discovery_results, load
from tests.paths import FIXTURES

AT = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
SOURCE = SourceSpec(id="src", url="https://data.example.gov", platform="socrata")
SEATTLE = "data.seattle.gov"
VIEWS = (
    "views_seattle_2tje-83f6_filtered-view.json",
    "views_seattle_3k2p-39jp_police-911.json",
    "views_seattle_gza6-uqxz_private-schools.json",
    "views_wa-ecology_3rgj-95q8_tmdl.json",
)
DATAJSON = (
    ("datajson_data-ny-gov_excerpt.json", "data.ny.gov"),
    ("datajson_data-wa-gov_dataset_f6w7-q2d2.json", "data.wa.gov"),
)


def test_every_fixture_is_used_by_a_test() -> None:
    here = Path(__file__).parent
    text = "".join(
        (here / name).read_text()
        for name in ("test_socrata_mapping.py", "test_socrata_fetch.py", "socrata_replay.py")
    )
    names = sorted(p.name for p in (FIXTURES / "socrata").iterdir() if p.is_file())
    assert names, "no Socrata fixtures found"
    assert [name for name in names if f'"{name}"' not in text] == []


def normalize(result: dict[str, Any], source: SourceSpec = SOURCE):
    return normalize_asset(result, source, fetched_at=AT)


def custom_of(result: dict[str, Any]) -> dict[str, str]:
    return {m["key"]: m["value"] for m in result["classification"]["domain_metadata"]}


def by_id(key: str) -> dict[str, Any]:
    return next(r for r in discovery_results() if r["resource"]["id"] == key)


@pytest.mark.parametrize("result", discovery_results(), ids=lambda r: r["resource"]["id"])
def test_every_discovery_result_maps(result: dict[str, Any]) -> None:
    resource, classification = result["resource"], result["classification"]
    domain, key = result["metadata"]["domain"], resource["id"]
    record = normalize(result)
    assert record.identifier == key
    assert record.uri == f"https://{domain}/api/views/{key}"
    assert record.title == {"": resource["name"]}
    assert record.description == {"": resource["description"]}
    assert record.landing_page == result["permalink"] == permalink(domain, key)
    tags = [*classification["domain_tags"], *classification["tags"]]
    assert record.keywords.get("", []) == list(dict.fromkeys(tags))
    assert record.themes[0] == classification["domain_category"]
    lowered = [t.lower() for t in record.themes]
    assert all(c.lower() in lowered for c in classification["categories"])
    assert record.modified == parse_date(resource["updatedAt"])
    custom = custom_of(result)
    if "Update_Date-Made-Public" not in custom:
        assert record.issued == parse_date(resource["createdAt"])
    licence = result["metadata"].get("license")
    assert record.licence == (normalize_licence(licence) if licence else None)
    assert record.is_series is False
    formats = {d.identifier: d for d in record.distributions}
    assert formats[f"{key}-csv"].download_url == (
        f"https://{domain}/api/views/{key}/rows.csv?accessType=DOWNLOAD"
    )
    assert formats[f"{key}-csv"].file_type == "CSV"
    assert formats[f"{key}-json"].download_url == rows_export_url(domain, key, "json")
    soda = formats[f"{key}-soda"]
    assert soda.api_access is True
    assert soda.endpoint_url == soda.access_url == f"https://{domain}/resource/{key}.json"
    assert sum(d.api_access for d in record.distributions) == 1
    assert record.provenance.platform == "socrata"
    assert record.provenance.remote_id == key
    assert record.provenance.original_url == result["permalink"]
    assert record.provenance.api_url == f"https://{domain}/api/catalog/v1?ids={key}"
    assert record.provenance.harvested_at == AT


def test_publisher_declared_in_custom_metadata_with_attribution_as_creator() -> None:
    result = by_id("kwxv-fwze")
    custom = custom_of(result)
    record = normalize(result)
    assert record.publisher is not None
    assert record.publisher.name == {"": custom["Common-Core_Publisher"]}
    assert [c.name for c in record.creators] == [{"": result["resource"]["attribution"]}]
    contact = record.contact_points[0]
    assert contact.name == custom["Common-Core_Contact-Name"]
    assert contact.email == custom["Common-Core_Contact-Email"]
    extra = custom["Dataset-Summary_Contact-Information"]
    assert [p.email for p in record.contact_points[1:]] == [extra]
    assert record.documentation == [custom["Additional-Resources_See-Also"]]
    start = datetime.strptime(custom["Dataset-Summary_Time-Period"], "Beginning %m/%d/%Y")
    assert record.temporal == [PeriodOfTime(start=start.date())]
    assert [s.label for s in record.spatial] == [{"": custom["Dataset-Summary_Coverage"]}]


def test_publisher_is_the_attribution_when_none_is_declared() -> None:
    result = by_id("msk6-43c6")
    record = normalize(result)
    assert record.publisher is not None
    assert record.publisher.name == {"": result["resource"]["attribution"]}
    assert record.creators == [] and record.contact_points == []


def test_howard_county_metadata_fields() -> None:
    for key in ("qccx-65fg", "kvz2-j5cj", "xvpn-2pnt"):
        result = by_id(key)
        custom = custom_of(result)
        record = normalize(result)
        assert record.publisher is not None
        assert record.publisher.name == {"": custom["Additional-Metadata_Publisher"]}
        assert record.accrual_periodicity == frequency_code(custom["Additional-Metadata_Frequency"])
        assert record.accrual_periodicity is not None
        first, _, last = custom["Additional-Metadata_Coverage"].partition("-")
        expected_end = None if last.strip() == "Present" else date(int(last), 12, 31)
        assert record.temporal == [PeriodOfTime(start=date(int(first), 1, 1), end=expected_end)]


def test_nyc_update_metadata() -> None:
    result = by_id("ic3t-wcy2")
    custom = custom_of(result)
    record = normalize(result)
    assert record.accrual_periodicity == frequency_code(custom["Update_Update-Frequency"])
    assert record.issued == parse_date(custom["Update_Date-Made-Public"])


def test_cms_contact_without_publisher() -> None:
    result = by_id("qcn7-gc3g")
    custom = custom_of(result)
    record = normalize(result)
    assert record.contact_points[0].email == custom["Common-Core_Contact-Email"]
    assert record.publisher is not None
    assert record.publisher.name == {"": result["resource"]["attribution"]}


def test_partner_kind_only_when_the_publisher_is_the_partner() -> None:
    result = copy.deepcopy(by_id("qccx-65fg"))
    name = custom_of(result)["Additional-Metadata_Publisher"]
    partner = SOURCE.model_copy(
        update={"partner_name": name, "partner_kind": PartnerKind.municipality}
    )
    record = normalize(result, partner)
    assert record.publisher is not None and record.publisher.kind == PartnerKind.municipality
    other = SOURCE.model_copy(
        update={"partner_name": "Someone else", "partner_kind": PartnerKind.ministry}
    )
    record = normalize(result, other)
    assert record.publisher is not None and record.publisher.kind is None
    result["classification"]["domain_metadata"] = []
    result["resource"]["attribution"] = None
    record = normalize(result, other)
    assert record.publisher is not None
    assert record.publisher.name == {"": "Someone else"}
    assert record.publisher.kind == PartnerKind.ministry
    record = normalize(result)
    assert record.publisher is not None
    assert record.publisher.name == {"": result["metadata"]["domain"]}


def _as(kind: str, **resource: Any) -> dict[str, Any]:
    result = copy.deepcopy(by_id("msk6-43c6"))
    result["resource"].update(type=kind, **resource)
    return result


def test_filtered_views_and_maps_are_kept_and_marked() -> None:
    record = normalize(_as("filter"))
    assert record.keywords[""][-1] == "filtered view"
    assert any(d.api_access for d in record.distributions)
    result = _as("map", parent_fxf=["abcd-1234"])
    domain, key = result["metadata"]["domain"], result["resource"]["id"]
    record = normalize(result)
    assert record.keywords[""][-2:] == ["map", "derived view"]
    downloads = [d.download_url for d in record.distributions if d.download_url]
    assert downloads == [
        geo_export_url(domain, key, f) for f in ("GeoJSON", "KML", "KMZ", "Shapefile")
    ]
    assert [d.file_type for d in record.distributions[:2]] == ["GEOJSON", "KML"]
    assert record.distributions[-1].endpoint_url == soda_url(domain, key)  # it has columns
    no_columns = normalize(_as("map", columns_field_name=[]))
    assert not any(d.api_access for d in no_columns.distributions)


def test_files_and_external_datasets() -> None:
    result = _as("file", blob_mime_type="application/pdf", columns_field_name=[])
    domain, key = result["metadata"]["domain"], result["resource"]["id"]
    [dist] = normalize(result).distributions
    assert dist.download_url == f"https://{domain}/download/{key}/application%2Fpdf"
    assert dist.media_type == "application/pdf" and dist.file_type == "PDF"
    assert normalize(_as("href")).distributions == []


@pytest.mark.parametrize("kind", ["chart", "story", "datalens", "federated_href", "measure"])
def test_presentations_are_skipped(kind: str) -> None:
    with pytest.raises(RecordSkipped, match=f"is a {kind}, not a dataset"):
        normalize(_as(kind))


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        ({"metadata": {"is_public": False}}, RecordSkipped, "private"),
        ({"metadata": {"is_published": False}}, RecordSkipped, "not published"),
        ({"resource": {"id": "x-1", "name": " "}}, RecordInvalid, "has no name"),
        ({"resource": {"name": "No id"}}, RecordInvalid, "no resource.id"),
    ],
)
def test_bad_results(change: dict[str, Any], error: type[Exception], message: str) -> None:
    result = copy.deepcopy(by_id("msk6-43c6"))
    result.update(change)
    with pytest.raises(error, match=message):
        normalize(result)
    with pytest.raises(RecordInvalid, match="not an object"):
        normalize_asset(["abcd-1234"], SOURCE, fetched_at=AT)


def view_record(name: str, domain: str = SEATTLE):
    return normalize_view(load(name), SOURCE, domain=domain, fetched_at=AT)


@pytest.mark.parametrize("name", VIEWS)
def test_every_recorded_view_maps(name: str) -> None:
    view = load(name)
    record = view_record(name)
    key = view["id"]
    assert record.identifier == key and record.uri == dataset_uri(SEATTLE, key)
    assert record.title == {"": view["name"]}
    assert record.description == ({"": view["description"]} if "description" in view else {})
    assert record.keywords.get("", [])[: len(view.get("tags", []))] == view.get("tags", [])
    assert record.themes == [view["category"]]
    assert record.issued == parse_date(view["createdAt"])
    updates = [v for k in ("rowsUpdatedAt", "viewLastModified") if (v := view.get(k))]
    assert record.modified == datetime.fromtimestamp(max(updates), UTC)
    assert record.landing_page == permalink(SEATTLE, key)
    assert record.provenance.api_url == view_url(SEATTLE, key)
    public = any("public" in g.get("flags", []) for g in view.get("grants", []))
    assert record.access_rights == ("PUBLIC" if public else None)
    if "attribution" in view:
        assert record.publisher is not None
        assert record.publisher.name == {"": view["attribution"]}
        assert record.publisher.homepage == view.get("attributionLink")
    licence = view.get("license", {})
    if view.get("licenseId") or licence:
        expected = normalize_licence(view.get("licenseId")) or normalize_licence(
            licence.get("name")
        )
        assert record.licence is not None and expected is not None
        assert record.licence.id == expected.id and record.licence.title == expected.title


def test_police_view_custom_fields_and_attachments() -> None:
    view = load("views_seattle_3k2p-39jp_police-911.json")
    record = view_record("views_seattle_3k2p-39jp_police-911.json")
    custom = view["metadata"]["custom_fields"]
    assert record.accrual_periodicity == frequency_code(custom["Refresh Frequency"]["Frequency"])
    assert record.licence is not None and record.licence.id == "CC0-1.0"
    [attachment] = view["metadata"]["attachments"]
    assert record.documentation == [
        f"https://{SEATTLE}/api/assets/{attachment['blobId']}?download=true"
    ]
    assert record.keywords[""] == view["tags"]  # the default table view: not marked
    soda = [d for d in record.distributions if d.api_access]
    assert [d.endpoint_url for d in soda] == [soda_url(SEATTLE, view["id"])]


def test_filtered_map_view_is_marked_derived() -> None:
    view = load("views_seattle_2tje-83f6_filtered-view.json")
    assert view["viewFilters"] and "modifyingViewUid" not in view
    record = view_record("views_seattle_2tje-83f6_filtered-view.json")
    assert record.keywords[""] == ["map", "derived view"]
    assert record.distributions[0].download_url == geo_export_url(SEATTLE, view["id"], "GeoJSON")
    derived = dict(view, displayType="table", viewFilters=None, modifyingViewUid="abcd-1234")
    record = normalize_view(derived, SOURCE, domain=SEATTLE, fetched_at=AT)
    assert record.keywords[""] == ["filtered view"]


def test_private_schools_map_extent_from_corners() -> None:
    view = load("views_seattle_gza6-uqxz_private-schools.json")
    record = view_record("views_seattle_gza6-uqxz_private-schools.json")
    nw, se = view["northWest"], view["southEast"]
    [extent] = record.spatial
    assert extent.bbox == (nw["long"], se["lat"], se["long"], nw["lat"])
    assert record.licence is not None and record.licence.title == view["license"]["name"]
    assert record.keywords[""] == [*view["tags"], "map"]
    assert any(d.endpoint_url == soda_url(SEATTLE, view["id"]) for d in record.distributions)


def test_tmdl_geo_view_with_a_zipped_blob() -> None:
    view = load("views_wa-ecology_3rgj-95q8_tmdl.json")
    record = view_record("views_wa-ecology_3rgj-95q8_tmdl.json", "data.wa.gov")
    [extent] = record.spatial
    assert extent.bbox == tuple(float(v) for v in view["metadata"]["geo"]["bbox"].split(","))
    blob = record.distributions[-1]
    assert blob.download_url == (
        f"https://data.wa.gov/api/views/{view['id']}/files/{view['blobId']}"
        f"?download=true&filename={view['blobFilename']}"
    )
    assert blob.byte_size == view["blobFileSize"]
    assert blob.media_type == view["blobMimeType"].split(";")[0]
    assert blob.file_type == "ZIP"
    assert not any(d.api_access for d in record.distributions)  # no columns


def test_songs_view_without_a_name_fails_alone() -> None:
    # The recorded demo view carries no name: the record is invalid, with a clear message.
    view = load("views_metadata_demo_songs.json")
    assert "name" not in view
    with pytest.raises(RecordInvalid, match=f"view {view['id']} has no name"):
        view_record("views_metadata_demo_songs.json", "soda.demo.socrata.com")
    named = {**view, "name": "Songs"}
    record = normalize_view(named, SOURCE, domain="soda.demo.socrata.com", fetched_at=AT)
    assert record.licence is not None and record.licence.id == "CC0-1.0"
    assert record.keywords == {} and record.themes == [view["category"]]
    assert record.publisher is not None
    assert record.publisher.name == {"": "soda.demo.socrata.com"}
    assert record.issued == datetime.fromtimestamp(view["createdAt"], UTC)
    assert record.modified == datetime.fromtimestamp(view["viewLastModified"], UTC)
    assert record.access_rights is None  # no grants recorded


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        ({"displayType": "chart"}, RecordSkipped, "is a chart"),
        ({"publicationStage": "unpublished"}, RecordSkipped, "not published"),
        ({"name": ""}, RecordInvalid, "has no name"),
        ({"id": None}, RecordInvalid, "has no id"),
    ],
)
def test_bad_views(change: dict[str, Any], error: type[Exception], message: str) -> None:
    view = {**load("views_seattle_3k2p-39jp_police-911.json"), **change}
    with pytest.raises(error, match=message):
        normalize_view(view, SOURCE, domain=SEATTLE, fetched_at=AT)


def test_connector_merges_the_view_into_the_discovery_record() -> None:
    view = load("views_wa-ecology_3rgj-95q8_tmdl.json")
    result = copy.deepcopy(by_id("kvz2-j5cj"))
    result["resource"].update(id=view["id"], type="map")
    result["metadata"] = {"domain": "data.wa.gov"}  # the asset has no licence here
    conn = SocrataConnector(SOURCE, httpx.AsyncClient())
    plain = conn.normalize(RawRecord(view["id"], result, AT))
    merged = conn.normalize(RawRecord(view["id"], {**result, "view": view}, AT))
    assert plain.licence is None and plain.spatial == []
    assert merged.title == plain.title  # the Discovery API wins where it speaks
    assert (
        merged.spatial == view_record("views_wa-ecology_3rgj-95q8_tmdl.json", "data.wa.gov").spatial
    )
    assert merged.keywords[""][: len(plain.keywords[""])] == plain.keywords[""]
    assert set(view["tags"]) <= set(merged.keywords[""])
    assert [d.identifier for d in merged.distributions][-1] == f"{view['id']}-file"
    assert merged.provenance == plain.provenance
    bad_view = {**view, "displayType": "chart"}
    assert conn.normalize(RawRecord(view["id"], {**result, "view": bad_view}, AT)) == plain


def test_connector_normalizes_a_bare_view_and_refuses_garbage() -> None:
    conn = SocrataConnector(SOURCE, httpx.AsyncClient())
    view = load("views_seattle_3k2p-39jp_police-911.json")
    record = conn.normalize(RawRecord(view["id"], view, AT))
    assert record.landing_page == permalink("data.example.gov", view["id"])
    with pytest.raises(RecordInvalid, match="neither a Discovery result nor a view"):
        conn.normalize(RawRecord("x", {"rows": []}, AT))
    with pytest.raises(RecordInvalid, match="not a Socrata asset object"):
        conn.normalize(RawRecord("x", [1], AT))
    with pytest.raises(RecordSkipped):
        conn.normalize(
            RawRecord(
                "x", load(DISCOVERY)["results"][0] | {"resource": {"id": "x", "type": "story"}}, AT
            )
        )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2014-2017", PeriodOfTime(start=date(2014, 1, 1), end=date(2017, 12, 31))),
        ("2010 - Present", PeriodOfTime(start=date(2010, 1, 1))),
        ("Beginning 6/16/2014", PeriodOfTime(start=date(2014, 6, 16))),
        (
            "2000-01-15T00:45:00Z/2010-01-15T00:06:00Z",
            PeriodOfTime(
                start=datetime(2000, 1, 15, 0, 45, tzinfo=UTC),
                end=datetime(2010, 1, 15, 0, 6, tzinfo=UTC),
            ),
        ),
        ("Statewide", None),
        ("2014 - sometime", None),
    ],
)
def test_period(value: str, expected: PeriodOfTime | None) -> None:
    assert period(value) == expected


def test_custom_fields_from_both_apis_match_on_folded_names() -> None:
    flat = CustomFields.from_domain_metadata(
        [{"key": "Common-Core_Contact-Email", "value": "a@b.org"}, {"key": 3, "value": "x"}]
    )
    nested = CustomFields.from_custom_fields({"Common Core": {"Contact Email": "a@b.org"}})
    assert flat.first("contact-email") == nested.first("contact-email") == "a@b.org"
    assert flat.merged(nested).items == flat.items


@pytest.mark.parametrize(("name", "domain"), DATAJSON)
def test_socrata_data_json_maps_through_dcat_us_and_agrees_with_our_urls(
    name: str, domain: str
) -> None:
    document = load(name)
    dataset = document["dataset"][0] if "dataset" in document else document
    source = SourceSpec(id="src", url=f"https://{domain}", platform="socrata")
    record = normalize_dcat_us(
        dataset,
        source,
        catalog_url=f"https://{domain}/data.json",
        fetched_at=AT,
        platform="socrata",
    )
    key = dataset["landingPage"].rsplit("/", 1)[-1]
    assert record.provenance.platform == "socrata"
    assert record.title == {"": dataset["title"]}
    # Socrata's own data.json uses the URLs the Discovery mapping builds.
    assert dataset["landingPage"] == record.landing_page == permalink(domain, key)
    assert dataset["identifier"] == dataset_uri(domain, key)
    downloads = [d["downloadURL"] for d in dataset["distribution"]]
    assert rows_export_url(domain, key, "csv") in downloads
    assert rows_export_url(domain, key, "json") in downloads
    assert [d.download_url for d in record.distributions] == downloads
    assert f"https://{domain}/api/views/{quote(key)}/rows.csv?accessType=DOWNLOAD" in downloads


def test_external_dataset_view_lists_its_access_points_and_attachments() -> None:
    view = copy.deepcopy(load("views_seattle_3k2p-39jp_police-911.json"))
    view.update(viewType="href", displayType="href", columns=[])
    view["metadata"]["accessPoints"] = {"CSV": "https://example.org/f.csv", "bad": "nope"}
    view["metadata"]["attachments"] = [{"assetId": "a1b2", "filename": "read me.pdf"}]
    record = normalize_view(view, SOURCE, domain=SEATTLE, fetched_at=AT)
    [point] = record.distributions
    assert point.access_url == "https://example.org/f.csv" and point.file_type == "CSV"
    assert point.download_url is None and not point.api_access
    assert record.documentation == [
        f"https://{SEATTLE}/api/views/{view['id']}/files/a1b2?download=true&filename=read%20me.pdf"
    ]


def test_socrata_records_conform_to_dcat_ap_shapes() -> None:
    # The official SHACL shapes as oracle, on a sample (DESIGN §10).
    shacl = pytest.importorskip("tests.catalog.test_rdf_shacl")
    from rdflib import Graph

    from catalog.rdf import dataset_graph

    shapes = Graph()
    for name in ("dcat-ap-SHACL.ttl", "ranges.ttl"):
        shapes.parse(shacl.SHAPES_DIR / name, format="turtle")
    for shape, prop in list(shapes.subject_objects(shacl.SH.property)):
        if shapes.value(prop, shacl.SH.path) is None:
            shapes.remove((shape, shacl.SH.property, prop))
    records = [
        normalize(by_id("kwxv-fwze")),
        normalize(_as("map", parent_fxf=["abcd-1234"])),
        view_record("views_wa-ecology_3rgj-95q8_tmdl.json", "data.wa.gov"),
        view_record("views_seattle_3k2p-39jp_police-911.json"),
    ]
    failures = {}
    for record in records:
        graph = dataset_graph(record, dataset_uri=shacl.BASE + record.identifier)
        if found := shacl.violations(graph, shapes):
            failures[record.identifier] = found
    assert failures == {}
