"""Benchmark: checking records against the publication guidelines vs SHACL validation.

    .venv/bin/python bench/conformity.py [--n 10000] [--shacl-n 200]

Every dataset written by a harvest is checked against the partnership's publication
guidelines (:func:`catalog.conformity.check`, docs/publication-guidelines.md). The baseline
measured in the same run is what a DCAT-AP validator does: pyshacl validating each dataset's
DCAT-AP graph against the DCAT-AP 3.0.1 shapes (read from ../shared/vocab, as the SHACL tests
do), per dataset and — pyshacl's best case — once for a graph holding ``--shacl-n`` datasets.
The two do not check the same rules (guidelines vs DCAT-AP cardinalities and ranges), so the
ratio says what each costs per dataset, not which is "better".

Records are the portal simulator's corpus mapped by the CKAN connector, built before timing.
Each measurement runs in a fresh process; peak MB is ``ru_maxrss`` growth during the run.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import isolated, machine, table


def _records(n: int) -> list[tuple[str, Any]]:
    from bench.rdf_export import simulated_records

    return list(simulated_records(n))


def _rss_kb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _result(n: int, started: float, start_rss: int, conforming: int) -> dict[str, float]:
    return {
        "seconds": time.perf_counter() - started,
        "n": n,
        "peak_mb": (_rss_kb() - start_rss) / 1024,
        "conforming": conforming,
    }


def run_guidelines(n: int) -> dict[str, float]:
    """Check ``n`` records against every guideline rule (in a fresh process)."""
    from catalog.conformity import check

    records = _records(n)
    start_rss = _rss_kb()
    started = time.perf_counter()
    conforming = sum(check(record).conforms for _, record in records)
    return _result(n, started, start_rss, conforming)


def run_shacl(n: int, batched: bool) -> dict[str, float]:
    """pyshacl on ``n`` records' DCAT-AP graphs: one validation each, or one for all."""
    from pyshacl import validate
    from rdflib import Graph

    from catalog.rdf import dataset_graph
    from tests.catalog.shacl_support import load_shapes, stub_external_concepts

    shapes = load_shapes()
    records = _records(n)
    minted = "https://moisson.example/"
    graphs = [dataset_graph(record, dataset_uri=uri) for uri, record in records]
    if batched:
        whole = Graph()
        for graph in graphs:
            whole += graph
        graphs = [whole]
    for graph in graphs:
        stub_external_concepts(graph, minted)
    start_rss = _rss_kb()
    started = time.perf_counter()
    conforming = 0
    for graph in graphs:
        conforms, _, _ = validate(graph, shacl_graph=shapes, inference="none", allow_warnings=True)
        conforming += bool(conforms)
    return _result(n, started, start_rss, conforming)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10000, help="records for the guideline check")
    parser.add_argument(
        "--shacl-n", type=int, default=200, help="records for pyshacl (slow: keep it small)"
    )
    args = parser.parse_args()
    print(machine())
    ours = isolated(run_guidelines, args.n)
    single = isolated(run_shacl, args.shacl_n, False)
    batch = isolated(run_shacl, args.shacl_n, True)
    ours_rate = ours["n"] / ours["seconds"]
    rows = []
    for name, result, unit in (
        ("guidelines (catalog.conformity.check)", ours, "records"),
        ("pyshacl DCAT-AP 3, one graph per dataset", single, "graphs"),
        (f"pyshacl DCAT-AP 3, one graph of {args.shacl_n} datasets", batch, "graph"),
    ):
        rate = result["n"] / result["seconds"]
        rows.append(
            [
                name,
                int(result["n"]),
                rate,
                ours_rate / rate,
                result["peak_mb"],
                f"{int(result['conforming'])} {unit}",
            ]
        )
    print(
        table(
            ["check", "datasets", "ds/s", "guidelines ×", "peak MB", "conforming"],
            rows,
            title="\nConformity checking (same run; records built before timing)",
        )
    )


if __name__ == "__main__":
    main()
