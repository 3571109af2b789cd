"""Issue 5: real records of every platform conform to DCAT-AP 3.0.1 (pyshacl, offline).

For each platform, a deterministic sample of the recorded fixtures in ../shared/fixtures is
mapped by the connector's own entry point, serialized with :func:`catalog.rdf.dataset_graph`
and validated, one platform's sample as one data graph, against the official shapes (loaded
and stubbed as :mod:`tests.catalog.shacl_support` explains). The sample draws from
as many fixture files as it can (one record from each of eight evenly spaced files, or the
files in turn when there are fewer), so one big catalogue does not crowd the others out.

Skipped, because the *source* lacks a DCAT-AP mandatory property (dct:title, dct:description)
and the requirement only covers records that have them — no text in any language, under any
name the mapping reads: dcat-us ``bad_missing_title.json`` (no title) and
``bad_no_dataset_key.json``; ecocommons ``package_show_with_extras`` (empty notes); the demo
"songs" and Seattle filtered views; the four recorded ArcGIS items and a few search results
(neither description nor snippet) and three ville-evian Hub datasets; 75 DCAT RDF datasets
(e.g. demo-ckan's hydra pages, some GeoNetwork records); ten of the twelve OpenDataSoft v1
datasets (sandbox test datasets; only ``test-a`` and the v2.1 DCAT export have one). Records a
connector refuses (``RecordSkipped``: an ArcGIS web map or Hub site, not data;
``RecordInvalid``: no usable identity) never reach the catalogue and are skipped too.

For the sampled records the mapping must keep the description: catalog.rdf would otherwise
repeat the title and hide the loss from the shapes. Records without a source description are
checked anyway on a small cross-platform sample (they conform thanks to that filler).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache, partial
from itertools import islice, zip_longest
from typing import Any, get_args

import pytest
from rdflib import Graph
from rdflib.compare import isomorphic

from catalog.model import DatasetRecord
from catalog.rdf import Format, dataset_graph, serialize_dataset
from catalog.rdf.namespaces import DCTERMS, RDFS, SKOS, bind_prefixes, has_text
from connectors.arcgis_portal import normalize_item
from connectors.arcgis_services import mark_services
from connectors.base import RawRecord, SourceSpec
from connectors.ckan_api import as_package
from connectors.ckan_mapping import normalize_package
from connectors.dcat_rdf_graphs import subject_node, to_payload
from connectors.dcat_rdf_mapping import dataset_graphs, normalize_dataset_graph
from connectors.dcat_us_mapping import normalize_dcat_us
from connectors.errors import RecordInvalid, RecordSkipped
from connectors.opendatasoft_dcat import normalize_export_record
from connectors.opendatasoft_mapping import normalize_dataset
from connectors.rdf_parse import parse_rdf
from connectors.socrata_mapping import normalize_asset
from connectors.socrata_views import normalize_view
from tests.catalog.shacl_support import no_network, shapes, violations
from tests.paths import FIXTURES, fixture

__all__ = ["no_network", "shapes"]  # pytest fixtures, used by name
pytestmark = pytest.mark.filterwarnings(
    # rdflib's own JSON-LD parser builds a ConjunctiveGraph internally
    "ignore:ConjunctiveGraph is deprecated:DeprecationWarning"
)

AT = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
BASE = "https://moisson.example/jeux/"
PER_PLATFORM = 8
PLATFORMS = ("ckan", "socrata", "dcat_us", "arcgis", "dcat_rdf", "opendatasoft")

# What normalize_dataset_graph reads as the title and the description (with fallbacks).
TITLE = (DCTERMS.title, RDFS.label, SKOS.prefLabel)
DESCRIPTION = (DCTERMS.description, DCTERMS.abstract)

Build = Callable[[], DatasetRecord]
Entry = tuple[str, bool, Build]
"""(label, the source has a title and a description, mapping thunk)."""


def _text(value: Any) -> bool:
    """Some non-blank text in a string, a {lang: text} dict or a list of either."""
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, dict):
        return any(_text(v) for v in value.values())
    if isinstance(value, list):
        return any(_text(v) for v in value)
    return False


def _load(platform: str, name: str) -> Any:
    return json.loads(fixture(platform, name).read_text(encoding="utf-8"))


def _source(platform: str, url: str = "https://portal.example.org") -> SourceSpec:
    return SourceSpec(id="src", url=url, platform=platform)


# --- CKAN: every package_show and package_search result, and the open-canada dump ----------


def _ckan_packages(name: str) -> list[Any]:
    path = fixture("ckan", name)
    if path.suffix == ".jsonl":
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    body = json.loads(path.read_text(encoding="utf-8"))
    body = body.get("result", body) if isinstance(body, dict) else body
    if isinstance(body, dict) and isinstance(body.get("results"), list):
        return list(body["results"])
    return [body]


def ckan() -> list[list[Entry]]:
    source = _source("ckan")
    names = sorted(
        p.name
        for p in (FIXTURES / "ckan").iterdir()
        if not p.name.startswith("error_")
        and ("package_show" in p.name or "package_search" in p.name or "packages" in p.name)
    )
    groups: list[list[Entry]] = []
    for name in names:
        group: list[Entry] = []
        for n, item in enumerate(_ckan_packages(name)):
            package = as_package(item)
            if package is None:
                continue
            described = _text(package.get("title_translated") or package.get("title")) and _text(
                package.get("notes_translated") or package.get("notes")
            )
            group.append(
                (
                    f"{name}#{n}",
                    described,
                    partial(
                        normalize_package,
                        package,
                        source,
                        api_url=f"{source.url}/api/3/action",
                        fetched_at=AT,
                    ),
                )
            )
        groups.append(group)
    return groups


# --- Socrata: the Discovery results and the views API answers --------------------------------


# The site each recorded views API answer came from (tests/connectors/test_socrata_mapping.py).
VIEW_DOMAINS = {
    "views_metadata_demo_songs.json": "soda.demo.socrata.com",
    "views_seattle_2tje-83f6_filtered-view.json": "data.seattle.gov",
    "views_seattle_3k2p-39jp_police-911.json": "data.seattle.gov",
    "views_seattle_gza6-uqxz_private-schools.json": "data.seattle.gov",
    "views_wa-ecology_3rgj-95q8_tmdl.json": "data.wa.gov",
}


def socrata() -> list[list[Entry]]:
    source = _source("socrata", "https://data.example.gov")
    discovery: list[Entry] = [
        (
            f"discovery#{r['resource']['id']}",
            _text(r["resource"].get("name")) and _text(r["resource"].get("description")),
            partial(normalize_asset, r, source, fetched_at=AT),
        )
        for r in _load("socrata", "discovery_catalog_v1_multi-domain.json")["results"]
    ]
    views: list[Entry] = []
    for name, domain in VIEW_DOMAINS.items():
        view = _load("socrata", name)
        described = _text(view.get("name")) and _text(view.get("description"))
        views.append(
            (name, described, partial(normalize_view, view, source, domain=domain, fetched_at=AT))
        )
    return [discovery, views]


# --- DCAT-US data.json: dcat-us/ catalogues and Socrata's data.json --------------------------


def _dcat_us(dataset: dict[str, Any], platform: str) -> DatasetRecord:
    record = normalize_dcat_us(
        dataset,
        _source(platform),
        catalog_url="https://data.example.gov/data.json",
        fetched_at=AT,
        platform=platform,
    )
    return mark_services(record) if platform == "arcgis" else record


def _data_json(platform: str, name: str, mapped_as: str) -> list[Entry]:
    try:
        body = _load(platform, name)
    except json.JSONDecodeError:
        return []  # bad_cfpb_data_invalid, bad_unclosed_truncated: not JSON at all
    datasets = body.get("dataset", [body]) if isinstance(body, dict) else []
    return [
        (
            f"{name}#{n}",
            _text(d.get("title")) and _text(d.get("description")),
            partial(_dcat_us, d, mapped_as),
        )
        for n, d in enumerate(datasets)
        if isinstance(d, dict)
    ]


def dcat_us() -> list[list[Entry]]:
    names = [("dcat-us", p.name) for p in sorted((FIXTURES / "dcat-us").glob("*.json"))]
    names += [("socrata", p.name) for p in sorted((FIXTURES / "socrata").glob("datajson_*.json"))]
    return [_data_json(platform, name, "dcat_us") for platform, name in names]


# --- ArcGIS: portal items (one per file, then search results) and Hub data.json --------------


def arcgis() -> list[list[Entry]]:
    root = "https://ville-exemple.maps.arcgis.com"
    source = _source("arcgis", root)

    def entries(name: str, items: list[Any]) -> list[Entry]:
        return [
            (
                f"{name}#{n}",
                _text(item.get("title") or item.get("name"))
                and _text(item.get("description") or item.get("snippet")),
                partial(normalize_item, item, source, root=root, fetched_at=AT),
            )
            for n, item in enumerate(items)
        ]

    folder = FIXTURES / "arcgis"
    singles = [
        e
        for p in sorted(folder.glob("agol_sharing_content_item_*.json"))
        for e in entries(p.name, [_load("arcgis", p.name)])
    ]
    searches = [
        entries(p.name, _load("arcgis", p.name)["results"])
        for p in sorted(folder.glob("agol_sharing_search_*.json"))
    ]
    hubs = [_data_json("arcgis", p.name, "arcgis") for p in sorted(folder.glob("*datajson_*.json"))]
    return [singles, *searches, *hubs]


# --- DCAT RDF pages ---------------------------------------------------------------------------


def _graph_entries(platform: str, name: str, build: Callable[[str, Graph], Build]) -> list[Entry]:
    source_url = "https://catalog.example.org/catalog"
    page = parse_rdf(fixture(platform, name).read_bytes(), content_type=None, base=source_url)
    found = []
    for key, small in dataset_graphs(page):
        node = subject_node(key)
        described = all(
            any(_text(str(o)) for p in props for o in small.objects(node, p))
            for props in (TITLE, DESCRIPTION)
        )
        found.append((f"{name}#{key}", described, build(key, small)))
    return found


def dcat_rdf() -> list[list[Entry]]:
    source = _source("dcat_rdf", "https://catalog.example.org/catalog")
    folder = FIXTURES / "dcat-rdf"  # bad_cp1252…: not RDF at all (parse_rdf refuses it)
    names = sorted(p.name for p in folder.iterdir() if not p.name.startswith("bad_cp1252"))

    def build(key: str, small: Graph) -> Build:
        return partial(normalize_dataset_graph, small, key, source, fetched_at=AT)

    return [_graph_entries("dcat-rdf", name, build) for name in names]


# --- OpenDataSoft: v1 datasets and the v2.1 DCAT export ----------------------------------------


def opendatasoft() -> list[list[Entry]]:
    site = "https://etalab-sandbox.opendatasoft.com"
    source = _source("opendatasoft", site)

    def v1(name: str, datasets: list[Any]) -> list[Entry]:
        return [
            (
                f"{name}#{d['datasetid']}",
                _text(d["metas"].get("title")) and _text(d["metas"].get("description")),
                partial(normalize_dataset, d, source, site=site, fetched_at=AT),
            )
            for d in datasets
        ]

    folder = FIXTURES / "opendatasoft"
    singles = [
        e
        for p in sorted(folder.glob("v1_dataset_*.json"))
        for e in v1(p.name, [_load("opendatasoft", p.name)])
    ]
    searches = [
        v1(p.name, _load("opendatasoft", p.name)["datasets"])
        for p in sorted(folder.glob("v1_datasets_search_*.json"))
    ]

    def export(key: str, small: Graph) -> Build:
        raw = RawRecord(remote_id=key, payload=to_payload(key, small, page=site), fetched_at=AT)
        return partial(normalize_export_record, raw, source, site)

    exports = [
        _graph_entries("opendatasoft", p.name, export) for p in sorted(folder.glob("*.rdf.xml"))
    ]
    return [singles, *searches, *exports]


POOLS: dict[str, Callable[[], list[list[Entry]]]] = {
    "ckan": ckan,
    "socrata": socrata,
    "dcat_us": dcat_us,
    "arcgis": arcgis,
    "dcat_rdf": dcat_rdf,
    "opendatasoft": opendatasoft,
}


Mapped = tuple[str, DatasetRecord]
Sample = tuple[Mapped, ...]


def _mapped(build: Build) -> DatasetRecord | None:
    try:
        return build()
    except (RecordSkipped, RecordInvalid):
        return None


def mapped(platform: str, *, described: bool = True) -> list[list[Mapped]]:
    """Per fixture file, the records of ``platform`` whose source has (or lacks) the
    mandatory fields and which the connector accepts."""
    return [
        [
            (label, record)
            for label, complete, build in group
            if complete is described and (record := _mapped(build)) is not None
        ]
        for group in POOLS[platform]()
    ]


def pick(groups: list[list[Mapped]], n: int = PER_PLATFORM) -> list[Mapped]:
    """``n`` records, from as many files as possible: files evenly spaced when there are more
    than ``n``, else the first record of each file, then the second…"""
    groups = [group for group in groups if group]
    if len(groups) > n:
        groups = [groups[i * len(groups) // n] for i in range(n)]
    rows = zip_longest(*groups)
    return list(islice((item for row in rows for item in row if item is not None), n))


@cache
def sample(platform: str) -> Sample:
    return tuple(pick(mapped(platform)))


@cache
def undescribed() -> Sample:
    """Records of every platform whose source has no description (catalog.rdf repeats the
    title): not covered by the requirement, checked anyway on a small sample."""
    return tuple(pick([pick(mapped(p, described=False), 2) for p in PLATFORMS]))


def uri_of(n: int) -> str:
    return f"{BASE}{n}"


def assert_conforms(records: Sample, shape_graph: Graph) -> None:
    """No sh:Violation in the union of ``records``; on failure, each record is validated alone
    to say which one (focus node, path, message)."""
    union = bind_prefixes(Graph())
    for n, (_, record) in enumerate(records):
        union += dataset_graph(record, dataset_uri=uri_of(n))
    found = violations(union, shape_graph, minted=BASE)
    if not found:
        return
    report = {
        label: [str(v) for v in violations(graph, shape_graph, minted=BASE)]
        for n, (label, record) in enumerate(records)
        if (graph := dataset_graph(record, dataset_uri=uri_of(n)))
    }
    pytest.fail(
        "\n".join(
            [f"{len(found)} violations in the union:", *map(str, found)]
            + [f"{label}:\n  " + "\n  ".join(lines) for label, lines in report.items() if lines]
        )
    )


def test_sample_sizes() -> None:
    # OpenDataSoft: the recorded v1 datasets are test datasets of a sandbox, all but one
    # without a description; the v2.1 DCAT export adds one.
    assert {p: len(sample(p)) for p in PLATFORMS} == {
        "ckan": 8,
        "socrata": 8,
        "dcat_us": 8,
        "arcgis": 8,
        "dcat_rdf": 8,
        "opendatasoft": 2,
    }
    assert len(undescribed()) == PER_PLATFORM


@pytest.mark.parametrize("platform", PLATFORMS)
def test_sample_keeps_the_source_description(platform: str) -> None:
    lost = [label for label, record in sample(platform) if not has_text(record.description)]
    assert lost == []


@pytest.mark.parametrize("platform", PLATFORMS)
def test_sample_conforms_to_dcat_ap(platform: str, shapes: Graph) -> None:
    assert_conforms(sample(platform), shapes)


def test_records_without_a_source_description_conform(shapes: Graph) -> None:
    assert_conforms(undescribed(), shapes)


@pytest.mark.parametrize("fmt", get_args(Format))
@pytest.mark.parametrize("platform", PLATFORMS)
def test_sample_round_trips_in_every_format(platform: str, fmt: Format) -> None:
    for n, (label, record) in enumerate(sample(platform)):
        expected = dataset_graph(record, dataset_uri=uri_of(n))
        data = serialize_dataset(record, uri_of(n), fmt)
        parsed = Graph().parse(data=data, format="json-ld" if fmt == "jsonld" else fmt)
        assert isomorphic(parsed, expected), label
