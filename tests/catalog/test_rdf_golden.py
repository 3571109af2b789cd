"""The writers against a golden corpus: every format parses to the graph the rdflib-based
implementation produced for the same records.

``data/rdf_golden.jsonl.gz`` holds, per line, a record (``model_dump(mode="json")``), its
dataset URI and the N-Triples the rdflib-term code (before the lightweight terms of
:mod:`catalog.rdf.terms`) wrote for it, ``catalog_uri`` = :data:`CATALOG`. The records are
frozen, not re-mapped from the fixtures, so connector changes do not move this test: 122
records sampled from every platform's fixtures (``tests/catalog/test_rdf_shacl_platforms.py``:
24 described + 4 undescribed per platform, fewer where the fixtures have fewer), the tricky
and rich records of the other tests, and three edge records (quotes, backslashes, line
breaks, control characters, non-ASCII, odd language tags, IRIs with spaces and forbidden
characters, relative "IRIs", every datatype, every geometry kind, bad checksums…).

When the DCAT-AP mapping changes on purpose, regenerate the expected N-Triples from the
frozen records with the current code, and review the diff::

    .venv/bin/python -m tests.catalog.test_rdf_golden --regenerate
"""

from __future__ import annotations

import gzip
import json
import sys
from functools import cache
from pathlib import Path
from typing import Any, get_args

import pytest
from rdflib import Graph
from rdflib.compare import graph_diff, isomorphic, to_isomorphic

from catalog.model import DatasetRecord
from catalog.rdf import Format, iter_catalog, serialize_dataset

pytestmark = pytest.mark.filterwarnings(
    # rdflib's own JSON-LD parser builds a ConjunctiveGraph internally
    "ignore:ConjunctiveGraph is deprecated:DeprecationWarning"
)

GOLDEN = Path(__file__).parent / "data" / "rdf_golden.jsonl.gz"
CATALOG = "https://moisson.example/catalog"
PARSERS = {"turtle": "turtle", "nt": "nt", "jsonld": "json-ld", "xml": "xml"}


@cache
def golden() -> tuple[dict[str, Any], ...]:
    with gzip.open(GOLDEN, "rt", encoding="utf-8") as lines:
        return tuple(json.loads(line) for line in lines)


def record(row: dict[str, Any]) -> DatasetRecord:
    return DatasetRecord.model_validate(row["record"])


def assert_same(parsed: Graph, expected: Graph, label: str) -> None:
    if not isomorphic(parsed, expected):
        _, only_parsed, only_expected = graph_diff(to_isomorphic(parsed), to_isomorphic(expected))
        pytest.fail(
            f"{label}\nonly in output: {sorted(only_parsed)[:5]}"
            f"\nonly expected: {sorted(only_expected)[:5]}"
        )


def test_corpus_covers_every_platform() -> None:
    platforms = {row["label"].split(":")[0] for row in golden() if ":" in row["label"]}
    assert platforms == {"ckan", "socrata", "dcat_us", "arcgis", "dcat_rdf", "opendatasoft"}
    assert len(golden()) >= 120


@pytest.mark.parametrize("fmt", get_args(Format))
def test_each_record_matches_the_rdflib_implementation(fmt: Format) -> None:
    for row in golden():
        text = serialize_dataset(record(row), row["uri"], fmt, catalog_uri=CATALOG)
        parsed = Graph().parse(data=text, format=PARSERS[fmt])
        expected = Graph().parse(data=row["nt"], format="nt")
        assert len(expected) > 0
        assert_same(parsed, expected, row["label"])


@pytest.mark.parametrize("fmt", get_args(Format))
def test_whole_catalogue_matches_the_rdflib_implementation(fmt: Format) -> None:
    items = [(row["uri"], record(row)) for row in golden()]
    text = "".join(iter_catalog(items, format=fmt, catalog_uri=CATALOG, chunk_chars=4096))
    parsed = Graph().parse(data=text, format=PARSERS[fmt])
    expected = Graph().parse(data="".join(row["nt"] for row in golden()), format="nt")
    assert len(expected) > 8_000
    assert_same(parsed, expected, f"whole catalogue, {fmt}")


def regenerate() -> None:
    rows = [
        {**row, "nt": serialize_dataset(record(row), row["uri"], "nt", catalog_uri=CATALOG)}
        for row in golden()
    ]
    with gzip.open(GOLDEN, "wt", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")


if __name__ == "__main__":
    if sys.argv[1:] != ["--regenerate"]:
        sys.exit(__doc__)
    regenerate()
