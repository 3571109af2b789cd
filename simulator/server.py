"""The simulator's HTTP server: a Starlette app on uvicorn, bound to 127.0.0.1 only.

* :func:`build_app` — the ASGI app of a :class:`SimState` (all chosen platforms at their
  natural paths, plus ``/_sim/state`` and ``POST /_sim/generation?to=N``);
* :class:`SimServer` — runs it in a background thread of this process (tests, ``moisson
  demo``): ``with SimServer(config) as sim: sim.url``;
* :class:`SimProcess` — runs it in a child process (benchmarks: the portal gets its own
  core and its own memory, out of the harvester's RSS).
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import socket
import threading
import time
from types import TracebackType
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from simulator.platforms import PLATFORM_CLASSES, SOURCE_PATHS
from simulator.state import SimConfig, SimState

HOST = "127.0.0.1"


def build_app(state: SimState) -> Starlette:
    """The ASGI app serving ``state``'s platforms and its control endpoints."""
    routes: list[Route] = []
    for name in state.config.platforms:
        routes += PLATFORM_CLASSES[name](state).routes()

    async def describe(request: Request) -> JSONResponse:
        return JSONResponse(
            {
                "generation": state.generation,
                "datasets": len(state.corpus),
                "requests": state.requests,
                "faults_injected": state.faults.injected,
                "platforms": list(state.config.platforms),
                "cached_bytes": state.pages.size,
                "pages_rendered": state.pages.rendered,
                "cpu_s": time.process_time(),
            }
        )

    async def generation(request: Request) -> JSONResponse:
        try:
            to = int(request.query_params.get("to") or state.generation + 1)
        except ValueError:
            return JSONResponse({"error": "to must be an integer"}, status_code=400)
        corpus = state.set_generation(to)
        return JSONResponse({"generation": to, "datasets": len(corpus)})

    routes += [
        Route("/_sim/state", describe),
        Route("/_sim/generation", generation, methods=["POST"]),
    ]
    return Starlette(routes=routes)


def _listen(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((HOST, port))
    sock.listen(1024)
    sock.set_inheritable(True)
    return sock


def _uvicorn(app: Starlette) -> uvicorn.Server:
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan="off",
        ws="none",
        timeout_keep_alive=30,
        timeout_graceful_shutdown=2,
    )
    return uvicorn.Server(config)


class SimServer:
    """A simulator in a background thread of this process (its own event loop)."""

    def __init__(self, config: SimConfig, *, port: int = 0) -> None:
        self.state = SimState(config)
        self._socket = _listen(port)
        self.port = self._socket.getsockname()[1]
        self.url = f"http://{HOST}:{self.port}"
        self._server = _uvicorn(build_app(self.state))
        self._thread = threading.Thread(target=self._run, name="moisson-sim", daemon=True)

    def _run(self) -> None:
        asyncio.run(self._server.serve(sockets=[self._socket]))

    def source_url(self, platform: str) -> str:
        """The Moisson source URL of ``platform`` on this server."""
        return self.url + SOURCE_PATHS[platform]

    def start(self) -> SimServer:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the simulator did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()

    def __enter__(self) -> SimServer:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()


def _serve_child(config: SimConfig, port: int) -> None:
    sock = _listen(port)
    server = _uvicorn(build_app(SimState(config)))
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(server.serve(sockets=[sock]))


class SimProcess:
    """A simulator in a child process; switch generations with :meth:`set_generation`."""

    def __init__(self, config: SimConfig, *, port: int = 0) -> None:
        self.config = config
        if not port:
            with _listen(0) as probe:  # a free port for the child to bind
                port = probe.getsockname()[1]
        self.port = port
        self.url = f"http://{HOST}:{self.port}"
        context = multiprocessing.get_context("spawn")
        self._process = context.Process(
            target=_serve_child, args=(config, port), name="moisson-sim", daemon=True
        )

    def source_url(self, platform: str) -> str:
        return self.url + SOURCE_PATHS[platform]

    def start(self) -> SimProcess:
        self._process.start()
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(f"{self.url}/_sim/state", timeout=1).raise_for_status()
                return self
            except httpx.HTTPError:
                if time.monotonic() > deadline or not self._process.is_alive():
                    raise RuntimeError("the simulator process did not start") from None
                time.sleep(0.05)

    def state(self) -> dict[str, Any]:
        return dict(httpx.get(f"{self.url}/_sim/state", timeout=30).json())

    def set_generation(self, generation: int) -> dict[str, Any]:
        answer = httpx.post(f"{self.url}/_sim/generation", params={"to": generation}, timeout=120)
        answer.raise_for_status()
        return dict(answer.json())

    def stop(self) -> None:
        if self._process.is_alive():
            self._process.terminate()
        self._process.join(timeout=10)

    def __enter__(self) -> SimProcess:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()
