"""Benchmark: streaming DCAT-AP export vs rdflib serializing one big Graph.

    .venv/bin/python bench/rdf_export.py [--n 5000] [--formats turtle,nt,jsonld,xml] [--simulated]
        [--baseline-tree DIR [--verify]]

The records are built once (synthetic: varied publisher hosts, three distributions each;
with ``--simulated``, the portal simulator's bilingual corpus mapped by the CKAN connector,
1–6 distributions each), read back as the API reads them from the database (a JSON round
trip: since session 31) and pickled to a temporary file. Each measurement then runs in a
fresh process that loads them into a list *before* the clock and the RSS baseline start, so
the figures are the export alone (no "net of record production" subtraction, whose noise
was larger than the export itself):

* stream   — ``catalog.rdf.write_catalog`` over the records, output discarded
* rdflib   — the same triples added to one rdflib Graph, then ``Graph.serialize`` (on the
  first ``--rdflib-n`` records only, if given: its Turtle writer is quadratic)
* before   — with ``--baseline-tree DIR``: ``write_catalog`` of the ``catalog`` package in
  another checkout (e.g. ``git worktree add /tmp/before HEAD~1``), same records
* verify   — with ``--verify``: after the clock, both writers' outputs are hashed (SHA-256)
  and compared: "same bytes" says whether the checkout under test writes what DIR writes
* read     — once: ``DatasetRecord.model_validate`` of the stored JSON dumps, the API's
  per-row cost when it streams a whole catalogue from the database

Peak RSS is ``ru_maxrss`` after the run minus ``ru_maxrss`` once the records are loaded:
the memory the export itself adds. ds/s are given by wall time and by process CPU time (the
latter barely moves when colleagues' jobs share the cores). Absolute times depend on the machine; compare the columns
of one run.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import pickle
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import isolated

RDFLIB_FORMATS = {"turtle": "turtle", "nt": "nt", "jsonld": "json-ld", "xml": "xml"}


class _Discard:
    """A text sink that only counts characters."""

    def __init__(self) -> None:
        self.size = 0

    def write(self, text: str) -> int:
        self.size += len(text)
        return len(text)


class _Digest:
    """A text sink that hashes what it is given (SHA-256 of the UTF-8 bytes)."""

    def __init__(self) -> None:
        self.hash = hashlib.sha256()

    def write(self, text: str) -> int:
        self.hash.update(text.encode())
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


def build(n: int, simulated: bool, path: str) -> float:
    """Pickle the records to ``path``, one by one, as the API reads them back from the
    database (stored as ``model_dump(mode="json")``, validated again: pydantic's ``TzInfo``
    or ``datetime.timezone`` in the datetimes, as ``catalog.model.Moment`` reads them); the
    seconds it took to produce them (the round trip not counted)."""
    from catalog.model import DatasetRecord

    records = simulated_records if simulated else synthetic_records
    elapsed = 0.0
    with open(path, "wb") as out:
        items = records(n)
        while True:
            started = time.perf_counter()
            item = next(items, None)
            elapsed += time.perf_counter() - started
            if item is None:
                return elapsed
            uri, record = item
            stored = DatasetRecord.model_validate(record.model_dump(mode="json"))
            pickle.dump((uri, stored), out, protocol=pickle.HIGHEST_PROTOCOL)


def _load(path: str, limit: int | None = None) -> list[tuple[str, Any]]:
    items: list[tuple[str, Any]] = []
    with open(path, "rb") as source:
        while limit is None or len(items) < limit:
            try:
                items.append(pickle.load(source))
            except EOFError:
                break
    return items


def _run(
    method: str,
    fmt: str,
    path: str,
    tree: str | None = None,
    limit: int | None = None,
    verify: bool = False,
) -> dict[str, Any]:
    """One measurement, meant to run in a fresh process."""
    if tree is not None:  # the catalog package of another checkout
        sys.path.insert(0, tree)
        for name in [m for m in sys.modules if m == "catalog" or m.startswith("catalog.")]:
            del sys.modules[name]
    from rdflib import Graph

    from catalog.model import DatasetRecord
    from catalog.rdf import bind_prefixes, dataset_triples, write_catalog

    items = _load(path, limit)
    dumps = [record.model_dump(mode="json") for _, record in items] if method == "read" else []
    start_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started, cpu = time.perf_counter(), time.process_time()
    if method == "read":
        for dump in dumps:
            DatasetRecord.model_validate(dump)
        size = len(dumps)
    elif method in ("stream", "before"):
        sink = _Discard()
        write_catalog(items, format=fmt, out=sink)  # type: ignore[arg-type]
        size = sink.size
    else:
        graph = bind_prefixes(Graph())
        for uri, record in items:
            for triple in dataset_triples(record, dataset_uri=uri):
                graph.add(triple)
        size = len(graph.serialize(format=RDFLIB_FORMATS[fmt]))
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - start_rss
    digest = None
    if verify and method in ("stream", "before"):  # after the clock: hashing is not free
        hashed = _Digest()
        write_catalog(items, format=fmt, out=hashed)  # type: ignore[arg-type]
        digest = hashed.hash.hexdigest()
    return {
        "seconds": elapsed,
        "cpu": cpu,
        "peak_mb": peak_kb / 1024,
        "chars": size,
        "n": len(items),
        "sha256": digest,
    }


def measure(
    method: str,
    fmt: str,
    path: str,
    tree: str | None = None,
    limit: int | None = None,
    verify: bool = False,
) -> dict[str, Any]:
    """:func:`_run` in a fresh process."""
    result: dict[str, Any] = isolated(_run, method, fmt, path, tree, limit, verify)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5000, help="number of datasets (default 5000)")
    parser.add_argument("--formats", default="turtle,nt,jsonld,xml")
    parser.add_argument(
        "--simulated", action="store_true", help="records from the portal simulator's corpus"
    )
    parser.add_argument(
        "--baseline-tree", metavar="DIR", help="also time write_catalog of DIR/catalog (before)"
    )
    parser.add_argument(
        "--verify",
        action="store_true",
        help="with --baseline-tree: check (untimed) that both write the same bytes",
    )
    parser.add_argument("--no-rdflib", action="store_true", help="skip the rdflib baseline")
    parser.add_argument(
        "--rdflib-n",
        type=int,
        metavar="K",
        help="rdflib baseline on the first K datasets only (its Turtle writer is quadratic)",
    )
    args = parser.parse_args()
    tree = os.path.abspath(args.baseline_tree) if args.baseline_tree else None
    kind = "simulated (simulator + CKAN mapping)" if args.simulated else "synthetic"
    with tempfile.TemporaryDirectory(prefix="rdf_export_") as tmp:
        path = os.path.join(tmp, "records.pickle")
        produced = build(args.n, args.simulated, path)
        print(
            f"{args.n} {kind} datasets, produced at {args.n / produced:,.0f} ds/s (not timed "
            "below); baseline = rdflib Graph.serialize of one big graph"
        )
        read = measure("read", "nt", path)
        print(
            f"read path: DatasetRecord.model_validate of the stored JSON, "
            f"{args.n / read['seconds']:,.0f} ds/s\n"
        )
        header = (
            f"{'format':<8} {'stream ds/s':>12} {'(CPU)':>8} {'MB':>6} "
            + (f"{'before ds/s':>12} {'(CPU)':>8} {'MB':>6} {'×':>6} " if tree else "")
            + ("" if args.no_rdflib else f"{'rdflib ds/s':>12} {'MB':>6} {'×':>6} ")
            + f"{'out chars':>12}"
            + (f" {'same bytes':>10}" if tree and args.verify else "")
        )
        print(header)
        print("-" * len(header))
        for fmt in args.formats.split(","):
            ours = measure("stream", fmt, path, verify=args.verify)
            row = (
                f"{fmt:<8} {args.n / ours['seconds']:>12,.0f} {args.n / ours['cpu']:>8,.0f} "
                f"{ours['peak_mb']:>6.1f} "
            )
            if tree:
                old = measure("before", fmt, path, tree, verify=args.verify)
                speed = old["seconds"] / ours["seconds"]
                row += (
                    f"{args.n / old['seconds']:>12,.0f} {args.n / old['cpu']:>8,.0f} "
                    f"{old['peak_mb']:>6.1f} {speed:>6.1f} "
                )
            if not args.no_rdflib:
                base = measure("rdflib", fmt, path, limit=args.rdflib_n)
                rate = base["n"] / base["seconds"]
                speed = (args.n / ours["seconds"]) / rate
                row += f"{rate:>12,.0f} {base['peak_mb']:>6.1f} {speed:>6.1f} "
            row += f"{ours['chars']:>12,.0f}"
            if tree and args.verify:
                row += f" {'yes' if ours['sha256'] == old['sha256'] else 'NO':>10}"
            print(row, flush=True)
    print(
        "\n× = stream ds/s / that column's ds/s; (CPU) = ds/s of process CPU time, steadier "
        "than wall time on a shared machine; MB = peak RSS added by the export"
    )


if __name__ == "__main__":
    main()
