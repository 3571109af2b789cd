"""The recorded DCAT-US data.json fixtures as datasets, and a data.json of chosen ones to
serve."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import httpx
import orjson

from tests.paths import fixture

POD_SCHEMA = "https://project-open-data.cio.gov/v1.1/schema"


def recorded_datasets(name: str) -> list[dict[str, Any]]:
    """The ``dataset`` list of the recorded ``dcat-us/{name}``."""
    return list(orjson.loads(fixture("dcat-us", name).read_bytes())["dataset"])


def data_json(datasets: Iterable[dict[str, Any]]) -> bytes:
    """A DCAT-US 1.1 catalogue listing ``datasets`` in order."""
    return orjson.dumps({"conformsTo": POD_SCHEMA, "dataset": list(datasets)})


def serving(body: bytes) -> Callable[[httpx.Request], httpx.Response]:
    """A MockTransport handler answering every request with the JSON ``body``."""
    return lambda _: httpx.Response(200, content=body, headers={"content-type": "application/json"})
