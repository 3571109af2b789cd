"""The whole catalogue as one DCAT-AP file, written by several processes side by side.

The file holds what ``GET /catalog?limit=all`` serves at the same base URL, byte for byte:
the visible datasets (``withdrawn_at IS NULL``) in ``pk`` order after the catalogue's header
(:func:`harvester.catalog_header.catalog_header`). They are split into contiguous ``pk``
ranges of about equal counts, a few per process. Each range is read in keyset pages of
:data:`PAGE` rows (its pk, id and record alone: memory stays flat whatever the catalogue)
and written as :func:`catalog.rdf.iter_dataset_chunks`.

The calling process writes the document's opening and the first range straight into the
output. Worker processes (``spawn``, as the mapping pool: never ``fork`` with an event loop
running), each with its own database engine, write the others to part files in a
temporary folder next to the output: each worker takes the next range from the front, the
calling process the last one left, from the back (:class:`Claims`), until none is left, so
all end about together, whenever each started and whatever its ranges held. The calling
process then appends the parts in order, and the closing. A file output is renamed onto
its path only once complete (the folder needs room for the parts and the whole: up to
twice the document); on any failure it is left as it was and the parts are removed (to
standard output, what was written stays written). A failed part stops the others after
the range each is writing.

Harvests may run meanwhile. On PostgreSQL the document is the catalogue as it was at one
instant, whatever they commit: the calling process reads the header, the ranges and its own
parts in one read-only repeatable-read transaction whose snapshot it exports
(``pg_export_snapshot``, as ``pg_dump --jobs`` does), and each worker reads all its ranges in
a transaction set to that snapshot (:class:`Reader`). SQLite's readers cannot share a
snapshot across connections, and a long read would hold back the WAL's checkpoints: there,
each page is read in a transaction of its own, as by the API's dump. Every dataset present
and visible throughout is written exactly once; one added, changed or withdrawn meanwhile is
written in either state, or left out, never twice.
"""

from __future__ import annotations

import asyncio
import math
import multiprocessing
import os
import re
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import partial
from itertools import pairwise
from multiprocessing.context import SpawnContext
from pathlib import Path
from typing import Any, BinaryIO, cast

import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession
from sqlmodel import col

from catalog.model import DatasetRecord
from catalog.rdf import Format, catalog_closing, catalog_opening, iter_dataset_chunks
from harvester.catalog_header import catalog_header, catalog_uri, dataset_uri
from harvester.search.version import catalog_version
from harvester.store.db import create_engine, in_memory
from harvester.store.stored_records import record_text, stored_record
from harvester.store.tables import Dataset
from harvester.work_folders import work_folder

PAGE = 500
"""Datasets read per statement."""
RANGES_PER_PROCESS = 8
"""Ranges per process at least: the processes end within about one range of each other."""
MAX_RANGE = 10_000
"""The most datasets a range holds (~5 s of writing): a failure stops the others as soon."""
MIN_RANGE = 1_000
"""The fewest datasets worth a range of their own: a worker takes ~1.5 s to start (the time
to write a few thousand), so a small catalogue is written by fewer processes, or by the
calling process alone."""
COPY_BUFFER = 1 << 20


Row = sa.Row[int, str, str]
"""A dataset's ``(pk, id, record as its stored JSON text)``."""


class ExportError(Exception):
    """A part of the export failed (in a worker: its error, as text, which always pickles)."""


@dataclass(frozen=True, slots=True)
class Job:
    """What every range of one export is written with (sent to the workers)."""

    database_url: str
    format: Format
    base: str
    page: int = PAGE
    snapshot: str | None = None
    """The snapshot every worker reads (PostgreSQL), exported by the calling process."""


@dataclass(frozen=True, slots=True)
class PkRange:
    """The visible datasets with ``start <= pk < stop`` (None: unbounded)."""

    start: int | None
    stop: int | None


@dataclass(frozen=True, slots=True)
class Part:
    """One range as written: its datasets, and the process that wrote them."""

    datasets: int
    pid: int


@dataclass(frozen=True, slots=True)
class Exported:
    """What an export wrote, range by range in order."""

    parts: tuple[Part, ...]

    @property
    def datasets(self) -> int:
        return sum(part.datasets for part in self.parts)

    @property
    def processes(self) -> int:
        return len({part.pid for part in self.parts})


_SNAPSHOT_ID = re.compile(r"[0-9A-F]+(-[0-9A-F]+)+")


class Reader:
    """Where one process's statements run: a connection held in the export's snapshot
    (PostgreSQL), or a new connection, hence a transaction, for each statement (SQLite)."""

    def __init__(self, engine: AsyncEngine, connection: AsyncConnection | None = None) -> None:
        self.engine = engine
        self.connection = connection

    async def rows(self, statement: sa.Executable) -> Sequence[sa.Row[Any]]:
        """The rows ``statement`` selects."""
        if self.connection is not None:
            return (await self.connection.execute(statement)).all()
        async with self.engine.connect() as connection:
            return (await connection.execute(statement)).all()

    def session(self) -> AsyncSession:
        """An ORM session reading as this reader does."""
        return AsyncSession(self.connection if self.connection is not None else self.engine)


@asynccontextmanager
async def exporting_reader(engine: AsyncEngine) -> AsyncIterator[tuple[Reader, str | None]]:
    """The calling process's reader, and the snapshot it exported for the workers (None on
    SQLite). The snapshot lives as long as the context: until every worker is done."""
    if engine.dialect.name != "postgresql":
        yield Reader(engine), None
        return
    async with engine.connect() as connection:
        await _read_only_repeatable_read(connection)
        snapshot = await connection.scalar(sa.text("SELECT pg_export_snapshot()"))
        yield Reader(engine, connection), str(snapshot)


@asynccontextmanager
async def importing_reader(engine: AsyncEngine, snapshot: str | None) -> AsyncIterator[Reader]:
    """A worker's reader: in a transaction set to the exported ``snapshot``, if any."""
    if snapshot is None:
        yield Reader(engine)
        return
    if _SNAPSHOT_ID.fullmatch(snapshot) is None:
        raise ExportError(f"not a PostgreSQL snapshot id: {snapshot!r}")
    async with engine.connect() as connection:
        await _read_only_repeatable_read(connection)
        await connection.execute(sa.text(f"SET TRANSACTION SNAPSHOT '{snapshot}'"))
        yield Reader(engine, connection)


async def _read_only_repeatable_read(connection: AsyncConnection) -> None:
    """Make the connection's transaction, about to begin, read-only and repeatable-read (one
    snapshot for all its statements)."""
    await connection.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)


async def export_catalog(
    database_url: str,
    output: Path | BinaryIO,
    *,
    format: Format,
    base: str,
    processes: int = 1,
    page: int = PAGE,
    min_range: int = MIN_RANGE,
) -> Exported:
    """Write the catalogue at ``database_url`` to ``output`` (a file path, replaced once the
    document is complete, or a binary stream) in ``format``, dataset URIs built on ``base``
    (an absolute URL without a trailing slash), by up to ``processes`` processes (this one
    included) with at least ``min_range`` datasets per range. Read-only."""
    engine = _engine(database_url)
    try:
        async with exporting_reader(engine) as (reader, snapshot):
            job = Job(database_url, format, base, page, snapshot)
            async with reader.session() as session:
                modified = (await catalog_version(session))[1]
            single = processes == 1 or in_memory(database_url)  # one connection: no workers
            ranges = await _ranges(reader, 1 if single else processes, min_range)
            workers = min(processes, len(ranges)) - 1
            opening = catalog_opening(format, catalog_header(base, modified)).encode()
            write = partial(
                _document, reader=reader, job=job, ranges=ranges, workers=workers, opening=opening
            )
            if isinstance(output, Path):
                parts = await _to_file(output, write)
            else:
                with work_folder("moisson-export.") as work:
                    parts = await write(output, work)
    finally:
        await engine.dispose()
    return Exported(tuple(parts))


def _engine(database_url: str) -> AsyncEngine:
    """An engine for reading (no checkpoint thread: this process writes nothing)."""
    return create_engine(database_url, sqlite_checkpoint_s=0, pool_size=1)


async def _ranges(reader: Reader, processes: int, min_range: int) -> list[PkRange]:
    """Contiguous ranges of the visible datasets, of about equal counts, which together
    cover every pk (the first and last unbounded, for datasets added meanwhile)."""
    pk = col(Dataset.pk)
    [(count,)] = await reader.rows(sa.select(sa.func.count(pk)).where(_visible()))
    enough = max(processes * RANGES_PER_PROCESS, math.ceil(count / MAX_RANGE))
    wanted = min(enough, count // max(min_range, 1))
    if processes == 1 or wanted < 2:
        return [PkRange(None, None)]
    ranked = (
        sa.select(pk, sa.func.ntile(wanted).over(order_by=pk).label("range"))
        .where(_visible())
        .subquery()
    )
    firsts = sa.select(sa.func.min(ranked.c.pk)).group_by(ranked.c.range)
    starts = [start for (start,) in await reader.rows(firsts.order_by(ranked.c.range))]
    bounds = [None, *starts[1:], None]
    return [PkRange(start, stop) for start, stop in pairwise(bounds)]


async def _to_file(
    output: Path, write: Callable[[BinaryIO, Path], Awaitable[list[Part]]]
) -> list[Part]:
    """The document ``write(stream, work folder)`` gives, written in a temporary folder next
    to ``output``, then renamed onto it; the folder (parts, or an incomplete document)
    removed whatever happens, or by the next export to ``output`` if this process is killed
    (:mod:`harvester.work_folders`)."""
    with work_folder(f".{output.name}.", output.parent) as work:
        whole = work / "document"
        with whole.open("wb") as stream:
            parts = await write(stream, work)
            os.fsync(stream.fileno())
        os.replace(whole, output)
    return parts


async def _document(
    stream: BinaryIO,
    work: Path,
    *,
    reader: Reader,
    job: Job,
    ranges: list[PkRange],
    workers: int,
    opening: bytes,
) -> list[Part]:
    """The whole document into ``stream``: opening, every range in order, closing."""
    stream.write(opening)
    if workers == 0:
        parts = [Part(await _write_range(reader, ranges[0], stream, job), os.getpid())]
    else:
        parts = await _side_by_side(stream, work, reader, job, ranges, workers)
    stream.write(catalog_closing(job.format).encode())
    stream.flush()
    return parts


async def _side_by_side(
    stream: BinaryIO,
    work: Path,
    reader: Reader,
    job: Job,
    ranges: list[PkRange],
    workers: int,
) -> list[Part]:
    """Every range, written by this process (the first, into ``stream``, then those it
    claims from the back) and by ``workers`` processes (from the front; each starts with a
    range of its own, so each writes a share), the parts then appended in order."""
    context = multiprocessing.get_context("spawn")
    claims = Claims(context, workers + 1, len(ranges) - 1)
    written: dict[int, Part] = {}
    pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_share, initargs=(claims,))
    futures = [
        pool.submit(write_parts, job, ranges, work, first) for first in range(1, workers + 1)
    ]
    try:
        written[0] = Part(await _write_range(reader, ranges[0], stream, job), os.getpid())
        written |= await _write_parts(reader, job, ranges, work, claims.back(), claims.back)
        for future in futures:
            theirs: dict[int, Part] = await asyncio.wrap_future(future)
            written |= theirs
    except BaseException:
        claims.close()
        pool.shutdown(cancel_futures=True)  # no worker writes in the folder once it goes
        raise
    pool.shutdown(wait=False)  # the workers are done: they exit while the parts are appended
    for index in range(1, len(ranges)):
        path = _part_path(work, index)
        with path.open("rb") as part:
            append(part, stream)
        path.unlink()  # its room back at once
    return [written[index] for index in range(len(ranges))]


def append(part: BinaryIO, stream: BinaryIO) -> None:
    """Copy the file ``part`` to the end of ``stream``: by the kernel where ``stream`` has a
    file descriptor (``copy_file_range`` to a file, ``sendfile`` to a pipe), else, or where
    the kernel refuses, through a buffer."""
    stream.flush()
    try:
        target = stream.fileno()
    except (AttributeError, OSError):  # io.UnsupportedOperation: an in-memory stream
        target = -1
    source, size = part.fileno(), os.fstat(part.fileno()).st_size
    copied = 0
    for copy in (os.copy_file_range, os.sendfile) if target >= 0 else ():
        try:
            while copied < size:
                done = (
                    os.copy_file_range(source, target, size - copied)
                    if copy is os.copy_file_range
                    else os.sendfile(target, source, copied, size - copied)
                )
                if done == 0:
                    break
                copied += done
        except OSError:  # EXDEV, EINVAL (a pipe for copy_file_range), ENOSYS…
            continue
        if copied == size:
            return
    part.seek(copied)
    shutil.copyfileobj(part, stream, COPY_BUFFER)


class Claims:
    """The ranges no process has taken yet, shared by the processes of one export: the
    workers take them from the front, the calling process from the back."""

    def __init__(self, context: SpawnContext, first: int, last: int) -> None:
        self._left = context.Array("q", [first, last])  # next from the front, from the back

    def front(self) -> int | None:
        """The first range left, now taken; None when none is left."""
        with self._left.get_lock():
            first, last = self._left[0], self._left[1]
            if first > last:
                return None
            self._left[0] = first + 1
            return first

    def back(self) -> int | None:
        """The last range left, now taken; None when none is left."""
        with self._left.get_lock():
            first, last = self._left[0], self._left[1]
            if first > last:
                return None
            self._left[1] = last - 1
            return last

    def close(self) -> None:
        """Leave no range to take (a part failed: the others stop after their range)."""
        with self._left.get_lock():
            self._left[0] = self._left[1] + 1


_claims: Claims | None = None
"""The export's :class:`Claims`, in a worker process (set as it starts)."""


def _share(claims: Claims) -> None:
    global _claims
    _claims = claims


def write_parts(job: Job, ranges: list[PkRange], work: Path, first: int) -> dict[int, Part]:
    """Write range ``first``, then those claimed from the front, each to its part file in
    ``work`` (in a worker process, with its own engine)."""
    claims = _claims
    assert claims is not None, "a worker started by _side_by_side"
    try:
        return asyncio.run(_write_parts_apart(job, ranges, work, first, claims))
    except Exception as error:
        claims.close()
        if isinstance(error, ExportError):
            raise
        raise ExportError(f"{type(error).__name__}: {error}") from None


async def _write_parts_apart(
    job: Job, ranges: list[PkRange], work: Path, first: int, claims: Claims
) -> dict[int, Part]:
    engine = _engine(job.database_url)
    try:
        async with importing_reader(engine, job.snapshot) as reader:
            return await _write_parts(reader, job, ranges, work, first, claims.front)
    finally:
        await engine.dispose()


async def _write_parts(
    reader: Reader,
    job: Job,
    ranges: list[PkRange],
    work: Path,
    index: int | None,
    claim: Callable[[], int | None],
) -> dict[int, Part]:
    """Write range ``index``, then each one ``claim`` gives, each to its part file."""
    written: dict[int, Part] = {}
    while index is not None:
        with _part_path(work, index).open("wb") as out:
            datasets = await _write_range(reader, ranges[index], out, job)
        written[index] = Part(datasets, os.getpid())
        index = claim()
    return written


def _part_path(work: Path, index: int) -> Path:
    return work / f"part-{index:06}"


async def _write_range(reader: Reader, pk_range: PkRange, out: BinaryIO, job: Job) -> int:
    """Write the range's datasets to ``out``, page by page; how many there were."""
    written, after = 0, None
    while True:
        rows = cast("Sequence[Row]", await reader.rows(_page(pk_range, after, job.page)))
        _write_rows(rows, out, job)
        written += len(rows)
        if len(rows) < job.page:
            return written
        after = rows[-1][0]


def _write_rows(rows: Sequence[Row], out: BinaryIO, job: Job) -> None:
    """Write ``(pk, id, record text)`` rows' datasets to ``out``."""
    records = (
        (dataset_uri(job.base, dataset_id), _record(dataset_id, data))
        for _, dataset_id, data in rows
    )
    catalog = catalog_uri(job.base)
    for chunk in iter_dataset_chunks(records, format=job.format, catalog_uri=catalog):
        out.write(chunk.encode())


def _record(dataset_id: str, text: str) -> DatasetRecord:
    try:
        return stored_record(text)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(map(str, first["loc"])) or "record"
        raise ExportError(
            f"dataset {dataset_id}: its stored record is invalid ({where}: {first['msg']})"
        ) from None


def _page(pk_range: PkRange, after: int | None, rows: int) -> sa.Select[int | None, str, str]:
    """The next ``rows`` visible datasets of the range after pk ``after`` (None: its start),
    their records as stored JSON text (:mod:`harvester.store.stored_records`)."""
    pk = col(Dataset.pk)
    statement = sa.select(pk, col(Dataset.id), record_text()).where(_visible())
    if after is not None:
        statement = statement.where(pk > after)
    elif pk_range.start is not None:
        statement = statement.where(pk >= pk_range.start)
    if pk_range.stop is not None:
        statement = statement.where(pk < pk_range.stop)
    return statement.order_by(pk).limit(rows)


def _visible() -> sa.ColumnElement[bool]:
    """What the API's dump lists: the datasets not withdrawn."""
    return col(Dataset.withdrawn_at).is_(None)
