"""Benchmark: mapping speed (``connector.normalize``) of the CKAN connector and its siblings.

    .venv/bin/python bench/mapping.py [--n 5000] [--repeat 3] [--rounds 2]
        [--connectors ckan,ckan-fixtures,socrata,dcat_us,dcat_rdf,dcat_rdf-fixtures]
        [--compare /path/to/other/tree]
        [--profile] [--check GOLDEN_DIR] [--write GOLDEN_DIR]

Each connector maps ``--n`` packages of the portal simulator's corpus (the shapes
``bench/harvest.py`` serves), already parsed, in a fresh process; the CKAN connector also
maps every package of the recorded CKAN fixtures (``../shared/fixtures/ckan``), cycled up
to ``--n``. ``dcat_rdf`` maps the simulator's datasets as the DCAT RDF connector stores them
(its Turtle pages cut into N-Triples payloads, as ``bench/harvest.py``'s Turtle harvest does)
and ``dcat_rdf-fixtures`` every dataset of the recorded DCAT RDF fixtures
(``../shared/fixtures/dcat-rdf``), cycled likewise. Baseline (same run): ``orjson.loads`` of the same packages serialized as
100-package pages — the parsing work a harvest's ceiling does. Rates are datasets per
second of this process's CPU time (``time.process_time``: the machine is shared, and wall
time also counts the waits for a core): *first pass* (cold caches) and *best* of
``--repeat`` passes.

``--compare TREE`` runs the same measurements with the project modules imported from
another checkout (e.g. a copy of the code before a change), taking turns with this tree in
``--rounds`` fresh processes each, and prints the speed-up.
``--write DIR`` / ``--check DIR`` store / compare ``record.model_dump(mode="json")`` of every
mapped package (simulator and fixtures, for each connector), to prove a speed change
changed no output. ``--profile`` prints a cProfile of the first ``--connectors`` mapping (top
functions).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent.parent
AT = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
SITE = "https://donnees.example.qc.ca"


# --- workloads (run inside the worker, with the chosen tree first on sys.path) ------------


def _corpus(n: int) -> list[Any]:
    from simulator.corpus import Corpus, CorpusSpec

    corpus = Corpus(CorpusSpec(n=n))
    return [corpus.dataset(index) for index in corpus.indices]


def _fixture_packages() -> list[dict[str, Any]]:
    from tests.connectors.test_ckan_mapping import PACKAGE_FIXTURES, packages_in

    return [p for name in PACKAGE_FIXTURES for p in packages_in(name)]


def _ckan(datasets: list[Any]) -> tuple[list[Any], Callable[[Any], Any]]:
    import httpx

    from connectors.base import RawRecord, SourceSpec
    from connectors.ckan import CkanConnector
    from simulator.platforms.ckan import package

    source = SourceSpec(id="sim", url=f"{SITE}/api/3/action", platform="ckan")
    connector = CkanConnector(source, httpx.AsyncClient())
    payloads = [package(d, SITE) for d in datasets]
    return payloads, lambda p: connector.normalize(RawRecord(str(p.get("id")), p, AT))


def _ckan_fixtures(n: int) -> tuple[list[Any], Callable[[Any], Any]]:
    import httpx

    from connectors.base import RawRecord, SourceSpec
    from connectors.ckan import CkanConnector

    source = SourceSpec(id="src", url="https://portal.example.org/api/3/action", platform="ckan")
    connector = CkanConnector(source, httpx.AsyncClient())
    found = _fixture_packages()
    payloads = [found[i % len(found)] for i in range(max(n, len(found)))]
    return payloads, lambda p: connector.normalize(RawRecord(str(p.get("id")), p, AT))


def _socrata(datasets: list[Any]) -> tuple[list[Any], Callable[[Any], Any]]:
    import httpx

    from connectors.base import RawRecord, SourceSpec
    from connectors.socrata import SocrataConnector
    from simulator.platforms.socrata import asset

    domain = "data.example.qc.ca"
    source = SourceSpec(id="sim", url=f"https://{domain}", platform="socrata")
    connector = SocrataConnector(source, httpx.AsyncClient())
    payloads = [asset(d, domain) for d in datasets]
    return payloads, lambda p: connector.normalize(RawRecord(p["resource"]["id"], p, AT))


def _dcat_us(datasets: list[Any]) -> tuple[list[Any], Callable[[Any], Any]]:
    import httpx

    from connectors.base import RawRecord, SourceSpec
    from connectors.dcat_us import DcatUsConnector
    from simulator.platforms.datajson import dataset

    source = SourceSpec(id="sim", url=f"{SITE}/data.json", platform="dcat_us")
    connector = DcatUsConnector(source, httpx.AsyncClient())
    payloads = [dataset(d) for d in datasets]
    return payloads, lambda p: connector.normalize(RawRecord(str(p.get("identifier")), p, AT))


def _dcat_payloads(pages: Sequence[tuple[bytes, str | None, str]]) -> list[Any]:
    """The payloads the DCAT RDF connector stores for each dataset of ``pages`` (body,
    content type, URL), cut as its listing cuts them."""
    from connectors.dcat_rdf_graphs import payload_of
    from connectors.dcat_rdf_pages import cut_page

    payloads: list[Any] = []
    for body, content_type, page_url in pages:
        cut = cut_page(body, content_type=content_type, base=page_url, what=page_url)
        payloads += [payload_of(subject, text, page_url) for _, subject, text in cut.datasets]
    return payloads


def _dcat_normalize(url: str) -> Callable[[Any], Any]:
    import httpx

    from connectors.base import RawRecord, SourceSpec
    from connectors.dcat_rdf import DcatRdfConnector

    connector = DcatRdfConnector(
        SourceSpec(id="sim", url=url, platform="dcat_rdf"), httpx.AsyncClient()
    )
    return lambda p: connector.normalize(RawRecord(p["subject"], p, AT))


def _dcat_rdf(datasets: list[Any]) -> tuple[list[Any], Callable[[Any], Any]]:
    from simulator.platforms.dcat_turtle import PREFIXES, dataset_turtle

    url = f"{SITE}/catalog.ttl"
    pages = [
        ((PREFIXES + "".join(dataset_turtle(d, SITE) for d in datasets[i : i + 100])).encode(),
         "text/turtle", f"{url}?page={1 + i // 100}")
        for i in range(0, len(datasets), 100)
    ]  # fmt: skip
    return _dcat_payloads(pages), _dcat_normalize(url)


def _dcat_rdf_fixtures(n: int) -> tuple[list[Any], Callable[[Any], Any]]:
    from tests.connectors.test_dcat_rdf_mapping import BASE, DCAT_FIXTURES
    from tests.paths import fixture

    pages = [(fixture("dcat-rdf", name).read_bytes(), None, BASE) for name in DCAT_FIXTURES]
    found = _dcat_payloads(pages)
    payloads = [found[i % len(found)] for i in range(max(n, len(found)))]
    return payloads, _dcat_normalize(BASE)


def workloads(names: list[str], n: int) -> Iterator[tuple[str, list[Any], Callable[[Any], Any]]]:
    """(label, payloads, normalize) for each requested connector."""
    datasets = _corpus(n)
    makers: dict[str, Callable[[], tuple[list[Any], Callable[[Any], Any]]]] = {
        "ckan": lambda: _ckan(datasets),
        "ckan-fixtures": lambda: _ckan_fixtures(n),
        "socrata": lambda: _socrata(datasets),
        "dcat_us": lambda: _dcat_us(datasets),
        "dcat_rdf": lambda: _dcat_rdf(datasets),
        "dcat_rdf-fixtures": lambda: _dcat_rdf_fixtures(n),
    }
    for name in names:
        payloads, normalize = makers[name]()
        yield name, payloads, normalize


# --- measurement --------------------------------------------------------------------------


def _pages(payloads: list[Any]) -> list[bytes]:
    import orjson

    return [
        orjson.dumps({"success": True, "result": {"results": payloads[i : i + 100]}})
        for i in range(0, len(payloads), 100)
    ]


def _rate(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("inf")


def _map_all(payloads: list[Any], normalize: Callable[[Any], Any]) -> tuple[float, int]:
    failed = 0
    start = time.process_time()
    for payload in payloads:
        try:
            normalize(payload)
        except Exception:  # skipped/invalid records count as mapped work
            failed += 1
    return time.process_time() - start, failed


def measure(names: list[str], n: int, repeat: int) -> dict[str, Any]:
    """Rates of parse (orjson) and normalize for each connector, in this process."""
    import orjson

    out: dict[str, Any] = {}
    for name, payloads, normalize in workloads(names, n):
        pages = _pages(payloads)
        parse = min(_parse_all(pages, orjson.loads) for _ in range(repeat))
        first, failed = _map_all(payloads, normalize)
        best = min([first, *(_map_all(payloads, normalize)[0] for _ in range(repeat - 1))])
        out[name] = {
            "count": len(payloads),
            "failed": failed,
            "parse": _rate(len(payloads), parse),
            "first": _rate(len(payloads), first),
            "best": _rate(len(payloads), best),
            "ms": 1000 * best / len(payloads),
        }
    return out


def _parse_all(pages: list[bytes], loads: Callable[[bytes], Any]) -> float:
    start = time.process_time()
    for page in pages:
        loads(page)
    return time.process_time() - start


def outputs(names: list[str], n: int) -> Iterator[tuple[str, str]]:
    """(key, JSON of ``model_dump(mode="json")`` or the error) of every mapped payload."""
    import orjson

    for name, payloads, normalize in workloads(names, n):
        for i, payload in enumerate(payloads[: n if not name.endswith("-fixtures") else None]):
            try:
                dumped = orjson.dumps(normalize(payload).model_dump(mode="json")).decode()
            except Exception as error:  # the error is the output
                dumped = f"{type(error).__name__}: {error}"
            yield f"{name} {i}", dumped


def profile(name: str, n: int) -> str:
    import cProfile
    import io
    import pstats

    (_, payloads, normalize), *_ = workloads([name], n)
    _map_all(payloads, normalize)  # warm the caches: the steady state is what a harvest sees
    profiler = cProfile.Profile()
    profiler.enable()
    _map_all(payloads, normalize)
    profiler.disable()
    stream = io.StringIO()
    stats = pstats.Stats(profiler, stream=stream)
    stats.sort_stats("tottime").print_stats(25)
    return stream.getvalue()


# --- driver -------------------------------------------------------------------------------


def _worker(args: argparse.Namespace) -> None:
    sys.path.insert(0, str(Path(args.root).resolve()))
    names = args.connectors.split(",")
    if args.mode == "measure":
        print(json.dumps(measure(names, args.n, args.repeat)))
    elif args.mode == "profile":
        print(profile(names[0], args.n))
    elif args.mode == "dump":
        for key, value in outputs(names, args.n):
            print(json.dumps([key, value]))


def _run(root: str, mode: str, args: argparse.Namespace) -> str:
    command = [
        sys.executable, __file__, "--worker", "--root", root, "--mode", mode,
        "--n", str(args.n), "--repeat", str(args.repeat), "--connectors", args.connectors,
    ]  # fmt: skip
    # the other tree reads the same shared fixtures as this one
    shared = os.environ.get("MOISSON_SHARED", str(HERE.parent / "shared"))
    env = {**os.environ, "PYTHONHASHSEED": "0", "MOISSON_SHARED": shared}
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=root, check=False)
    if done.returncode:
        raise SystemExit(f"worker failed ({root}):\n{done.stderr}")
    return done.stdout


def _check(directory: Path, args: argparse.Namespace, *, write: bool) -> int:
    lines = _run(str(HERE), "dump", args).splitlines()
    path = directory / f"mapping-{args.connectors.replace(',', '+')}-{args.n}.jsonl"
    if write:
        directory.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines) + "\n")
        print(f"wrote {len(lines)} outputs to {path}")
        return 0
    want = path.read_text().splitlines()
    diffs = [(w, g) for w, g in zip(want, lines, strict=False) if w != g]
    if len(want) != len(lines):
        print(f"count differs: {len(want)} stored, {len(lines)} now")
    for w, g in diffs[:5]:
        print(f"DIFF\n  stored {w[:400]}\n  now    {g[:400]}")
    print(f"{len(lines)} outputs compared, {len(diffs)} differ")
    return 1 if diffs or len(want) != len(lines) else 0


def _keep_best(best: dict[str, Any], found: dict[str, Any]) -> None:
    for name, got in found.items():
        if name not in best:
            best[name] = got
            continue
        for key in ("parse", "first", "best"):
            best[name][key] = max(best[name][key], got[key])
        best[name]["ms"] = 1000 / best[name]["best"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--connectors", default="ckan,ckan-fixtures,socrata,dcat_us")
    parser.add_argument("--compare", help="another tree to measure the same way (before)")
    parser.add_argument("--rounds", type=int, default=2, help="fresh processes per tree")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--write", type=Path, help="store mapped outputs in this folder")
    parser.add_argument("--check", type=Path, help="compare mapped outputs with --write's")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--root", default=str(HERE), help=argparse.SUPPRESS)
    parser.add_argument("--mode", default="measure", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        _worker(args)
        return
    if args.write or args.check:
        raise SystemExit(_check(args.write or args.check, args, write=bool(args.write)))

    sys.path.insert(0, str(HERE))
    from bench.common import machine, table

    print(machine())
    # with --compare, the two trees take turns (``--rounds`` each) so that a change in the
    # machine's load hits both; each keeps its best round
    ours: dict[str, Any] = {}
    other: dict[str, Any] = {}
    for _ in range(args.rounds):
        _keep_best(ours, json.loads(_run(str(HERE), "measure", args)))
        if args.compare:
            _keep_best(other, json.loads(_run(args.compare, "measure", args)))
    headers = ["connector", "datasets", "orjson parse ds/s", "normalize ds/s (first)"]
    headers += ["normalize ds/s (best)", "ms/dataset", "parse / normalize"]
    if other:
        headers += ["before ds/s (best)", "before ms/dataset", "speed-up"]
    rows = []
    for name, got in ours.items():
        row = [name, got["count"], got["parse"], got["first"], got["best"], got["ms"]]
        row.append(f"{got['parse'] / got['best']:.1f}×")
        if other:
            was = other[name]
            row += [was["best"], was["ms"], f"{got['best'] / was['best']:.1f}×"]
        rows.append(row)
    title = (
        f"Mapping, {args.n} simulator packages (best of {args.repeat} passes × {args.rounds}"
        " processes; CKAN fixtures cycled to the same count)"
    )
    print(table(headers, rows, title=title))
    if args.profile:
        print(_run(str(HERE), "profile", args))


if __name__ == "__main__":
    main()
