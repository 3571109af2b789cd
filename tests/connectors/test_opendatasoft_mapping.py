"""OpenDataSoft dataset → DatasetRecord, checked against the recorded v1 objects and the
documented v2.1 samples (tests/connectors/ods_samples.py)."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from defusedxml.ElementTree import fromstring

from catalog.dates import parse_date
from catalog.model import PartnerKind
from catalog.vocab import frequency_code, language_code, normalize_licence
from connectors.base import RawRecord, SourceSpec
from connectors.errors import RecordInvalid, RecordSkipped
from connectors.opendatasoft import OpenDataSoftConnector
from connectors.opendatasoft_distributions import SHAPEFILE_RECORDS_LIMIT, file_format
from connectors.opendatasoft_mapping import normalize_dataset, read_dataset
from tests.connectors import ods_samples
from tests.paths import FIXTURES, fixture

SITE = "https://etalab-sandbox.opendatasoft.com"
AT = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
SOURCE = SourceSpec(id="src", url=SITE, platform="opendatasoft")

SINGLE_V1 = (
    "v1_dataset_alternative_exports.json",
    "v1_dataset_empty.json",
    "v1_dataset_shp-limit.json",
    "v1_dataset_with_attachments.json",
    "v1_dataset_with_interop_inspire.json",
)
SEARCH_V1 = ("v1_datasets_search_etalab-sandbox.json", "v1_datasets_search_no-records.json")


def load(name: str) -> Any:
    return json.loads(fixture("opendatasoft", name).read_text(encoding="utf-8"))


def v1_datasets() -> list[tuple[str, dict[str, Any]]]:
    found = [(name, load(name)) for name in SINGLE_V1]
    for name in SEARCH_V1:
        found.extend((name, dataset) for dataset in load(name)["datasets"])
    return found


def normalize(dataset: dict[str, Any], site: str = SITE, source: SourceSpec = SOURCE):
    return normalize_dataset(dataset, source, site=site, fetched_at=AT)


def by_kind(record: Any, kind: str) -> list[Any]:
    return [d for d in record.distributions if f"/{kind}" in (d.identifier or "")]


def test_every_fixture_is_used_by_a_test() -> None:
    here = Path(__file__).parent
    text = "".join(
        (here / name).read_text()
        for name in ("test_opendatasoft_mapping.py", "test_opendatasoft_fetch.py")
    )
    names = sorted(p.name for p in (FIXTURES / "opendatasoft").iterdir() if p.is_file())
    assert names, "no OpenDataSoft fixtures found"
    assert [name for name in names if f'"{name}"' not in text] == []


@pytest.mark.parametrize(("name", "dataset"), v1_datasets(), ids=lambda v: str(v)[:40])
def test_every_recorded_v1_dataset_maps(name: str, dataset: dict[str, Any]) -> None:
    record = normalize(dataset)
    metas = dataset["metas"]
    key = dataset["datasetid"]
    lang = metas["language"]
    assert record.identifier == key
    assert record.title == {lang: metas["title"]}
    assert record.language == [language_code(lang)]
    assert record.modified == parse_date(metas["modified"])
    assert record.landing_page == f"{SITE}/explore/dataset/{key}/"
    assert record.provenance.remote_id == key
    assert record.provenance.platform == "opendatasoft"
    assert record.provenance.original_url == record.landing_page
    assert record.provenance.api_url == f"{SITE}/api/datasets/1.0/{key}/"
    assert record.provenance.harvested_at == AT
    keywords = metas.get("keyword")
    if keywords:
        expected = keywords if isinstance(keywords, list) else [keywords]
        assert record.keywords == {lang: expected}
    themes = metas.get("theme")
    if themes:  # ODS theme labels contain commas: kept whole
        assert record.themes == (themes if isinstance(themes, list) else [themes])
    files = len(dataset.get("attachments") or []) + len(dataset.get("alternative_exports") or [])
    assert (
        len(by_kind(record, "attachments")) + len(by_kind(record, "alternative_exports")) == files
    )
    api = [d for d in record.distributions if d.api_access]
    if dataset["has_records"]:
        assert [d.endpoint_url for d in api] == [f"{SITE}/api/records/1.0/search/?dataset={key}"]
        formats = {d.identifier.rsplit("/", 1)[1] for d in by_kind(record, "exports")}
        assert {"csv", "json", "xls"} <= formats
        assert ("geojson" in formats) is ("geo" in dataset["features"])
    else:
        assert api == [] and by_kind(record, "exports") == []


def test_v1_search_dataset_with_full_standard_metadata() -> None:
    dataset = next(
        d
        for d in load("v1_datasets_search_etalab-sandbox.json")["datasets"]
        if d["datasetid"] == "test-a"
    )
    metas = dataset["metas"]
    record = normalize(dataset)
    assert record.description == {"en": metas["description"]}
    assert record.publisher is not None and record.publisher.name == {"en": metas["publisher"]}
    assert record.licence == normalize_licence(metas["license"])
    assert record.licence is not None and record.licence.open is True
    assert record.keywords == {"en": metas["keyword"]}
    assert record.themes == metas["theme"]
    assert record.documentation == [metas["references"]]
    exports = by_kind(record, "exports")
    assert all(d.licence == record.licence for d in exports)
    assert all(d.modified == parse_date(metas["data_processed"]) for d in exports)
    assert {d.identifier for d in exports} == {
        f"test-a/exports/{f}" for f in ("csv", "json", "xls")
    }


def test_v1_attachments_and_alternative_exports_resolve_odsfile_urls() -> None:
    dataset = load("v1_dataset_alternative_exports.json")
    record = normalize(dataset)
    key = dataset["datasetid"]
    for kind in ("attachments", "alternative_exports"):
        made = by_kind(record, kind)
        assert [d.title for d in made] == [{"en": item["title"]} for item in dataset[kind]]
        assert [d.download_url for d in made] == [
            f"{SITE}/api/datasets/1.0/{key}/{kind}/{item['id']}" for item in dataset[kind]
        ]
    pdf, xls = by_kind(record, "attachments")
    assert (pdf.file_type, pdf.media_type) == ("PDF", "application/pdf")
    assert xls.file_type == "XLS"  # "application/xls" is not a real type: the .xls name decides
    (gtfs,) = by_kind(record, "alternative_exports")
    assert gtfs.description == {"en": dataset["alternative_exports"][0]["description"]}
    assert gtfs.file_type == "ZIP"


def test_attachments_without_records_give_only_the_files() -> None:
    dataset = load("v1_dataset_with_attachments.json")
    assert dataset["has_records"] is False
    record = normalize(dataset)
    expected = [*dataset["alternative_exports"], *dataset["attachments"]]
    assert [d.title["en"] for d in record.distributions] == [i["title"] for i in expected]
    assert not any(d.api_access for d in record.distributions)


def test_shapefile_is_left_out_above_the_export_limit() -> None:
    big = load("v1_dataset_shp-limit.json")
    assert big["metas"]["records_count"] > SHAPEFILE_RECORDS_LIMIT
    formats = {d.identifier.rsplit("/", 1)[1] for d in by_kind(normalize(big), "exports")}
    assert "shp" not in formats and {"geojson", "kml"} <= formats
    small = copy.deepcopy(big)
    small["metas"]["records_count"] = SHAPEFILE_RECORDS_LIMIT
    assert "shp" in {d.identifier.rsplit("/", 1)[1] for d in by_kind(normalize(small), "exports")}


def test_empty_dataset_maps_without_distributions() -> None:
    dataset = load("v1_dataset_empty.json")
    assert not (dataset["has_records"] or dataset["attachments"] or dataset["fields"])
    record = normalize(dataset)
    assert record.distributions == []
    assert record.title == {"en": dataset["metas"]["title"]}


def test_inspire_interop_metadata_give_bbox_and_contact() -> None:
    dataset = load("v1_dataset_with_interop_inspire.json")
    inspire = dataset["interop_metas"]["inspire"]
    record = normalize(dataset)
    sides = (
        "westbound_longitude",
        "southbound_latitude",
        "eastbound_longitude",
        "northbound_latitude",
    )
    expected = tuple(float(inspire[f"extend_bounding_box_{s}"]) for s in sides)
    assert [s.bbox for s in record.spatial] == [expected]
    assert [(c.name, c.email) for c in record.contact_points] == [
        (inspire["contact_individual_name"], inspire["contact_email"])
    ]
    assert record.is_series is (inspire["hierarchy_level"] == "series")


def test_v21_geo_sample_maps_every_documented_field() -> None:
    dataset = ods_samples.GEO_DATASET
    default, dcat = dataset["metas"]["default"], dataset["metas"]["dcat"]
    inspire = dataset["metas"]["inspire"]
    site = ods_samples.SITE
    record = normalize(dataset, site=site)
    key = dataset["dataset_id"]
    assert record.identifier == key
    assert record.title == {"fr": default["title"]}
    assert record.description == {"fr": default["description"]}
    assert record.keywords == {"fr": default["keyword"]}
    assert record.themes == default["theme"]
    assert record.publisher is not None and record.publisher.name == {"fr": default["publisher"]}
    assert [c.name for c in record.creators] == [{"fr": dcat["creator"]}]
    assert [(c.name, c.email) for c in record.contact_points] == [
        (dcat["contact_name"], dcat["contact_email"]),
        (inspire["contact_individual_name"], inspire["contact_email"]),
    ]
    assert record.licence == normalize_licence(default["license"], url=default["license_url"])
    assert record.issued == parse_date(dcat["issued"])
    assert record.modified == parse_date(default["modified"])
    assert record.accrual_periodicity == frequency_code(dcat["accrualperiodicity"]) == "MONTHLY"
    start, end = dcat["temporal"].split("/")
    assert [(p.start, p.end) for p in record.temporal] == [(parse_date(start), parse_date(end))]
    assert record.spatial[0].bbox == tuple(
        float(inspire[f"extend_bounding_box_{s}"])
        for s in (
            "westbound_longitude",
            "southbound_latitude",
            "eastbound_longitude",
            "northbound_latitude",
        )
    )
    labels = [s.label for s in record.spatial[1:]]
    assert labels == [{"fr": dcat["spatial"]}, *({"fr": t} for t in default["territory"])]
    assert record.documentation == [default["references"]]
    assert record.language == ["FRA"]
    assert record.landing_page == f"{site}/explore/dataset/{key}/"
    assert record.provenance.api_url == f"{site}/api/explore/v2.1/catalog/datasets/{key}"

    exports = by_kind(record, "exports")
    base = f"{site}/api/explore/v2.1/catalog/datasets/{key}"
    assert [d.download_url for d in exports] == [
        f"{base}/exports/{f}" for f in ("csv", "json", "xlsx", "parquet", "geojson", "kml", "shp")
    ]
    assert [d.file_type for d in exports] == [
        "CSV",
        "JSON",
        "XLSX",
        "PARQUET",
        "GEOJSON",
        "KML",
        "SHP",
    ]
    assert all(d.modified == parse_date(default["data_processed"]) for d in exports)
    (api,) = [d for d in record.distributions if d.api_access]
    assert api.endpoint_url == api.access_url == f"{base}/records"
    assert api.download_url is None
    (guide,) = by_kind(record, "attachments")
    attachment = dataset["attachments"][0]
    assert guide.download_url == f"{base}/attachments/{attachment['id']}"
    assert guide.file_type == "PDF"
    (gpkg,) = by_kind(record, "alternative_exports")
    alternative = dataset["alternative_exports"][0]
    assert (
        gpkg.download_url
        == f"{site}/api/datasets/1.0/{key}/alternative_exports/{alternative['id']}"
    )
    assert gpkg.description == {"fr": alternative["description"]}


def test_v21_table_sample_has_no_geo_exports_and_dcat_coverage_dates() -> None:
    dataset = ods_samples.TABLE_DATASET
    default, dcat = dataset["metas"]["default"], dataset["metas"]["dcat"]
    record = normalize(dataset, site=ods_samples.SITE)
    formats = [d.identifier.rsplit("/", 1)[1] for d in by_kind(record, "exports")]
    assert formats == ["csv", "json", "xlsx", "parquet"]
    assert record.licence is not None and record.licence.id == "ODbL-1.0"
    assert record.issued == parse_date(dcat["issued"])
    assert record.accrual_periodicity == frequency_code(dcat["accrualperiodicity"]) == "ANNUAL"
    assert [(p.start, p.end) for p in record.temporal] == [
        (parse_date(dcat["temporal_coverage_start"]), parse_date(dcat["temporal_coverage_end"]))
    ]
    assert record.publisher is not None
    assert record.publisher.name == {"fr": default["publisher"]}
    assert record.contact_points == [] and record.creators == [] and record.spatial == []


def test_hidden_data_has_no_exports_nor_api() -> None:
    dataset = ods_samples.HIDDEN_DATA_DATASET
    assert dataset["has_records"] and dataset["data_visible"] is False
    assert normalize(dataset, site=ods_samples.SITE).distributions == []


def test_restricted_dataset_is_skipped() -> None:
    with pytest.raises(RecordSkipped, match="donnees-restreintes is restricted"):
        normalize(ods_samples.RESTRICTED_DATASET, site=ods_samples.SITE)


def test_publisher_kind_only_for_the_partner_itself() -> None:
    source = SourceSpec(
        id="src",
        url=ods_samples.SITE,
        platform="opendatasoft",
        partner_name="Ville d'exemple",
        partner_kind=PartnerKind.municipality,
    )
    geo = normalize(ods_samples.GEO_DATASET, site=ods_samples.SITE, source=source)
    assert geo.publisher is not None and geo.publisher.kind == PartnerKind.municipality
    table = normalize(ods_samples.TABLE_DATASET, site=ods_samples.SITE, source=source)
    assert table.publisher is not None and table.publisher.kind is None
    hidden = normalize(ods_samples.HIDDEN_DATA_DATASET, site=ods_samples.SITE, source=source)
    assert hidden.publisher is not None
    assert (hidden.publisher.name, hidden.publisher.kind) == (
        {"": "Ville d'exemple"},
        PartnerKind.municipality,
    )


def test_v20_wrapped_items_are_unwrapped() -> None:
    wrapped = {"links": [], "dataset": copy.deepcopy(ods_samples.TABLE_DATASET)}
    assert read_dataset(wrapped).id == ods_samples.TABLE_DATASET["dataset_id"]
    assert normalize(wrapped, site=ods_samples.SITE).identifier == "budget-primitif-2024"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.pop("dataset_id"), "no dataset_id"),
        (lambda d: d["metas"]["default"].pop("title"), "has no title"),
        (lambda d: d["metas"]["default"].update(title="   "), "has no title"),
    ],
)
def test_records_without_identity_or_title_are_invalid(change: Any, message: str) -> None:
    dataset = copy.deepcopy(ods_samples.TABLE_DATASET)
    change(dataset)
    with pytest.raises(RecordInvalid, match=message):
        normalize(dataset, site=ods_samples.SITE)


def test_bad_field_values_are_dropped_not_fatal() -> None:
    dataset = copy.deepcopy(ods_samples.GEO_DATASET)
    dataset["metas"]["default"].update(modified="not a date", keyword=42, records_count="many")
    dataset["metas"]["dcat"].update(accrualperiodicity="whenever", temporal="soon")
    dataset["metas"]["inspire"]["extend_bounding_box_westbound_longitude"] = "west"
    dataset["attachments"] = [{"title": "no id, no url"}, "junk"]
    record = normalize(dataset, site=ods_samples.SITE)
    assert record.modified == parse_date(dataset["metas"]["default"]["metadata_processed"])
    assert record.accrual_periodicity is None and record.temporal == []
    assert all(s.bbox is None for s in record.spatial)
    assert record.keywords == {"fr": ["42"]}
    assert by_kind(record, "attachments") == []
    assert "shp" in {d.identifier.rsplit("/", 1)[1] for d in by_kind(record, "exports")}


def test_file_format_falls_back_on_the_file_name() -> None:
    assert file_format("application/xls", "odsfile://extra.xls").file_type == "XLS"  # type: ignore[union-attr]
    assert file_format(None, "odsfile://doc.pdf").file_type == "PDF"  # type: ignore[union-attr]
    assert file_format(None, "odsfile://noext") is None


def test_connector_normalize_rejects_non_objects() -> None:
    import httpx

    conn = OpenDataSoftConnector(SOURCE, httpx.AsyncClient())
    with pytest.raises(RecordInvalid, match="not an OpenDataSoft dataset object"):
        conn.normalize(RawRecord(remote_id="x", payload=["x"], fetched_at=AT))
    record = conn.normalize(
        RawRecord(remote_id="test-b", payload=load(SINGLE_V1[0]), fetched_at=AT)
    )
    assert record.provenance.harvested_at == AT and record.identifier == "test-b"


def test_json_mapping_agrees_with_the_portals_own_dcat_export() -> None:
    # The real capatlantique DCAT export names the landing page and the JSON export URL our
    # v2.1 mapping builds for the same dataset.
    xml = fixture("opendatasoft", "explore_v2.1_catalog_exports_dcat_capatlantique.rdf.xml")
    root = fromstring(xml.read_bytes())
    rdf = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
    dcat = "{http://www.w3.org/ns/dcat#}"
    (node,) = root.iter(f"{dcat}Dataset")
    landing = node.attrib[f"{rdf}about"]
    site = landing.split("/explore/")[0]
    key = landing.rstrip("/").rsplit("/", 1)[1]
    exported = {d.attrib[f"{rdf}about"] for d in node.iter(f"{dcat}Distribution")}
    sample = copy.deepcopy(ods_samples.TABLE_DATASET)
    sample["dataset_id"] = key
    record = normalize(sample, site=site)
    assert record.landing_page == landing
    ours = {d.download_url for d in by_kind(record, "exports")}
    assert ours & exported == {f"{site}/api/explore/v2.1/catalog/datasets/{key}/exports/json"}
    csv = next(u for u in exported if "/exports/csv" in u)
    assert urlsplit(csv).path in {urlsplit(u).path for u in ours}
    assert parse_qs(urlsplit(csv).query) == {"use_labels": ["true"]}
