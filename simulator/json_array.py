"""A JSON array of rendered datasets, streamed a few datasets at a time."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import orjson

from simulator.corpus import Corpus, SimDataset

DATASETS_PER_CHUNK = 50


def json_array_chunks(
    corpus: Corpus,
    indices: list[int],
    render: Callable[[SimDataset], Any],
    *,
    head: bytes = b"[",
    tail: bytes = b"]",
) -> Iterator[bytes]:
    """``head``, the datasets at ``indices`` as ``render`` gives them, comma-separated, then
    ``tail`` (the array's closing bracket and whatever closes around it)."""
    yield head
    for start in range(0, len(indices), DATASETS_PER_CHUNK):
        part = b",".join(
            orjson.dumps(render(corpus.dataset(i)))
            for i in indices[start : start + DATASETS_PER_CHUNK]
        )
        yield (b"," if start else b"") + part
    yield tail
