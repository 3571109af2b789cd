"""ArcGIS REST service descriptions (recorded FeatureServer/MapServer answers) → enrichment."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from catalog.model import DatasetRecord, Distribution, Provenance, SpatialCoverage
from connectors.arcgis_services import (
    EARTH_RADIUS,
    enrich,
    extent_bbox,
    is_service_url,
    layer_info,
    mark_services,
    mercator_to_wgs84,
    object_ids,
    record_count,
    service_info,
)
from tests.paths import FIXTURES, fixture

LAYERS = [
    "featureserver_layer_cook-county_no-currentVersion.json",
    "featureserver_layer_info_hosted.json",
    "featureserver_layer_kent-county-mi_parcels.json",
    "featureserver_layer_polk-county-fl_addresses.json",
    "featureserver_layer_with-renderer-imagedata.json",
    "mapserver_layer_census-designated-places.json",
]


def load(name: str) -> Any:
    return json.loads(fixture("arcgis", name).read_text(encoding="utf-8"))


def test_every_arcgis_fixture_is_used_by_a_test() -> None:
    here = Path(__file__).parent
    text = "".join(p.read_text() for p in here.glob("test_arcgis_*.py"))
    text += (here / "test_detect.py").read_text()
    names = sorted(p.name for p in (FIXTURES / "arcgis").iterdir() if p.is_file())
    assert names, "no ArcGIS fixtures found"
    assert [name for name in names if f'"{name}"' not in text] == []


@pytest.mark.parametrize("name", LAYERS)
def test_layer_description_maps(name: str) -> None:
    raw = load(name)
    info = layer_info(raw)
    assert info.name == raw["name"]
    assert info.layer_id == raw["id"]
    assert info.kind == raw["type"]
    assert info.geometry_type == raw["geometryType"].removeprefix("esriGeometry")
    assert [f.name for f in info.fields] == [f["name"] for f in raw["fields"]]
    assert [f.type for f in info.fields] == [f["type"] for f in raw["fields"]]
    assert info.max_record_count == raw.get("maxRecordCount")
    expected_version = str(raw["currentVersion"]) if "currentVersion" in raw else None
    assert info.version == expected_version
    if "capabilities" in raw:
        assert info.queryable == ("Query" in raw["capabilities"].split(","))
    else:
        assert info.queryable is None  # Cook County's layer says nothing


@pytest.mark.parametrize(
    "name",
    [
        "featureserver_layer_info_hosted.json",
        "featureserver_layer_polk-county-fl_addresses.json",
        "featureserver_layer_with-renderer-imagedata.json",
    ],
)
def test_wgs84_extent_kept(name: str) -> None:
    extent = load(name)["extent"]
    assert layer_info(load(name)).bbox == (
        extent["xmin"],
        extent["ymin"],
        extent["xmax"],
        extent["ymax"],
    )


def test_web_mercator_extent_projected() -> None:
    raw = load("mapserver_layer_census-designated-places.json")
    extent = raw["extent"]
    assert extent["spatialReference"]["wkid"] == 102100
    box = layer_info(raw).bbox
    assert box is not None
    west, south, east, north = box
    assert west == pytest.approx(math.degrees(extent["xmin"] / EARTH_RADIUS))
    assert east == pytest.approx(math.degrees(extent["xmax"] / EARTH_RADIUS))
    lat = math.degrees(2 * math.atan(math.exp(extent["ymax"] / EARTH_RADIUS)) - math.pi / 2)
    assert north == pytest.approx(lat)
    assert -180 < west < -170 and 170 < east < 180 and -20 < south < 0 and 70 < north < 75


def test_mercator_known_points() -> None:
    assert mercator_to_wgs84(0, 0) == (0.0, 0.0)
    lon, lat = mercator_to_wgs84(20037508.342789244, 20037508.342789244)
    assert lon == pytest.approx(180.0)
    assert lat == pytest.approx(85.0511287798, abs=1e-8)


@pytest.mark.parametrize(
    "name",
    [
        "featureserver_layer_cook-county_no-currentVersion.json",  # wkid 3435 (state plane)
        "featureserver_layer_kent-county-mi_parcels.json",  # wkt only
    ],
)
def test_other_references_give_no_bbox(name: str) -> None:
    assert load(name)["extent"]["xmin"] > 1000
    assert layer_info(load(name)).bbox is None


def test_service_root() -> None:
    raw = load("featureserver_service_info.json")
    info = service_info(raw)
    assert info.layers == tuple((layer["id"], layer["name"]) for layer in raw["layers"])
    assert info.tables == ()
    full = raw["fullExtent"]
    assert info.bbox == (full["xmin"], full["ymin"], full["xmax"], full["ymax"])
    assert info.queryable is True
    assert info.capabilities == tuple(raw["capabilities"].split(","))
    assert info.max_record_count == raw["maxRecordCount"]
    assert info.version == str(raw["currentVersion"])


def test_query_answers() -> None:
    assert record_count(load("featureserver_query_returnCountOnly.json")) == 30551
    raw = load("featureserver_query_returnIdsOnly.json")
    field, ids = object_ids(raw)
    assert field == raw["objectIdFieldName"] == "OBJECTID"
    assert ids == raw["objectIds"] and len(ids) == len(raw["objectIds"]) > 0
    assert record_count({"error": {"code": 400}}) is None
    assert object_ids([]) == (None, [])


def test_extent_edge_cases() -> None:
    assert extent_bbox(None) is None
    assert extent_bbox({"xmin": 0, "ymin": 0, "xmax": 1}) is None
    assert extent_bbox({"xmin": 0, "ymin": 0, "xmax": 1, "ymax": 1}, {"wkid": 4326}) == (
        0.0,
        0.0,
        1.0,
        1.0,
    )
    assert extent_bbox({"xmin": 0, "ymin": 0, "xmax": 1, "ymax": 1}) is None  # no reference
    assert extent_bbox({"xmin": -200, "ymin": 0, "xmax": 1, "ymax": 1}, {"wkid": 4326}) is None
    with pytest.raises(ValueError):
        layer_info([])


SERVICE = "https://services.arcgis.com/x/arcgis/rest/services/Parcels/FeatureServer/0"


def _record(**update: Any) -> DatasetRecord:
    return DatasetRecord(
        identifier="x",
        title={"": "x"},
        distributions=[
            Distribution(access_url=SERVICE),
            Distribution(access_url=f"{SERVICE}/query?where=1%3D1&f=geojson"),
            Distribution(access_url="https://example.org/data.csv"),
        ],
        provenance=Provenance(
            source_id="s", remote_id="x", platform="arcgis", harvested_at=datetime.now(UTC)
        ),
        **update,
    )


def test_enrich_adds_bbox_and_api_access() -> None:
    layer = layer_info(load("featureserver_layer_polk-county-fl_addresses.json"))
    enriched = enrich(_record(), layer)
    assert enriched.spatial == [SpatialCoverage(bbox=layer.bbox)]
    assert [d.api_access for d in enriched.distributions] == [True, True, False]
    assert enriched.distributions[0].endpoint_url == SERVICE
    kept = enrich(_record(spatial=[SpatialCoverage(bbox=(0, 0, 1, 1))]), layer)
    assert kept.spatial == [SpatialCoverage(bbox=(0, 0, 1, 1))]


def test_enrich_without_query_capability() -> None:
    layer = layer_info({"name": "x", "capabilities": "Map"})
    assert layer.queryable is False
    record = _record()
    record.distributions[0].api_access = True
    enriched = enrich(record, layer)
    assert enriched.distributions[0].api_access is False
    assert enriched.distributions[0].endpoint_url is None


def test_mark_services() -> None:
    marked = mark_services(_record())
    assert [d.api_access for d in marked.distributions] == [True, False, False]
    assert marked.distributions[0].endpoint_url == SERVICE
    assert is_service_url(SERVICE) and not is_service_url("https://example.org/a.csv")
