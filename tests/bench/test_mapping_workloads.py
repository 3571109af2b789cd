"""``bench/mapping.py``'s DCAT RDF workloads hold what the connector stores and maps."""

from __future__ import annotations

from bench.mapping import workloads
from tests.connectors.test_dcat_rdf_mapping import DCAT_FIXTURES, records


def test_the_simulated_turtle_workload_maps_each_dataset_once() -> None:
    [(name, payloads, normalize)] = workloads(["dcat_rdf"], 30)
    assert name == "dcat_rdf" and len(payloads) == 30
    assert all(payload["ntriples"].endswith(" .\n") for payload in payloads)
    records = [normalize(payload) for payload in payloads]
    assert len({record.provenance.remote_id for record in records}) == 30
    assert all(record.title and record.distributions for record in records)


def test_the_fixture_workload_covers_every_recorded_dcat_page() -> None:
    [(_, payloads, normalize)] = workloads(["dcat_rdf-fixtures"], 1)
    pages = {payload["page"] for payload in payloads}
    assert len(pages) == 1  # every fixture is read as the same catalogue page URL
    assert len(payloads) == sum(len(records(name)) for name in DCAT_FIXTURES)
    assert all(normalize(payload).title for payload in payloads)
