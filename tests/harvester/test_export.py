"""``moisson export``: the whole catalogue as one DCAT-AP file, written by several processes,
is the API's ``/catalog?limit=all`` byte for byte; bad input and failures leave no file."""

from __future__ import annotations

import asyncio
import errno
import io
import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from rdflib import Graph, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF
from sqlmodel import col
from typer.testing import CliRunner, Result

from api.app import create_app
from catalog.rdf import SUFFIXES, Format
from harvester import export as export_module
from harvester.cli import app
from harvester.export import RANGES_PER_PROCESS, Exported, ExportError, export_catalog
from harvester.settings import Settings, get_settings
from harvester.store.db import create_engine
from harvester.store.tables import Dataset
from harvester.work_folders import OWNER
from tests.api import corpus
from tests.harvester.test_work_folders import gone_pid

# rdflib's own JSON-LD parser uses its deprecated ConjunctiveGraph internally.
pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")

BASE = "https://donnees.example.qc.ca"
SUFFIX = {fmt: suffix for suffix, fmt in SUFFIXES.items()}
RDFLIB = {"turtle": "turtle", "nt": "nt", "jsonld": "json-ld", "xml": "xml"}
WITHDRAWN = ("bibli", "velo")


async def api_dump(database_url: str, fmt: Format) -> bytes:
    """The body of ``GET {BASE}/catalog.<suffix>?limit=all``."""
    api = create_app(Settings(database_url=database_url, auto_migrate=False))
    transport = httpx.ASGITransport(app=api)
    async with (
        api.router.lifespan_context(api),
        httpx.AsyncClient(transport=transport, base_url=BASE) as client,
    ):
        response = await client.get(f"/catalog.{SUFFIX[fmt]}", params={"limit": "all"})
    assert response.status_code == 200, response.text
    return response.content


async def scalars(database_url: str, statement: Any) -> list[Any]:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            return list(await connection.scalars(statement))
    finally:
        await engine.dispose()


async def visible_ids(database_url: str) -> set[str]:
    statement = sa.select(col(Dataset.id)).where(col(Dataset.withdrawn_at).is_(None))
    return set(await scalars(database_url, statement))


@pytest.fixture
async def catalogue(database_url: str) -> str:
    """The synthetic and the real CKAN corpora (71 datasets), two of them withdrawn."""
    await corpus.synthetic(database_url)
    await corpus.real(database_url)
    for remote_id in WITHDRAWN:
        await corpus.withdraw(database_url, remote_id)
    return database_url


async def export_to(path: Path, database_url: str, fmt: Format, **options: Any) -> Exported:
    return await export_catalog(database_url, path, format=fmt, base=BASE, **options)


@pytest.fixture
def out(tmp_path: Path) -> Path:
    """An empty folder for the output (``tmp_path`` holds the SQLite database)."""
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


def only(folder: Path) -> list[str]:
    """What a folder holds (a temporary folder or part left behind would show)."""
    return sorted(path.name for path in folder.iterdir())


@pytest.mark.parametrize("fmt", list(RDFLIB))
async def test_the_file_is_the_api_dump_whatever_the_processes(
    catalogue: str, out: Path, fmt: Format
) -> None:
    expected = await api_dump(catalogue, fmt)
    visible = len(await visible_ids(catalogue))
    assert visible == 69
    for processes in (1, 2, 3):
        path = out / f"catalog-{processes}.{SUFFIX[fmt]}"
        exported = await export_to(path, catalogue, fmt, processes=processes, page=4, min_range=1)
        assert path.read_bytes() == expected, f"{processes} processes"
        assert exported.datasets == visible
        shares: dict[int, int] = {}
        for part in exported.parts:
            shares[part.pid] = shares.get(part.pid, 0) + part.datasets
        assert all(shares.values()), f"every process wrote a share: {shares}"
        assert os.getpid() in shares
        # two workers may be one: the pool may give the second's first range to the first
        assert len(shares) == processes if processes < 3 else len(shares) >= 2
        assert len(exported.parts) == (1 if processes == 1 else RANGES_PER_PROCESS * processes)
    assert only(out) == sorted(f"catalog-{n}.{SUFFIX[fmt]}" for n in (1, 2, 3))
    graph = Graph().parse(data=expected, format=RDFLIB[fmt])
    assert len(set(graph.subjects(RDF.type, DCAT.Dataset))) == visible


async def test_a_small_catalogue_is_written_by_this_process_alone(
    catalogue: str, out: Path
) -> None:
    path = out / "catalog.ttl"
    exported = await export_to(path, catalogue, "turtle", processes=4)  # 69 < MIN_RANGE
    assert [part.pid for part in exported.parts] == [os.getpid()]
    assert path.read_bytes() == await api_dump(catalogue, "turtle")


async def test_withdrawn_datasets_are_left_out(catalogue: str, out: Path) -> None:
    path = out / "catalog.nt"
    await export_to(path, catalogue, "nt", processes=2, page=5, min_range=1)
    graph = Graph().parse(path, format="nt")
    written = {str(s) for s in graph.subjects(RDF.type, DCAT.Dataset)}
    assert written == {f"{BASE}/datasets/{uid}" for uid in await visible_ids(catalogue)}
    withdrawn = await scalars(
        catalogue, sa.select(col(Dataset.id)).where(col(Dataset.withdrawn_at).is_not(None))
    )
    assert len(withdrawn) == len(WITHDRAWN)
    assert not {f"{BASE}/datasets/{uid}" for uid in withdrawn} & written
    catalog = URIRef(f"{BASE}/catalog")
    assert {str(d) for d in graph.objects(catalog, DCAT.dataset)} == written


@pytest.mark.parametrize("fmt", list(RDFLIB))
async def test_an_empty_catalogue_is_a_valid_document(
    database_url: str, out: Path, fmt: Format
) -> None:
    path = out / "empty"
    exported = await export_to(path, database_url, fmt, processes=3, min_range=1)
    assert exported.datasets == 0
    assert path.read_bytes() == await api_dump(database_url, fmt)
    graph = Graph().parse(path, format=RDFLIB[fmt])
    assert (URIRef(f"{BASE}/catalog"), RDF.type, DCAT.Catalog) in graph
    assert not list(graph.subjects(RDF.type, DCAT.Dataset))


async def test_a_stream_gets_the_same_document(catalogue: str, out: Path) -> None:
    stream = io.BytesIO()
    exported = await export_catalog(
        catalogue, stream, format="jsonld", base=BASE, processes=2, page=7, min_range=1
    )
    assert exported.processes == 2
    assert stream.getvalue() == await api_dump(catalogue, "jsonld")


async def change_catalogue(database_url: str) -> None:
    """A harvest's worth of changes: one dataset withdrawn, one retitled, one added."""
    await corpus.withdraw(database_url, "energie")
    retitled = corpus.record("bus", {"fr": "Autobus (nouveau titre)"}, source="min")
    await corpus.write(database_url, "min", [retitled])
    await corpus.write(database_url, "ville", [corpus.record("neuf", {"fr": "Jeu ajouté"})])


def titled_datasets(graph: Graph) -> set[tuple[Any, Any]]:
    return {
        (dataset, title)
        for dataset in graph.subjects(RDF.type, DCAT.Dataset)
        for title in graph.objects(dataset, DCTERMS.title)
    }


async def test_on_postgresql_the_file_is_one_snapshot(
    catalogue: str, out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Changes committed once the export has begun (here: after it planned its ranges,
    before its workers started) are not in the file on PostgreSQL, where every process
    reads the snapshot the export began with; on SQLite each page reads the current state."""
    before = await api_dump(catalogue, "nt")
    planned = export_module._ranges

    async def plan_then_change(*args: Any) -> Any:
        ranges = await planned(*args)
        await change_catalogue(catalogue)
        return ranges

    monkeypatch.setattr(export_module, "_ranges", plan_then_change)
    path = out / "catalog.nt"
    exported = await export_to(path, catalogue, "nt", processes=3, page=4, min_range=1)
    after = await api_dump(catalogue, "nt")
    assert before != after and exported.processes >= 2
    if catalogue.startswith("postgresql"):
        assert path.read_bytes() == before
    else:
        written = Graph().parse(path, format="nt")
        assert titled_datasets(written) == titled_datasets(Graph().parse(data=after, format="nt"))


async def break_record(database_url: str, position: int) -> str:
    """Store a record that is no DatasetRecord at the visible dataset at ``position`` in pk
    order; its id."""
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            visible = sa.select(col(Dataset.pk), col(Dataset.id)).where(
                col(Dataset.withdrawn_at).is_(None)
            )
            pk, uid = (await connection.execute(visible.order_by(col(Dataset.pk)))).all()[position]
            broken = sa.update(Dataset).where(col(Dataset.pk) == pk).values(record={"title": 5})
            await connection.execute(broken)
            return str(uid)
    finally:
        await engine.dispose()


async def test_a_failing_worker_leaves_the_output_as_it_was(catalogue: str, out: Path) -> None:
    broken = await break_record(catalogue, -1)  # in the last range: a worker's
    path = out / "catalog.ttl"
    path.write_text("the previous dump")
    with pytest.raises(ExportError, match=f"dataset {broken}: its stored record is invalid"):
        # two ranges (69 // 30): this process writes the first, the worker the second
        await export_to(path, catalogue, "turtle", processes=2, page=4, min_range=30)
    assert path.read_text() == "the previous dump"
    assert only(out) == ["catalog.ttl"]


async def test_a_failure_here_stops_the_workers_and_cleans_up(
    catalogue: str, out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing(*args: Any) -> None:
        raise OSError("No space left on device")

    monkeypatch.setattr(export_module, "_write_rows", failing)  # this process's writer only
    temporary = out / "tmp"
    temporary.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(temporary))
    with pytest.raises(OSError, match="No space left"):
        await export_to(out / "catalog.nt", catalogue, "nt", processes=3, min_range=1)
    with pytest.raises(OSError, match="No space left"):  # to a stream: parts in a temp folder
        await export_catalog(
            catalogue, io.BytesIO(), format="nt", base=BASE, processes=2, min_range=1
        )
    assert only(out) == ["tmp"]
    assert only(temporary) == []


async def test_a_killed_export_leaves_nothing_for_good(catalogue: str, out: Path) -> None:
    """The folder an export killed outright left next to its output (parts, half a
    document) is removed by the next export to that output."""
    path = out / "catalog.ttl"
    killed = out / ".catalog.ttl.k1ll3d"
    killed.mkdir()
    (killed / OWNER).write_text(f"{socket.gethostname()} {gone_pid()}")
    (killed / "part-000003").write_bytes(b"<https://x> a <https://y> .\n" * 100)
    await export_to(path, catalogue, "turtle", processes=2, page=4, min_range=1)
    assert only(out) == ["catalog.ttl"]
    assert path.read_bytes() == await api_dump(catalogue, "turtle")


def appended(target: Any, part_bytes: bytes, tmp_path: Path) -> None:
    part = tmp_path / "part"
    part.write_bytes(part_bytes)
    with part.open("rb") as source:
        export_module.append(source, target)


PART = bytes(range(256)) * 40_000 + b"tail"  # ~10 MB: several kernel copy calls


@pytest.mark.parametrize("kernel", [True, False], ids=["kernel copy", "buffered copy"])
def test_a_part_is_appended_whole_to_a_file_a_pipe_or_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kernel: bool
) -> None:
    if not kernel:

        def refused(*args: Any) -> int:
            raise OSError(errno.EXDEV, "refused")

        monkeypatch.setattr(os, "copy_file_range", refused)
        monkeypatch.setattr(os, "sendfile", refused)
    whole = tmp_path / "whole"
    with whole.open("wb") as target:
        target.write(b"head")  # buffered: flushed before the copy
        appended(target, PART, tmp_path)
        target.write(b"end")
    assert whole.read_bytes() == b"head" + PART + b"end"
    memory = io.BytesIO(b"head")
    memory.seek(4)
    appended(memory, PART, tmp_path)
    assert memory.getvalue() == b"head" + PART
    read, write = os.pipe()
    received = bytearray()
    reader = threading.Thread(target=lambda: received.extend(drain(read)))
    reader.start()
    with os.fdopen(write, "wb") as pipe:
        pipe.write(b"head")
        appended(pipe, PART, tmp_path)
        pipe.write(b"end")
    reader.join()
    assert bytes(received) == b"head" + PART + b"end"


def drain(fd: int) -> bytes:
    with os.fdopen(fd, "rb") as pipe:
        return pipe.read()


# The command line


@pytest.fixture
def env(catalogue: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("MOISSON_DATABASE_URL", catalogue)
    monkeypatch.setenv("COLUMNS", "250")
    get_settings.cache_clear()
    yield catalogue
    get_settings.cache_clear()


def invoke(*args: str) -> Result:
    get_settings.cache_clear()
    return CliRunner().invoke(app, ["export", *args])


def test_the_command_writes_the_file(env: str, out: Path) -> None:
    path = out / "catalogue.ttl"
    result = invoke(
        "--format", "ttl", "-o", str(path), "--base-url", f"{BASE}/", "--processes", "2"
    )
    assert result.exit_code == 0, result.output
    assert path.read_bytes() == asyncio.run(api_dump(env, "turtle"))
    assert f"exported 69 datasets as turtle to {path}" in result.stderr
    assert result.stdout == ""


def test_the_command_writes_to_stdout(env: str) -> None:
    result = invoke("--format", "xml", "--output", "-", "--base-url", BASE)
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes == asyncio.run(api_dump(env, "xml"))
    assert "exported 69 datasets as xml to stdout" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "csv"], "--format: unknown format 'csv'"),
        (["--base-url", "donnees.example.qc.ca"], "--base-url: expected an absolute http(s) URL"),
        (["--base-url", "ftp://donnees.example.qc.ca"], "--base-url: expected an absolute"),
        (["--base-url", f"{BASE}/?lang=fr"], "without query or fragment"),
        (["--base-url", f"{BASE}/#top"], "without query or fragment"),
        (["--base-url", "https://exa mple.org"], "characters a URL cannot hold"),
        (["--output", "{tmp}/missing/catalog.ttl"], "--output: no directory"),
        (["--output", "{tmp}"], "is a directory"),
        (["--processes", "0"], "--processes: expected 1 or more"),
    ],
)
def test_the_command_refuses_bad_input(env: str, out: Path, args: list[str], message: str) -> None:
    defaults = {"--output": str(out / "catalog.ttl"), "--base-url": BASE}
    given = dict(zip(args[::2], [arg.format(tmp=out) for arg in args[1::2]], strict=True))
    options = [item for pair in {**defaults, **given}.items() for item in pair]
    result = invoke(*options)
    assert result.exit_code == 2, result.output
    assert message in result.stderr, result.stderr
    assert "Traceback" not in result.output
    assert only(out) == []


def test_the_command_reports_a_failed_export(env: str, out: Path) -> None:
    broken = asyncio.run(break_record(env, 0))
    path = out / "catalog.nt"
    path.write_text("the previous dump")
    result = invoke("--format", "nt", "-o", str(path), "--base-url", BASE, "--processes", "1")
    assert result.exit_code == 1, result.output
    assert f"left as it was): dataset {broken}: its stored record is invalid" in result.stderr
    assert "Traceback" not in result.output
    assert path.read_text() == "the previous dump"
    assert only(out) == ["catalog.nt"]


def test_the_command_creates_no_database(out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = out / "moisson.db"
    monkeypatch.setenv("MOISSON_DATABASE_URL", f"sqlite+aiosqlite:///{missing}")
    result = invoke("-o", str(out / "catalog.ttl"), "--base-url", BASE)
    assert result.exit_code == 2, result.output
    assert f"no database at {missing}" in result.stderr
    assert only(out) == []
    get_settings.cache_clear()
