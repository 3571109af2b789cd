"""DCAT records and distributions are built without validation (``catalog.model.trusted``):
for every recorded DCAT fixture and the simulator's Turtle, the instances must be exactly
those validation would build from the same values — equal, and of the same types all the
way down (an rdflib ``Literal`` is a ``str`` that compares equal, so equality alone would
let one through)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
from pydantic import BaseModel

from catalog.model import trusted
from connectors import dcat_rdf_distributions, dcat_rdf_mapping
from connectors.dcat_rdf_graphs import dataset_graphs
from connectors.rdf_parse import parse_rdf
from simulator.corpus import Corpus, CorpusSpec
from simulator.platforms.dcat_turtle import PREFIXES, dataset_turtle
from tests.connectors.test_dcat_rdf_mapping import AT, BASE, DCAT_FIXTURES, ODS_EXPORT, SOURCE
from tests.paths import fixture


def _same(built: Any, validated: Any, where: str) -> None:
    assert type(built) is type(validated), f"{where}: {type(built)} vs {type(validated)}"
    if isinstance(built, BaseModel):
        assert built.__pydantic_fields_set__ == validated.__pydantic_fields_set__, where
        assert list(vars(built)) == list(vars(validated)), where
        for name in vars(built):
            _same(getattr(built, name), getattr(validated, name), f"{where}.{name}")
    elif isinstance(built, dict):
        assert list(built) == list(validated), where
        for key in built:
            _same(key, next(k for k in validated if k == key), f"{where}[key {key!r}]")
            _same(built[key], validated[key], f"{where}[{key!r}]")
    elif isinstance(built, list | tuple):
        assert len(built) == len(validated), where
        for index, (a, b) in enumerate(zip(built, validated, strict=True)):
            _same(a, b, f"{where}[{index}]")
    else:
        assert built == validated, where
        if isinstance(built, datetime | date):
            assert repr(built) == repr(validated), where


class _Checking:
    """``trusted``, checked against validation on every call; counts its calls."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, model: type[BaseModel], values: dict[str, Any]) -> Any:
        built = trusted(model, dict(values))  # type: ignore[type-var]
        _same(built, model(**values), model.__name__)
        self.count += 1
        return built


def _graphs() -> list[tuple[str, Any]]:
    pages = [
        parse_rdf(fixture("dcat-rdf", name).read_bytes(), content_type=None, base=BASE)
        for name in DCAT_FIXTURES
    ]
    pages.append(
        parse_rdf(fixture("opendatasoft", ODS_EXPORT).read_bytes(), content_type=None, base=BASE)
    )
    corpus = Corpus(CorpusSpec(seed=11, n=120))
    site = "http://127.0.0.1:9"
    turtle = PREFIXES + "".join(dataset_turtle(corpus.dataset(i), site) for i in corpus.indices)
    pages.append(parse_rdf(turtle.encode(), content_type="text/turtle", base=site))
    return [pair for graph in pages for pair in dataset_graphs(graph)]


def test_every_dcat_record_is_the_one_validation_builds(monkeypatch: pytest.MonkeyPatch) -> None:
    checking = _Checking()
    monkeypatch.setattr(dcat_rdf_mapping, "trusted", checking)
    monkeypatch.setattr(dcat_rdf_distributions, "trusted", checking)
    mapped = 0
    for key, small in _graphs():
        try:
            dcat_rdf_mapping.normalize_dataset_graph(small, key, SOURCE, fetched_at=AT)
        except Exception as error:  # records refused as invalid stay refused either way
            assert type(error).__name__ == "RecordInvalid", error
            continue
        mapped += 1
    assert mapped > 250
    assert checking.count > mapped * 2  # records and their distributions
