"""CKAN package → DatasetRecord, checked against the recorded packages themselves."""

from __future__ import annotations

import copy
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from catalog.dates import parse_date
from catalog.model import Checksum, PartnerKind
from catalog.vocab import (
    frequency_code,
    language_code,
    language_tag,
    normalize_format,
    normalize_licence,
)
from connectors.base import RawRecord, SourceSpec
from connectors.ckan import CkanConnector
from connectors.ckan_agents import agent_from_organization
from connectors.ckan_api import as_package
from connectors.ckan_extent import bbox_of
from connectors.ckan_mapping import normalize_package
from connectors.ckan_resources import byte_size, distribution
from connectors.errors import RecordInvalid, RecordSkipped
from tests.connectors.ckan_replay import load, load_lines, result_of
from tests.paths import FIXTURES

SITE = "https://portal.example.org"
API = f"{SITE}/api/3/action"
AT = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
SOURCE = SourceSpec(id="src", url=SITE, platform="ckan")

# Fixtures holding packages: each one is mapped by the generic checks below.
PACKAGE_FIXTURES = (
    "bad_dkan-hautsdefrance_package_show_french-dates.json",
    "ckan_package_show_verbose_help_no_resources.json",
    "dadosgovbr_package_search_by_organization.json",
    "dadosgovbr_package_search_q_all.json",
    "dadosgovbr_package_search_rows2.json",
    "dadosgovbr_package_search_start3.json",
    "dadosgovbr_package_show_bolsa-familia.json",
    "datagov_catalog-dev_package_search.json",
    "datagovuk_ckan29_package_show_result_only.json",
    "datagovuk_package_search.json",
    "datagovuk_package_show.json",
    "datasud_package_search_org_gap-tallard-durance_rows1000.json",
    "datasud_package_show_canispaces-ville-de-gap.json",
    "datasud_package_show_dechetteries-de-la-cagtd.json",
    "demo-ckan_package_search_rows3.json",
    "demo-ckan_package_show_17be64bb-da74-4195-9bb8-565c39846af2.json",
    "demo-ckan_package_show_2015_dataset-1.json",
    "demo-ckan_package_show_62513382-3b26-4bc8-9096-40b6ce8383c0.json",
    "demo-ckan_package_show_9c3036b8-f6ac-4a4e-9036-5a3cc90c3900.json",
    "ecocommons_package_show.json",
    "ecocommons_package_show_with_extras.json",
    "hdx_package_show_reliefweb-crisis-figures.json",
    "legacy_api2_search_dataset_all_fields_datagovuk.json",
    "open-canada_packages_fluent.jsonl",
    "ridl-unhcr_package_search_fq_visibility_rows10.json",
    "ridl-unhcr_package_search_start0_rows5.json",
    "ridl-unhcr_package_show_ddi-uga-kap-2019.json",
    "synthetic_ckan_dataset_fluent_multilingual.json",
    "synthetic_ckan_dataset_scheming_dcat_ap.json",
)


def packages_in(name: str) -> list[dict[str, Any]]:
    """Every package dict a fixture holds (show, search, list or bare results, JSON lines)."""
    if name.endswith(".jsonl"):
        return list(load_lines(name))
    result = result_of(name)
    if isinstance(result, dict) and isinstance(result.get("results"), list):
        items = result["results"]
    elif isinstance(result, list):
        items = result
    else:
        items = [result]
    return [p for p in (as_package(item) for item in items) if p is not None]


def normalize(package: dict[str, Any], source: SourceSpec = SOURCE, **kw: Any):
    return normalize_package(package, source, api_url=API, fetched_at=AT, **kw)


def live_resources(package: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for r in package.get("resources") or [] if r.get("state") != "deleted"]


def test_every_fixture_is_used_by_a_test() -> None:
    here = Path(__file__).parent
    text = "".join(
        (here / name).read_text()
        for name in ("test_ckan_mapping.py", "test_ckan_fetch.py", "test_http.py")
    )
    names = sorted(p.name for p in (FIXTURES / "ckan").iterdir() if p.is_file())
    assert names, "no CKAN fixtures found"
    unused = [name for name in names if f'"{name}"' not in text]
    assert unused == []


@pytest.mark.parametrize("name", PACKAGE_FIXTURES)
def test_every_recorded_package_maps(name: str) -> None:
    packages = packages_in(name)
    assert packages
    for package in packages:
        record = normalize(package)
        key = package.get("id") or package.get("name")
        assert record.provenance.remote_id == key
        assert record.provenance.platform == "ckan"
        assert record.provenance.source_id == SOURCE.id
        assert record.provenance.harvested_at == AT
        if package.get("id"):
            ident = quote(package["id"], safe="")
            assert record.provenance.api_url == f"{API}/package_show?id={ident}"
        if package.get("name"):
            name_part = quote(package["name"], safe="")
            assert record.provenance.original_url == f"{SITE}/dataset/{name_part}"
        titles = set(record.title.values())
        assert package["title"] in titles or titles == set(package["title_translated"].values())
        assert len(record.distributions) == len(live_resources(package))
        resource_ids = [r.get("id") for r in live_resources(package)]
        assert [d.identifier for d in record.distributions] == resource_ids
        source_url = package.get("url") or ""
        if source_url.startswith("http") and " " not in source_url.strip():
            assert record.landing_page == package["url"]
        else:
            assert record.landing_page == record.provenance.original_url
        # The canonical record survives a JSON round trip (it is what the store keeps).
        assert type(record).model_validate_json(record.model_dump_json()) == record


@pytest.mark.parametrize("name", PACKAGE_FIXTURES)
def test_licences_and_dates_follow_the_package(name: str) -> None:
    for package in packages_in(name):
        record = normalize(package)
        extras = package.get("extras") or []
        fields = (
            {**{e["key"]: e["value"] for e in extras}, **package}
            if isinstance(extras, list)
            else {**extras, **package}
        )
        if package.get("license_id"):
            expected = normalize_licence(
                package["license_id"],
                title=package.get("license_title") or None,
                url=package.get("license_url") or None,
            )
            assert record.licence == expected
        created = parse_date(
            fields.get("issued") or fields.get("date_published") or fields.get("metadata_created")
        )
        if created is not None:
            assert record.issued == created
        changed = parse_date(
            fields.get("modified") or fields.get("date_modified") or fields.get("metadata_modified")
        )
        if changed is not None:
            assert record.modified == changed


def test_open_canada_fluent_packages_are_bilingual() -> None:
    packages = list(load_lines("open-canada_packages_fluent.jsonl"))
    for package in packages:
        record = normalize(package)
        assert record.title == package["title_translated"]
        assert set(record.title) == {"fr", "en"}
        assert record.description == {
            k: v.strip() for k, v in package["notes_translated"].items() if v.strip()
        }
        assert record.keywords == package["keywords"]
        assert record.themes[: len(package["subject"])] == package["subject"]
        # open.canada's "doc" packages are datasets of a custom scheming type.
        assert package["type"] == "doc"
        for res, dist in zip(package["resources"], record.distributions, strict=True):
            assert dist.title == res["name_translated"]
            assert dist.language == [language_code(x) for x in res["language"]]
            assert dist.download_url == res["url"]  # url_type "upload"


def test_synthetic_fluent_multilingual() -> None:
    package = load("synthetic_ckan_dataset_fluent_multilingual.json")
    record = normalize(package)
    assert record.title == package["title_translated"]
    assert record.description == package["notes_translated"]
    assert record.keywords == package["tags_translated"]  # plain tags are the English ones
    assert record.language == [language_code(x) for x in package["language"]]
    assert record.version == package["version"]
    assert record.documentation == package["documentation"]
    assert record.identifier == package["name"]  # no id: the name identifies it
    assert [c.email for c in record.contact_points] == [c["email"] for c in package["contact"]]
    resource = package["resources"][0]
    (dist,) = record.distributions
    assert dist.title == resource["name_translated"]
    assert dist.description == resource["description_translated"]
    assert dist.issued == parse_date(resource["issued"])


def polygon_bbox(geometry: dict[str, Any]) -> tuple[float, float, float, float]:
    ring = geometry["coordinates"][0]
    xs, ys = [p[0] for p in ring], [p[1] for p in ring]
    return (min(xs), min(ys), max(xs), max(ys))


def test_scheming_dcat_ap_package() -> None:
    package = load("synthetic_ckan_dataset_scheming_dcat_ap.json")
    record = normalize(package)
    assert record.identifier == package["identifier"]
    assert [(c.name, c.email, c.url) for c in record.contact_points] == [
        (c["name"], c["email"], c.get("url")) for c in package["contact"]
    ]
    publisher = package["publisher"][0]
    assert record.publisher is not None
    assert record.publisher.name == {"": publisher["name"]}
    assert record.publisher.email == publisher["email"]
    assert record.publisher.homepage == publisher["url"]
    assert record.publisher.uri == publisher["identifier"]
    assert record.publisher.kind == PartnerKind(publisher["type"])
    assert [c.name for c in record.creators] == [{"": c["name"]} for c in package["creator"]]
    assert [(p.start, p.end) for p in record.temporal] == [
        (parse_date(p["start"]), parse_date(p["end"])) for p in package["temporal_coverage"]
    ]
    coverage = package["spatial_coverage"][0]
    (place,) = record.spatial
    assert place.bbox == polygon_bbox(coverage["bbox"])
    assert place.geometry == coverage["geom"]
    assert place.uri == coverage["uri"]
    assert place.label == {"": coverage["text"]}
    assert bbox_of(coverage["geom"]) == polygon_bbox(coverage["geom"])
    assert record.accrual_periodicity == frequency_code(package["frequency"])
    assert record.accrual_periodicity is not None
    assert record.themes == package["theme"]
    assert record.conforms_to == package["conforms_to"]
    assert record.documentation == package["documentation"]
    assert record.keywords == {"": [t["name"] for t in package["tags"]]}
    resource = package["resources"][0]
    (dist,) = record.distributions
    assert dist.byte_size == resource["size"]
    assert dist.checksum == Checksum(algorithm="sha1", value=resource["hash"])
    assert dist.access_url == resource["access_url"]
    assert dist.download_url == resource["download_url"]
    assert dist.licence == normalize_licence(url=resource["license"])
    assert dist.rights == resource["rights"]
    assert dist.api_access is True
    assert dist.endpoint_url == resource["access_services"][0]["endpoint_url"][0]
    assert dist.modified == parse_date(resource["modified"])


def test_datastore_resources_are_queryable() -> None:
    package = result_of("demo-ckan_package_show_2015_dataset-1.json")
    record = normalize(package)
    flags = [r.get("datastore_active") is True for r in package["resources"]]
    assert any(flags) and not all(flags)
    for resource, dist in zip(package["resources"], record.distributions, strict=True):
        assert dist.api_access is (resource.get("datastore_active") is True)
        if dist.api_access:
            assert dist.endpoint_url == f"{API}/datastore_search?resource_id={resource['id']}"
        info = normalize_format(resource["format"], url=resource["url"])
        assert dist.format == (info.label if info else resource["format"])


def test_single_resource_with_datastore() -> None:
    resource = result_of("ecocommons_resource.json")
    dist = distribution(resource, api_url=API)
    assert dist.identifier == resource["id"]
    assert dist.title == {"": resource["name"]}
    assert dist.download_url == resource["url"]
    assert dist.api_access and dist.endpoint_url and resource["id"] in dist.endpoint_url
    assert dist.issued == parse_date(resource["created"])
    expected = normalize_format(resource["format"], url=resource["url"])
    assert expected is not None and dist.file_type == expected.file_type


def test_dkan_french_dates_list_result() -> None:
    body = load("bad_dkan-hautsdefrance_package_show_french-dates.json")
    assert isinstance(body["result"], list)
    package = as_package(body["result"])
    assert package is not None
    record = normalize(package)  # DKAN flags public nodes private: they are harvested
    assert record.issued == parse_date(package["metadata_created"])
    assert record.issued is not None and record.issued.year == 2019
    assert record.modified == parse_date(package["metadata_modified"])
    extras = {e["key"]: e["value"] for e in package["extras"]}
    (place,) = record.spatial
    assert place.bbox == tuple(
        float(extras[k])
        for k in ("bbox-west-long", "bbox-south-lat", "bbox-east-long", "bbox-north-lat")
    )
    assert record.language == [language_code(extras["metadata-language"])]
    assert record.licence == normalize_licence(url=package["license_title"])
    assert extras["contact-email"] in {c.email for c in record.contact_points}
    sized = package["resources"][0]
    assert record.distributions[0].byte_size == int(sized["size"].split()[0])
    assert record.distributions[0].issued == parse_date(sized["created"])
    assert record.distributions[1].byte_size is None  # "" is dropped, not an error
    lang = language_tag(record.language[0])
    assert lang and record.title == {lang: package["title"]}


def test_data_gov_uk_list_valued_fields() -> None:
    package = result_of("datagovuk_package_show.json")
    record = normalize(package)
    start = int(package["temporal_coverage-from"][0])
    end = int(package["temporal_coverage-to"][0])
    assert [(p.start, p.end) for p in record.temporal] == [(date(start, 1, 1), date(end, 12, 31))]
    assert package["theme-primary"] in record.themes
    assert package["contact-email"] in {c.email for c in record.contact_points}
    assert record.spatial and record.spatial[0].bbox is not None
    assert record.publisher is not None
    lang = language_tag(record.language[0]) if len(record.language) == 1 else ""
    assert record.publisher.name == {lang or "": package["organization"]["title"]}


def test_hdx_frequency_contacts_and_links() -> None:
    package = result_of("hdx_package_show_reliefweb-crisis-figures.json")
    record = normalize(package)
    assert package["data_update_frequency"] == "1" and record.accrual_periodicity == "DAILY"
    # maintainer is a CKAN user id there, not a person
    assert package["maintainer"] not in {c.name for c in record.contact_points}
    csv = [
        d
        for d, r in zip(record.distributions, package["resources"], strict=True)
        if r["format"] == "CSV"
    ]
    assert csv and not any(d.api_access for d in csv)


def test_ecocommons_extras() -> None:
    package = result_of("ecocommons_package_show_with_extras.json")
    extras = {e["key"]: e["value"] for e in package["extras"]}
    record = normalize(package)
    assert extras["contact_point"] in {c.email for c in record.contact_points}
    assert {"": extras["spatial_coverage"]} in [s.label for s in record.spatial]
    starts = [p.start for p in record.temporal]
    assert (
        parse_date(extras["temporal_coverage_from"]) in starts
        or date(int(extras["temporal_coverage_from"]), 1, 1) in starts
    )


def test_extras_as_a_dict_map_like_extras_as_a_list() -> None:
    package = result_of("datagovuk_package_show.json")
    as_dict = {**package, "extras": {e["key"]: e["value"] for e in package["extras"]}}
    listed, mapped = normalize(package), normalize(as_dict)
    assert mapped == listed
    assert mapped.spatial and mapped.contact_points


def test_ogc_services_are_queryable() -> None:
    package = result_of("datasud_package_show_dechetteries-de-la-cagtd.json")
    record = normalize(package)
    for resource, dist in zip(package["resources"], record.distributions, strict=True):
        service = resource["format"].upper().removeprefix("OGC:") in {"WMS", "WFS"}
        assert dist.api_access is service, resource["format"]
        if service:
            assert dist.endpoint_url == resource["url"]
            assert dist.download_url is None


def test_publisher_kind_when_organization_is_the_partner() -> None:
    package = result_of("datasud_package_show_canispaces-ville-de-gap.json")
    org = package["organization"]
    partner = SourceSpec(
        id="gap",
        url=SITE,
        platform="ckan",
        partner_name=org["title"],
        partner_kind=PartnerKind.municipality,
    )
    other = SourceSpec(
        id="sud",
        url=SITE,
        platform="ckan",
        partner_name="Région Sud",
        partner_kind=PartnerKind.public_body,
    )
    assert normalize(package, partner).publisher.kind == PartnerKind.municipality
    published = normalize(package, other).publisher
    assert published.kind is None and published.identifier == org["name"]
    assert [g["name"] for g in package["groups"]] == normalize(package).themes
    orphan = {k: v for k, v in package.items() if k != "organization"}
    assert normalize(orphan, other).publisher.name == {"": other.partner_name}


def test_organizations_are_read_by_the_agent_helper_and_skipped_as_packages() -> None:
    for name in (
        "datagovuk_organization_show.json",
        "datagovuk_organization_show_include_datasets_result_only.json",
    ):
        org = result_of(name)
        agent = agent_from_organization(org, site=SITE)
        assert agent is not None and agent.name == {"": org["title"]}
        assert agent.homepage == f"{SITE}/organization/{org['name']}"
        with pytest.raises(RecordSkipped, match="organization"):
            normalize(org)
    orgs = list(load_lines("open-canada_organizations_fluent.jsonl"))
    agents = [agent_from_organization(o) for o in orgs]
    assert len(agents) == len(orgs)
    for org, agent in zip(orgs, agents, strict=True):
        expected = {k: v for k, v in org["title_translated"].items() if v.strip()}
        assert agent is not None and agent.name == {k: v.strip() for k, v in expected.items()}


def test_quebec_shaped_package_from_the_montreal_schema() -> None:
    schema = load("donneesquebec_montreal_scheming_schema.json")
    fields = {f["field_name"]: f for f in schema["dataset_fields"]}
    choices = {name: [c["value"] for c in f.get("choices", [])] for name, f in fields.items()}
    resource_types = [c["value"] for c in schema["resource_fields"][4]["choices"]]
    assert "web" in resource_types and "FR_EN" in choices["language"]
    package = {
        "id": "qc-1",
        "name": "arbres",
        "title": "Arbres publics",
        "notes": "Inventaire",
        "license_id": choices["license_id"][0],
        "owner_org": "ville-de-montreal",
        "author_email": choices["author_email"][0],
        "update_frequency": "monthly",
        "language": "FR_EN",
        "ext_spatial": choices["ext_spatial"][0],
        "temporal": "2015-01-01/2020-12-31",
        "territoire": choices["territoire"][:2],
        "resources": [
            {
                "id": "r1",
                "name": "Service",
                "url": "https://x.org/wfs",
                "format": "",
                "resource_type": "web",
            },
            {
                "id": "r2",
                "name": "CSV",
                "url": "https://x.org/a.csv",
                "format": "CSV",
                "resource_type": "donnees",
            },
        ],
    }
    record = normalize(package)
    assert record.language == [language_code("fr"), language_code("en")]
    assert record.accrual_periodicity == frequency_code("monthly")
    assert [s.label for s in record.spatial] == [{"": choices["ext_spatial"][0]}]
    assert [(p.start, p.end) for p in record.temporal] == [
        (parse_date("2015-01-01"), parse_date("2020-12-31"))
    ]
    assert [d.api_access for d in record.distributions] == [True, False]
    assert record.distributions[1].download_url == "https://x.org/a.csv"
    assert record.contact_points[0].email == choices["author_email"][0]
    for value in filter(None, choices["update_frequency"]):
        assert frequency_code(value) is not None, value


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        ({"state": "deleted"}, RecordSkipped, "deleted"),
        ({"state": "draft"}, RecordSkipped, "draft"),
        ({"private": True}, RecordSkipped, "private"),
        ({"type": "harvest"}, RecordSkipped, "harvest, not a dataset"),
        ({"type": "showcase"}, RecordSkipped, "showcase"),
        ({"id": None, "name": None}, RecordInvalid, "neither id nor name"),
        ({"title": "  "}, RecordInvalid, "no title"),
    ],
)
def test_packages_that_are_skipped_or_invalid(
    change: dict[str, Any], error: type[Exception], message: str
) -> None:
    package = copy.deepcopy(
        result_of("demo-ckan_package_show_17be64bb-da74-4195-9bb8-565c39846af2.json")
    )
    normalize(package)  # fine as recorded
    package.update(change)
    with pytest.raises(error, match=message):
        normalize(package)


def test_private_packages_when_asked_for() -> None:
    package = dict(result_of("demo-ckan_package_show_62513382-3b26-4bc8-9096-40b6ce8383c0.json"))
    package["private"] = True
    assert normalize(package, include_private=True).identifier == package["id"]


def test_not_an_object_is_invalid() -> None:
    with pytest.raises(RecordInvalid, match="not an object"):
        normalize_package(["x"], SOURCE, api_url=API, fetched_at=AT)
    conn = CkanConnector(SOURCE, client=None)  # type: ignore[arg-type]
    with pytest.raises(RecordInvalid):
        conn.normalize(RawRecord(remote_id="x", payload="x", fetched_at=AT))


def test_bad_fields_are_dropped_not_fatal() -> None:
    package = copy.deepcopy(
        result_of("demo-ckan_package_show_9c3036b8-f6ac-4a4e-9036-5a3cc90c3900.json")
    )
    package["metadata_created"] = "not a date"
    package["metadata_modified"] = {"weird": 1}
    package["resources"][0]["size"] = "huge"
    package["resources"][0]["created"] = "31/31/31"
    package["extras"] = [
        {"key": "spatial", "value": "{not json"},
        {"key": "temporal_start", "value": "never"},
    ]
    record = normalize(package)
    assert record.issued is None and record.modified is None
    assert record.distributions[0].byte_size is None
    assert record.distributions[0].issued is None
    assert record.spatial == [] and record.temporal == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1955, 1955),
        ("1955", 1955),
        ("42 octets", 42),
        ("1.5 KB", 1536),
        ("3,5 Mo", 3670016),
        ("2 GiB", 2 * 1024**3),
        ("", None),
        ("big", None),
        (-3, None),
        (True, None),
        (None, None),
    ],
)
def test_byte_sizes(value: Any, expected: int | None) -> None:
    assert byte_size(value) == expected


def test_connector_normalize_uses_its_api_url() -> None:
    package = result_of("ridl-unhcr_package_show_ddi-uga-kap-2019.json")
    conn = CkanConnector(
        SourceSpec(id="ridl", url="https://ridl.unhcr.org/api/3", platform="ckan"),
        client=None,  # type: ignore[arg-type]
    )
    record = conn.normalize(RawRecord(remote_id=package["id"], payload=package, fetched_at=AT))
    assert record.provenance.api_url == (
        f"https://ridl.unhcr.org/api/3/action/package_show?id={package['id']}"
    )
    assert record.version == package["version"]
    assert record.keywords == {}  # RIDL "keywords" are vocabulary codes, not fluent terms
    assert json.loads(record.model_dump_json())["identifier"] == package["id"]


# --- speed paths: same answers as the general code they short-cut ------------------------


def _resource_urls() -> list[str]:
    urls = {
        "https://[::1]/x.csv",
        "https://[::1/x",
        "http://a]b/c.csv",
        "http://é.example/a.csv",
        "http://a\u3000b/x.csv",
        "HTTP://EXAMPLE.ORG/A.CSV?x=1#y",
        "https://example.org/a/./b.tar.gz/",
        "https://example.org",
        "https://example.org/.csv",
        "https://example.org/a.",
    }
    for name in PACKAGE_FIXTURES:
        for package in packages_in(name):
            for resource in package.get("resources") or []:
                for key in ("url", "download_url", "access_url"):
                    if isinstance(resource.get(key), str):
                        urls.add(resource[key].strip())
    return sorted(urls)


def test_resource_url_paths_read_as_urlsplit_does() -> None:
    from pathlib import PurePosixPath
    from urllib.parse import urlsplit

    from connectors.ckan_resources import _suffix, _url_path

    for address in _resource_urls():
        try:
            expected = urlsplit(address).path
        except ValueError:
            with pytest.raises(ValueError):
                _url_path(address)
            continue
        assert _url_path(address) == expected, address
        assert _suffix(expected) == PurePosixPath(expected).suffix, address


def test_mapping_is_the_same_with_warm_caches_and_records_share_nothing() -> None:
    packages = [p for name in PACKAGE_FIXTURES for p in packages_in(name)]
    first = [normalize(p) for p in packages]
    second = [normalize(p) for p in packages]
    assert [r.model_dump(mode="json") for r in first] == [r.model_dump(mode="json") for r in second]
    for one, two in zip(first, second, strict=True):
        if one.licence is not None:
            assert one.licence is not two.licence
        for a, b in zip(one.distributions, two.distributions, strict=True):
            assert a is not b and a.title is not b.title
