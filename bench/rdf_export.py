"""Benchmark: streaming DCAT-AP export vs rdflib serializing one big Graph.

    .venv/bin/python bench/rdf_export.py [--n 5000] [--formats turtle,nt,jsonld,xml] [--simulated]

For each format, two runs, each in a fresh process (so peak RSS belongs to that run alone):

* stream   — ``catalog.rdf.write_catalog`` over a lazy generator of records, output discarded
* baseline — the same triples added to one rdflib Graph, then ``Graph.serialize``

Both build the same synthetic records and triples (varied publisher hosts, three
distributions each; with ``--simulated``, the portal simulator's bilingual corpus mapped by
the CKAN connector, 1–6 distributions each), so the ratios compare the serialization
strategies. Peak RSS is
``ru_maxrss`` after the run minus ``ru_maxrss`` after imports. Figures are ratios measured in
the same run; absolute times depend on the machine.
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

RDFLIB_FORMATS = {"turtle": "turtle", "nt": "nt", "jsonld": "json-ld", "xml": "xml"}


class _Discard:
    """A text sink that only counts characters."""

    def __init__(self) -> None:
        self.size = 0

    def write(self, text: str) -> int:
        self.size += len(text)
        return len(text)


def synthetic_records(n: int) -> Iterator[tuple[str, Any]]:
    """``n`` (dataset URI, DatasetRecord) pairs, built lazily."""
    from catalog.model import (
        Agent,
        ContactPoint,
        DatasetRecord,
        Distribution,
        LicenceRef,
        PartnerKind,
        PeriodOfTime,
        Provenance,
        SpatialCoverage,
    )

    kinds = list(PartnerKind)
    for i in range(n):
        host = f"https://donnees.ville-{i % 300}.example.qc.ca"
        yield (
            f"https://moisson.example/jeux/{i}",
            DatasetRecord(
                identifier=f"jeu-{i}",
                title={"fr": f"Jeu de données n°{i} — été", "en": f"Dataset {i}"},
                description={"fr": f"Description « {i} » avec accents é è à", "en": "Description"},
                keywords={"fr": ["environnement", f"mot-{i % 50}"], "en": ["environment"]},
                themes=["http://publications.europa.eu/resource/authority/data-theme/ENVI"],
                publisher=Agent(
                    name={"fr": f"Ville {i % 300}"}, uri=f"{host}/organisation", kind=kinds[i % 5]
                ),
                contact_points=[
                    ContactPoint(name="Service", email=f"donnees@ville-{i % 300}.example")
                ],
                licence=LicenceRef(
                    id="CC-BY-4.0", uri="https://creativecommons.org/licenses/by/4.0/"
                ),
                access_rights="PUBLIC",
                issued=date(2020, 1, 1),
                modified=datetime(2024, 1, 1, tzinfo=UTC),
                temporal=[PeriodOfTime(start=date(2019, 1, 1), end=date(2019, 12, 31))],
                spatial=[SpatialCoverage(bbox=(-71.5, 46.7, -71.1, 46.9))],
                landing_page=f"{host}/dataset/jeu-{i}",
                accrual_periodicity="ANNUAL",
                language=["FRA"],
                distributions=[
                    Distribution(
                        identifier=f"r{i}-{k}",
                        title={"fr": f"Fichier {k}"},
                        download_url=f"{host}/files/{i}/{k}.csv",
                        file_type="CSV",
                        media_type="text/csv",
                        byte_size=1000 + k,
                        api_access=k == 0,
                        endpoint_url=f"{host}/api/3/action/datastore_search?resource_id=r{i}-{k}",
                    )
                    for k in range(3)
                ],
                provenance=Provenance(source_id="s", remote_id=str(i), platform="ckan"),
            ),
        )


def simulated_records(n: int) -> Iterator[tuple[str, Any]]:
    """``n`` (dataset URI, DatasetRecord) pairs from the portal simulator's corpus, mapped by
    the CKAN connector, built lazily."""
    from connectors.base import SourceSpec
    from connectors.ckan_mapping import normalize_package
    from simulator.corpus import Corpus, CorpusSpec
    from simulator.platforms.ckan import package

    site = "https://donnees.example.qc.ca"
    source = SourceSpec(id="sim", url=site, platform="ckan")
    corpus = Corpus(CorpusSpec(n=n))
    now = datetime(2025, 1, 1, tzinfo=UTC)
    for index in corpus.indices:
        payload = package(corpus.dataset(index), site)
        record = normalize_package(payload, source, api_url=f"{site}/api/3/action", fetched_at=now)
        yield f"https://moisson.example/jeux/{index}", record


def _run(method: str, fmt: str, n: int, simulated: bool = False) -> dict[str, float]:
    """One measurement, meant to run in a fresh process."""
    from rdflib import Graph

    from catalog.rdf import bind_prefixes, dataset_triples, write_catalog

    records = simulated_records if simulated else synthetic_records
    if simulated:
        next(records(1))  # import the mapping before the RSS baseline
    start_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    if method == "records":  # producing the records alone (included in both methods)
        size = sum(1 for _ in records(n))
    elif method == "stream":
        sink = _Discard()
        write_catalog(records(n), format=fmt, out=sink)  # type: ignore[arg-type]
        size = sink.size
    else:
        graph = bind_prefixes(Graph())
        for uri, record in records(n):
            for triple in dataset_triples(record, dataset_uri=uri):
                graph.add(triple)
        size = len(graph.serialize(format=RDFLIB_FORMATS[fmt]))
    elapsed = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - start_rss
    return {"seconds": elapsed, "peak_mb": peak_kb / 1024, "chars": size}


def measure(method: str, fmt: str, n: int, simulated: bool = False) -> dict[str, float]:
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(_run, (method, fmt, n, simulated))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5000, help="number of datasets (default 5000)")
    parser.add_argument("--formats", default="turtle,nt,jsonld,xml")
    parser.add_argument(
        "--simulated", action="store_true", help="records from the portal simulator's corpus"
    )
    args = parser.parse_args()
    print(f"{args.n} synthetic datasets; baseline = rdflib Graph.serialize of one big graph\n")
    header = (
        f"{'format':<8} {'stream ds/s':>12} {'rdflib ds/s':>12} {'speed ×':>8} "
        f"{'stream MB':>10} {'rdflib MB':>10} {'memory ÷':>9} {'out chars':>12}"
    )
    if args.simulated:
        alone = measure("records", "nt", args.n, True)
        print(
            f"producing the records alone (simulator + CKAN mapping, in both columns): "
            f"{args.n / alone['seconds']:,.0f} ds/s; stream net of it is printed after each row\n"
        )
    print(header)
    print("-" * len(header))
    for fmt in args.formats.split(","):
        ours = measure("stream", fmt, args.n, args.simulated)
        base = measure("rdflib", fmt, args.n, args.simulated)
        speed = base["seconds"] / ours["seconds"]
        memory = base["peak_mb"] / max(ours["peak_mb"], 1.0)  # under 1 MB counts as 1 MB
        print(
            f"{fmt:<8} {args.n / ours['seconds']:>12,.0f} {args.n / base['seconds']:>12,.0f} "
            f"{speed:>8.2f} {ours['peak_mb']:>10.1f} {base['peak_mb']:>10.1f} {memory:>9.1f} "
            f"{ours['chars']:>12,.0f}",
            flush=True,
        )
        if args.simulated:
            net = ours["seconds"] - alone["seconds"]
            print(f"{'':<8} stream net of record production: {args.n / max(net, 1e-9):,.0f} ds/s")
    print("\nspeed × = rdflib time / stream time; memory ÷ = rdflib peak RSS / stream peak RSS")


if __name__ == "__main__":
    main()
